"""Encrypting what faio writes to Temporal: workflow inputs, signals, results, activity arguments.

As Temporal's `encryption` sample (samples-python/encryption): each payload is serialized and
sealed with AES-GCM, and its metadata names the key (`encryption-key-id`), so a key can be
rotated: the current key encrypts, older keys stay in the keyring only to decrypt histories
written before the rotation, and are retired once no open workflow uses them (docs/runbook.md).
Search attributes are not payloads of this kind: they stay readable, so they hold ids only.
"""

import base64
import binascii
import os
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from shared.settings import SharedSettings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnknownKeyId(ValueError):
    """A payload was sealed with a key this process does not hold (retired too early, or foreign)."""


def new_key() -> str:
    """A fresh 256-bit key, as the keyring setting spells it (base64)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def parse_keyring(spec: str) -> dict[str, bytes]:
    """`id=base64key,id2=base64key` as {id: key}; ValueError naming what is wrong (never the key)."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, separator, encoded = item.partition("=")
        key_id = key_id.strip()
        if not separator or not key_id:
            raise ValueError("FAIO_TEMPORAL_CODEC_KEYS: each entry must be `key-id=base64 key`")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as error:
            raise ValueError(f"FAIO_TEMPORAL_CODEC_KEYS: key {key_id!r} is not base64") from error
        if len(key) not in (16, 24, 32):
            raise ValueError(f"FAIO_TEMPORAL_CODEC_KEYS: key {key_id!r} must be 16, 24 or 32 bytes")
        keys[key_id] = key
    return keys


class EncryptionCodec(PayloadCodec):
    """AES-GCM with key ids: encrypts with `current`, decrypts with any key of `keys`."""

    def __init__(self, current: str, keys: Mapping[str, bytes]) -> None:
        super().__init__()
        if current not in keys:
            raise ValueError(f"FAIO_TEMPORAL_CODEC_KEY_ID: {current!r} is not in FAIO_TEMPORAL_CODEC_KEYS")
        self.current = current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        cipher = self._ciphers[self.current]
        # The key id is authenticated with the data: a payload relabelled with another id fails.
        aad = self.current.encode()
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), aad)
            sealed.append(Payload(metadata={"encoding": ENCODING, KEY_ID: aad}, data=data))
        return sealed

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                opened.append(payload)  # written before encryption was switched on
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise UnknownKeyId(
                    f"Temporal payload encrypted with key id {key_id!r}, which is not in "
                    f"FAIO_TEMPORAL_CODEC_KEYS (known: {', '.join(sorted(self._ciphers))})"
                )
            data = payload.data
            opened.append(
                Payload.FromString(cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode()))
            )
        return opened


def codec_from_settings(settings: SharedSettings) -> EncryptionCodec | None:
    """The configured codec, or None when FAIO_TEMPORAL_CODEC_KEY_ID is not set."""
    if not settings.temporal_codec_key_id:
        return None
    keys = parse_keyring(settings.temporal_codec_keys.get_secret_value())
    return EncryptionCodec(settings.temporal_codec_key_id, keys)
