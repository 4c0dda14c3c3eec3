"""faio's Temporal clients present their process's token on every call (FAIO_TEMPORAL_TOKEN_FILE as
docker-compose.yml sets it), switch to a re-issued one without a restart, and temporal-init's
script sets up a namespace with its admin token.

The dev server (`temporal server start-dev`) cannot run Temporal's authorizer: it has no flag or
config file for it, and authorization is not dynamic config. So the mutual-TLS front reads the
gRPC headers of each call, and the test checks each token as the default authorizer's claim
mapper would: signed by a key of the JWKS, unexpired, granting the call's namespace.
"""

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from opentelemetry.sdk.trace import TracerProvider
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from deploy.certs import create_all
from deploy.temporal_tokens import ISSUER, JWKS_FILE, issue_token
from deploy.temporal_tokens import create_all as create_tokens
from shared.settings import SharedSettings
from shared.temporal import SEARCH_ATTRIBUTES, connect_temporal
from shared.temporal_token import keep_token_fresh
from tests.integration.codec_workflow import run_noted_plan
from tests.integration.tls_proxy import Front, mutual_tls_front

ROOT = Path(__file__).parents[2]
NAMESPACE = "default"  # the dev server's


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("secrets")
    create_all(directory)
    create_tokens(directory, namespace=NAMESPACE)
    return directory


def settings(address: str, secrets: Path, process: str) -> SharedSettings:
    return SharedSettings(
        temporal_address=address,
        temporal_namespace=NAMESPACE,
        temporal_tls_ca_cert=str(secrets / "ca.crt"),
        temporal_tls_client_cert=str(secrets / f"{process}.crt"),
        temporal_tls_client_key=str(secrets / f"{process}.key"),
        temporal_tls_server_name="temporal",
        temporal_token_file=str(secrets / f"{process}.jwt"),
    )


def bearer_claims(request: dict[str, str], secrets: Path) -> dict[str, Any]:
    """The claims of the call's bearer token, verified against the JWKS as Temporal does."""
    scheme, token = request["authorization"].split(" ", 1)
    assert scheme == "Bearer"
    keys = jwt.PyJWKSet.from_json((secrets / JWKS_FILE).read_text())
    key = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=["ES256"], issuer=ISSUER)


def senders(front: Front, method: str, secrets: Path) -> set[str]:
    calls = front.calls(method)
    assert calls, f"no {method} call went through the front"
    return {str(bearer_claims(call, secrets)["sub"]) for call in calls}


async def test_the_worker_and_the_service_each_send_their_own_token(
    temporal: WorkflowEnvironment, secrets: Path
) -> None:
    async with mutual_tls_front(temporal.client.service_client.config.target_host, secrets) as front:
        worker_client = await connect_temporal(
            settings(front.address, secrets, "roadmap-worker"), TracerProvider()
        )
        client = await connect_temporal(settings(front.address, secrets, "roadmap"), TracerProvider())
        assert await run_noted_plan(worker_client, client) == "Clinic: go"
    assert senders(front, "StartWorkflowExecution", secrets) == {"roadmap"}
    assert senders(front, "PollWorkflowTaskQueue", secrets) == {"roadmap-worker"}
    assert senders(front, "RespondWorkflowTaskCompleted", secrets) == {"roadmap-worker"}
    for request in front.requests:
        if request[":path"].startswith("/temporal.api.workflowservice"):
            assert f"{NAMESPACE}:write" in bearer_claims(request, secrets)["permissions"]


async def test_a_reissued_token_is_sent_without_a_restart(
    temporal: WorkflowEnvironment, secrets: Path
) -> None:
    process_settings = settings("unused", secrets, "audit")
    async with mutual_tls_front(temporal.client.service_client.config.target_host, secrets) as front:
        client = await connect_temporal(
            process_settings.model_copy(update={"temporal_address": front.address}), TracerProvider()
        )
        await client.count_workflows()
        (first,) = {call["authorization"] for call in front.calls("CountWorkflowExecutions")}
        refresh = asyncio.create_task(keep_token_fresh(client, process_settings, every=0.05))
        try:
            new = issue_token(secrets, "audit", namespace=NAMESPACE, days=89)  # differs from the first
            for _ in range(200):
                if client.api_key == new:
                    break
                await asyncio.sleep(0.05)
            front.requests.clear()
            await client.count_workflows()
        finally:
            refresh.cancel()
    (second,) = {call["authorization"] for call in front.calls("CountWorkflowExecutions")}
    assert second == f"Bearer {new}" != first
    assert bearer_claims(front.calls("CountWorkflowExecutions")[0], secrets)["sub"] == "audit"


async def test_temporal_init_creates_the_namespace_and_search_attributes_as_the_admin(
    temporal: WorkflowEnvironment, secrets: Path
) -> None:
    namespace = f"faio-init-{uuid.uuid4().hex[:8]}"
    async with mutual_tls_front(temporal.client.service_client.config.target_host, secrets) as front:
        environment = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # the temporal CLI
            "TEMPORAL_ADDRESS": front.address,
            "TEMPORAL_NAMESPACE": namespace,
            "FAIO_SECRETS_DIR": str(secrets),
        }
        for _ in range(2):  # runs on every `up`: the second run finds everything in place
            script = await asyncio.create_subprocess_exec(
                "sh",
                str(ROOT / "deploy" / "temporal" / "init.sh"),
                env=environment,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await asyncio.wait_for(script.communicate(), 120)
            assert script.returncode == 0, output.decode()
    listed = await temporal.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {key.name for key in SEARCH_ATTRIBUTES} <= set(listed.custom_attributes)
    assert senders(front, "RegisterNamespace", secrets) == {"temporal-init"}
    (request,) = front.calls("RegisterNamespace")
    assert bearer_claims(request, secrets)["permissions"] == ["temporal-system:admin"]
