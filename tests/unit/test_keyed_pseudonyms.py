"""Keyed staff pseudonyms: stable for one clinic, different at another, impossible without the key."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from services.kpi.partner_batches import parse_batch, pseudonymised
from shared.events.partner import AiToolSession, NoteSigned
from shared.pseudonyms import (
    PseudonymKeyMissing,
    is_issued,
    pseudonym_for,
    pseudonym_problem,
    pseudonyms_for,
)
from shared.settings import SharedSettings

SECRET = "a-deployment-secret"
CLINIC, OTHER_CLINIC = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_the_same_id_at_the_same_clinic_is_always_the_same_pseudonym() -> None:
    first = pseudonym_for("u-81f2c9", clinic_id=CLINIC, secret=SECRET)
    assert first == pseudonym_for("u-81f2c9", clinic_id=CLINIC, secret=SECRET)
    assert is_issued(first) and first.startswith("fp-") and len(first) == 23
    assert "81f2c9" not in first
    assert pseudonym_problem(first) is None  # the rule that checks every stored staff id takes it


def test_another_clinic_another_id_or_another_secret_gives_another_pseudonym() -> None:
    mine = pseudonym_for("dr-1", clinic_id=CLINIC, secret=SECRET)
    assert mine != pseudonym_for("dr-1", clinic_id=OTHER_CLINIC, secret=SECRET)
    assert mine != pseudonym_for("dr-2", clinic_id=CLINIC, secret=SECRET)
    assert mine != pseudonym_for("dr-1", clinic_id=CLINIC, secret="another-secret")


def test_mapping_a_pseudonym_again_keeps_it() -> None:
    issued = pseudonym_for("dr-1", clinic_id=CLINIC, secret=SECRET)
    assert pseudonym_for(issued, clinic_id=CLINIC, secret=SECRET) == issued
    assert pseudonyms_for(["dr-1", issued, "dr-2"], clinic_id=CLINIC, secret=SECRET) == [
        issued,
        pseudonym_for("dr-2", clinic_id=CLINIC, secret=SECRET),
    ]


def test_no_key_no_pseudonym() -> None:
    with pytest.raises(PseudonymKeyMissing, match="FAIO_PSEUDONYM_SECRET"):
        pseudonym_for("dr-1", clinic_id=CLINIC, secret="")


def test_production_refuses_the_development_pseudonym_secret() -> None:
    with pytest.raises(ValueError, match="FAIO_PSEUDONYM_SECRET"):
        SharedSettings(environment="production", secret_key="a-real-token-key")
    chosen = SharedSettings(
        environment="production", secret_key="a-real-token-key", pseudonym_secret="x" * 32
    )
    assert chosen.pseudonym_secret == "x" * 32


def test_partner_events_keep_only_the_pseudonym() -> None:
    events = [
        {
            "id": "1",
            "type": "partner.note.signed",
            "time": NOW.isoformat(),
            "subject": str(CLINIC),
            "data": {"documentation_minutes": 4, "ai_assisted": True, "staff_id": "u-81f2c9"},
        },
        {
            "id": "2",
            "type": "partner.ai_tool.session",
            "time": NOW.isoformat(),
            "subject": str(CLINIC),
            "data": {"staff_id": "u-81f2c9", "tool": "scribe", "minutes": 3},
        },
        {"id": "3", "type": "partner.claim.submitted", "time": NOW.isoformat(), "subject": str(CLINIC)},
    ]
    activities = [
        o for o in parse_batch(json.dumps(events).encode(), now=NOW).outcomes if not isinstance(o, Exception)
    ]
    mapped = pseudonymised(activities, secret=SECRET)
    expected = pseudonym_for("u-81f2c9", clinic_id=CLINIC, secret=SECRET)
    note, session, claim = (activity.body for activity in mapped)
    assert isinstance(note, NoteSigned) and note.staff_id == expected
    assert isinstance(session, AiToolSession) and session.staff_id == expected
    assert claim == activities[2].body
    assert "u-81f2c9" not in "".join(activity.body.model_dump_json() for activity in mapped)
    assert pseudonymised(mapped, secret=SECRET) == mapped  # the second edge (Kafka) maps nothing again
