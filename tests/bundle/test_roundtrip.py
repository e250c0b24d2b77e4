"""Seal -> verify and seal -> open round trips, keys on disk, trust files and rotation."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qroute.bundle import (
    BundleError,
    add_trusted_key,
    extract,
    generate_keys,
    load_kem_private,
    load_signing_key,
    load_trust,
    make_bundle,
    open_bundle,
    run_members,
    seal_members,
    verify_bundle,
)
from qroute.bundle.seal import WRAPPED_KEY_BYTES, recipient_keyids
from tests.bundle.conftest import Party


def test_one_signer_round_trip(run_dir: Path, parties: dict[str, Party], trust) -> None:
    members = run_members(run_dir)
    assert sorted(members) == ["result.json", "routes.png", "solution.sol", "summary.md"]
    data = seal_members(members, [parties["carrier"].signing])
    bundle = verify_bundle(data, trust)
    assert [s.keyid for s in bundle.signers] == [parties["carrier"].files.signing_keyid]
    assert {m.name: m.data for m in bundle.members} == members
    assert abs(bundle.created - datetime.now(UTC)) < timedelta(minutes=1)
    envelope = json.loads(data)
    assert list(envelope) == ["payloadType", "payload", "signatures"]
    assert envelope["payloadType"] == "application/vnd.qroute.bundle.manifest+json"


def test_two_signers_countersign(run_dir: Path, parties: dict[str, Party], trust) -> None:
    keys = [parties["carrier"].signing, parties["shipper"].signing]
    data = seal_members(run_members(run_dir), keys)
    bundle = verify_bundle(data, trust)
    names = [s.name for s in bundle.signers]  # a bare .pub is named after its path
    assert [n.split("/")[-2:] for n in names] == [["carrier", "signing"], ["shipper", "signing"]]
    assert [s.keyid for s in bundle.signers] == [
        parties["carrier"].files.signing_keyid,
        parties["shipper"].files.signing_keyid,
    ]
    assert len(json.loads(data)["signatures"]) == 2


def test_several_recipients_each_open(run_dir: Path, parties: dict[str, Party], trust) -> None:
    members = run_members(run_dir)
    recipients = [parties["carrier"].kem_public, parties["shipper"].kem_public]
    sealed = seal_members(members, [parties["carrier"].signing], recipients)
    assert recipient_keyids(sealed) == [r.keyid for r in recipients]
    container = json.loads(sealed)
    assert container["suite"] == {"kem_id": 0x647A, "kdf_id": 1, "aead_id": 2}
    for row in container["recipients"]:
        assert len(__import__("base64").b64decode(row["enc"])) == WRAPPED_KEY_BYTES == 1168
    inner = []
    for name in ("carrier", "shipper"):
        opened = open_bundle(sealed, trust, parties[name].kem)
        assert opened.encrypted
        assert {m.name: m.data for m in opened.bundle.members} == members
        inner.append(opened.inner)
    # the decrypted inner bundle is the same signed bundle, verifiable on its own (re-sharing)
    assert inner[0] == inner[1]
    assert verify_bundle(inner[0], trust).signers[0].keyid == parties["carrier"].files.signing_keyid
    with pytest.raises(BundleError, match="not encrypted for this key") as err:
        open_bundle(sealed, trust, parties["outsider"].kem)
    assert err.value.exit_code == 1


def test_extract_writes_only_into_a_new_folder(run_dir: Path, parties, trust, tmp_path) -> None:
    data = seal_members(run_members(run_dir), [parties["carrier"].signing])
    written = extract(verify_bundle(data, trust), tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "result.json",
        "routes.png",
        "solution.sol",
        "summary.md",
    ]
    assert (tmp_path / "out" / "routes.png").read_bytes() == (run_dir / "routes.png").read_bytes()
    with pytest.raises(BundleError, match="not an empty folder"):
        extract(verify_bundle(data, trust), tmp_path / "out")


def test_member_in_a_subfolder(parties, trust, tmp_path) -> None:
    data = make_bundle(
        {"instance/X-n101-k25.vrp": b"NAME : X\n", "result.json": b"{}"},
        [parties["carrier"].signing],
    )
    extract(verify_bundle(data, trust), tmp_path / "o")
    assert (tmp_path / "o" / "instance" / "X-n101-k25.vrp").read_bytes() == b"NAME : X\n"


def test_key_files_modes_ids_and_passphrase(tmp_path: Path) -> None:
    files = generate_keys(tmp_path / "k", b"correct horse")
    for private in (files.signing_key, files.kem_key):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    assert files.signing_pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert files.kem_pub.read_bytes().count(b"BEGIN PUBLIC KEY") == 2
    key = load_signing_key(files.signing_key, b"correct horse")
    raw = key.public_key().public_bytes_raw()
    assert len(raw) == 1952
    assert files.signing_keyid == hashlib.sha256(raw).hexdigest()
    kem = load_kem_private(files.kem_key, b"correct horse")
    assert len(kem.public_key().raw) == 1216
    assert files.kem_keyid == hashlib.sha256(kem.public_key().raw).hexdigest()
    with pytest.raises(BundleError, match="wrong passphrase"):
        load_signing_key(files.signing_key, b"wrong")
    with pytest.raises(BundleError, match="encrypted; set QROUTE_KEY_PASSPHRASE"):
        load_kem_private(files.kem_key, None)
    with pytest.raises(BundleError, match="already exist; not overwriting"):
        generate_keys(tmp_path / "k", None)
    with pytest.raises(BundleError, match="expected one PEM private key block, found 2"):
        load_signing_key(files.kem_key, b"correct horse")
    x25519_only = tmp_path / "x25519.key"
    second_block = files.kem_key.read_bytes().index(b"-----BEGIN", 1)
    x25519_only.write_bytes(files.kem_key.read_bytes()[second_block:])
    with pytest.raises(BundleError, match="not an ML-DSA-65 signing key"):
        load_signing_key(x25519_only, b"correct horse")


def test_rotation_keeps_old_signatures_valid(parties, tmp_path: Path) -> None:
    """Old key valid until the rotation date: its older bundles verify, newer ones do not."""
    rotation = datetime(2026, 6, 1, tzinfo=UTC)
    trust_file = tmp_path / "trust.json"
    old, new = parties["carrier"], parties["shipper"]
    add_trusted_key(trust_file, old.files.signing_pub, "carrier-2025", not_after=rotation)
    add_trusted_key(trust_file, new.files.signing_pub, "carrier-2026", not_before=rotation)
    store = load_trust([trust_file])
    members = {"result.json": b'{"cost": 1}'}
    before = make_bundle(members, [old.signing], created=rotation - timedelta(days=30))
    assert verify_bundle(before, store).signers[0].name == "carrier-2025"
    after_old = make_bundle(members, [old.signing], created=rotation + timedelta(days=1))
    with pytest.raises(BundleError, match="expired key: carrier-2025") as err:
        verify_bundle(after_old, store)
    assert err.value.exit_code == 1
    after_new = make_bundle(members, [new.signing], created=rotation + timedelta(days=1))
    assert verify_bundle(after_new, store).signers[0].name == "carrier-2026"
    early_new = make_bundle(members, [new.signing], created=rotation - timedelta(days=1))
    with pytest.raises(BundleError, match="key not yet valid: carrier-2026"):
        verify_bundle(early_new, store)
    rows = json.loads(trust_file.read_text())["keys"]
    assert [r["name"] for r in rows] == ["carrier-2025", "carrier-2026"]
    assert rows[0]["not_after"] == "2026-06-01T00:00:00Z"


def test_include_instance(run_dir: Path, parties, trust, tmp_path: Path) -> None:
    instance = tmp_path / "X-n101-k25.vrp"
    instance.write_text("NAME : X-n101-k25\nEOF\n")
    result = json.loads((run_dir / "result.json").read_text())
    (run_dir / "result.json").write_text(json.dumps({**result, "source": str(instance)}))
    members = run_members(run_dir, include_instance=True)
    assert members["instance/X-n101-k25.vrp"] == b"NAME : X-n101-k25\nEOF\n"
    bundle = verify_bundle(seal_members(members, [parties["carrier"].signing]), trust)
    assert bundle.member("instance/X-n101-k25.vrp") == instance.read_bytes()
    generated = {**result, "instance": "yangtze-delta", "source": "yangtze-delta"}
    (run_dir / "result.json").write_text(json.dumps(generated))
    with pytest.raises(BundleError, match="is not a file to include; generated scenarios"):
        run_members(run_dir, include_instance=True)
    with pytest.raises(BundleError, match="no result.json; not a run folder"):
        run_members(tmp_path)
