"""Fixtures for the bundle tests: key pairs, a trust store and a small run folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from qroute.bundle import (
    KemPrivateKey,
    KemPublicKey,
    TrustStore,
    generate_keys,
    load_kem_private,
    load_kem_public,
    load_signing_key,
    load_trust,
)
from qroute.bundle.keys import KeyFiles, SigningKey


@dataclass(frozen=True)
class Party:
    """One company's keys, loaded."""

    files: KeyFiles
    signing: SigningKey
    kem: KemPrivateKey
    kem_public: KemPublicKey


def make_party(folder: Path) -> Party:
    files = generate_keys(folder, None)
    return Party(
        files,
        load_signing_key(files.signing_key, None),
        load_kem_private(files.kem_key, None),
        load_kem_public(files.kem_pub),
    )


@pytest.fixture(scope="session")
def parties(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Party]:
    root = tmp_path_factory.mktemp("keys")
    return {name: make_party(root / name) for name in ("carrier", "shipper", "outsider")}


@pytest.fixture(scope="session")
def trust(parties: dict[str, Party]) -> TrustStore:
    """Trusts the carrier and the shipper (not the outsider)."""
    return load_trust([parties["carrier"].files.signing_pub, parties["shipper"].files.signing_pub])


RESULT = {
    "instance": "X-n101-k25",
    "cost": 27591.0,
    "feasible": True,
    "subproblems": [{"provenance": {"class": "quantum_simulator", "backend": "qaoa-sdks"}}],
}


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(json.dumps(RESULT, indent=2))
    (run / "solution.sol").write_text("Route #1: 1 2 3\nCost 27591\n")
    (run / "summary.md").write_text("# qroute solve: X-n101-k25\n")
    (run / "routes.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return run
