"""The shared pseudonymous staff id rule: roles plus numbers and opaque ids pass, names never do."""

import uuid

import pytest
from pydantic import BaseModel, ValidationError

from shared.events.partner import PartnerEventInvalid, parse_body
from shared.pseudonyms import STAFF_ID_REASON, StaffPseudonym, pseudonym_problem

PSEUDONYMS = [
    *("staff-lead-7", "staff-101", "ma-12", "dr-7f3a", "frontdesk-3", "fd-1", "s1", "rn:04", "u-81f2c9"),
    str(uuid.uuid4()),
]
NAMES = ["Jane.Doe", "Jane Doe, MD", "Maria Lopez", "jane_doe", "JaneDoe", "jdoe", "staff-lead", "nurse"]


@pytest.mark.parametrize("value", PSEUDONYMS)
def test_roles_with_numbers_and_opaque_ids_are_pseudonyms(value: str) -> None:
    assert pseudonym_problem(value) is None


@pytest.mark.parametrize("value", NAMES)
def test_name_like_values_are_refused_with_what_to_give_instead(value: str) -> None:
    problem = pseudonym_problem(value)
    assert problem is not None
    assert "ma-12" in problem  # the reason shows what a pseudonym looks like


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
