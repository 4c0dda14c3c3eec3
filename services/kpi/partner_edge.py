"""The partner edge is the HTTP front door: partner.activity.v1 carries only keyed staff ids.

The front door (services.kpi.ingest) keys every partner staff id (shared.pseudonyms: `fp-` and an
HMAC per clinic) before the outbox publishes it; in the locked deployment only kpi may write the
topic (deploy/kafka/acls.py). A record that still names staff by a raw id did not come through the
front door: the consumer refuses it (`refuse_raw_staff_ids`) instead of keying it late, and every
dead letter of the topic leaves with its staff ids keyed (`dead_letter_copy`), so a raw id sits
in no table, aggregate or topic, the dead-letter topic included.
"""

import dataclasses
import json
from typing import Any
from uuid import UUID

from aiokafka import ConsumerRecord

from shared import pseudonyms
from shared.dlq import BODY_WITHHELD_HEADER, BODY_WITHHELD_REASON
from shared.events.partner import FieldProblem, PartnerActivity, PartnerEventInvalid

RAW_STAFF_ID_REASON = (
    "is a raw staff id: staff ids must come through the partner API (POST /v1/partner-events), "
    "which keys them; this record was not counted"
)
STAFF_ID = "staff_id"


def raw_staff_id(activity: PartnerActivity) -> bool:
    """Whether the event names a staff member by an id the front door did not key."""
    staff_id = getattr(activity.body, STAFF_ID, None)
    return staff_id is not None and not pseudonyms.is_issued(staff_id)


def refuse_raw_staff_ids(activity: PartnerActivity) -> PartnerEventInvalid | None:
    """The refusal of an event carrying a raw staff id; None when its staff id (if any) is keyed."""
    if not raw_staff_id(activity):
        return None
    return PartnerEventInvalid([FieldProblem(f"data.{STAFF_ID}", RAW_STAFF_ID_REASON)])


def dead_letter_copy(record: ConsumerRecord[Any, Any], *, secret: str) -> ConsumerRecord[Any, Any]:
    """The record as its dead letter may keep it: each staff id keyed for its clinic.

    The three shapes a partner-activity value takes are handled: a binary-mode body (clinic in
    ce_subject or the key), a structured CloudEvent (one event of a batch) and a JSON array of
    them (a whole batch). A staff id whose clinic is unknown is dropped; a body that is not JSON
    but mentions a staff id is withheld, as a body refused for looking like a name is.
    """
    value = record.value or b""
    if STAFF_ID.encode() not in value:
        return record  # the hot case: nothing to key
    headers = dict(record.headers or ())
    fallback_clinic = _clinic(headers.get("ce_subject") or record.key)
    try:
        decoded = json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError):
        withheld = (*(record.headers or ()), (BODY_WITHHELD_HEADER, BODY_WITHHELD_REASON.encode()))
        return dataclasses.replace(record, value=b"", headers=withheld)
    keyed = _keyed(decoded, fallback_clinic, secret)
    return dataclasses.replace(record, value=json.dumps(keyed).encode())


def _keyed(decoded: Any, fallback_clinic: UUID | None, secret: str) -> Any:
    if isinstance(decoded, list):
        return [_keyed(item, fallback_clinic, secret) for item in decoded]
    if not isinstance(decoded, dict):
        return decoded
    if isinstance(decoded.get("data"), dict):  # a structured CloudEvent: its own subject is its clinic
        clinic = _clinic(decoded.get("subject")) or fallback_clinic
        return {**decoded, "data": _keyed_body(decoded["data"], clinic, secret)}
    return _keyed_body(decoded, fallback_clinic, secret)


def _keyed_body(body: dict[str, Any], clinic: UUID | None, secret: str) -> dict[str, Any]:
    if STAFF_ID not in body:
        return body
    staff_id = body[STAFF_ID]
    if isinstance(staff_id, str) and (pseudonyms.is_issued(staff_id) or clinic is not None):
        if clinic is not None:
            staff_id = pseudonyms.pseudonym_for(staff_id, clinic_id=clinic, secret=secret)
        return {**body, STAFF_ID: staff_id}
    return {name: item for name, item in body.items() if name != STAFF_ID}


def _clinic(value: Any) -> UUID | None:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    try:
        return UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None
