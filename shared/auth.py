"""Officer authentication, the same in every service: a bearer JWT whose subject is the officer id.

Tokens are issued by intake (`faio officer create` / `faio officer token`, HS256 with the secret
key from settings) or by a real identity provider (set FAIO_JWKS_URL; its signing keys are
fetched and cached).

Revocation: each token carries the officer's token version (`ver`); revoking bumps the version
at intake, which then refuses older tokens. A service enforces more than the signature by
putting an `OfficerCheck` on `app.state.officer_check` (intake checks its officer table there;
`intake.officer.tokens-revoked.v1` carries each bump to any other service that keeps a copy).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import uuid4

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared import clock
from shared.settings import SharedSettings

_bearer = HTTPBearer(auto_error=False, description="An officer token from `faio officer token`.")
# Tokens issued before versions existed carry no `ver`: they count as the first version.
FIRST_TOKEN_VERSION = 1
HOW_TO_GET_ONE = (
    "a new officer gets one from `faio officer create`, "
    "an existing one from `faio officer token --email <email>`"
)
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


@dataclass(frozen=True)
class Officer:
    """Who is calling: an officer id (the token's subject) and their display name."""

    id: str
    name: str = ""
    token_version: int = FIRST_TOKEN_VERSION


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not signed by us."""


# A token issued by a peer whose clock runs a little ahead is already good (an expiry is exact).
CLOCK_SKEW = timedelta(seconds=60)


def decode_jwt(token: str, key: Any, *, algorithms: list[str], require: list[str], **checks: Any) -> Any:
    """PyJWT's decode, with the token's lifetime (exp, nbf, iat) judged by faio's clock, not the system's."""
    claims = jwt.decode(
        token,
        key,
        algorithms=algorithms,
        options={"require": require, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        **checks,
    )
    now = clock.now().timestamp()
    if "exp" in claims and float(claims["exp"]) <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")
    for claim in ("nbf", "iat"):
        if claim in claims and float(claims[claim]) > now + CLOCK_SKEW.total_seconds():
            raise jwt.ImmatureSignatureError(f"The token is not yet valid ({claim})")
    return claims


def issue_token(
    settings: SharedSettings, *, officer_id: str, name: str = "", token_version: int = FIRST_TOKEN_VERSION
) -> str:
    """A signed officer token (HS256 with the secret key) of one token version."""
    now = clock.now()
    claims = {
        "sub": officer_id,
        "name": name,
        "ver": token_version,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(days=settings.token_lifetime_days),
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


# Intake's officer administration (officers, tokens, sign-in links) asks callers for this header
# when FAIO_ADMIN_SECRET is set; the CLI and the portal send it.
ADMIN_HEADER = "X-Faio-Admin-Secret"
SIGN_IN_AUDIENCE = "faio-portal-sign-in"
SIGN_IN_LIFETIME = timedelta(minutes=15)


def issue_sign_in_token(
    settings: SharedSettings, *, officer_id: str, name: str = "", token_version: int = FIRST_TOKEN_VERSION
) -> tuple[str, datetime]:
    """A one-time portal sign-in token (15 minutes) and when it expires; the portal spends its jti.

    It carries the officer's current token version: the portal's session acts at that version, and
    a revocation after it ends the session (and refuses the link if not yet spent)."""
    now = clock.now()
    expires = now + SIGN_IN_LIFETIME
    claims = {
        "sub": officer_id,
        "name": name,
        "ver": token_version,
        "iss": settings.jwt_issuer,
        "aud": SIGN_IN_AUDIENCE,
        "iat": now,
        "exp": expires,
        "jti": str(uuid4()),
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256"), expires


def verify_sign_in_token(settings: SharedSettings, token: str) -> tuple[Officer, str, datetime]:
    """The officer a sign-in token names, its jti and expiry; InvalidToken with the reason."""
    try:
        claims = decode_jwt(
            token,
            settings.secret_key,
            algorithms=["HS256"],
            audience=SIGN_IN_AUDIENCE,
            issuer=settings.jwt_issuer,
            require=["sub", "exp", "iss", "aud", "jti"],
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    if not str(claims["sub"]).strip():
        raise InvalidToken("the token names no officer")
    officer = Officer(id=str(claims["sub"]), name=str(claims.get("name", "")), token_version=_version(claims))
    return officer, str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC)


def _version(claims: dict[str, Any]) -> int:
    version = claims.get("ver", FIRST_TOKEN_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidToken("the token's version ('ver') is not a whole number")
    return version


def verify_token(settings: SharedSettings, token: str) -> Officer:
    """The officer a token names, or InvalidToken with the reason."""
    try:
        if settings.jwks_url:
            client = _jwks_clients.setdefault(settings.jwks_url, jwt.PyJWKClient(settings.jwks_url))
            key: Any = client.get_signing_key_from_jwt(token).key
            algorithms = ["RS256", "ES256"]
        else:
            key, algorithms = settings.secret_key, ["HS256"]
        claims = decode_jwt(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            require=["sub", "exp", "iss", "aud"],
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    if not str(claims["sub"]).strip():
        raise InvalidToken("the token names no officer")
    return Officer(id=str(claims["sub"]), name=str(claims.get("name", "")), token_version=_version(claims))


# What a service may check beyond the signature (the officer exists, the token is not revoked):
# it raises InvalidToken with the reason. Installed as `app.state.officer_check`.
OfficerCheck = Callable[[Request, Officer], Awaitable[None]]


async def current_officer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Officer:
    """FastAPI dependency: the calling officer, or 401 saying how to get a token."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"missing bearer token: send 'Authorization: Bearer <token>' ({HOW_TO_GET_ONE})",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings: SharedSettings = request.app.state.runtime.settings
    check: OfficerCheck | None = getattr(request.app.state, "officer_check", None)
    try:
        officer = verify_token(settings, credentials.credentials)
        if check is not None:
            await check(request, officer)
    except InvalidToken as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"invalid token ({error}); {HOW_TO_GET_ONE}",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from error
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
