"""The flows' sealing helpers (without running Prefect): nightly run folders and the
hardware-comparison report come out as bundles that `qroute bundle verify` accepts."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import qroute.orchestration.sealing as sealing
from qroute.bundle import BundleError, load_trust, open_bundle, read_bundle_file, verify_bundle
from qroute.bundle.keys import signing_key_pem
from qroute.orchestration.hardware_comparison import hardware_comparison
from qroute.orchestration.nightly import nightly_routing
from tests.bundle.conftest import Party


def test_nightly_seal_helper_makes_a_verifiable_bundle(run_dir: Path, parties, trust) -> None:
    key = sealing.signing_key_from(path=str(parties["carrier"].files.signing_key))
    assert key is not None
    path = sealing.seal_run_dir(run_dir, key)
    assert path == run_dir.with_name("run.bundle")
    bundle = verify_bundle(read_bundle_file(path), trust)
    assert bundle.signers[0].keyid == parties["carrier"].files.signing_keyid
    assert bundle.member("result.json") == (run_dir / "result.json").read_bytes()
    assert sorted(m.name for m in bundle.members) == [
        "result.json",
        "routes.png",
        "solution.sol",
        "summary.md",
    ]


def test_nightly_seal_for_recipients(run_dir: Path, parties: dict[str, Party], trust) -> None:
    key = parties["carrier"].signing
    recipients = [str(parties["shipper"].files.kem_pub)]
    path = sealing.seal_run_dir(run_dir, key, recipients)
    opened = open_bundle(read_bundle_file(path), trust, parties["shipper"].kem)
    assert opened.encrypted and len(opened.bundle.members) == 4
    with pytest.raises(BundleError, match="not encrypted for this key"):
        open_bundle(read_bundle_file(path), trust, parties["carrier"].kem)


def test_signing_key_from_a_secret_block(monkeypatch, parties: dict[str, Party], tmp_path) -> None:
    pem = signing_key_pem(parties["shipper"].signing, b"night").decode()
    blocks = {"qroute-sign-key": pem, "qroute-sign-passphrase": "night"}
    monkeypatch.setattr(sealing, "_secret", blocks.__getitem__)
    key = sealing.signing_key_from(
        block="qroute-sign-key", passphrase_block="qroute-sign-passphrase"
    )
    assert key is not None and key.public_key() == parties["shipper"].signing.public_key()
    monkeypatch.delenv("QROUTE_KEY_PASSPHRASE", raising=False)
    with pytest.raises(BundleError, match="Secret block qroute-sign-key: the private key is"):
        sealing.signing_key_from(block="qroute-sign-key")
    assert sealing.signing_key_from() is None  # sealing is off by default


def test_comparison_report_bundle(tmp_path: Path, parties, trust) -> None:
    records = tmp_path / "comparison-20261201T000000Z.jsonl"
    records.write_text('{"backend": "sa", "size": 3, "seed": 0, "status": "ok"}\n')
    report = tmp_path / "report.html"
    report.write_text("<html>report</html>")
    path = sealing.seal_comparison(records, report, parties["carrier"].signing)
    assert path.name == "comparison-20261201T000000Z.bundle"
    bundle = verify_bundle(
        read_bundle_file(path), load_trust([parties["carrier"].files.signing_pub])
    )
    assert bundle.member("report.html") == b"<html>report</html>"
    with pytest.raises(BundleError, match="unknown key"):
        verify_bundle(read_bundle_file(path), load_trust([parties["shipper"].files.signing_pub]))


def test_flows_take_the_sealing_parameters() -> None:
    nightly = inspect.signature(nightly_routing.fn).parameters
    for name in ("seal_sign_key_block", "seal_sign_key", "seal_passphrase_block"):
        assert nightly[name].default is None
    assert nightly["seal_recipients"].default is None
    comparison = inspect.signature(hardware_comparison.fn).parameters
    assert comparison["seal_sign_key"].default is None
    assert comparison["seal_recipients"].default is None
