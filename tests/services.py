"""Run faio services in the test process against the real broker and Temporal server.

Each service keeps its own app, database file and Kafka connection, exactly as in its own
process; only the span exporter is shared so a test can read every span.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.audit.app import create_app as create_audit
from services.audit.settings import AuditSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.kpi.app import create_app as create_kpi
from services.kpi.settings import KpiSettings
from services.portal.app import create_app as create_portal
from services.portal.settings import PortalSettings
from services.roadmap.app import create_app as create_roadmap
from services.roadmap.settings import RoadmapSettings
from shared.app import ServiceRuntime
from shared.auth import issue_token
from shared.telemetry import create_tracer_provider
from tests.canaries import SpanSearch

FACTORIES: dict[str, tuple[Any, type]] = {
    "intake": (create_intake, IntakeSettings),
    "audit": (create_audit, AuditSettings),
    "roadmap": (create_roadmap, RoadmapSettings),
    "kpi": (create_kpi, KpiSettings),
    "portal": (create_portal, PortalSettings),
}


def tracer_provider(service_name: str, exporter: InMemorySpanExporter | None) -> TracerProvider:
    """A service's own tracer provider (its spans carry its name) writing to a shared exporter."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    provider.add_span_processor(SimpleSpanProcessor(exporter or InMemorySpanExporter()))
    provider.add_span_processor(SpanSearch())  # every span searched for the canaries as it ends
    return provider


def service_of(span: ReadableSpan) -> str:
    return str(span.resource.attributes.get(SERVICE_NAME))


@dataclass
class RunningService:
    app: FastAPI
    http: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime


@dataclass
class Platform:
    services: dict[str, RunningService] = field(default_factory=dict)

    def __getitem__(self, name: str) -> RunningService:
        return self.services[name]


def service_settings(name: str, *, kafka: str, data_dir: Path, **overrides: Any) -> Any:
    settings_class = FACTORIES[name][1]
    return settings_class(
        environment="test",
        kafka_bootstrap_servers=kafka,
        database_url=f"sqlite+aiosqlite:///{data_dir / name}.db",
        outbox_poll_seconds=0.1,
        **overrides,
    )


def officer_token(officer_id: str, *, name: str = "") -> str:
    """A bearer token for `officer_id`, signed as the services started by `running` verify it.

    Intake also wants the officer to exist: use `registered_officer` for intake's endpoints.
    """
    return issue_token(IntakeSettings(environment="test"), officer_id=officer_id, name=name)


async def registered_officer(intake: httpx.AsyncClient, *, name: str = "Test Officer") -> tuple[str, str]:
    """A new officer created at intake (officer administration, open to loopback in tests): id, token."""
    email = f"officer-{uuid.uuid4().hex[:12]}@example.org"
    response = await intake.post("/v1/officers", json={"name": name, "email": email})
    assert response.status_code == 201, response.text
    issued = response.json()
    return issued["officer"]["id"], issued["token"]


@asynccontextmanager
async def running(
    *names: str,
    kafka: str,
    data_dir: Path,
    spans: InMemorySpanExporter | None = None,
    temporal_address: str = "127.0.0.1:7233",
    task_queue: str = "faio-roadmap",
    audit_task_queue: str = "faio-audit",
    traces_dir: Path | None = None,
    portal: dict[str, Any] | None = None,
) -> AsyncIterator[Platform]:
    """Start the named services (with their lifespans) and stop them on exit.

    With `traces_dir`, each service exports its spans the way it does in production without a
    collector: batched, one JSON line a span, to `<traces_dir>/<service>.jsonl`. The portal
    (settings overrides in `portal`; mailing off unless asked for) calls the other running
    services in-process, as it would call them over HTTP.
    """
    platform = Platform()
    async with AsyncExitStack() as stack:
        for name in names:
            factory = FACTORIES[name][0]
            extra: dict[str, Any] = {"temporal_address": temporal_address}
            if name == "roadmap":
                extra["temporal_task_queue"] = task_queue
            if name == "audit":
                extra["temporal_task_queue"] = audit_task_queue
            if traces_dir is not None:
                extra["traces_dir"] = traces_dir
            if name == "portal":
                extra |= {"mail_interval_seconds": 0.0, **(portal or {})}
            settings = service_settings(name, kafka=kafka, data_dir=data_dir, **extra)
            provider = create_tracer_provider(settings) if traces_dir else tracer_provider(name, spans)
            app = factory(settings, provider)
            await stack.enter_async_context(LifespanManager(app, startup_timeout=60))
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
            platform.services[name] = RunningService(app=app, http=http)
        if "portal" in platform.services:
            clients = platform["portal"].app.state.service_http
            clients.update(
                {name: service.http for name, service in platform.services.items() if name != "portal"}
            )
        yield platform
