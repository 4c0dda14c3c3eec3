"""OpenTelemetry set-up: OTLP when an endpoint is configured, else a JSON-lines file per service."""

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import get_meter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind
from opentelemetry.util.types import Attributes
from sqlalchemy.ext.asyncio import AsyncEngine
from typing_extensions import override

from shared.settings import SharedSettings


def _jsonable(value: Any) -> Any:
    # The SDK allows bytes attribute values (FastStream sets the raw Kafka key), JSON does not.
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    return value


def _clean(attributes: Attributes) -> dict[str, Any]:
    return {key: _jsonable(value) for key, value in (attributes or {}).items()}


def span_line(span: ReadableSpan) -> str:
    """One span as one JSON line, whatever attribute types the SDK let through."""
    readable = ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_clean(span.attributes),
        events=[Event(event.name, _clean(event.attributes), event.timestamp) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
    return json.dumps(json.loads(readable.to_json()), separators=(",", ":")) + "\n"


def span_exporter(settings: SharedSettings) -> SpanExporter:
    """Where spans go: the collector if there is one, otherwise a file a person can read."""
    if settings.otel_exporter_otlp_endpoint:
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    traces_file = traces_path(settings)
    traces_file.parent.mkdir(parents=True, exist_ok=True)
    # Line-buffered so `tail -f` shows spans as they end.
    return ConsoleSpanExporter(out=traces_file.open("a", buffering=1), formatter=span_line)


def traces_path(settings: SharedSettings) -> Path:
    return settings.traces_dir / f"{settings.service_name}.jsonl"


def create_tracer_provider(settings: SharedSettings) -> TracerProvider:
    """A tracer provider for one service, exporting in batches."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter(settings)))
    return provider


def install_global_tracer_provider(settings: SharedSettings) -> TracerProvider:
    """Create the provider and make it the process-wide default (one service per process)."""
    provider = create_tracer_provider(settings)
    trace.set_tracer_provider(provider)
    return provider


class _ChildSpansOnlyTracer(trace.Tracer):
    """Starts spans only inside another span: a database call nobody asked for is not a trace."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    @override
    def start_span(
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        if not trace.get_current_span(context).get_span_context().is_valid:
            return INVALID_SPAN
        return self._tracer.start_span(
            name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
        )

    @override
    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        span = self.start_span(
            name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
        )
        with trace.use_span(span, end_on_exit=end_on_exit) as current:
            yield current


class ChildSpansOnly(trace.TracerProvider):
    """A tracer provider for background chatter (the outbox relay's half-second database poll).

    Its spans are recorded only when they belong to a trace already under way: a poll that
    finds nothing writes no root span, while the same query inside a request is traced.
    """

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._provider = provider

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> trace.Tracer:
        return _ChildSpansOnlyTracer(
            self._provider.get_tracer(
                instrumenting_module_name, instrumenting_library_version, schema_url, attributes
            )
        )


def trace_database(engine: AsyncEngine, provider: trace.TracerProvider) -> None:
    """Trace this engine's statements as children of the span under way (never as roots).

    EngineTracer is what SQLAlchemyInstrumentor attaches to an engine; used directly, every
    service's engine gets its own tracer, also when several services share a test process
    (`instrument()` works once per process), and no global `create_engine` wrapping happens.
    """
    tracer = ChildSpansOnly(provider).get_tracer("opentelemetry.instrumentation.sqlalchemy")
    connections = get_meter("opentelemetry.instrumentation.sqlalchemy").create_up_down_counter(
        name="db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]  # untyped library
