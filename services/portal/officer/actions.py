"""Acting on the officer's behalf: the owning service's HTTP API, called with the officer's identity.

The portal never changes another service's data itself. It mints a normal officer bearer token
for the signed-in officer (the same one `faio officer create` prints) and calls the API; when
the service refuses, its reason is shown as it gave it.
"""

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer.models import PortalOfficer
from services.portal.officer.sessions import SignedIn
from services.portal.settings import PortalSettings, settings_of
from shared.auth import ADMIN_HEADER, issue_token

SERVICES = ("intake", "audit", "roadmap", "kpi")
# The roadmap's gate decision endpoint (one place, should its spelling change).
DECISION_PATH = "/v1/plans/{plan_id}/decisions"


@dataclass
class ActionRefused(Exception):
    """The service said no (4xx), or could not be reached; `reason` is what to tell the officer."""

    service: str
    reason: str
    status: int = 0
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.service}: {self.reason}"


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


async def call(
    clients: dict[str, httpx.AsyncClient],
    settings: PortalSettings,
    *,
    service: str,
    method: str,
    path: str,
    officer: SignedIn,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Call `service` as the officer; ActionRefused with the service's own reason otherwise."""
    token = issue_token(settings, officer_id=officer.officer_id, name=officer.officer_name)
    try:
        response = await clients[service].request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
        )
    except httpx.HTTPError as error:
        raise ActionRefused(
            service, f"the {service} service did not answer ({type(error).__name__}); try again in a moment"
        ) from error
    if response.is_success:
        payload = response.json() if response.content else {}
        return payload if isinstance(payload, dict) else {"items": payload}
    reason, fields = explain(response)
    raise ActionRefused(service, reason, status=response.status_code, fields=fields)


async def as_officer(
    request: Request,
    officer: SignedIn,
    *,
    service: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`call` with the portal's own service clients and settings, as every page route makes it."""
    return await call(
        request.app.state.service_http,
        settings_of(request),
        service=service,
        method=method,
        path=path,
        officer=officer,
        body=body,
    )


async def roadmap_json(request: Request, officer: SignedIn, path: str) -> dict[str, Any]:
    """GET from roadmap as the officer (ActionRefused with roadmap's reason otherwise)."""
    return await as_officer(request, officer, service="roadmap", method="GET", path=path)


def explain(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """A service's refusal as one sentence, and per body field what it said (for forms)."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, str):
        return detail, {}
    if isinstance(detail, list):
        fields: dict[str, str] = {}
        for item in detail:
            if not isinstance(item, dict):
                continue
            location = [str(part) for part in item.get("loc", []) if part != "body"]
            fields[".".join(location) or "form"] = str(item.get("msg", "invalid"))
        return "; ".join(f"{name}: {message}" for name, message in fields.items()), fields
    return f"answered {response.status_code}", {}


# Intake's endpoint that makes a one-time sign-in token for an officer's email (see the README).
SIGN_IN_LINK_PATH = "/v1/officers/sign-in-links"
PORTAL_CALLER = "service:portal"


async def request_sign_in_link(
    clients: dict[str, httpx.AsyncClient], settings: PortalSettings, *, email: str
) -> str:
    """A sign-in token for the officer with this email, from intake; ActionRefused (404: nobody)."""
    caller = SignedIn(officer_id=PORTAL_CALLER, officer_name="faio portal", csrf_token="")
    answer = await call(
        clients,
        settings,
        service="intake",
        method="POST",
        path=SIGN_IN_LINK_PATH,
        officer=caller,
        body={"email": email},
        headers={ADMIN_HEADER: settings.admin_secret} if settings.admin_secret else None,
    )
    token = answer.get("token") or str(answer.get("url", "")).partition("token=")[2]
    if not token:
        raise ActionRefused("intake", "the sign-in link endpoint answered without a token")
    return str(token)


async def remember_email(session: AsyncSession, *, officer_id: str, name: str, email: str) -> None:
    """Where this officer's urgent notices are mailed from now on."""
    officer = await session.get(PortalOfficer, officer_id) or PortalOfficer(id=officer_id, name=name)
    officer.email = email
    session.add(officer)
    await session.commit()
