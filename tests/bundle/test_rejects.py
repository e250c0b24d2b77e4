"""Every kind of bad bundle is refused with one line naming what failed, and the right code."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from qroute.bundle import BundleError, make_bundle, open_bundle, seal_members, verify_bundle
from qroute.bundle.envelope import sign_envelope
from qroute.bundle.errors import EXIT_INVALID, EXIT_UNREADABLE
from qroute.bundle.manifest import canonical_json
from qroute.bundle.seal import decrypt_bundle
from tests.bundle.conftest import Party

MEMBERS = {"result.json": b'{"cost": 27591.0}', "solution.sol": b"Route #1: 1 2\n"}


def _member(name: str, data: bytes, **override: Any) -> dict[str, Any]:
    row = {
        "name": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "content": base64.b64encode(data).decode(),
    }
    return {**row, **override}


def _signed_manifest(party: Party, members: list[dict[str, Any]], **override: Any) -> bytes:
    """A bundle whose (possibly malicious) manifest is validly signed by a trusted key."""
    manifest = {
        "format": "qroute-bundle/1",
        "created": "2026-01-02T03:04:05Z",
        "signers": [party.files.signing_keyid],
        "members": members,
        **override,
    }
    return sign_envelope(canonical_json(manifest), [party.signing]).encode()


def _rejected(data: bytes, trust, code: int = EXIT_INVALID, **kwargs: Any) -> str:
    with pytest.raises(BundleError) as err:
        verify_bundle(data, trust, **kwargs)
    assert err.value.exit_code == code, err.value.message
    assert "\n" not in err.value.message
    return err.value.message


def test_a_well_formed_crafted_manifest_is_accepted(parties, trust) -> None:
    """The crafting helper itself makes valid bundles, so the rejections below are real."""
    rows = [_member(n, d) for n, d in sorted(MEMBERS.items())]
    assert len(verify_bundle(_signed_manifest(parties["carrier"], rows), trust).members) == 2


def test_unknown_key(parties, trust) -> None:
    data = make_bundle(MEMBERS, [parties["outsider"].signing])
    keyid = parties["outsider"].files.signing_keyid
    assert _rejected(data, trust) == f"signature 1: unknown key {keyid[:16]} (not trusted)"


def test_one_untrusted_countersigner_rejects_the_bundle(parties, trust) -> None:
    data = make_bundle(MEMBERS, [parties["carrier"].signing, parties["outsider"].signing])
    assert _rejected(data, trust).startswith("signature 2: unknown key")


def test_swapped_signature_from_another_bundle(parties, trust) -> None:
    one = json.loads(make_bundle(MEMBERS, [parties["carrier"].signing]))
    other = json.loads(make_bundle({"result.json": b"{}"}, [parties["carrier"].signing]))
    one["signatures"] = other["signatures"]
    data = canonical_json(one) + b"\n"
    assert "signature 1 by key" in _rejected(data, trust)
    assert "does not verify" in _rejected(data, trust)


def test_reordered_and_removed_signatures(parties, trust) -> None:
    env = json.loads(make_bundle(MEMBERS, [parties["carrier"].signing, parties["shipper"].signing]))
    swapped = {**env, "signatures": env["signatures"][::-1]}
    message = _rejected(canonical_json(swapped) + b"\n", trust)
    assert message.startswith("signatures do not match the manifest's signers")
    stripped = {**env, "signatures": env["signatures"][:1]}
    assert "do not match the manifest's signers" in _rejected(
        canonical_json(stripped) + b"\n", trust
    )


def test_member_listed_twice(parties, trust) -> None:
    row = _member("result.json", b"{}")
    data = _signed_manifest(parties["carrier"], [row, row])
    assert _rejected(data, trust) == "member result.json is listed twice"


def test_members_differing_only_in_case(parties, trust) -> None:
    data = _signed_manifest(
        parties["carrier"], [_member("RESULT.json", b"1"), _member("result.json", b"2")]
    )
    assert "differ only in case" in _rejected(data, trust)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../outside.txt", "path outside the bundle"),
        ("reports/../../etc/passwd", "path outside the bundle"),
        ("/etc/passwd", "absolute path"),
        ("a\\..\\b", "backslash"),
        ("C:evil", "colon"),
        ("a//b", "empty or '.' path component"),
        ("", "empty name"),
    ],
)
def test_path_outside_the_bundle(parties, trust, name: str, reason: str) -> None:
    data = _signed_manifest(parties["carrier"], [_member(name, b"x")])
    message = _rejected(data, trust)
    assert message.startswith(f"member {name!r}:") and reason in message


def test_unsafe_names_are_refused_when_sealing_too(parties) -> None:
    with pytest.raises(BundleError, match="path outside the bundle"):
        make_bundle({"../x": b"1"}, [parties["carrier"].signing])


def test_oversized_member(parties, trust) -> None:
    big = {"result.json": b"x" * 5000}
    data = make_bundle(big, [parties["carrier"].signing])
    message = _rejected(data, trust, max_member_bytes=4096)
    assert message == "member result.json: 5000 bytes, over the 4096 limit"
    with pytest.raises(BundleError, match="over the 4096 limit"):
        make_bundle(big, [parties["carrier"].signing], max_member_bytes=4096)
    # a manifest that claims a huge size is refused before anything is decoded
    lie = _signed_manifest(parties["carrier"], [_member("result.json", b"x", size=2**40)])
    assert "over the" in _rejected(lie, trust)


def test_digest_size_and_content_mismatch_name_the_file(parties, trust) -> None:
    wrong_digest = _member("result.json", b"{}", sha256="0" * 64)
    assert _rejected(_signed_manifest(parties["carrier"], [wrong_digest]), trust) == (
        "member result.json: sha256 digest does not match its content"
    )
    wrong_size = _member("result.json", b"{}", size=3)
    assert "size 2, manifest says 3" in _rejected(
        _signed_manifest(parties["carrier"], [wrong_size]), trust
    )
    bad_b64 = _member("result.json", b"{}", content="e30")  # padding missing
    assert "not valid base64" in _rejected(_signed_manifest(parties["carrier"], [bad_b64]), trust)


def test_reordered_members(parties, trust) -> None:
    rows = [_member("solution.sol", b"1"), _member("result.json", b"2")]
    assert "not sorted by name" in _rejected(_signed_manifest(parties["carrier"], rows), trust)


def test_manifest_field_errors(parties, trust) -> None:
    rows = [_member("result.json", b"2")]
    party = parties["carrier"]
    assert "manifest format" in _rejected(_signed_manifest(party, rows, format="other/1"), trust)
    assert "YYYY-MM-DDTHH:MM:SSZ" in _rejected(
        _signed_manifest(party, rows, created="2026-01-02 03:04:05"), trust
    )
    assert "not a valid time" in _rejected(
        _signed_manifest(party, rows, created="2026-02-30T00:00:00Z"), trust
    )
    extra = _rejected(_signed_manifest(party, rows, comment="hi"), trust)
    assert extra.startswith("manifest comment:")
    future = _signed_manifest(party, rows, created="2099-01-01T00:00:00Z")
    assert "created in the future" in _rejected(future, trust)


def test_truncated_file(parties, trust) -> None:
    data = make_bundle(MEMBERS, [parties["carrier"].signing])
    for cut in (0, 1, 40, len(data) // 2, len(data) - 2):
        message = _rejected(data[:cut], trust, code=EXIT_UNREADABLE)
        assert message == "not a JSON bundle (truncated or damaged file?)"


def test_non_canonical_bytes(parties, trust) -> None:
    data = make_bundle(MEMBERS, [parties["carrier"].signing])
    assert "not in canonical form" in _rejected(data.rstrip(b"\n") + b" \n", trust)
    pretty = json.dumps(json.loads(data), indent=1).encode() + b"\n"
    assert "not in canonical form" in _rejected(pretty, trust)


def test_not_a_bundle(trust) -> None:
    assert "no DSSE payloadType" in _rejected(b'{"a": 1}\n', trust, code=EXIT_UNREADABLE)
    assert "not a JSON" in _rejected(b"\xff\xfe", trust, code=EXIT_UNREADABLE)


def test_wrong_kem_key_and_altered_container(parties, trust) -> None:
    sealed = seal_members(MEMBERS, [parties["carrier"].signing], [parties["shipper"].kem_public])
    with pytest.raises(BundleError, match="not encrypted for this key") as err:
        open_bundle(sealed, trust, parties["carrier"].kem)
    assert err.value.exit_code == EXIT_INVALID
    with pytest.raises(BundleError, match="the bundle is encrypted: give"):
        open_bundle(sealed, trust, None)
    container = json.loads(sealed)
    # the right key id but the wrong private key (a forged recipient entry)
    forged = {
        **container,
        "recipients": [
            {**container["recipients"][0], "keyid": parties["carrier"].kem_public.keyid}
        ],
    }
    with pytest.raises(BundleError, match="cannot unwrap the content key"):
        decrypt_bundle(canonical_json(forged) + b"\n", parties["carrier"].kem)
    flipped = bytearray(base64.b64decode(container["ciphertext"]))
    flipped[10] ^= 1
    altered = {**container, "ciphertext": base64.b64encode(bytes(flipped)).decode()}
    with pytest.raises(BundleError, match="decryption failed: ciphertext or container header"):
        decrypt_bundle(canonical_json(altered) + b"\n", parties["shipper"].kem)


def test_removing_a_recipient_is_detected(parties, trust) -> None:
    recipients = [parties["carrier"].kem_public, parties["shipper"].kem_public]
    container = json.loads(seal_members(MEMBERS, [parties["carrier"].signing], recipients))
    fewer = {**container, "recipients": container["recipients"][1:]}
    with pytest.raises(BundleError, match="ciphertext or container header altered"):
        decrypt_bundle(canonical_json(fewer) + b"\n", parties["shipper"].kem)


def test_unreadable_trust_and_key_files(tmp_path: Path) -> None:
    from qroute.bundle import load_kem_public, load_trust

    bad = tmp_path / "trust.json"
    bad.write_text('{"format": "qroute-trust/1", "keys": [{"name": "x"}]}')
    with pytest.raises(BundleError, match=r"trust.json: keys.0.public_key: Field required"):
        load_trust([bad])
    with pytest.raises(BundleError, match="no such trust file or public key"):
        load_trust([tmp_path / "missing.pub"])
    junk = tmp_path / "kem.pub"
    junk.write_text("hello")
    with pytest.raises(BundleError, match="expected two PEM PUBLIC KEY blocks"):
        load_kem_public(junk)


def test_names_and_messages_cannot_carry_terminal_control_codes(parties, trust) -> None:
    bidi = _signed_manifest(parties["carrier"], [_member("report\u202eexe.html", b"x")])
    assert "control character" in _rejected(bidi, trust)
    env = json.loads(make_bundle(MEMBERS, [parties["carrier"].signing]))
    env["signatures"][0]["keyid"] = "\x1b[2J\x1b[31mevil"
    message = _rejected(canonical_json(env) + b"\n", trust)
    assert "\x1b" not in message and message.startswith("signature 1: unknown key ?[2J?[31mevi")
