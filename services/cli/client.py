"""The CLI's one way to reach a service: HTTP with the officer's token, failures explained.

Base URLs come from `faio --intake-url ...` or FAIO_INTAKE_URL, FAIO_AUDIT_URL, FAIO_ROADMAP_URL,
FAIO_KPI_URL, FAIO_PORTAL_URL (default: the local ports 8001-8005). The token comes from
--token or FAIO_TOKEN; officer administration sends FAIO_ADMIN_SECRET when it is set.
"""

from typing import Annotated, Any, Literal, NoReturn

import httpx
import typer
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.cli.render import fail
from shared.auth import ADMIN_HEADER

Service = Literal["intake", "audit", "roadmap", "kpi", "portal"]
SIGN_IN_HINT = (
    "export FAIO_TOKEN=<token> (a new officer: `faio officer create`; "
    "an existing one: `faio officer token --email <email>`)"
)


class Endpoints(BaseSettings):
    """Where the services answer, from FAIO_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="FAIO_", extra="ignore")

    intake_url: str = "http://127.0.0.1:8001"
    audit_url: str = "http://127.0.0.1:8002"
    roadmap_url: str = "http://127.0.0.1:8003"
    kpi_url: str = "http://127.0.0.1:8004"
    portal_url: str = "http://127.0.0.1:8005"
    admin_secret: str = ""


# Set by the root command's --<service>-url options; they win over the environment.
url_overrides: dict[str, str] = {}
# The network, unless a test puts a stand-in service here (httpx.MockTransport).
transport: httpx.BaseTransport | None = None

TokenOption = Annotated[
    str,
    typer.Option(
        "--token", envvar="FAIO_TOKEN", help="Your officer token (or set FAIO_TOKEN).", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the service's answer as JSON, for scripts.")]


def base_url(service: Service) -> str:
    url: str = url_overrides.get(service) or getattr(Endpoints(), f"{service}_url")
    return url.rstrip("/")


def request(
    service: Service,
    method: str,
    path: str,
    *,
    token: str | None = None,
    admin: bool = False,
    timeout: httpx.Timeout | float = 30.0,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; an unreachable service or a missing token ends the command with what to do."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        if not token.strip():
            fail("no officer token", hint=f"pass --token or {SIGN_IN_HINT}")
        headers["Authorization"] = f"Bearer {token.strip()}"
    if admin and (secret := Endpoints().admin_secret):
        headers[ADMIN_HEADER] = secret
    url = base_url(service)
    try:
        with httpx.Client(base_url=url, timeout=timeout, transport=transport) as client:
            return client.request(method, path, headers=headers, **kwargs)
    except httpx.TransportError as error:
        fail(
            f"cannot reach the {service} service at {url} ({error or type(error).__name__})",
            hint=f"start it (`make run`) or point FAIO_{service.upper()}_URL (or --{service}-url) at it",
        )


def call(
    service: Service,
    method: str,
    path: str,
    *,
    token: str | None = None,
    admin: bool = False,
    not_found_hint: str = "",
    **kwargs: Any,
) -> Any:
    """One request whose success is JSON; any other answer ends the command, explained."""
    response = request(service, method, path, token=token, admin=admin, **kwargs)
    if response.is_success:
        return response.json() if response.content else None
    refuse(service, response, not_found_hint=not_found_hint)


def detail(response: httpx.Response) -> str:
    """The service's reason, readable: FastAPI's 422 list becomes one `field: problem` line each."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    found = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(found, list):
        lines = []
        for problem in found:
            if not isinstance(problem, dict):
                lines.append(f"  {problem}")
                continue
            location = [str(part) for part in problem.get("loc", []) if part not in ("body", "query", "path")]
            field = ".".join(location) or "request"
            lines.append(f"  {field}: {problem.get('msg', problem)}")
        return "\n" + "\n".join(lines)
    return str(found)


def refuse(service: Service, response: httpx.Response, *, not_found_hint: str = "") -> NoReturn:
    """End the command with the service's reason and what to do about it."""
    status, reason = response.status_code, detail(response)
    if status == 401:
        fail(f"the {service} service refused the token: {reason}", hint=SIGN_IN_HINT)
    if status == 403:
        fail(f"the {service} service refused: {reason}")
    if status == 404:
        fail(reason, hint=not_found_hint)
    if status == 409:
        fail(reason, hint="check its state with the matching `show` command")
    if status in (400, 413, 415, 422):
        fail(
            f"the {service} service refused the input: {reason}",
            hint="fix what is named and try again",
            code=2,
        )
    if status == 503:
        fail(f"the {service} service is not ready: {reason}", hint="try again in a few seconds")
    fail(f"the {service} service answered {status}: {reason}")
