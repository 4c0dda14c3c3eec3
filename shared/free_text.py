"""Free text people type (a note, a reason, a task description): about the work, never about a patient.

faio holds no patient data. A note such as "called Jane Doe 04/12/1961 back on 415-555-0132" would
still reach databases, events and logs, so every free-text field a person fills refuses text that
looks like patient data, with a 422 that says what kind of detail to remove (and never repeats it).

The rule is conservative on purpose: it looks for shapes (a phone number, an email address, an SSN,
an MRN-like id, a date of birth, a full date next to a capitalised name, "Mr./Mrs./Ms." or "patient"
before a name), so that ordinary notes ("pilot staff asked to keep it", "ran 14 visits") pass.

    class DecisionIn(BaseModel):
        note: FreeText = Field(default="", max_length=500)
"""

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator

# The practices faio serves are in the US; numbers written with +CC parse for any region.
DEFAULT_REGION = "US"
WHAT_TO_DO = "remove patient details; write about the work, not the patient"

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_FULL_DATE = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"  # 04/12/1961, 4-12-61
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 1961-04-12
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # April 12, 1961
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}})\b",  # 12 April 1961
    re.IGNORECASE,
)
_NOT_A_NAME_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday the a an on in at by of for and or to from after before since until "
    # Work words people capitalise in notes ("Front Desk", "Practice Owner", "Patient Portal").
    "front desk practice owner office manager medical assistant assistants nurse nurses team staff "
    "clinic doctor doctors physician physicians provider providers billing portal scribe pilot "
    "phone reception care coordinator board meeting training review rollout"
)
_NOT_A_NAME = frozenset(_NOT_A_NAME_WORDS.split())
_CAPITALISED_PAIR = re.compile(r"\b([A-Z][a-z'\u2019-]+)\s+(?:[A-Z]\.\s+)?([A-Z][a-z'\u2019-]+)\b")
# How far (in characters) a date may stand from a name to be read as that person's date.
_NEAR = 40

_CHECKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("a social security number", re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")),
    ("a date of birth", re.compile(r"\b(?:D\.?O\.?B\b\.?|date\s+of\s+birth|birth\s*date|born\s+on)", re.I)),
    (
        "a medical record number",
        re.compile(
            r"\b(?:MRN|MR#|med(?:ical)?\s+rec(?:ord)?s?(?:\s+(?:no|number))?|chart\s+(?:no|number|#))"
            r"\.?\s*[:#]?\s*[A-Z]{0,3}\d{3,}"
            r"|#\s?\d{4,}"  # "#4839201"
            r"|(?<![\d$.,])\d{6,}(?![\d.,]*\d)",  # a bare 6+ digit id (not $1250000, not 1,250,000)
            re.IGNORECASE,
        ),
    ),
    ("a title before a name", re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+[A-Z][a-z]+")),
)
_PATIENT_THEN_WORD = re.compile(r"\b(?:patient|pt)\.?\s+([A-Z][a-z]+)", re.IGNORECASE)


def patient_data_kind(text: str) -> str | None:
    """What in `text` looks like patient data ("a phone number", ...); None when nothing does."""
    for kind, pattern in _CHECKS:
        if pattern.search(text):
            return kind
    if _patient_before_name(text):
        return "a patient's name"
    if _has_phone_number(text):
        return "a phone number"
    if _date_next_to_name(text):
        return "a name next to a date"
    return None


def refuse_patient_data(value: str) -> str:
    """The value unchanged, or ValueError saying which kind of patient detail to remove."""
    kind = patient_data_kind(value)
    if kind is None:
        return value
    # Never quote the value: the refusal goes into responses and logs.
    raise ValueError(f"looks like patient data ({kind}): {WHAT_TO_DO}")


def _has_phone_number(text: str) -> bool:
    matches = phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION, leniency=phonenumbers.Leniency.POSSIBLE)
    return any(True for _ in matches)


def _patient_before_name(text: str) -> bool:
    # "patient Jane", "Pt. Lopez": the word after must be capitalised in the text as typed, so
    # "patient portal" and "patient Satisfaction"-like headings at a sentence's start stay apart.
    for found in _PATIENT_THEN_WORD.finditer(text):
        word = found.group(1)
        if word[0].isupper() and word.lower() not in _NOT_A_NAME:
            return True
    return False


def _date_next_to_name(text: str) -> bool:
    dates = [found.span() for found in _FULL_DATE.finditer(text)]
    if not dates:
        return False
    for found in _CAPITALISED_PAIR.finditer(text):
        if {found.group(1).lower(), found.group(2).lower()} & _NOT_A_NAME:
            continue
        start, end = found.span()
        if any(d_start - _NEAR <= end and start <= d_end + _NEAR for d_start, d_end in dates):
            return True
    return False


FreeText = Annotated[str, AfterValidator(refuse_patient_data)]
