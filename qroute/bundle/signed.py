"""Make and verify signed bundles: a DSSE envelope whose payload is the manifest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from qroute.bundle.envelope import parse_envelope, sign_envelope, verify_signature
from qroute.bundle.errors import invalid
from qroute.bundle.keys import SigningKey, signing_keyid
from qroute.bundle.manifest import MAX_MEMBER_BYTES, MemberFile, encode_manifest, parse_manifest
from qroute.bundle.trust import TrustedKey, TrustStore, iso_utc

CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class VerifiedBundle:
    """What a valid bundle says: when it was made, who signed it, and its member files."""

    created: datetime
    signers: tuple[TrustedKey, ...]
    members: tuple[MemberFile, ...]

    def member(self, name: str) -> bytes:
        for member in self.members:
            if member.name == name:
                return member.data
        raise KeyError(name)


def make_bundle(
    members: Mapping[str, bytes],
    keys: Sequence[SigningKey],
    created: datetime | None = None,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> bytes:
    """The bundle file bytes: `members` (name -> bytes) signed by every key in `keys`."""
    when = (created or datetime.now(UTC)).replace(microsecond=0)
    signers = [signing_keyid(k.public_key()) for k in keys]
    payload = encode_manifest(members, signers, when, max_member_bytes)
    return sign_envelope(payload, keys).encode()


def verify_bundle(
    data: bytes,
    trust: TrustStore,
    now: datetime | None = None,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> VerifiedBundle:
    """Check every signature, the signer list, key validity and every member digest.

    Raises BundleError naming the first failure: exit code 2 when `data` is not a bundle at
    all, 1 when it is one that fails (unknown or expired key, bad signature, digest, name)."""
    envelope = parse_envelope(data)
    signers: list[TrustedKey] = []
    for index, signature in enumerate(envelope.signatures):
        trusted = trust.get(signature.keyid)
        if trusted is None:
            raise invalid(
                f"signature {index + 1}: unknown key {signature.keyid[:16]} (not trusted)"
            )
        verify_signature(envelope, index, trusted.key)
        signers.append(trusted)
    manifest, files = parse_manifest(envelope.payload, max_member_bytes)
    if [s.keyid for s in envelope.signatures] != manifest.signers:
        raise invalid(
            "signatures do not match the manifest's signers (a signature was swapped, "
            "removed, added or re-ordered)"
        )
    created = manifest.created_at
    for trusted in signers:
        trusted.check_valid_at(created)
    if created > (now or datetime.now(UTC)) + CLOCK_SKEW:
        raise invalid(f"bundle created in the future ({iso_utc(created)})")
    return VerifiedBundle(created, tuple(signers), tuple(files))
