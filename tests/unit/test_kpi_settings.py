"""The keys that encrypt partners' webhook secrets: checked at start-up, rotatable."""

import base64
import uuid

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from services.kpi import ingest, partners
from services.kpi.models import KpiPartner
from services.kpi.settings import DEV_PARTNER_SECRETS_KEY, KpiSettings
from shared import clock


def test_production_refuses_the_development_key_and_a_key_that_is_not_fernet() -> None:
    with pytest.raises(ValidationError, match="FAIO_PARTNER_SECRETS_KEYS must be set in production"):
        KpiSettings(environment="production", secret_key="a-real-secret", pseudonym_secret="p" * 32)
    with pytest.raises(ValidationError, match="not a Fernet key"):
        KpiSettings(partner_secrets_keys="not-a-key")


def test_a_new_key_encrypts_while_the_old_one_still_opens_earlier_secrets() -> None:
    old_key, new_key = DEV_PARTNER_SECRETS_KEY, Fernet.generate_key().decode()
    sealed_before = KpiSettings(partner_secrets_keys=old_key).partner_secrets.encrypt(b"whsec_before")

    rotated = KpiSettings(partner_secrets_keys=f"{new_key}, {old_key}").partner_secrets
    sealed_after = rotated.encrypt(b"whsec_after")

    assert partners.open_webhook_secret(sealed_before.decode(), rotated) == "whsec_before"
    assert Fernet(new_key.encode()).decrypt(sealed_after) == b"whsec_after"


def test_a_webhook_secret_stored_in_plaintext_is_refused() -> None:
    box = KpiSettings(partner_secrets_keys=DEV_PARTNER_SECRETS_KEY).partner_secrets
    plaintext = "whsec_" + base64.b64encode(b"s" * 32).decode()
    with pytest.raises(InvalidToken):
        partners.open_webhook_secret(plaintext, box)

    # Even a request signed with that very secret is refused: no key opens what was stored.
    partner = KpiPartner(
        id=uuid.uuid4(), name="Scribe Co", officer_id="officer-1", api_key_hash="h", webhook_secret=plaintext
    )
    payload = b"[]"
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(clock.now().timestamp()))}
    headers["webhook-signature"] = Webhook(plaintext).sign(
        headers["webhook-id"], clock.now(), payload.decode()
    )
    with pytest.raises(ingest.SecretUnreadable):
        ingest.verify_signature(partner=partner, secrets_box=box, payload=payload, headers=headers)
