"""The payload codec's keyring setting and its refusals (the server round trips are in
tests/integration/test_temporal_codec.py)."""

import base64

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload

from shared.settings import SharedSettings
from shared.temporal_codec import KEY_ID, EncryptionCodec, codec_from_settings, new_key, parse_keyring


def test_the_keyring_is_read_from_id_key_pairs() -> None:
    a, b = new_key(), new_key()
    assert parse_keyring(f" 2026-a={a} , 2027-a={b}") == {
        "2026-a": base64.b64decode(a),
        "2027-a": base64.b64decode(b),
    }


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("just-a-key", "key-id=base64"),
        ("k=not base64!", "not base64"),
        ("k=" + base64.b64encode(b"short").decode(), "32 bytes"),
    ],
)
def test_a_bad_keyring_names_the_setting_and_never_the_key(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        parse_keyring(spec)
    assert "FAIO_TEMPORAL_CODEC_KEYS" in str(refused.value)
    assert "short" not in str(refused.value) and "base64!" not in str(refused.value)


def test_the_current_key_must_be_in_the_keyring() -> None:
    settings = SharedSettings(
        temporal_codec_key_id="2027-a", temporal_codec_keys=SecretStr(f"2026-a={new_key()}")
    )
    with pytest.raises(ValueError, match="FAIO_TEMPORAL_CODEC_KEY_ID"):
        codec_from_settings(settings)
    assert codec_from_settings(SharedSettings()) is None  # off unless configured


async def test_a_payload_relabelled_with_another_key_id_is_refused() -> None:
    keys = {"2026-a": base64.b64decode(new_key()), "2027-a": base64.b64decode(new_key())}
    codec = EncryptionCodec("2026-a", keys)
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"Zebulon"')])
    assert b"Zebulon" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [Payload(metadata={"encoding": b"json/plain"}, data=b'"Zebulon"')]
    sealed.metadata[KEY_ID] = b"2027-a"
    with pytest.raises(InvalidTag):  # the key id is authenticated with the data
        await codec.decode([sealed])


async def test_payloads_from_before_encryption_pass_through() -> None:
    codec = EncryptionCodec("k", {"k": base64.b64decode(new_key())})
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    assert await codec.decode([plain]) == [plain]
