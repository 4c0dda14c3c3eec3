"""Operational facts integration partners publish on `partner.activity.v1`: no patient data, ever.

One contract, two ways in. Every event is a CloudEvent: `id` (unique, a UUID is best), `type`
(one of PARTNER_EVENT_TYPES), `time` (when it happened, with its UTC offset: KPIs are computed
on this time, so a late event lands in its own week), `subject` (the clinic id) and `data`
(the JSON of the body model for that type). Over Kafka it travels in binary mode (`ce_*`
headers, key = clinic id); over HTTP as a JSON batch of structured CloudEvents.

Bodies carry only counts, durations and pseudonymous staff ids. They are strict: an unknown
field, a wrong type, or anything that looks like patient data is refused with a reason.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, cast
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from shared import pseudonyms, topics
from shared.events.envelope import ContractError, EventBody
from shared.pseudonyms import StaffPseudonym

# The reason partners have always read for a refused staff id, now the shared rule's.
STAFF_ID_REASON = pseudonyms.STAFF_ID_REASON

Channel = Literal["phone", "web", "portal", "sms", "walk_in", "other"]

# Field names that suggest patient data. They are refused like any unknown field, with a
# reason that says why: partner events must never carry PHI.
PHI_LIKE_FIELD = re.compile(
    r"patient|name|birth|dob|ssn|social|mrn|medical_record|address|phone|email|diagnos|insurance|member",
    re.IGNORECASE,
)
PHI_REASON = (
    "not allowed: looks like patient data (PHI); partner events carry only counts, durations "
    "and pseudonymous staff ids"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """A calendar date written YYYY-MM-DD, the one way JSON carries it; anything else is refused."""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise ValueError("must be a date written YYYY-MM-DD")
        return date.fromisoformat(value)  # ValueError (refused) for a day that does not exist
    return value  # a date passes; a number or anything else fails the strict date check


# A local calendar date (the clinic's own), e.g. "2026-11-20". Strict bodies take no text for a date
# from a dict (the HTTP path): this accepts exactly YYYY-MM-DD on both paths, never a timestamp.
LocalDate = Annotated[date, BeforeValidator(_iso_date)]

# How far ahead of our clock an event's time may be (clock skew), before it is refused.
MAX_CLOCK_SKEW = timedelta(hours=1)


class PartnerEventBody(EventBody):
    """Base of every partner event body: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    topic = topics.PARTNER_ACTIVITY
    event_type: ClassVar[str]


class CallAnswered(PartnerEventBody):
    """A call to the clinic was answered after `wait_seconds` in queue."""

    event_type = "partner.call.answered"
    wait_seconds: float = Field(ge=0, le=86_400)


class CallMissed(PartnerEventBody):
    """A call rang out unanswered (or went to voicemail) after `wait_seconds`."""

    event_type = "partner.call.missed"
    wait_seconds: float = Field(ge=0, le=86_400)


class CallAbandoned(PartnerEventBody):
    """The caller hung up while waiting, after `wait_seconds`."""

    event_type = "partner.call.abandoned"
    wait_seconds: float = Field(ge=0, le=86_400)


class AppointmentRequested(PartnerEventBody):
    """Someone asked for an appointment; `new_patient` when the practice has not seen them before."""

    event_type = "partner.appointment.requested"
    channel: Channel | None = None
    new_patient: bool | None = None


class AppointmentBooked(PartnerEventBody):
    """An appointment was booked, for the visit on `appointment_date` (the clinic's local date) if given.

    `channel` web or portal means the patient booked it themselves (the self-scheduled share).
    """

    event_type = "partner.appointment.booked"
    channel: Channel | None = None
    appointment_date: LocalDate | None = None


class AppointmentCancelled(PartnerEventBody):
    """A booked appointment was cancelled."""

    event_type = "partner.appointment.cancelled"
    channel: Channel | None = None


class AppointmentNoShow(PartnerEventBody):
    """A booked appointment, on `appointment_date` (local) if given, was not attended."""

    event_type = "partner.appointment.no_show"
    appointment_date: LocalDate | None = None


class NoteSigned(PartnerEventBody):
    """A clinical note was signed after `documentation_minutes` of documentation work."""

    event_type = "partner.note.signed"
    documentation_minutes: float = Field(ge=0, le=1_440)
    ai_assisted: bool
    staff_id: StaffPseudonym | None = None


class MessageReceived(PartnerEventBody):
    """A patient message arrived (portal, SMS, ...). Its content never leaves the partner."""

    event_type = "partner.message.received"
    channel: Channel | None = None


class MessageAnswered(PartnerEventBody):
    """A patient message was answered `response_minutes` after it arrived."""

    event_type = "partner.message.answered"
    response_minutes: float = Field(ge=0, le=60 * 24 * 60)
    channel: Channel | None = None


class AiToolSession(PartnerEventBody):
    """A staff member used an AI tool for `minutes`."""

    event_type = "partner.ai_tool.session"
    staff_id: StaffPseudonym
    tool: str = Field(min_length=1, max_length=100)
    minutes: float = Field(ge=0, le=1_440)


class EligibilityChecked(PartnerEventBody):
    """A coverage (eligibility) check was completed after `minutes` of work, by staff or automatically."""

    event_type = "partner.eligibility.checked"
    minutes: float = Field(ge=0, le=1_440)
    automated: bool = False


class ClaimSubmitted(PartnerEventBody):
    """A claim was submitted to a payer."""

    event_type = "partner.claim.submitted"


class ClaimDenied(PartnerEventBody):
    """A payer denied a submitted claim (first-pass denial), submitted on `submitted_on` (local) if given."""

    event_type = "partner.claim.denied"
    submitted_on: LocalDate | None = None


class ReferralSent(PartnerEventBody):
    """A referral to another provider was sent."""

    event_type = "partner.referral.sent"


class ReferralCompleted(PartnerEventBody):
    """A referred visit took place, `days` after the referral was sent."""

    event_type = "partner.referral.completed"
    days: float = Field(ge=0, le=730)


class FollowUpCompleted(PartnerEventBody):
    """A follow-up with a patient (a recall, a result, a post-visit check) was completed: a count only."""

    event_type = "partner.followup.completed"
    channel: Channel | None = None


PARTNER_EVENT_BODIES: dict[str, type[PartnerEventBody]] = {
    body.event_type: body
    for body in (
        CallAnswered,
        CallMissed,
        CallAbandoned,
        AppointmentRequested,
        AppointmentBooked,
        AppointmentCancelled,
        AppointmentNoShow,
        NoteSigned,
        MessageReceived,
        MessageAnswered,
        AiToolSession,
        EligibilityChecked,
        ClaimSubmitted,
        ClaimDenied,
        ReferralSent,
        ReferralCompleted,
        FollowUpCompleted,
    )
}
PARTNER_EVENT_TYPES = tuple(PARTNER_EVENT_BODIES)
PartnerEventType = Literal[
    "partner.call.answered",
    "partner.call.missed",
    "partner.call.abandoned",
    "partner.appointment.requested",
    "partner.appointment.booked",
    "partner.appointment.cancelled",
    "partner.appointment.no_show",
    "partner.note.signed",
    "partner.message.received",
    "partner.message.answered",
    "partner.ai_tool.session",
    "partner.eligibility.checked",
    "partner.claim.submitted",
    "partner.claim.denied",
    "partner.referral.sent",
    "partner.referral.completed",
    "partner.followup.completed",
]


class PartnerEventIn(BaseModel):
    """One event of an HTTP batch: a structured-mode CloudEvent (JSON). `source` is set by us."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=100, description="unique event id; a UUID is best")
    type: PartnerEventType
    time: AwareDatetime = Field(description="when it happened, RFC 3339 with offset")
    subject: UUID = Field(description="the clinic id")
    source: str | None = Field(
        default=None, max_length=200, description="ignored: the partner's key names it"
    )
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict, description="the body for this type")


@dataclass(frozen=True)
class FieldProblem:
    """Why one field of an event was refused."""

    field: str
    reason: str
    # The refused value may be patient data or a person's name: a dead letter drops the body.
    personal_data: bool = False


class PartnerEventInvalid(ContractError):
    """A partner event that breaks the contract; `problems` names each field and what is wrong."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        self.holds_personal_data = any(problem.personal_data for problem in problems)
        super().__init__("; ".join(f"{problem.field}: {problem.reason}" for problem in problems))


class PartnerActivity(NamedTuple):
    """A validated partner event: what happened, at which clinic, when.

    A named tuple: built for every event of the hot path, at a fraction of a dataclass's cost.
    """

    event_id: str
    type: str
    clinic_id: UUID
    occurred_at: datetime
    body: PartnerEventBody


def explain(error: ValidationError, *, prefix: str = "") -> list[FieldProblem]:
    """Each refused field with a reason a partner's developer can act on."""
    problems = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        field = ".".join([prefix, *location] if prefix else location) or "body"
        reason, personal_data = item["msg"], False
        if item["type"] == "extra_forbidden":
            personal_data = PHI_LIKE_FIELD.search(location[-1]) is not None
            reason = PHI_REASON if personal_data else "unknown field"
        elif location and location[-1] == "staff_id" and item["type"] != "missing":
            # The shared pseudonym rule, said the way partners know it; any refused staff id may be a name.
            reason, personal_data = STAFF_ID_REASON, True
        problems.append(FieldProblem(field=field, reason=reason, personal_data=personal_data))
    return problems


def parse_body(event_type: str, data: bytes | dict[str, Any]) -> PartnerEventBody:
    """The body model of `event_type` from JSON bytes or a dict; PartnerEventInvalid otherwise."""
    body_class = PARTNER_EVENT_BODIES.get(event_type)
    if body_class is None:
        raise PartnerEventInvalid(
            [
                FieldProblem(
                    "type", f"unknown event type {event_type!r}; one of {', '.join(PARTNER_EVENT_TYPES)}"
                )
            ]
        )
    try:
        if isinstance(data, bytes):
            # The model's own compiled validator, straight from the bytes (no intermediate dict,
            # no per-call wrapper): the same strict rules, validated in Rust on the hot path.
            return cast(PartnerEventBody, body_class.__pydantic_validator__.validate_json(data))
        return body_class.model_validate(data)
    except ValidationError as error:
        raise PartnerEventInvalid(explain(error, prefix="data")) from error


def check_time(occurred_at: datetime, *, now: datetime) -> None:
    """Refuse an event from the future (beyond clock skew): it would land in a week not yet lived."""
    if occurred_at - now > MAX_CLOCK_SKEW:
        raise PartnerEventInvalid([FieldProblem("time", f"is in the future ({occurred_at.isoformat()})")])


def parse_http_event(raw: Any, *, now: datetime) -> PartnerActivity:
    """One event of an HTTP batch, validated end to end, or PartnerEventInvalid."""
    try:
        event = PartnerEventIn.model_validate(raw)
    except ValidationError as error:
        raise PartnerEventInvalid(explain(error)) from error
    check_time(event.time, now=now)
    body = parse_body(event.type, event.data)
    return PartnerActivity(
        event_id=event.id, type=event.type, clinic_id=event.subject, occurred_at=event.time, body=body
    )


REQUIRED_HEADERS = ("id", "type", "source", "specversion", "time")


@lru_cache(maxsize=4096)
def _clinic_uuid(subject: bytes) -> UUID:
    """A clinic id parsed once per distinct subject: a partition carries few clinics, many events."""
    return UUID(subject.decode(errors="replace"))


def parse_kafka_record(
    headers: Sequence[tuple[str, bytes]], key: bytes | None, value: bytes | None, *, now: datetime
) -> PartnerActivity:
    """A binary-mode CloudEvent from Kafka (e.g. from the CloudEvents SDK), or PartnerEventInvalid.

    `headers` are the record's as they came (name, bytes). The clinic is `ce_subject`, or the
    Kafka key when the producer did not set a subject. This runs for every record of the hot
    path: the checks are the same as ever, ordered so that a good record costs a few dict
    lookups, one time parse and one body validation. A byte that is not UTF-8 becomes U+FFFD,
    which fails validation like any other wrong character.
    """
    raw = dict(headers)
    event_id = _text(raw.get("ce_id"))
    event_type = _text(raw.get("ce_type"))
    time_text = _text(raw.get("ce_time"))
    if not (event_id and event_type and time_text and raw.get("ce_source") and raw.get("ce_specversion")):
        raise PartnerEventInvalid(
            [
                FieldProblem(f"ce_{name}", "header is required")
                for name in REQUIRED_HEADERS
                if not raw.get(f"ce_{name}")
            ]
        )
    if raw["ce_specversion"] != b"1.0":
        raise PartnerEventInvalid([FieldProblem("ce_specversion", "must be 1.0")])
    content_type = raw.get("content-type")
    if content_type is not None and not content_type.startswith(b"application/json"):
        raise PartnerEventInvalid([FieldProblem("content-type", "must be application/json")])
    try:
        occurred_at = datetime.fromisoformat(time_text)
    except ValueError as error:
        raise PartnerEventInvalid([FieldProblem("ce_time", "is not an RFC 3339 time")]) from error
    if occurred_at.tzinfo is None:
        raise PartnerEventInvalid([FieldProblem("ce_time", "needs a UTC offset")])
    check_time(occurred_at, now=now)
    subject = raw.get("ce_subject") or key or b""
    try:
        clinic_id = _clinic_uuid(subject)
    except ValueError as error:
        raise PartnerEventInvalid([FieldProblem("ce_subject", "must be the clinic id (a UUID)")]) from error
    if len(event_id) > 100:
        raise PartnerEventInvalid([FieldProblem("ce_id", "is longer than 100 characters")])
    body = parse_body(event_type, value or b"{}")
    return PartnerActivity(event_id, event_type, clinic_id, occurred_at, body)


def _text(header: bytes | None) -> str | None:
    return None if header is None else header.decode(errors="replace")


def example_events() -> dict[str, dict[str, Any]]:
    """One example `data` per event type (the README and the contract test use these)."""
    return {
        "partner.call.answered": {"wait_seconds": 18},
        "partner.call.missed": {"wait_seconds": 45},
        "partner.call.abandoned": {"wait_seconds": 95},
        "partner.appointment.requested": {"channel": "phone", "new_patient": True},
        "partner.appointment.booked": {"channel": "web", "appointment_date": "2026-11-20"},
        "partner.appointment.cancelled": {"channel": "portal"},
        "partner.appointment.no_show": {"appointment_date": "2026-11-20"},
        "partner.note.signed": {"documentation_minutes": 6.5, "ai_assisted": True, "staff_id": "dr-7f3a"},
        "partner.message.received": {"channel": "portal"},
        "partner.message.answered": {"response_minutes": 95, "channel": "portal"},
        "partner.ai_tool.session": {"staff_id": "ma-19c2", "tool": "ambient-scribe", "minutes": 22},
        "partner.eligibility.checked": {"minutes": 4.5, "automated": True},
        "partner.claim.submitted": {},
        "partner.claim.denied": {"submitted_on": "2026-11-02"},
        "partner.referral.sent": {},
        "partner.referral.completed": {"days": 12},
        "partner.followup.completed": {"channel": "phone"},
    }
