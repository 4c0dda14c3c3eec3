"""The local span file and the rule that background database chatter opens no trace."""

import io
import json

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import ChildSpansOnly, span_line


def test_span_line_writes_bytes_attributes_and_keeps_the_rest_of_the_batch() -> None:
    out = io.StringIO()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=span_line)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("publish") as span:
        span.set_attribute("messaging.kafka.message.key", b"clinic-\xff")
        span.add_event("sent", {"raw": b"ok"})
    with tracer.start_as_current_span("next"):
        pass

    lines = [json.loads(line) for line in out.getvalue().splitlines()]

    assert [line["name"] for line in lines] == ["publish", "next"]
    assert lines[0]["attributes"]["messaging.kafka.message.key"] == "clinic-\\xff"
    assert lines[0]["events"][0]["attributes"] == {"raw": "ok"}


def test_child_spans_only_records_inside_a_trace_and_nothing_at_the_root() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    database = ChildSpansOnly(provider).get_tracer("sqlalchemy")
    requests = provider.get_tracer("http")

    with database.start_as_current_span("SELECT outbox"):
        pass  # an idle poll: no trace of its own
    with requests.start_as_current_span("POST /v1/clinics"), database.start_as_current_span("INSERT clinic"):
        pass
    manual = database.start_span("connect")
    manual.end()

    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"POST /v1/clinics", "INSERT clinic"}
    assert spans["INSERT clinic"].parent is not None
    assert spans["INSERT clinic"].parent.span_id == spans["POST /v1/clinics"].context.span_id
