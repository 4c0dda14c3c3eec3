"""Names are one line of visible text: control characters are refused at the edge, stripped on output."""

import pytest
from pydantic import BaseModel, ValidationError

from services.intake.models import ClinicCreate, ClinicUpdate, OfficerCreate
from services.intake.prospects.models import LeadConversion, ProspectContact, ProspectInviteCreate
from services.kpi.models import PartnerCreate
from shared.names import refuse_control_characters, strip_control_characters

POISONED = {
    "line feed": "Harbor\nBcc: x@example.org",
    "carriage return": "Harbor\r",
    "NUL": "Har\x00bor",
    "ESC": "\x1b[31mHarbor",
    "DEL": "Harbor\x7f",
    "C1 CSI": "Harbor\x9b2J",
    "tab": "Harbor\tOrtho",
    "line separator": "Harbor\u2028Ortho",
    "right-to-left override": "Harbor \u202egpj.exe",
    "first strong isolate": "\u2068Harbor",
    "pop directional isolate": "Harbor\u2069",
}


@pytest.mark.parametrize("value", POISONED.values(), ids=POISONED.keys())
def test_control_characters_are_refused_saying_which_and_where(value: str) -> None:
    with pytest.raises(ValueError, match=r"control character \(U\+[0-9A-F]{4}\) at position \d+"):
        refuse_control_characters(value)


def test_visible_text_in_any_script_passes_unchanged() -> None:
    for name in (
        "Harbor Orthopedics",
        "Clínica São José \u2013 Zoë",
        "北京诊所",
        "עיר הכרמל",
        "Dr. O'Brien & Co.",
    ):
        assert refuse_control_characters(name) == name


def test_stripping_leaves_one_line_of_the_visible_text() -> None:
    assert strip_control_characters("Harbor\r\nBcc: x@example.org") == "Harbor Bcc: x@example.org"
    assert strip_control_characters("\x1b[31mHarbor\u202e") == "[31mHarbor"
    assert strip_control_characters("Harbor Orthopedics") == "Harbor Orthopedics"


# Every name a person types, where it enters: the fields typed `Name`.
NAME_FIELDS: list[tuple[type[BaseModel], str, dict[str, object]]] = [
    (ClinicCreate, "name", {"specialty": "ortho"}),
    (ClinicCreate, "specialty", {"name": "Harbor"}),
    (ClinicUpdate, "name", {}),
    (ClinicUpdate, "specialty", {}),
    (OfficerCreate, "name", {"email": "dana@example.org"}),
    (ProspectContact, "practice_name", {}),
    (ProspectContact, "contact_name", {}),
    (ProspectInviteCreate, "label", {}),
    (LeadConversion, "name", {}),
    (PartnerCreate, "name", {}),
]


@pytest.mark.parametrize(
    ("model", "field", "others"), NAME_FIELDS, ids=[f"{m.__name__}.{f}" for m, f, _ in NAME_FIELDS]
)
def test_every_name_field_refuses_a_line_break(
    model: type[BaseModel], field: str, others: dict[str, object]
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**others, field: "Harbor\r\nBcc: x@example.org"})
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]
    assert model.model_validate({**others, field: "Harbor Orthopedics"})
