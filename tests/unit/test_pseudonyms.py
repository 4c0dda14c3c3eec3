"""The shared pseudonymous staff id rule: roles plus numbers and opaque ids pass, names never do."""

import uuid

import pytest
from pydantic import BaseModel, ValidationError

from shared.events.partner import PartnerEventInvalid, parse_body
from shared.pseudonyms import STAFF_ID_REASON, StaffPseudonym, pseudonym_problem

PSEUDONYMS = [
    *("staff-lead-7", "staff-101", "ma-12", "dr-7f3a", "frontdesk-3", "fd-1", "s1", "rn:04", "u-81f2c9"),
    # The demo's and the tests' own ids: roles of two words, short numbers, opaque hex.
    *("dr-0", "ma-0", "pm-1", "fd-lead-1", "billing-lead-1", "front-desk-2", "ma-19c2", "s9", "staff-201"),
    str(uuid.uuid4()),
    "12345678-1234-1234-1234-123456789012",  # a UUID of digits only is still opaque
    "usr_8fJk2LmQ",  # a random id: words broken by digits are not a name
]
NAMES = ["Jane.Doe", "Jane Doe, MD", "Maria Lopez", "jane_doe", "JaneDoe", "jdoe", "staff-lead", "nurse"]
# Each shape that names a person though it holds a digit, with the words its refusal says.
IDENTIFYING = {
    "1234567893": "is an NPI",  # a valid NPI (Luhn with the 80840 prefix)
    "123-456-7893": "is an NPI",
    "1234567890": "has 10 digits",  # not a valid NPI, but a phone number's length
    "dr-5551234567": "has 10 digits",
    "555-123-4567": "has 10 digits",
    "(555) 123-4567": "has 10 digits",
    "+1 555 123 4567": "looks like a phone number",
    "555-1234": "looks like a phone number",
    "+44 20 7946 0958": "looks like a phone number",
    "jane.doe@clinic.example": "looks like an email address",
    "jane.doe.2": "looks like a person's name with a number",
    "MariaLopez1": "looks like a person's name with a number",
    "maria-lopez-12": "looks like a person's name with a number",
    "JaneDoe3": "looks like a person's name with a number",
    "j.doe.2": "looks like a person's name with a number",
    "maria_lopez": "looks like a person's name",
}


@pytest.mark.parametrize("value", PSEUDONYMS)
def test_roles_with_numbers_and_opaque_ids_are_pseudonyms(value: str) -> None:
    assert pseudonym_problem(value) is None


@pytest.mark.parametrize("value", NAMES)
def test_name_like_values_are_refused_with_what_to_give_instead(value: str) -> None:
    problem = pseudonym_problem(value)
    assert problem is not None
    assert "ma-12" in problem  # the reason shows what a pseudonym looks like


@pytest.mark.parametrize(("value", "shape"), IDENTIFYING.items())
def test_npis_phone_numbers_emails_and_names_with_numbers_are_refused(value: str, shape: str) -> None:
    problem = pseudonym_problem(value)
    assert problem is not None and shape in problem
    assert "ma-12" in problem  # what to give instead
    assert value not in problem  # never repeats the value: it names a person


@pytest.mark.parametrize("value", ["", "x" * 65])
def test_empty_and_overlong_values_are_refused(value: str) -> None:
    assert pseudonym_problem(value) is not None


class Owner(BaseModel):
    owner: StaffPseudonym


def test_a_model_field_names_the_reason() -> None:
    with pytest.raises(ValidationError) as refused:
        Owner(owner="Jane.Doe")
    assert "looks like a person's name" in str(refused.value)
    assert Owner(owner="ma-12").owner == "ma-12"


def test_partner_events_use_the_same_rule_and_keep_their_reason() -> None:
    """The kpi side refused "Jane Doe" before; it now refuses "Jane.Doe" too, with the same words."""
    for name in ("Jane Doe", "Jane.Doe"):
        with pytest.raises(PartnerEventInvalid) as refused:
            parse_body("partner.ai_tool.session", {"staff_id": name, "tool": "scribe", "minutes": 10})
        assert [problem.reason for problem in refused.value.problems] == [STAFF_ID_REASON]


@pytest.mark.parametrize("value", ["1234567893", "555-123-4567", "jane.doe.2", "MariaLopez1", "a@b.example"])
def test_partner_events_refuse_identifying_staff_ids_as_personal_data(value: str) -> None:
    with pytest.raises(PartnerEventInvalid) as refused:
        parse_body(
            "partner.note.signed", {"staff_id": value, "documentation_minutes": 5, "ai_assisted": True}
        )
    [problem] = refused.value.problems
    assert (problem.field, problem.reason, problem.personal_data) == ("data.staff_id", STAFF_ID_REASON, True)
