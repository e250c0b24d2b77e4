"""Post-quantum signed and encrypted bundles of run outputs (format: docs/bundles.md).

Signing: DSSE envelopes with ML-DSA-65; encryption: HPKE with the ML-KEM-768 + X25519 hybrid
KEM and AES-256-GCM; all primitives from `cryptography`.  No Prefect, no terminal UI here.
"""

from __future__ import annotations

from qroute.bundle.errors import EXIT_INVALID, EXIT_UNREADABLE, BundleError
from qroute.bundle.files import (
    Opened,
    extract,
    open_bundle,
    read_bundle_file,
    run_members,
    seal_members,
    write_atomic,
)
from qroute.bundle.keys import (
    KemPrivateKey,
    KemPublicKey,
    generate_keys,
    load_kem_private,
    load_kem_public,
    load_signing_key,
    load_signing_key_pem,
    load_verify_key,
    passphrase_from_env,
    signing_keyid,
)
from qroute.bundle.seal import is_sealed
from qroute.bundle.signed import VerifiedBundle, make_bundle, verify_bundle
from qroute.bundle.trust import TrustStore, add_trusted_key, load_trust

__all__ = [
    "EXIT_INVALID",
    "EXIT_UNREADABLE",
    "BundleError",
    "KemPrivateKey",
    "KemPublicKey",
    "Opened",
    "TrustStore",
    "VerifiedBundle",
    "add_trusted_key",
    "extract",
    "generate_keys",
    "is_sealed",
    "load_kem_private",
    "load_kem_public",
    "load_signing_key",
    "load_signing_key_pem",
    "load_trust",
    "load_verify_key",
    "make_bundle",
    "open_bundle",
    "passphrase_from_env",
    "read_bundle_file",
    "run_members",
    "seal_members",
    "signing_keyid",
    "verify_bundle",
    "write_atomic",
]
