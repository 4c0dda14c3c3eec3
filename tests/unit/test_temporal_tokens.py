"""faio's Temporal tokens: signed by the offline issuer, verified by its JWKS, scoped per process and
namespace, expiring; and the client refuses an expired one and picks up a re-issued one."""

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from opentelemetry.sdk.trace import TracerProvider
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
    ListSearchAttributesResponse,
)
from temporalio.service import RPCError, RPCStatusCode

from deploy import temporal_tokens
from deploy.temporal_tokens import ISSUER, JWKS_FILE, KEY_FILE, PROCESSES, create_all, issue_token
from shared import clock
from shared.settings import SharedSettings
from shared.temporal import TemporalConnection, connect_temporal, register_search_attributes
from shared.temporal_token import TemporalTokenError, keep_token_fresh, read_token

# The roles Temporal's default claim mapper knows, and the cluster-wide pseudo-namespace.
ROLES = {"read", "write", "worker", "admin"}


def verify(directory: Path, token: str) -> dict[str, Any]:
    """The claims, checked as Temporal checks them: signature by a JWKS key named by `kid`, expiry."""
    keys = jwt.PyJWKSet.from_json((directory / JWKS_FILE).read_text())
    key = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=["ES256"], issuer=ISSUER)


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    create_all(tmp_path, namespace="faio-staging")
    return tmp_path


def test_every_token_verifies_against_the_jwks_and_names_its_process(secrets: Path) -> None:
    for process in PROCESSES:
        claims = verify(secrets, (secrets / f"{process}.jwt").read_text())
        assert claims["sub"] == process
    jwks = json.loads((secrets / JWKS_FILE).read_text())
    assert all("d" not in key for key in jwks["keys"])  # public halves only
    assert (secrets / KEY_FILE).stat().st_mode & 0o077 == 0


def test_each_process_gets_only_its_role_in_its_namespace(secrets: Path) -> None:
    granted = {
        process: verify(secrets, (secrets / f"{process}.jwt").read_text())["permissions"]
        for process in PROCESSES
    }
    assert granted == {
        "audit": ["faio-staging:write"],
        "roadmap": ["faio-staging:write"],
        # Polling and completing tasks are write APIs to the default authorizer.
        "audit-worker": ["faio-staging:write"],
        "roadmap-worker": ["faio-staging:write"],
        "temporal-ui": ["faio-staging:read"],
        "temporal-init": ["temporal-system:admin"],
        "operator": ["temporal-system:admin"],
    }
    for permissions in granted.values():
        assert all(permission.split(":")[1] in ROLES for permission in permissions)


def test_tokens_expire_after_ninety_days(secrets: Path) -> None:
    claims = verify(secrets, (secrets / "audit.jwt").read_text())
    assert claims["exp"] - claims["iat"] == timedelta(days=90).total_seconds()
    old = issue_token(secrets, "audit", now=clock.now() - timedelta(days=91))
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(secrets, old)


def test_a_token_of_another_issuer_key_does_not_verify(
    secrets: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    create_all(other)
    with pytest.raises(KeyError):  # its kid is not published
        verify(secrets, (other / "audit.jwt").read_text())


def test_a_new_issuer_key_is_published_next_to_the_old_until_the_old_is_retired(secrets: Path) -> None:
    before = (secrets / "roadmap.jwt").read_text()
    old_kid = jwt.get_unverified_header(before)["kid"]
    create_all(secrets, new_key=True)
    after = (secrets / "roadmap.jwt").read_text()
    assert jwt.get_unverified_header(after)["kid"] != old_kid
    verify(secrets, before)  # running processes keep working while the new tokens roll out
    verify(secrets, after)
    temporal_tokens.retire(secrets, old_kid)
    with pytest.raises(KeyError):
        verify(secrets, before)
    verify(secrets, after)
    with pytest.raises(SystemExit, match="current issuer key"):
        temporal_tokens.retire(secrets, jwt.get_unverified_header(after)["kid"])


def test_reissue_needs_the_issuer_key(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=KEY_FILE):
        create_all(tmp_path, reissue=True)


# The client side (shared/temporal_token.py).


def test_an_expired_token_is_refused_naming_the_file(secrets: Path) -> None:
    issue_token(secrets, "audit", now=clock.now() - timedelta(days=91))
    expired = re.escape(f"{secrets / 'audit.jwt'}: the Temporal token expired")
    with pytest.raises(TemporalTokenError, match=expired):
        read_token(secrets / "audit.jwt")


def test_a_missing_or_garbled_token_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TemporalTokenError, match=re.escape(f"{tmp_path / 'nope.jwt'} cannot be read")):
        read_token(tmp_path / "nope.jwt")
    (tmp_path / "bad.jwt").write_text("not a token")
    with pytest.raises(TemporalTokenError, match=re.escape(f"{tmp_path / 'bad.jwt'} does not hold a JWT")):
        read_token(tmp_path / "bad.jwt")


async def test_a_process_with_an_expired_token_does_not_start(secrets: Path) -> None:
    issue_token(secrets, "roadmap", now=clock.now() - timedelta(days=91))
    settings = SharedSettings(
        temporal_address="127.0.0.1:1", temporal_token_file=str(secrets / "roadmap.jwt")
    )
    with pytest.raises(TemporalTokenError, match=re.escape("roadmap.jwt")):
        await connect_temporal(settings, TracerProvider())  # refused before any connection attempt
    with pytest.raises(TemporalTokenError, match=re.escape("roadmap.jwt")):
        async with TemporalConnection().connecting(settings, TracerProvider()):
            pass  # an app's lifespan: the app does not come up


class FakeClient:
    api_key: str | None = None


async def test_a_reissued_token_is_sent_from_the_next_check_on(secrets: Path) -> None:
    path = secrets / "audit-worker.jwt"
    client = FakeClient()
    client.api_key = before = read_token(path).value
    settings = SharedSettings(temporal_token_file=str(path))
    refresh = asyncio.create_task(keep_token_fresh(client, settings, every=0.01))
    try:
        path.write_text("half-writ")  # a bad file is reported; the previous token stays
        await asyncio.sleep(0.05)
        assert client.api_key == before
        new = issue_token(secrets, "audit-worker", days=89)  # differs from the first
        for _ in range(100):
            if client.api_key == new:
                break
            await asyncio.sleep(0.01)
        assert client.api_key == new
    finally:
        refresh.cancel()


async def test_without_a_token_file_nothing_is_watched() -> None:
    await asyncio.wait_for(keep_token_fresh(FakeClient(), SharedSettings()), 1)


async def test_a_token_near_its_expiry_is_warned_about_hourly_not_at_every_check(
    secrets: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = secrets / "roadmap.jwt"
    client = FakeClient()
    client.api_key = issue_token(secrets, "roadmap", days=3)
    refresh = asyncio.create_task(
        keep_token_fresh(client, SharedSettings(temporal_token_file=str(path)), every=0.01)
    )
    await asyncio.sleep(0.2)  # a score of checks
    refresh.cancel()
    warnings = [record for record in caplog.records if "re-issue it" in record.getMessage()]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()


class RefusingOperatorService:
    """Temporal's answer to a `write` token adding search attributes: listing yes, adding no."""

    async def list_search_attributes(
        self, request: ListSearchAttributesRequest
    ) -> ListSearchAttributesResponse:
        return ListSearchAttributesResponse()

    async def add_search_attributes(self, request: AddSearchAttributesRequest) -> None:
        raise RPCError("Request unauthorized.", RPCStatusCode.PERMISSION_DENIED, b"")


async def test_a_worker_that_may_not_add_search_attributes_says_who_must() -> None:
    client = SimpleNamespace(operator_service=RefusingOperatorService())
    with pytest.raises(RuntimeError, match=r"FaioClinicId.*temporal-init"):
        await register_search_attributes(client, "faio-production")  # type: ignore[arg-type]
