"""OpenTelemetry set-up: OTLP when an endpoint is configured, else a JSON-lines file per service."""

import json
from pathlib import Path

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from shared.settings import SharedSettings


def _one_line(span: ReadableSpan) -> str:
    return json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n"


def span_exporter(settings: SharedSettings) -> SpanExporter:
    """Where spans go: the collector if there is one, otherwise a file a person can read."""
    if settings.otel_exporter_otlp_endpoint:
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    traces_file = traces_path(settings)
    traces_file.parent.mkdir(parents=True, exist_ok=True)
    # Line-buffered so `tail -f` shows spans as they end.
    return ConsoleSpanExporter(out=traces_file.open("a", buffering=1), formatter=_one_line)


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
