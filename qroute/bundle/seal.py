"""Encryption of a signed bundle for one or more recipients (sign-then-encrypt).

HPKE (RFC 9180, base mode) with KEM MLKEM768-X25519 (X-Wing, 0x647A), KDF HKDF-SHA256
(0x0001) and AEAD AES-256-GCM (0x0002), all from `cryptography.hazmat.primitives.hpke`.
The bundle is encrypted once under a random 256-bit content key with AES-256-GCM
(`cryptography`'s AESGCM); the content key is HPKE-sealed to each recipient, the usual
multi-recipient construction (as in COSE-HPKE's key-encryption mode), so adding a recipient
costs 1,168 bytes instead of a second copy of the bundle.  The container header (format,
suite, recipients) is the AES-GCM associated data, so no recipient entry can be altered,
added or removed unnoticed.  A recipient can pass the decrypted inner bundle on: it is still
signed by its original signers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qroute.bundle.errors import invalid, unreadable
from qroute.bundle.keys import KemPrivateKey, KemPublicKey
from qroute.bundle.manifest import b64decode, b64encode, canonical_json

SEALED_FORMAT = "qroute-sealed/1"
HPKE_INFO = b"qroute-sealed/1 content key"
KEM_ID, KDF_ID, AEAD_ID = 0x647A, 0x0001, 0x0002
SUITE = {"kem_id": KEM_ID, "kdf_id": KDF_ID, "aead_id": AEAD_ID}
NONCE_BYTES = 12
CONTENT_KEY_BYTES = 32
WRAPPED_KEY_BYTES = 1120 + CONTENT_KEY_BYTES + 16  # X-Wing enc || AES-GCM(content key)
MAX_RECIPIENTS = 64
_FIELDS = ["format", "suite", "recipients", "nonce", "ciphertext"]


def _suite() -> hpke.Suite:
    return hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _header(recipients: list[dict[str, str]]) -> dict[str, Any]:
    return {"format": SEALED_FORMAT, "suite": dict(SUITE), "recipients": recipients}


def is_sealed(data: bytes) -> bool:
    """Whether `data` looks like an encrypted container (cheap prefix test)."""
    return data.startswith(b'{"format":"' + SEALED_FORMAT.encode() + b'"')


def encrypt_bundle(inner: bytes, recipients: Sequence[KemPublicKey]) -> bytes:
    """The container file bytes: `inner` encrypted for every recipient."""
    if not recipients:
        raise unreadable("no recipients to encrypt for")
    if len(recipients) > MAX_RECIPIENTS:
        raise unreadable(f"more than {MAX_RECIPIENTS} recipients")
    keyids = [r.keyid for r in recipients]
    if len(set(keyids)) != len(keyids):
        raise unreadable("a recipient key is given twice")
    content_key = AESGCM.generate_key(bit_length=256)
    suite = _suite()
    rows = [
        {"keyid": r.keyid, "enc": b64encode(suite.encrypt(content_key, r.hpke_key, HPKE_INFO))}
        for r in recipients
    ]
    header = _header(rows)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(content_key).encrypt(nonce, inner, canonical_json(header))
    container = {**header, "nonce": b64encode(nonce), "ciphertext": b64encode(ciphertext)}
    return canonical_json(container) + b"\n"


def recipient_keyids(data: bytes) -> list[str]:
    """The key ids a container is addressed to (after a structural check)."""
    return [r["keyid"] for r in _parse(data)["recipients"]]


def _parse(data: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise unreadable("not a JSON container (truncated or damaged file?)") from None
    if not isinstance(raw, dict) or raw.get("format") != SEALED_FORMAT:
        raise unreadable(f"not a {SEALED_FORMAT} container")
    if list(raw) != _FIELDS:
        raise invalid(f"container fields must be exactly {', '.join(_FIELDS)} in that order")
    if raw["suite"] != SUITE or list(raw["suite"]) != list(SUITE):
        raise invalid(f"unsupported HPKE suite {raw['suite']!r}, expected {SUITE}")
    rows = raw["recipients"]
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_RECIPIENTS:
        raise invalid(f"container needs 1 to {MAX_RECIPIENTS} recipients")
    for index, row in enumerate(rows, start=1):
        if (
            not isinstance(row, dict)
            or list(row) != ["keyid", "enc"]
            or not all(isinstance(v, str) for v in row.values())
        ):
            raise invalid(f"recipient {index}: fields must be exactly keyid, enc (strings)")
    if not isinstance(raw["nonce"], str) or not isinstance(raw["ciphertext"], str):
        raise invalid("nonce and ciphertext must be base64 strings")
    if canonical_json(raw) + b"\n" != data:
        raise invalid("container is not in canonical form (bytes were changed)")
    return raw


def decrypt_bundle(data: bytes, key: KemPrivateKey) -> bytes:
    """The inner signed bundle of a container addressed to `key`; exit 1 if it is not."""
    raw = _parse(data)
    keyid = key.public_key().keyid
    rows = [r for r in raw["recipients"] if r["keyid"] == keyid]
    if not rows:
        raise invalid(f"not encrypted for this key ({keyid[:16]}); wrong key")
    wrapped = b64decode(rows[0]["enc"], "recipient enc")
    nonce = b64decode(raw["nonce"], "nonce")
    ciphertext = b64decode(raw["ciphertext"], "ciphertext")
    if len(wrapped) != WRAPPED_KEY_BYTES or len(nonce) != NONCE_BYTES:
        raise invalid("recipient enc or nonce has the wrong length")
    try:
        content_key = _suite().decrypt(wrapped, key.hpke_key, HPKE_INFO)
    except (InvalidTag, ValueError):
        raise invalid(
            "cannot unwrap the content key: wrong key or altered recipient entry"
        ) from None
    if len(content_key) != CONTENT_KEY_BYTES:
        raise invalid("unwrapped content key has the wrong length")
    header = canonical_json(_header(raw["recipients"]))
    try:
        return AESGCM(content_key).decrypt(nonce, ciphertext, header)
    except InvalidTag:
        raise invalid("decryption failed: ciphertext or container header altered") from None
