"""The CloudEvents envelope and the strictness of event bodies."""

import uuid

import pytest
from pydantic import ValidationError

from shared.events import ClinicRegistered, ContractError, Envelope, envelope_for


def clinic_registered(**overrides: object) -> ClinicRegistered:
    fields: dict[str, object] = {
        "clinic_id": uuid.uuid4(),
        "officer_id": "officer-1",
        "name": "Lakeside Pediatrics",
        "specialty": "pediatrics",
        "locations": 1,
    }
    return ClinicRegistered.model_validate(fields | overrides)


def test_envelope_survives_the_trip_through_kafka_headers() -> None:
    event = clinic_registered()
    envelope = envelope_for(event, source="/faio/intake", subject=str(event.clinic_id))
    headers = {name: value.encode() for name, value in envelope.to_headers().items()}

    assert Envelope.from_headers(headers) == envelope
    assert envelope.type == "intake.clinic.registered.v1"
    assert headers["ce_specversion"] == b"1.0"


def test_a_missing_attribute_is_named() -> None:
    headers = envelope_for(clinic_registered(), source="s", subject="c").to_headers()
    del headers["ce_id"]
    with pytest.raises(ContractError, match="ce_id is required"):
        Envelope.from_headers(headers)


def test_a_wrong_spec_version_is_refused() -> None:
    headers = envelope_for(clinic_registered(), source="s", subject="c").to_headers()
    headers["ce_specversion"] = "0.3"
    with pytest.raises(ContractError, match=r"ce_specversion must be 1\.0"):
        Envelope.from_headers(headers)


def test_event_bodies_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError) as error:
        clinic_registered(patient_name="Jane Doe")
    assert error.value.errors()[0]["loc"] == ("patient_name",)
    assert error.value.errors()[0]["type"] == "extra_forbidden"
