"""Sealing flow outputs as post-quantum signed (and encrypted) bundles (orchestration only).

Key material for deployments comes from a file path or a Prefect Secret block holding the
PEM of `signing.key`; an encrypted key's passphrase from another Secret block or
QROUTE_KEY_PASSPHRASE.  The bundling itself is `qroute.bundle` (the code `qroute bundle
seal` runs), so a sealed nightly result verifies with `qroute bundle verify`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qroute.bundle import (
    load_kem_public,
    load_signing_key,
    load_signing_key_pem,
    passphrase_from_env,
    run_members,
    seal_members,
    write_atomic,
)
from qroute.bundle.keys import SigningKey

BUNDLE_SUFFIX = ".bundle"


def _secret(block: str) -> str:
    from prefect.blocks.system import Secret

    loaded: Any = Secret.load(block)  # sync inside a flow; typed as maybe-a-coroutine
    return str(loaded.get())


def signing_key_from(
    path: str | None = None, block: str | None = None, passphrase_block: str | None = None
) -> SigningKey | None:
    """The configured signing key (block wins over path), or None when sealing is off."""
    if block is None and path is None:
        return None
    passphrase = _secret(passphrase_block).encode() if passphrase_block else passphrase_from_env()
    if block is not None:
        return load_signing_key_pem(_secret(block).encode(), passphrase, f"Secret block {block}")
    assert path is not None
    return load_signing_key(path, passphrase)


def seal_run_dir(
    run_dir: str | Path, sign_key: SigningKey, recipients: Sequence[str | Path] = ()
) -> Path:
    """Seal a solve's run folder into `<run_dir>.bundle` beside it; returns that path."""
    run = Path(run_dir)
    data = seal_members(run_members(run), [sign_key], [load_kem_public(p) for p in recipients])
    return write_atomic(run.with_name(run.name + BUNDLE_SUFFIX), data)


def seal_comparison(
    records: str | Path,
    report: str | Path,
    sign_key: SigningKey,
    recipients: Sequence[str | Path] = (),
) -> Path:
    """Seal a hardware comparison (its JSONL records and report.html) into
    `<records stem>.bundle` beside the records; `qroute report --runs` reads it back."""
    records, report = Path(records), Path(report)
    members = {records.name: records.read_bytes(), report.name: report.read_bytes()}
    data = seal_members(members, [sign_key], [load_kem_public(p) for p in recipients])
    return write_atomic(records.with_suffix(BUNDLE_SUFFIX), data)
