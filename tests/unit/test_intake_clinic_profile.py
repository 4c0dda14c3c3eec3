"""What a clinic profile accepts: the rules that keep audit's cost figures and integration checks sound."""

import pytest
from pydantic import ValidationError

from services.intake.models import ClinicCreate, ClinicUpdate

PROFILE = {"name": "Riverside", "specialty": "family medicine"}


def test_system_kinds_are_compared_case_insensitively_and_vendors_keep_their_spelling() -> None:
    clinic = ClinicCreate.model_validate(
        PROFILE | {"systems": {" EMR ": "athenahealth", "Phone": " RingCentral"}}
    )
    assert clinic.systems == {"emr": "athenahealth", "phone": "RingCentral"}


def test_a_system_needs_a_vendor() -> None:
    with pytest.raises(ValidationError, match="needs a kind"):
        ClinicCreate.model_validate(PROFILE | {"systems": {"emr": "  "}})


@pytest.mark.parametrize("model", [ClinicCreate, ClinicUpdate])
def test_a_role_listed_twice_is_refused(model: type[ClinicCreate | ClinicUpdate]) -> None:
    staff = [
        {"role": "Front desk", "headcount": 2, "hourly_cost": 24},
        {"role": "front desk", "headcount": 1, "hourly_cost": 26},
    ]
    with pytest.raises(ValidationError, match="listed twice"):
        model.model_validate(PROFILE | {"staff": staff})


def test_unknown_fields_are_refused_not_dropped() -> None:
    with pytest.raises(ValidationError, match="patient_name"):
        ClinicCreate.model_validate(PROFILE | {"patient_name": "Jane Doe"})
    with pytest.raises(ValidationError, match="officer_id"):
        ClinicUpdate.model_validate({"officer_id": "someone-else"})
