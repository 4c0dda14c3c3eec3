"""What the audit service consumes from Kafka, and what it publishes (shown at /asyncapi).

Each event is applied exactly once by a domain function of services.audit.service
(shared/subscriptions.py makes the subscribers).
"""

from faststream.kafka import KafkaRouter

from services.audit import service
from shared import topics
from shared.app import ServiceRuntime
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.envelope import EventBody
from shared.events.intake import ClinicArchived, ClinicRegistered, ClinicUpdated
from shared.subscriptions import Subscription, kafka_router

SUBSCRIPTIONS = (
    Subscription(topics.CLINIC_REGISTERED, ClinicRegistered, service.record_clinic),
    Subscription(topics.CLINIC_UPDATED, ClinicUpdated, service.record_clinic),
    Subscription(topics.CLINIC_ARCHIVED, ClinicArchived, service.archive_clinic),
)

# The outbox relay publishes these; declared here for the documentation.
PUBLISHES: dict[type[EventBody], str] = {
    AuditCompleted: "An audit window closed: hours and cost per week, coverage, and the automation "
    "candidates ranked by weekly cost x predictability x suitability, best first.",
    AuditOpened: "An audit window opened: its first and last day. Staff log their tasks meanwhile.",
}


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    return kafka_router(runtime, service="audit", subscriptions=SUBSCRIPTIONS, publishes=PUBLISHES)
