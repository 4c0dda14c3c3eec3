"""docker-compose.yml describes the same platform the settings describe."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.audit.settings import AuditSettings
from services.intake.settings import IntakeSettings
from services.kpi.settings import KpiSettings
from services.portal.settings import PortalSettings
from services.roadmap.settings import RoadmapSettings
from shared.settings import SharedSettings

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: list[type[SharedSettings]] = [
    IntakeSettings,
    AuditSettings,
    RoadmapSettings,
    KpiSettings,
    PortalSettings,
]
# Each service's HTTP port, as `make run` (deploy/local/Procfile) and compose give it to uvicorn.
PORTS = {"intake": 8001, "audit": 8002, "roadmap": 8003, "kpi": 8004, "portal": 8005}
WORKLOADS = ["intake", "audit", "audit-worker", "roadmap", "roadmap-worker", "kpi", "portal"]


def environment(service: str) -> dict[str, Any]:
    return dict(COMPOSE["services"][service]["environment"])


@pytest.mark.parametrize("settings_class", SERVICES, ids=lambda cls: cls.__name__)
def test_each_service_is_composed_on_its_port(settings_class: type[SharedSettings]) -> None:
    name = settings_class().service_name
    service = COMPOSE["services"][name]
    port = PORTS[name]
    assert f"{port}:{port}" in service["ports"]
    assert str(port) in service["command"]
    assert environment(name)["HEALTHCHECK_PORT"] == str(port)  # the healthcheck asks that port
    assert f"services.{name}.app:create_app" in service["command"]


@pytest.mark.parametrize("service", WORKLOADS)
def test_every_faio_environment_variable_is_a_setting(service: str) -> None:
    fields = {f"FAIO_{name.upper()}" for cls in SERVICES for name in cls.model_fields}
    assert {name for name in environment(service) if name.startswith("FAIO_")} <= fields


@pytest.mark.parametrize("service", WORKLOADS)
def test_services_reach_kafka_temporal_and_the_collector_by_compose_names(service: str) -> None:
    env = environment(service)
    kafka_host, kafka_port = env["FAIO_KAFKA_BOOTSTRAP_SERVERS"].split(":")
    assert kafka_host in COMPOSE["services"]
    assert (
        f"PLAINTEXT://{kafka_host}:{kafka_port}"
        in COMPOSE["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    )
    temporal_host, temporal_port = env["FAIO_TEMPORAL_ADDRESS"].split(":")
    assert temporal_host in COMPOSE["services"]
    assert f"{temporal_port}:{temporal_port}" in COMPOSE["services"]["temporal"]["ports"]
    collector = env["FAIO_OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert collector == "http://otel-collector:4318"
    assert "otel-collector" in COMPOSE["services"]


def test_production_settings_refuse_the_development_secret() -> None:
    with pytest.raises(ValueError, match="FAIO_SECRET_KEY"):
        SharedSettings(environment="production")


def test_compose_runs_every_process_that_make_run_runs() -> None:
    procfile = (Path(__file__).parents[2] / "deploy" / "local" / "Procfile").read_text()
    # `env NAME=value` before a command sets what compose sets in the service's environment.
    local = {
        line.split(":", 1)[0]: [
            part for part in line.split(":", 1)[1].split() if part != "env" and "=" not in part
        ]
        for line in procfile.splitlines()
        if line and not line.startswith("#")
    }
    infrastructure = {"kafka", "temporal", "mail", "ready"}  # mail: the local sink; compose relays
    assert set(local) - infrastructure == set(WORKLOADS)
    for name in WORKLOADS:
        composed = COMPOSE["services"][name]["command"]
        # Same program and module; only the listen address differs (0.0.0.0 in a container).
        assert [part for part in composed if part != "0.0.0.0"] == [
            part for part in local[name] if part != "127.0.0.1"
        ]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_process_uses_its_service_database_on_the_compose_postgres(workload: str) -> None:
    service = workload.removesuffix("-worker")  # a worker writes to its service's database
    url = environment(workload)["FAIO_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
    assert url == environment(service)["FAIO_DATABASE_URL"]
    database = url.rsplit("/", 1)[1]
    assert database == service
    created = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert f"CREATE DATABASE {database};" in created
    assert "postgres" in COMPOSE["services"][workload]["depends_on"]
