"""The keys that encrypt partners' webhook secrets: checked at start-up, rotatable."""

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.kpi import partners
from services.kpi.settings import DEV_PARTNER_SECRETS_KEY, KpiSettings


def test_production_refuses_the_development_key_and_a_key_that_is_not_fernet() -> None:
    with pytest.raises(ValidationError, match="FAIO_PARTNER_SECRETS_KEYS must be set in production"):
        KpiSettings(environment="production", secret_key="a-real-secret")
    with pytest.raises(ValidationError, match="not a Fernet key"):
        KpiSettings(partner_secrets_keys="not-a-key")


def test_a_new_key_encrypts_while_the_old_one_still_opens_earlier_secrets() -> None:
    old_key, new_key = DEV_PARTNER_SECRETS_KEY, Fernet.generate_key().decode()
    sealed_before = KpiSettings(partner_secrets_keys=old_key).partner_secrets.encrypt(b"whsec_before")

    rotated = KpiSettings(partner_secrets_keys=f"{new_key}, {old_key}").partner_secrets
    sealed_after = rotated.encrypt(b"whsec_after")

    assert partners.open_webhook_secret(sealed_before.decode(), rotated) == "whsec_before"
    assert Fernet(new_key.encode()).decrypt(sealed_after) == b"whsec_after"
    assert partners.open_webhook_secret("whsec_stored-before-encryption", rotated) == (
        "whsec_stored-before-encryption"
    )
