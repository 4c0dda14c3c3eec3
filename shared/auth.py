"""Officer authentication, the same in every service: a bearer JWT whose subject is the officer id.

Tokens are issued by `faio officer create` (HS256 with the secret key from settings) or by a
real identity provider (set FAIO_JWKS_URL; its signing keys are fetched and cached).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import uuid4

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.settings import SharedSettings

_bearer = HTTPBearer(auto_error=False, description="An officer token from `faio officer create`.")
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


@dataclass(frozen=True)
class Officer:
    """Who is calling: an officer id (the token's subject) and their display name."""

    id: str
    name: str = ""


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not signed by us."""


def issue_token(settings: SharedSettings, *, officer_id: str, name: str = "") -> str:
    """A signed officer token (HS256 with the secret key)."""
    now = datetime.now(UTC)
    claims = {
        "sub": officer_id,
        "name": name,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(days=settings.token_lifetime_days),
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


SIGN_IN_AUDIENCE = "faio-portal-sign-in"
SIGN_IN_LIFETIME = timedelta(minutes=15)


def issue_sign_in_token(settings: SharedSettings, *, officer_id: str, name: str = "") -> tuple[str, datetime]:
    """A one-time portal sign-in token (15 minutes) and when it expires; the portal spends its jti."""
    now = datetime.now(UTC)
    expires = now + SIGN_IN_LIFETIME
    claims = {
        "sub": officer_id,
        "name": name,
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
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=["HS256"],
            audience=SIGN_IN_AUDIENCE,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iss", "aud", "jti"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    if not str(claims["sub"]).strip():
        raise InvalidToken("the token names no officer")
    officer = Officer(id=str(claims["sub"]), name=str(claims.get("name", "")))
    return officer, str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC)


def verify_token(settings: SharedSettings, token: str) -> Officer:
    """The officer a token names, or InvalidToken with the reason."""
    try:
        if settings.jwks_url:
            client = _jwks_clients.setdefault(settings.jwks_url, jwt.PyJWKClient(settings.jwks_url))
            key: Any = client.get_signing_key_from_jwt(token).key
            algorithms = ["RS256", "ES256"]
        else:
            key, algorithms = settings.secret_key, ["HS256"]
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return Officer(id=str(claims["sub"]), name=str(claims.get("name", "")))


async def current_officer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Officer:
    """FastAPI dependency: the calling officer, or 401 saying how to get a token."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token: send 'Authorization: Bearer <token>' "
            "(create one with `faio officer create`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings: SharedSettings = request.app.state.runtime.settings
    try:
        return verify_token(settings, credentials.credentials)
    except InvalidToken as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"invalid token ({error}); create a new one with `faio officer create`",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from error


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
