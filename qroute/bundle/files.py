"""Bundles on disk: which files of a run go in, reading a bundle file, extracting one safely."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qroute.bundle.errors import read_capped, unreadable
from qroute.bundle.keys import KemPrivateKey, KemPublicKey, SigningKey
from qroute.bundle.manifest import MAX_MEMBER_BYTES
from qroute.bundle.seal import decrypt_bundle, encrypt_bundle, is_sealed
from qroute.bundle.signed import VerifiedBundle, make_bundle, verify_bundle
from qroute.bundle.trust import TrustStore

MAX_BUNDLE_BYTES = 1024 * 1024 * 1024
INSTANCE_FOLDER = "instance"


def _run_output_names() -> tuple[str, ...]:
    from qroute.reporting.output import RESULT_JSON, ROUTES_PNG, SOLUTION_SOL, SUMMARY_MD

    return (RESULT_JSON, SOLUTION_SOL, SUMMARY_MD, ROUTES_PNG)


def _instance_file(run_dir: Path, result: bytes) -> Path:
    from qroute.model.data import find_instance

    try:
        payload = json.loads(result)
        source, name = payload.get("source"), payload.get("instance")
    except (ValueError, AttributeError):
        raise unreadable(f"{run_dir}/result.json: not a JSON result") from None
    if isinstance(source, str) and Path(source).is_file():
        return Path(source)
    found = find_instance(name) if isinstance(name, str) else None
    if found is None:
        raise unreadable(
            f"{run_dir}: instance {name!r} (source {source!r}) is not a file to include; "
            "generated scenarios are reproducible from result.json's settings"
        )
    return found


def run_members(
    run_dir: str | Path, include_instance: bool = False, max_member_bytes: int = MAX_MEMBER_BYTES
) -> dict[str, bytes]:
    """The outputs of a `qroute solve` run folder: result.json (required), solution.sol,
    summary.md, routes.png where present; with `include_instance`, instance/<file>."""
    run = Path(run_dir)
    if not run.is_dir():
        raise unreadable(f"{run}: no such run folder")
    names = _run_output_names()
    if not (run / names[0]).is_file():
        raise unreadable(f"{run}: no {names[0]}; not a run folder")
    members = {
        n: read_capped(run / n, max_member_bytes, "bundle member")
        for n in names
        if (run / n).is_file()
    }
    if include_instance:
        instance = _instance_file(run, members[names[0]])
        members[f"{INSTANCE_FOLDER}/{instance.name}"] = read_capped(
            instance, max_member_bytes, "bundle member"
        )
    return members


def read_bundle_file(path: str | Path) -> bytes:
    return read_capped(path, MAX_BUNDLE_BYTES, "bundle file")


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write via a temporary file in the same folder, so a reader never sees half a bundle."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise unreadable(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


@dataclass(frozen=True)
class Opened:
    """A verified bundle and whether it came out of an encrypted container."""

    bundle: VerifiedBundle
    inner: bytes
    encrypted: bool


def seal_members(
    members: Mapping[str, bytes],
    sign_keys: Sequence[SigningKey],
    recipients: Sequence[KemPublicKey] = (),
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> bytes:
    """Sign `members`; with recipients, encrypt the signed bundle for them (sign-then-encrypt)."""
    if not sign_keys:
        raise unreadable("at least one signing key is needed")
    signed = make_bundle(members, sign_keys, max_member_bytes=max_member_bytes)
    return encrypt_bundle(signed, recipients) if recipients else signed


def open_bundle(
    data: bytes,
    trust: TrustStore,
    key: KemPrivateKey | None = None,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> Opened:
    """Decrypt (when encrypted; needs `key`) and verify; raises BundleError on any failure."""
    encrypted = is_sealed(data)
    if encrypted:
        if key is None:
            raise unreadable("the bundle is encrypted: give the recipient's --key kem.key")
        data = decrypt_bundle(data, key)
    return Opened(verify_bundle(data, trust, max_member_bytes=max_member_bytes), data, encrypted)


def extract(bundle: VerifiedBundle, out_dir: str | Path) -> list[Path]:
    """Write the verified members under `out_dir` (which must be new or empty).

    Member names were checked (relative, no '..'); each target is also resolved and must lie
    inside `out_dir`, so nothing is written elsewhere even through a symlinked folder."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise unreadable(f"{out}: exists and is not an empty folder; not overwriting")
    try:
        out.mkdir(parents=True, exist_ok=True)
        root = out.resolve()
        written = []
        for member in bundle.members:
            target = (root / member.name).resolve()
            if not target.is_relative_to(root):
                raise unreadable(f"member {member.name}: would be written outside {out}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(member.data)
            written.append(target)
    except OSError as exc:
        raise unreadable(f"{out}: cannot write: {exc.strerror or exc}") from None
    return written
