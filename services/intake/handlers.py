"""What the intake service publishes to Kafka (shown at /asyncapi); it consumes nothing.

Its router has the signature of every service's (shared/subscriptions.py): a subscription
added here is made a subscriber like any other.
"""

from faststream.kafka import KafkaRouter

from shared.app import ServiceRuntime
from shared.events.envelope import EventBody
from shared.events.intake import (
    AssessmentCompleted,
    ClinicArchived,
    ClinicRegistered,
    ClinicUpdated,
    OfficerTokensRevoked,
)
from shared.subscriptions import kafka_router

# The outbox relay publishes these; declared here for the documentation.
PUBLISHES: dict[type[EventBody], str] = {
    ClinicRegistered: "A clinic joined an officer's portfolio, with staff costs.",
    ClinicUpdated: "A clinic's profile changed; the whole new profile.",
    ClinicArchived: "A clinic left the active portfolio; its history is kept.",
    OfficerTokensRevoked: "An officer's earlier tokens were revoked: refuse tokens below token_version.",
    AssessmentCompleted: "An AI Readiness Assessment was scored: 0-100 per dimension and overall, level, "
    "top gaps.",
}


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    return kafka_router(runtime, service="intake", publishes=PUBLISHES)
