"""Patient-data canaries and a raw partner staff id, in one place, and the search for them in
everything a test run kept.

tests/integration/test_no_patient_data.py sends each canary through every free-text field; every
field must refuse it. Whatever got through anyway would sit somewhere the run wrote: a database
(the services' SQLite files, the PostgreSQL test server), a Kafka topic, an exported span, a log.
tests/conftest.py searches all of them at the end of the run (the broker and the servers just before
they stop, files and captured logs at session finish) and fails the run on any finding.
"""

import asyncio
import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

NAME_AND_DOB = "Jane Doe DOB 04/12/1961 asked about the scribe"
MRN = "MRN 4839201 waited forty minutes"
PHONE = "call back on 415-555-0132 about the pilot"
EMAIL = "write to jane.doe.canary@example.org about the pilot"
CANARIES = (NAME_AND_DOB, MRN, PHONE, EMAIL)
# A partner's own staff id (its EHR's, one person): valid, so the front door takes it, and keys it.
# tests/integration/test_staff_pseudonyms.py sends it over HTTP and names it in a pilot group;
# found raw anywhere, it was kept unkeyed.
PARTNER_STAFF_ID = "u-c4n4ry-5f1e"
# What the search looks for: each canary's telling part, long and shaped enough that no id, hash or
# timestamp holds it by chance (a bare "1961" or seven hex-like digits would).
CANARY_BITS = (
    "Jane Doe DOB",
    "04/12/1961",
    "MRN 4839201",
    "415-555-0132",
    "jane.doe.canary@",
    PARTNER_STAFF_ID,
)
_NEEDLES = tuple(bit.encode() for bit in CANARY_BITS)
_LONGEST = max(len(needle) for needle in _NEEDLES)
CHUNK = 8 * 1024 * 1024
IDLE_FETCHES = 4


@dataclass(frozen=True)
class Finding:
    """A canary found where no patient data may be: `where` says which store and which place in it."""

    where: str
    canary: str

    def __str__(self) -> str:
        return f"{self.canary!r} in {self.where}"


# What the search found during the run (spans, captured logs, stores searched before they stopped).
FOUND: list[Finding] = []


def found_in(data: bytes | str) -> list[str]:
    """The canary bits that occur in `data`."""
    raw = data.encode(errors="replace") if isinstance(data, str) else data
    return [bit for bit, needle in zip(CANARY_BITS, _NEEDLES, strict=True) if needle in raw]


def findings(where: str, data: bytes | str) -> list[Finding]:
    return [Finding(where, bit) for bit in found_in(data)]


def scan_file(path: Path) -> list[Finding]:
    """A file read in chunks that overlap by a canary's length: a database, a WAL, a log segment."""
    found: set[str] = set()
    tail = b""
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                found.update(found_in(tail + chunk))
                tail = chunk[-_LONGEST:]
    except OSError:
        return []  # gone meanwhile (a temporary file), or not a regular file
    return [Finding(f"file {path}", bit) for bit in sorted(found)]


def scan_files(roots: Iterable[Path]) -> list[Finding]:
    """Every file under `roots`: SQLite databases with their WAL, span exports, logs, Kafka's segments."""
    results: list[Finding] = []
    for root in roots:
        for directory, _, names in os.walk(root):
            if directory.endswith("-delete"):
                continue  # a deleted topic's segments, waiting for Kafka's delayed removal: no longer a store
            for name in names:
                results += scan_file(Path(directory) / name)
    return results


async def scan_topics(bootstrap: str) -> list[Finding]:
    """Every topic of the broker, each read from its beginning (values, keys and headers)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 << 20,
    )
    await consumer.start()
    results: list[Finding] = []
    try:
        names = await consumer.topics()
        if not names:
            return results
        consumer.subscribe(topics=sorted(names))  # without a group: every partition of each, from the start
        for _ in range(100):
            if consumer.assignment():
                break
            await asyncio.sleep(0.1)
        partitions = list(consumer.assignment())
        end = await consumer.end_offsets(partitions)
        idle = 0
        # Until every partition is read to its end; a few empty fetches in a row also end it (a partition
        # whose last batch is a transaction marker never reports its position at the end).
        while idle < IDLE_FETCHES and any([await consumer.position(tp) < end[tp] for tp in partitions]):
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            idle = 0 if any(batches.values()) else idle + 1
            for records in batches.values():
                for record in records:
                    parts = [
                        record.value or b"",
                        record.key or b"",
                        *(value for _, value in record.headers or ()),
                    ]
                    where = f"topic {record.topic} partition {record.partition} offset {record.offset}"
                    results += findings(where, b"\n".join(parts))
    finally:
        await consumer.stop()
    return results


def scan_postgres(bin_dir: Path, port: int, user: str) -> list[Finding]:
    """Every database of the test server, dumped whole (pg_dumpall: schemas and rows)."""
    dump = subprocess.run(
        [str(bin_dir / "pg_dumpall"), "-h", "127.0.0.1", "-p", str(port), "-U", user],
        check=True,
        capture_output=True,
    ).stdout
    where: list[Finding] = []
    database = "?"
    for line in dump.splitlines():
        if line.startswith(b"\\connect "):
            database = line.split()[-1].decode(errors="replace")
        where += findings(f"postgres database {database}: {line[:80]!r}", line)
    return where


async def scan_temporal(client: Any) -> list[Finding]:
    """Every workflow history the Temporal server holds (inputs, signals, results, search attributes)."""
    results: list[Finding] = []
    async for execution in client.list_workflows():
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        results += findings(f"temporal workflow {execution.id}", json.dumps(history.to_json_dict()))
    return results


class SpanSearch(SpanProcessor):
    """Searches each span of the services in tests as it ends (tests/services.py adds it): the spans of
    in-memory exporters are gone by the end of the run, and keeping them all would cost gigabytes."""

    def on_end(self, span: ReadableSpan) -> None:
        FOUND.extend(findings(f"span {span.name}", span_text(span)))


def span_text(span: ReadableSpan) -> str:
    """What a span exports: its name, status, attributes, events and their attributes (bytes decoded)."""
    parts = [span.name, span.status.description or "", *(event.name for event in span.events)]
    for attributes in (span.attributes or {}, *(event.attributes or {} for event in span.events)):
        for key, value in attributes.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            parts += [key, *(_text(item) for item in values)]
    return "\n".join(parts)


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def scan_sections(nodeid: str, sections: Iterable[tuple[str, str]]) -> list[Finding]:
    """A test's captured output: its logs, stdout and stderr."""
    results: list[Finding] = []
    for title, text in sections:
        results += findings(f"{title} of {nodeid}", text)
    return results
