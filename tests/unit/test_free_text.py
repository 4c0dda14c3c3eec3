"""The free-text rule: patient-data canaries are refused with what to remove, ordinary notes pass."""

import pytest
from pydantic import BaseModel, ValidationError

from shared.free_text import FreeText, patient_data_kind

CANARIES = [
    ("Jane Doe DOB 04/12/1961", "a date of birth"),
    ("called Jane Doe, 04/12/1961, about the refill", "a name next to a date"),
    ("seen April 12, 1961 - Maria Lopez", "a name next to a date"),
    ("MRN 4839201 asked for a callback", "a medical record number"),
    ("MRN: A12345", "a medical record number"),
    ("re chart #4839201", "a medical record number"),
    ("id 4839201 again", "a medical record number"),
    ("call back on 415-555-0132", "a phone number"),
    ("call back on (415) 555-0132", "a phone number"),
    ("call back on +1 415 555 0132", "a phone number"),
    ("write to jane.doe@example.com", "an email address"),
    ("SSN 123-45-6789", "a social security number"),
    ("Mrs. Lopez missed her visit", "a title before a name"),
    ("Mr Smith wants the scribe off", "a title before a name"),
    ("patient Maria was upset", "a patient's name"),
    ("born on 1961-04-12", "a date of birth"),
]

ORDINARY = [
    "pilot staff asked to keep it",
    "call back about results",
    "ran 14 visits",
    "confirm tomorrow's appointments by phone",
    "no Saturday overtime, about 12 hours a week",
    "saves $1,250,000 a year across 3 locations",
    "pilot starts 2026-11-20 with the AI scribe",
    "Front Desk team trained on November 20, 2026",
    "BAA signed 2026-11-02 by the Practice Owner",
    "Epic integration pending until 2026-12-01",
    "the patient portal is slow; patients complained about wait times",
    "10 of 12 staff logged; 3.5 hours per day; version 2.3.1",
    "phone calls 30/day, 5 min each, 8am-5pm, room 3",
    "vendor case studies (2024), no independent evidence",
    "",
]


@pytest.mark.parametrize(("text", "kind"), CANARIES)
def test_patient_data_canaries_are_recognised(text: str, kind: str) -> None:
    assert patient_data_kind(text) == kind


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_officer_notes_pass(text: str) -> None:
    assert patient_data_kind(text) is None


class Note(BaseModel):
    note: FreeText = ""


def test_a_refused_note_says_what_to_remove_and_never_repeats_it() -> None:
    with pytest.raises(ValidationError) as raised:
        Note(note="call Jane Doe back on 415-555-0132")
    (error,) = raised.value.errors()
    assert error["loc"] == ("note",)
    assert "looks like patient data (a phone number)" in error["msg"]
    assert "remove patient details; write about the work, not the patient" in error["msg"]
    assert "555" not in error["msg"] and "Jane" not in error["msg"]


def test_an_ordinary_note_is_kept_as_typed() -> None:
    assert Note(note="pilot staff asked to keep it").note == "pilot staff asked to keep it"
