"""Counters kept for the whole process, for what no service object is at hand to count
(the inbox, the dead-letter path, the outbox relay, the partners' front door).

In production a process is one service; /metrics (shared/metrics.py) shows these next to the
service's own figures.
"""

from prometheus_client import CollectorRegistry, Counter

PROCESS_REGISTRY = CollectorRegistry()
DEAD_LETTERS = Counter(
    "faio_dead_letters",
    "Records parked in a dead-letter topic, by original topic and kind of error.",
    ["topic", "reason"],
    registry=PROCESS_REGISTRY,
)
INBOX_DUPLICATES = Counter(
    "faio_inbox_duplicates_skipped",
    "Events skipped because their id was already in the inbox (or earlier in the same batch).",
    ["consumer"],
    registry=PROCESS_REGISTRY,
)
PARTNER_EVENTS = Counter(
    "faio_partner_events",
    "Partner events received over HTTP: accepted, duplicate or rejected, and why (the field at fault).",
    ["outcome", "reason"],
    registry=PROCESS_REGISTRY,
)
OUTBOX_PARKED = Counter(
    "faio_outbox_parked",
    "Outbox rows set aside because the broker refuses them for good (too large, say).",
    ["topic", "reason"],
    registry=PROCESS_REGISTRY,
)
