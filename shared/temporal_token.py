"""The bearer token a Temporal client shows Temporal's authorizer (FAIO_TEMPORAL_TOKEN_FILE).

deploy/temporal_tokens.py issues one per process; docs/runbook.md re-issues them before they
expire. The file is read at start (an expired token refuses to start, naming the file), then
watched: a re-issued token goes out from the next call on, without a restart.
"""

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import jwt

from shared import clock
from shared.settings import SharedSettings

log = logging.getLogger(__name__)

# Closer than this to its expiry, the file is re-read at every check (whatever its timestamp says)
# and the log warns hourly until a new token is there.
RENEW_WITHIN = timedelta(days=7)
CHECK_SECONDS = 60.0
WARN_EVERY = timedelta(hours=1)


class TemporalTokenError(ValueError):
    """The token file is missing, unreadable, not a JWT or expired."""


class HasApiKey(Protocol):
    api_key: str | None


@dataclass(frozen=True)
class Token:
    value: str
    expires: datetime


def read_token(path: Path) -> Token:
    """The token in `path`, refused when it cannot be read or has expired."""
    try:
        value = path.read_text().strip()
    except OSError as error:
        raise TemporalTokenError(
            f"FAIO_TEMPORAL_TOKEN_FILE {path} cannot be read: {error.strerror}"
        ) from error
    try:
        # The server checks the signature; the client needs only to know when to look for a new one.
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise TemporalTokenError(f"FAIO_TEMPORAL_TOKEN_FILE {path} does not hold a JWT") from error
    expiry = claims.get("exp")
    if not isinstance(expiry, int | float):
        raise TemporalTokenError(f"FAIO_TEMPORAL_TOKEN_FILE {path}: the token has no expiry (exp)")
    expires = datetime.fromtimestamp(expiry, UTC)
    if expires <= clock.now():
        raise TemporalTokenError(
            f"FAIO_TEMPORAL_TOKEN_FILE {path}: the Temporal token expired at {expires:%Y-%m-%d %H:%M} UTC;"
            " re-issue it (python -m deploy.temporal_tokens, docs/runbook.md)"
        )
    return Token(value, expires)


def initial_token(settings: SharedSettings) -> str | None:
    """The token to connect with, or None when this process has no token file."""
    if not settings.temporal_token_file:
        return None
    return read_token(Path(settings.temporal_token_file)).value


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)  # follows the symlink a Kubernetes Secret volume swaps on update
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


async def keep_token_fresh(
    client: HasApiKey, settings: SharedSettings, *, every: float = CHECK_SECONDS
) -> None:
    """Send the token file's current token: re-read it when it changes or nears its expiry.

    Runs until cancelled; returns at once for a process without a token file. A file that turns
    bad (half-written, expired) is reported and the previous token kept.
    """
    if not settings.temporal_token_file:
        return
    path = Path(settings.temporal_token_file)
    # The first check reads the file whatever its timestamp: it may have changed since connecting.
    seen: tuple[int, int, int] | None = (-1, -1, -1)
    expires = _expiry(client.api_key) if client.api_key else clock.now()
    warned = clock.now() - WARN_EVERY
    while True:
        await asyncio.sleep(every)
        stamp = _stamp(path)
        near_expiry = expires - clock.now() < RENEW_WITHIN
        if stamp == seen and not near_expiry:
            continue
        seen = stamp
        try:
            token = read_token(path)
        except TemporalTokenError as error:
            log.error("%s; still sending the previous token", error)
            continue
        if token.value != client.api_key:
            client.api_key = token.value
            log.info(
                "Temporal token re-read from %s; it expires %s", path, f"{token.expires:%Y-%m-%d %H:%M} UTC"
            )
        expires = token.expires
        if expires - clock.now() < RENEW_WITHIN and clock.now() - warned >= WARN_EVERY:
            warned = clock.now()
            log.warning(
                "the Temporal token in %s expires %s: re-issue it (docs/runbook.md)",
                path,
                f"{expires:%Y-%m-%d %H:%M} UTC",
            )


def _expiry(token: str) -> datetime:
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(claims["exp"], UTC)
