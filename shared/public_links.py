"""Account-less public forms: signed links, bot protection and a per-client rate limit.

A prospect, or a staff member on a phone, opens a form through a link an officer made; they
have no account. The owning service keeps one row per link (its id, the subject it is for,
expiry, revoked or not) and hands out a signed token; the token alone grants nothing the row
does not confirm.

Links (one audience per purpose, so a task-log link never opens a prospect form):

    token = issue_link(settings, purpose=LinkPurpose.PROSPECT, link_id=row.id,
                       subject_id=officer_id, expires_at=row.expires_at)
    claims = verify_link(settings, token, purpose=LinkPurpose.PROSPECT)  # LinkRefused: expired/forged
    if row.revoked_at is not None:                                       # the service's own row
        raise LinkRefused(RefusalReason.REVOKED)

`LinkRefused` is a `Refused` (422 through shared/errors.py, like every domain refusal); its
`reason` says which of expired / forged / revoked, and its message tells the person to ask the
officer for a new link.

Bot protection (plain functions the owning service calls on every submission):

    stamp = issue_form_stamp(settings, link_id=claims.link_id)  # put in the form when it is shown
    check_submission(settings, link_id=claims.link_id, honeypot=body.website,
                     form_stamp=body.form_stamp, min_fill_seconds=20)

The honeypot is a field people never see (`HONEYPOT_FIELD`), so it must come back empty; the
stamp is a signed "started at" that proves the form was shown and how long ago.

A public JSON endpoint takes the token in the `LINK_HEADER` header, not in its path, so the
token (a credential) stays out of access logs and the traced URL.

Rate limit (a FastAPI dependency, or `await limit.hit(key)` for any key such as a link id):

    prospect_submissions = RateLimit("10/minute", scope="prospect-form")
    @router.post("/...", dependencies=[Depends(prospect_submissions)])

Over the limit it answers 429 with `Retry-After` in seconds. Given the request (`hit(key,
request)`, or as a dependency), counts are kept in the service's database (shared/rate_counts.py),
so every replica counts against one limit; without a request, in this process's memory.

Every route under `PUBLIC_PATHS` (/v1/public/) is limited per client and route by the app-wide
dependency `limit_public_routes` (shared/app.py), at `settings.public_requests_per_client`.

The client is `request.client.host` and nothing else: X-Forwarded-For counts only when the
connection comes from a proxy in `settings.forwarded_allow_ips` (uvicorn's ProxyHeadersMiddleware,
installed by shared/app.py), so a new X-Forwarded-For on each request is no new client. The
portal is such a proxy for the services' public routes: it passes on its own client with
`forwarded_for(request)`.

A portal page's URL holds the token (/p/<token>); `redact_tokens`, the HTTP instrumentation's
request hook in every service (shared/app.py), blanks any signed token in a server span, and
`REDACT_TOKENS_IN_LOGS` does the same for the access log of the app that serves the pages.
"""

import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from fastapi import HTTPException, Request, status
from fastapi.routing import APIRoute
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter
from limits.storage import storage_from_string
from opentelemetry import trace
from sqlalchemy.exc import SQLAlchemyError

from shared import clock
from shared.auth import decode_jwt
from shared.errors import Refused
from shared.rate_counts import DatabaseStorage
from shared.settings import SharedSettings

log = logging.getLogger(__name__)

LINK_HEADER = "X-Faio-Link"
HONEYPOT_FIELD = "website"
FORM_STAMP_FIELD = "form_stamp"
FORM_STAMP_AUDIENCE = "faio-form-stamp"
# A form left open longer than this is sent again after a reload (a fresh stamp).
FORM_STAMP_LIFETIME = timedelta(hours=2)
ASK_FOR_A_NEW_LINK = "ask the officer who sent it for a new link"


class LinkPurpose(StrEnum):
    """What a link opens; each is its own JWT audience."""

    PROSPECT = "faio-prospect"
    TASK_LOG = "faio-task-log"
    BUY_IN_SURVEY = "faio-buy-in-survey"


class RefusalReason(StrEnum):
    """Why a link does not open a form."""

    EXPIRED = "expired"
    FORGED = "forged"
    REVOKED = "revoked"
    USED = "used"  # a single-use link that took its answer
    CLOSED = "closed"  # the form's round has ended


_REFUSAL_WORDS = {
    RefusalReason.EXPIRED: "this link has expired",
    RefusalReason.FORGED: "this link is not one faio made (it may be cut short or changed)",
    RefusalReason.REVOKED: "this link was withdrawn by the officer",
    RefusalReason.USED: "this link was used already: it takes one answer",
    RefusalReason.CLOSED: "this survey has closed and takes no more answers",
}


class LinkRefused(Refused):
    """A public link that does not open its form; `reason` says why, the message what to do."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(f"{_REFUSAL_WORDS[reason]}; {ASK_FOR_A_NEW_LINK}")
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    """What a verified link names: its row at the owning service and the subject it is for."""

    purpose: LinkPurpose
    link_id: str
    subject_id: str
    expires_at: datetime


def issue_link(
    settings: SharedSettings,
    *,
    purpose: LinkPurpose,
    link_id: str,
    subject_id: str,
    expires_at: datetime,
    nonce: str | None = None,
) -> str:
    """A signed link token (HS256 with the secret key) for one link row, valid until `expires_at`.

    A `nonce` (jti) makes tokens of the same row distinct: single-use links kept as their hash.
    """
    claims: dict[str, Any] = {
        "lid": link_id,
        "sub": subject_id,
        "iss": settings.jwt_issuer,
        "aud": purpose.value,
        "iat": clock.now(),
        "exp": expires_at,
    }
    if nonce is not None:
        claims["jti"] = nonce
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def verify_link(settings: SharedSettings, token: str, *, purpose: LinkPurpose) -> LinkClaims:
    """The claims of a link made for `purpose`; LinkRefused (expired or forged) otherwise.

    Revocation is the owning service's check on its own row (`claims.link_id`).
    """
    try:
        claims = decode_jwt(
            token,
            settings.secret_key,
            algorithms=["HS256"],
            audience=purpose.value,
            issuer=settings.jwt_issuer,
            require=["lid", "sub", "exp", "iss", "aud"],
        )
    except jwt.ExpiredSignatureError as error:
        raise LinkRefused(RefusalReason.EXPIRED) from error
    except jwt.PyJWTError as error:  # bad signature, another purpose, truncated, missing claims
        raise LinkRefused(RefusalReason.FORGED) from error
    link_id, subject_id = str(claims["lid"]).strip(), str(claims["sub"]).strip()
    if not link_id or not subject_id:
        raise LinkRefused(RefusalReason.FORGED)
    return LinkClaims(
        purpose=purpose,
        link_id=link_id,
        subject_id=subject_id,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def issue_form_stamp(settings: SharedSettings, *, link_id: str, now: datetime | None = None) -> str:
    """A signed "this form was shown at" for one link, sent back with the answers."""
    started = now or clock.now()
    claims = {
        "lid": link_id,
        "started_at": started.timestamp(),
        "iss": settings.jwt_issuer,
        "aud": FORM_STAMP_AUDIENCE,
        "exp": started + FORM_STAMP_LIFETIME,
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def check_submission(
    settings: SharedSettings,
    *,
    link_id: str,
    honeypot: str,
    form_stamp: str,
    min_fill_seconds: float,
    now: datetime | None = None,
) -> None:
    """Refused (naming the field) unless a person plausibly filled this link's form."""
    if honeypot.strip():
        raise Refused(f"'{HONEYPOT_FIELD}' must be left empty (it is hidden from people); reload the form")
    try:
        claims = decode_jwt(
            form_stamp,
            settings.secret_key,
            algorithms=["HS256"],
            audience=FORM_STAMP_AUDIENCE,
            issuer=settings.jwt_issuer,
            require=["lid", "started_at", "exp"],
        )
    except jwt.ExpiredSignatureError as error:
        raise Refused(
            f"'{FORM_STAMP_FIELD}': the form was open too long; reload it and send your answers again"
        ) from error
    except jwt.PyJWTError as error:
        raise Refused(f"'{FORM_STAMP_FIELD}' is missing or not one faio made; reload the form") from error
    if str(claims["lid"]) != link_id:
        raise Refused(f"'{FORM_STAMP_FIELD}' belongs to another link's form; reload the form")
    elapsed = (now or clock.now()).timestamp() - float(claims["started_at"])
    if elapsed < min_fill_seconds:
        raise Refused(
            f"'{FORM_STAMP_FIELD}': the form was sent {max(elapsed, 0):.0f} s after it opened, faster "
            f"than a person fills it (at least {min_fill_seconds:.0f} s); check your answers and send again"
        )


def client_address(request: Request) -> str:
    """The caller's address: the connection's, or a trusted proxy's X-Forwarded-For (see above)."""
    return request.client.host if request.client is not None else "unknown"


def forwarded_for(request: Request) -> dict[str, str]:
    """Headers for a call made on behalf of this request's client (the portal's public forms)."""
    return {"X-Forwarded-For": client_address(request)}


class TooManyRequests(HTTPException):
    """429 with Retry-After: the client sent more than the limit allows."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many requests from you; wait {retry_after_seconds} s and try again",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


class RateLimit:
    """A limit per client (or per any key) within one `scope`, e.g. "10/minute".

    Given the request, it counts in the app's database (`app.state.rate_counts`, fixed windows),
    shared by every replica; without one, in this process's memory (a moving window).
    """

    def __init__(
        self,
        rule: str,
        *,
        scope: str,
        key: Callable[[Request], str] = client_address,
        storage_uri: str = "async+memory://",
    ) -> None:
        self.item: RateLimitItem = parse(rule)
        self.scope = scope
        self.key = key
        storage = storage_from_string(storage_uri)
        assert isinstance(storage, Storage), "use an async storage URI (async+memory://, async+redis://)"
        self._limiter: RateLimiter = MovingWindowRateLimiter(storage)
        # The databases this limit has counted in, by storage: reset() forgets its counts there too.
        self._shared: dict[int, FixedWindowRateLimiter] = {}

    def _limiter_for(self, request: Request | None) -> "RateLimiter":
        storage = getattr(request.app.state, "rate_counts", None) if request is not None else None
        if not isinstance(storage, DatabaseStorage):
            return self._limiter
        return self._shared.setdefault(id(storage), FixedWindowRateLimiter(storage))

    async def hit(self, key: str, request: Request | None = None) -> None:
        """Count one request for `key`; TooManyRequests once the window is full."""
        limiter = self._limiter_for(request)
        try:
            if await limiter.hit(self.item, self.scope, key):
                return
        except SQLAlchemyError:  # the database cannot count now: this process counts alone
            log.warning(
                "rate limit %s counted in memory: the database did not answer", self.scope, exc_info=True
            )
            limiter = self._limiter
            if await limiter.hit(self.item, self.scope, key):
                return
        stats = await limiter.get_window_stats(self.item, self.scope, key)
        # The `limits` library keeps its windows on the system clock: Retry-After is measured on it.
        raise TooManyRequests(max(1, math.ceil(stats.reset_time - time.time())))

    async def __call__(self, request: Request) -> None:
        """FastAPI dependency: count this request against its client."""
        await self.hit(self.key(request), request)

    async def reset(self) -> None:
        """Forget every count (tests, or after changing the rule)."""
        await self._limiter.storage.reset()
        for shared in self._shared.values():
            storage = shared.storage
            assert isinstance(storage, DatabaseStorage)
            await storage.clear_prefix(f"LIMITER/{self.scope}/")


PUBLIC_PATHS = "/v1/public/"


async def limit_public_routes(request: Request) -> None:
    """App-wide dependency: a request to a public endpoint counts against its client there
    (the app's `state.public_limit`); 429 over the limit."""
    if not request.url.path.startswith(PUBLIC_PATHS):
        return
    route = request.scope.get("route")
    path = route.path if isinstance(route, APIRoute) else request.url.path
    limit: RateLimit = request.app.state.public_limit
    await limit.hit(f"{request.method} {path} {client_address(request)}", request)


# Three base64url parts, the first a JSON header ("eyJ" is how '{"' encodes): a signed token.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
REDACTED = "[token]"


def redact_tokens(span: trace.Span, _scope: Mapping[str, Any]) -> None:
    """FastAPI instrumentation's server request hook: blank signed tokens in the span's attributes.

    A public page's URL holds its link token (/p/<token>), a sign-in URL its one-time token;
    neither belongs in a trace. The hook runs after the request's attributes are set.
    """
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    for key, value in dict(attributes).items():
        if isinstance(value, str) and _JWT.search(value):
            span.set_attribute(key, _JWT.sub(REDACTED, value))


class RedactTokensInLogs(logging.Filter):
    """A log filter that blanks signed tokens in a record's arguments (uvicorn's access log line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _JWT.sub(REDACTED, arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


# One instance, so adding it again (an app made twice in a process) changes nothing.
REDACT_TOKENS_IN_LOGS = RedactTokensInLogs()
