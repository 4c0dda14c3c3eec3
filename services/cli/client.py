"""The CLI's way to reach faio's APIs (shared/api_client): the officer's token, failures explained.

Base URLs come from `faio --intake-url ...` or FAIO_INTAKE_URL, FAIO_AUDIT_URL, FAIO_ROADMAP_URL,
FAIO_KPI_URL, FAIO_PORTAL_URL (default: the local ports 8001-8005). The token comes from
--token or FAIO_TOKEN; officer administration sends FAIO_ADMIN_SECRET when it is set.
"""

from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.cli.render import fail
from shared.api_client import Call, Refusal, SyncApi
from shared.api_client.vocabulary import SERVICES, Service

T = TypeVar("T")
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


def api() -> SyncApi:
    """faio's APIs where this command finds them, with the admin secret if there is one."""
    endpoints = Endpoints()
    urls: dict[Service, str] = {
        name: url_overrides.get(name) or getattr(endpoints, f"{name}_url") for name in SERVICES
    }
    return SyncApi(urls, admin_secret=endpoints.admin_secret, transport=transport)


def request(
    endpoint: Call[Any], *, token: str | None = None, timeout: httpx.Timeout | float = 30.0
) -> httpx.Response:
    """Send one request, whatever it answers; an unreachable service or a missing token ends the command."""
    if token is not None and not token.strip():
        fail("no officer token", hint=f"pass --token or {SIGN_IN_HINT}")
    try:
        return api().response(endpoint, token=None if token is None else token.strip(), timeout=timeout)
    except Refusal as refusal:
        refuse(refusal)


def call(endpoint: Call[T], *, token: str | None = None, not_found_hint: str = "") -> T:
    """One request as its endpoint reads the answer; any refusal ends the command, explained."""
    response = request(endpoint, token=token)
    try:
        return endpoint.answer(response)
    except Refusal as refusal:
        refuse(refusal, not_found_hint=not_found_hint)


def refuse(refusal: Refusal, *, not_found_hint: str = "") -> NoReturn:
    """End the command with the service's reason and what to do about it."""
    service = refusal.service
    said = refusal.explained(
        sign_in=SIGN_IN_HINT,
        not_found=not_found_hint,
        conflict="check its state with the matching `show` command",
        unreachable=f"start it (`make run`) or point FAIO_{service.upper()}_URL (or --{service}-url) at it",
    )
    fail(said.message, hint=said.what_to_do, code=2 if said.bad_input else 1)
