"""Acting on the officer's behalf: the owning service's HTTP API (shared/api_client), called with the
officer's identity.

The portal never changes another service's data itself. It mints a normal officer bearer token
for the signed-in officer (the same one `faio officer create` prints) and calls the API; when
the service refuses, its reason is shown as it gave it.
"""

import dataclasses
from typing import TypeVar

import httpx
from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer.models import PortalOfficer
from services.portal.officer.sessions import SignedIn
from services.portal.settings import PortalSettings, settings_of
from shared.api_client import AsyncApi, Call, Refusal, intake
from shared.auth import issue_token
from shared.public_links import forwarded_for

T = TypeVar("T")
# Who asks intake for a sign-in link: the portal itself, for a person not signed in yet.
PORTAL_CALLER = SignedIn(officer_id="service:portal", officer_name="faio portal", csrf_token="")


def service_clients(settings: PortalSettings) -> dict[str, httpx.AsyncClient]:
    """One HTTP client per service, by its URL setting."""
    urls = {
        "intake": settings.intake_url,
        "audit": settings.audit_url,
        "roadmap": settings.roadmap_url,
        "kpi": settings.kpi_url,
    }
    return {
        name: httpx.AsyncClient(base_url=url, timeout=settings.service_timeout_seconds)
        for name, url in urls.items()
    }


def service_api(request: Request) -> AsyncApi:
    """faio's APIs through the portal's own clients (app.state.service_http: tests put theirs there)."""
    return AsyncApi(request.app.state.service_http, admin_secret=settings_of(request).admin_secret)


async def as_officer(request: Request, officer: SignedIn, call: Call[T]) -> T:
    """Send `call` as the officer: its answer, or a Refusal with the service's own reason."""
    # At the session's token version: after a revocation, intake refuses a token of an older one.
    token = issue_token(
        settings_of(request),
        officer_id=officer.officer_id,
        name=officer.officer_name,
        token_version=officer.token_version,
    )
    return await service_api(request).send(call, token=token)


async def request_sign_in_link(request: Request, *, email: str) -> str:
    """A sign-in token for the officer with this email, from intake; a Refusal (404: nobody) otherwise."""
    answer = await as_officer(request, PORTAL_CALLER, intake.sign_in_link(email=email))
    token = answer.get("token") or str(answer.get("url", "")).partition("token=")[2]
    if not token:
        raise Refusal("intake", "the sign-in link endpoint answered without a token")
    return str(token)


async def remember_email(session: AsyncSession, *, officer_id: str, name: str, email: str) -> None:
    """Where this officer's urgent notices are mailed from now on."""
    officer = await session.get(PortalOfficer, officer_id) or PortalOfficer(id=officer_id, name=name)
    officer.email = email
    session.add(officer)
    await session.commit()


def for_client(request: Request, call: Call[T]) -> Call[T]:
    """The call made on behalf of this request's client (a public form): the service limits that
    client, not the portal."""
    return dataclasses.replace(call, headers={**call.headers, **forwarded_for(request)})
