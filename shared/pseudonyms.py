"""The one rule for pseudonymous staff ids, wherever a person at a clinic is named.

faio never stores who a person is: staff are named by a role plus a number (`ma-12`, `dr-7f3a`,
`frontdesk-3`) or by an opaque id their own system gives them (a UUID, `u-81f2c9`). Guards on
field names cannot see a name typed into an id field ("Jane.Doe", "Jane Doe, MD", "Maria Lopez"),
so this rule checks the value. Every place that takes a staff id, an initiative owner or a pilot
group member calls it: `StaffPseudonym` in a pydantic model, `pseudonym_problem` elsewhere (CSV).
"""

import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_LENGTH = 64
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"  # a letter or digit first: "-2+3" is a formula
EXAMPLES = "a role plus a number (ma-12, dr-7f3a, frontdesk-3) or an opaque id"
# What the kpi side has always answered for a refused partner staff id.
# Every refusal of a name-like value says this (and never repeats the value, which may be a name).
NEVER_A_NAME = "never a name"
STAFF_ID_REASON = (
    f"must be a pseudonymous staff id ({EXAMPLES}: 1-64 letters, digits, _ . : -), {NEVER_A_NAME}"
)

_ALLOWED = re.compile(PATTERN)
_SEPARATORS = re.compile(r"[_.:\-]")
_WORD = re.compile(r"^[A-Za-z]{2,}$")
_TWO_CAPITALISED_WORDS = re.compile(r"[A-Z][a-z]+[A-Z][a-z]+")


class NotAPseudonym(ValueError):
    """A refused staff id; `may_be_a_name` says the value looked like a person's name.

    Whoever keeps a record refused this way (a dead letter) drops the value when the flag is set.
    """

    def __init__(self, reason: str, *, may_be_a_name: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.may_be_a_name = may_be_a_name


def pseudonym_problem(value: str) -> str | None:
    """Why `value` is not a pseudonymous staff id, in words an officer can act on; None if it is one."""
    refusal = pseudonym_refusal(value)
    return None if refusal is None else refusal.reason


def pseudonym_refusal(value: str) -> NotAPseudonym | None:
    """The refusal of `value` (its reason, and whether it may be a name); None if it is an id."""
    return _shape_problem(value) or (None if _is_uuid(value) else _name_problem(value))


def _shape_problem(value: str) -> NotAPseudonym | None:
    if not value:
        return NotAPseudonym(f"is empty: give {EXAMPLES}", may_be_a_name=False)
    if len(value) > MAX_LENGTH:
        return NotAPseudonym(
            f"is {len(value)} characters long: at most {MAX_LENGTH}; give {EXAMPLES}", may_be_a_name=False
        )
    if not _ALLOWED.match(value):
        return NotAPseudonym(
            f"has spaces or punctuation, as a person's name does: use {EXAMPLES} "
            f"(only letters, digits, _ . : -), {NEVER_A_NAME}",
            may_be_a_name=True,
        )
    return None


def _name_problem(value: str) -> NotAPseudonym | None:
    # A number is what makes a role an id (staff-lead-7) and what names lack (Jane.Doe, jdoe).
    if any(character.isdigit() for character in value):
        return None
    words = [part for part in _SEPARATORS.split(value) if _WORD.match(part)]
    if len(words) >= 2 or _TWO_CAPITALISED_WORDS.search(value):
        reason = f"looks like a person's name (two words, no number): use {EXAMPLES}, {NEVER_A_NAME}"
    else:
        reason = f"has no number, so it may be a name: use {EXAMPLES}, {NEVER_A_NAME}"
    return NotAPseudonym(reason, may_be_a_name=True)


def check_pseudonym(value: str) -> str:
    """`value` if it is a pseudonymous staff id; NotAPseudonym (a ValueError) with the reason otherwise."""
    refusal = pseudonym_refusal(value)
    if refusal is not None:
        raise refusal
    return value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# A pydantic field holding a pseudonymous staff id; the pattern also tells generated clients the shape.
StaffPseudonym = Annotated[
    str,
    Field(min_length=1, max_length=MAX_LENGTH, json_schema_extra={"pattern": PATTERN}),
    AfterValidator(check_pseudonym),
]
