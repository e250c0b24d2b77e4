"""DSSE envelopes signed with ML-DSA-65 (FIPS 204, empty context string).

An envelope is the JSON object ``{"payloadType": T, "payload": base64(P), "signatures":
[{"keyid": K, "sig": base64(S)}, ...]}`` where each S signs DSSE's pre-authentication
encoding PAE(T, P).  qroute writes it in one canonical encoding (no whitespace, fields in
this order, one trailing newline) and accepts only that encoding, so any changed byte of a
bundle file is detected even where JSON or base64 would otherwise tolerate it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from qroute.bundle.errors import invalid, unreadable
from qroute.bundle.keys import SigningKey, VerifyKey, signing_keyid
from qroute.bundle.manifest import b64decode, b64encode, canonical_json

PAYLOAD_TYPE = "application/vnd.qroute.bundle.manifest+json"
MAX_SIGNATURES = 16
_FIELDS = ["payloadType", "payload", "signatures"]


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding:
    "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = decimal byte count."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def encode(self) -> bytes:
        """The canonical file bytes."""
        return (
            canonical_json(
                {
                    "payloadType": self.payload_type,
                    "payload": b64encode(self.payload),
                    "signatures": [
                        {"keyid": s.keyid, "sig": b64encode(s.sig)} for s in self.signatures
                    ],
                }
            )
            + b"\n"
        )


def sign_envelope(payload: bytes, keys: Sequence[SigningKey]) -> Envelope:
    """Sign PAE(PAYLOAD_TYPE, payload) with every key, in the order given."""
    message = pae(PAYLOAD_TYPE, payload)
    signatures = tuple(Signature(signing_keyid(k.public_key()), k.sign(message)) for k in keys)
    return Envelope(PAYLOAD_TYPE, payload, signatures)


def parse_envelope(data: bytes) -> Envelope:
    """The envelope in `data`; exit 2 if it is not one, exit 1 if it is altered."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise unreadable("not a JSON bundle (truncated or damaged file?)") from None
    if not isinstance(raw, dict) or "payloadType" not in raw:
        raise unreadable("not a qroute bundle: no DSSE payloadType")
    if list(raw) != _FIELDS:
        raise invalid(f"envelope fields must be exactly {', '.join(_FIELDS)} in that order")
    kind, body, signatures = raw["payloadType"], raw["payload"], raw["signatures"]
    if kind != PAYLOAD_TYPE:
        raise invalid(f"payloadType {str(kind)[:80]!r}, expected {PAYLOAD_TYPE!r}")
    if not isinstance(body, str):
        raise invalid("payload is not a base64 string")
    if not isinstance(signatures, list) or not signatures:
        raise invalid("envelope has no signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise invalid(f"more than {MAX_SIGNATURES} signatures")
    parsed = []
    for index, entry in enumerate(signatures, start=1):
        if not isinstance(entry, dict) or list(entry) != ["keyid", "sig"]:
            raise invalid(f"signature {index}: fields must be exactly keyid, sig")
        if not isinstance(entry["keyid"], str) or not isinstance(entry["sig"], str):
            raise invalid(f"signature {index}: keyid and sig must be strings")
        parsed.append(Signature(entry["keyid"], b64decode(entry["sig"], f"signature {index}")))
    envelope = Envelope(kind, b64decode(body, "payload"), tuple(parsed))
    if envelope.encode() != data:
        raise invalid("bundle file is not in canonical form (bytes were changed)")
    return envelope


def verify_signature(envelope: Envelope, index: int, key: VerifyKey) -> None:
    """Check signature `index` (0-based) against `key`; exit 1 naming it if it fails."""
    signature = envelope.signatures[index]
    try:
        key.verify(signature.sig, pae(envelope.payload_type, envelope.payload))
    except InvalidSignature:
        raise invalid(
            f"signature {index + 1} by key {signature.keyid[:16]} does not verify"
        ) from None
