"""faio's Temporal clients speak mutual TLS when configured, and a client without a certificate of
the deployment's CA is turned away (FAIO_TEMPORAL_TLS_* as docker-compose.yml sets them)."""

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from deploy.certs import create_all
from shared.settings import SharedSettings
from shared.temporal import connect_temporal, tls_config
from tests.integration.codec_workflow import run_noted_plan
from tests.integration.tls_proxy import mutual_tls_front


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("certs")
    create_all(directory)
    return directory


def settings(address: str, certs: Path, client: str) -> SharedSettings:
    return SharedSettings(
        temporal_address=address,
        temporal_tls_ca_cert=str(certs / "ca.crt"),
        temporal_tls_client_cert=str(certs / f"{client}.crt"),
        temporal_tls_client_key=str(certs / f"{client}.key"),
        temporal_tls_server_name="temporal",
    )


async def test_a_worker_and_a_client_with_their_certificates_run_a_workflow(
    temporal: WorkflowEnvironment, certs: Path
) -> None:
    async with mutual_tls_front(temporal.client.service_client.config.target_host, certs) as front:
        worker_client = await connect_temporal(
            settings(front.address, certs, "roadmap-worker"), TracerProvider()
        )
        client = await connect_temporal(settings(front.address, certs, "roadmap"), TracerProvider())
        assert await run_noted_plan(worker_client, client) == "Clinic: go"
        assert front.accepted >= 2  # the only way in was through the front


async def test_a_client_without_a_certificate_is_refused(temporal: WorkflowEnvironment, certs: Path) -> None:
    async with mutual_tls_front(temporal.client.service_client.config.target_host, certs) as front:
        ca_only = TLSConfig(server_root_ca_cert=(certs / "ca.crt").read_bytes(), domain="temporal")
        with pytest.raises(RuntimeError):
            await Client.connect(front.address, tls=ca_only)
        assert front.accepted == 0  # the handshake failed: nothing reached Temporal


async def test_a_certificate_of_another_ca_is_refused(
    temporal: WorkflowEnvironment, certs: Path, tmp_path: Path
) -> None:
    create_all(tmp_path)  # a CA of its own, with a client certificate named like ours
    foreign = settings("unused", tmp_path, "roadmap").model_copy(
        update={"temporal_tls_ca_cert": str(certs / "ca.crt")}
    )
    async with mutual_tls_front(temporal.client.service_client.config.target_host, certs) as front:
        with pytest.raises(RuntimeError):
            await Client.connect(front.address, tls=tls_config(foreign) or False)
        assert front.accepted == 0


def test_tls_is_off_without_a_client_certificate_and_needs_its_key() -> None:
    assert tls_config(SharedSettings()) is None
    with pytest.raises(ValueError, match="FAIO_TEMPORAL_TLS_CLIENT_KEY"):
        tls_config(SharedSettings(temporal_tls_client_cert="/some/cert.pem"))
