"""Known answers: a CLI-made bundle verifies and decrypts with a few lines of plain
`cryptography` following docs/bundles.md (no qroute code on the checking side)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qroute.bundle.envelope import pae
from qroute.cli.app import main


def test_pae_matches_the_dsse_specification_example() -> None:
    # DSSE protocol.md test vector
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


@pytest.fixture()
def made_by_cli(tmp_path: Path, monkeypatch, capsys) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QROUTE_KEY_PASSPHRASE", raising=False)
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text('{"instance": "X-n101-k25", "cost": 27591.0}')
    (run / "summary.md").write_text("# qroute solve: X-n101-k25\n")
    assert main(["keys", "new", "--out", "carrier", "--no-passphrase"]) == 0
    assert main(["keys", "new", "--out", "shipper", "--no-passphrase"]) == 0
    seal = ["bundle", "seal", "run", "--sign-key", "carrier/signing.key"]
    assert main([*seal, "--out", "run.bundle"]) == 0
    assert main([*seal, "--to", "shipper/kem.pub", "--out", "run.sealed"]) == 0
    capsys.readouterr()
    return tmp_path


def _verify_plain(bundle: bytes, signing_pub: bytes) -> dict[str, bytes]:
    """docs/bundles.md, 'Verifying with plain cryptography', as a function."""
    env = json.loads(bundle)
    assert env["payloadType"] == "application/vnd.qroute.bundle.manifest+json"
    payload = base64.b64decode(env["payload"])
    kind = env["payloadType"].encode()
    message = b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)
    pub = serialization.load_pem_public_key(signing_pub)
    keyid = hashlib.sha256(pub.public_bytes_raw()).hexdigest()  # type: ignore[union-attr]
    sig = next(s for s in env["signatures"] if s["keyid"] == keyid)
    pub.verify(base64.b64decode(sig["sig"]), message)  # type: ignore[call-arg, union-attr]
    manifest = json.loads(payload)
    assert manifest["format"] == "qroute-bundle/1" and manifest["signers"] == [keyid]
    files = {}
    for m in manifest["members"]:
        content = base64.b64decode(m["content"])
        assert hashlib.sha256(content).hexdigest() == m["sha256"] and len(content) == m["size"]
        files[m["name"]] = content
    return files


def test_cli_bundle_verifies_with_plain_cryptography(made_by_cli: Path) -> None:
    root = made_by_cli
    bundle = (root / "run.bundle").read_bytes()
    files = _verify_plain(bundle, (root / "carrier" / "signing.pub").read_bytes())
    assert files == {
        "result.json": (root / "run" / "result.json").read_bytes(),
        "summary.md": (root / "run" / "summary.md").read_bytes(),
    }
    # and a signature check that can fail: the other party's key does not verify it
    env = json.loads(bundle)
    other = serialization.load_pem_public_key((root / "shipper" / "signing.pub").read_bytes())
    payload = base64.b64decode(env["payload"])
    kind = env["payloadType"].encode()
    with pytest.raises(InvalidSignature):
        other.verify(  # type: ignore[call-arg, union-attr]
            base64.b64decode(env["signatures"][0]["sig"]),
            b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload),
        )


def test_cli_sealed_bundle_decrypts_with_plain_cryptography(made_by_cli: Path) -> None:
    root = made_by_cli
    container = json.loads((root / "run.sealed").read_bytes())
    assert container["format"] == "qroute-sealed/1"
    assert container["suite"] == {"kem_id": 0x647A, "kdf_id": 0x0001, "aead_id": 0x0002}
    # kem.key: two PKCS#8 PEM blocks, ML-KEM-768 then X25519
    pem = (root / "shipper" / "kem.key").read_bytes()
    end = b"-----END PRIVATE KEY-----\n"
    first, second = (block + end for block in pem.split(end)[:2])
    mlkem_key = serialization.load_pem_private_key(first, None)
    x25519_key = serialization.load_pem_private_key(second, None)
    key = hpke.MLKEM768X25519PrivateKey(mlkem_key, x25519_key)  # type: ignore[arg-type]
    mine = hashlib.sha256(
        mlkem_key.public_key().public_bytes_raw()  # type: ignore[union-attr]
        + x25519_key.public_key().public_bytes_raw()  # type: ignore[union-attr]
    ).hexdigest()
    row = next(r for r in container["recipients"] if r["keyid"] == mine)
    suite = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    content_key = suite.decrypt(base64.b64decode(row["enc"]), key, b"qroute-sealed/1 content key")
    header = {k: container[k] for k in ("format", "suite", "recipients")}
    aad = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode()
    inner = AESGCM(content_key).decrypt(
        base64.b64decode(container["nonce"]), base64.b64decode(container["ciphertext"]), aad
    )
    files = _verify_plain(inner, (root / "carrier" / "signing.pub").read_bytes())
    assert files["result.json"] == (root / "run" / "result.json").read_bytes()
