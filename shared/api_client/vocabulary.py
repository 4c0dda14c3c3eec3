"""The words faio's APIs take, once for every caller: which service, and the values a field accepts.

The services validate these themselves; tests/unit/test_api_client.py checks that every word here
is one the owning service's OpenAPI schema accepts, so a caller never offers a choice that is refused.
"""

from typing import Literal, TypeVar, get_args

Word = TypeVar("Word", bound=str)

Service = Literal["intake", "audit", "roadmap", "kpi", "portal"]
SERVICES: tuple[Service, ...] = get_args(Service)

# The officer's decision at a plan's evaluation gate.
GateAction = Literal["continue", "extend", "stop"]
GATE_ACTIONS: tuple[GateAction, ...] = get_args(GateAction)

# What an officer may do to a running plan's clock.
PlanChange = Literal["pause", "resume"]

# The phases whose length an approval may set (evaluation is the gate itself, not a length).
PhaseWithLength = Literal["baseline", "preparation", "pilot", "rollout", "sustain"]
PHASES_WITH_LENGTH: tuple[PhaseWithLength, ...] = get_args(PhaseWithLength)

# What kind of system an integration partner is.
PartnerKind = Literal["emr", "phone", "scheduling", "ai_scribe", "messaging", "other"]
PARTNER_KINDS: tuple[PartnerKind, ...] = get_args(PartnerKind)

# A buy-in training session: a first training or a refresher, booked for a day or held.
TrainingKind = Literal["training", "retraining"]
TrainingStatus = Literal["booked", "held"]


def one_of(value: str, words: tuple[Word, ...]) -> Word | None:
    """`value` as one of `words` (typed as they are), or None when it is not one of them."""
    return next((word for word in words if word == value), None)
