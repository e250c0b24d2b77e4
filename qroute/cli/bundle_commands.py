"""`qroute keys` and `qroute bundle`: post-quantum signed (and encrypted) exchange of results.

qroute keys new --out keys/carrier                      # ML-DSA-65 + ML-KEM-768/X25519 keys
qroute keys trust keys/carrier/signing.pub --name carrier --trust-file trust.json
qroute bundle seal runs/x --sign-key keys/carrier/signing.key --out x.bundle \\
    [--sign-key keys/shipper/signing.key] [--to keys/shipper/kem.pub] [--include-instance]
qroute bundle verify x.bundle --trust trust.json        # 0 valid, 1 invalid, 2 unreadable
qroute bundle open x.bundle --key keys/shipper/kem.key --trust trust.json --out opened/

The logic is in plain functions (typed arguments -> exit code) that the typer wiring
below calls; the format is in docs/bundles.md, the cryptography in `qroute.bundle`.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from qroute.bundle import BundleError
from qroute.bundle.errors import EXIT_INVALID, EXIT_UNREADABLE
from qroute.cli.app import app, option
from qroute.model.errors import UsageError


def _fail(exc: BundleError, what: str | Path | None = None) -> int:
    prefix = "invalid bundle" if exc.exit_code == EXIT_INVALID else "error"
    where = f"{what}: " if what is not None and str(what) not in exc.message else ""
    print(f"qroute: {prefix}: {where}{exc.message}", file=sys.stderr)
    return exc.exit_code


def _guarded(what: str | Path | None, action: Callable[[], int]) -> int:
    try:
        return action()
    except BundleError as exc:
        return _fail(exc, what)


def read_passphrase(prompt: str, confirm: bool = False) -> bytes | None:
    """QROUTE_KEY_PASSPHRASE, else a getpass prompt when stdin is a terminal, else None."""
    from qroute.bundle import passphrase_from_env

    value = passphrase_from_env()
    if value is not None or not sys.stdin.isatty():
        return value
    first = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass("again: ") != first:
        raise BundleError("the passphrases differ")
    return first.encode()


def _key_passphrase(path: Path) -> bytes | None:
    """A passphrase only when the key file is encrypted (so plain keys never prompt)."""
    from qroute.bundle.keys import is_encrypted_pem, read_key_file

    if not is_encrypted_pem(read_key_file(path)):
        return None
    return read_passphrase(f"passphrase for {path}")


def keys_new(out: Path, no_passphrase: bool = False) -> int:
    """Write signing.key/.pub (ML-DSA-65) and kem.key/.pub (ML-KEM-768 + X25519) to `out`."""
    from qroute.bundle import generate_keys

    def run() -> int:
        passphrase = None
        if not no_passphrase:
            passphrase = read_passphrase("new key passphrase", confirm=True)
            if passphrase is None:
                raise BundleError(
                    "no passphrase: set QROUTE_KEY_PASSPHRASE, run in a terminal to be asked, "
                    "or pass --no-passphrase for unencrypted keys"
                )
        files = generate_keys(out, passphrase)
        state = "unencrypted" if passphrase is None else "passphrase-encrypted"
        print(f"signing key {files.signing_key} ({state}, 0600), public {files.signing_pub}")
        print(f"  keyid {files.signing_keyid}")
        print(f"kem key     {files.kem_key} ({state}, 0600), public {files.kem_pub}")
        print(f"  keyid {files.kem_keyid}")
        return 0

    return _guarded(None, run)


def _parse_time(text: str | None, flag: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BundleError(f"{flag} {text!r}: not an ISO date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def keys_trust(
    public_key: Path,
    name: str,
    trust_file: Path,
    not_before: str | None = None,
    not_after: str | None = None,
) -> int:
    """Add a signing.pub to a trust file with a name and optional validity dates."""
    from qroute.bundle import add_trusted_key

    def run() -> int:
        entry = add_trusted_key(
            trust_file,
            public_key,
            name,
            _parse_time(not_before, "--not-before"),
            _parse_time(not_after, "--not-after"),
        )
        print(f"{trust_file}: trusts {entry.name} (keyid {entry.keyid})")
        return 0

    return _guarded(None, run)


def bundle_seal(
    run_dir: Path,
    sign_keys: Sequence[Path],
    out: Path,
    to: Sequence[Path] = (),
    include_instance: bool = False,
) -> int:
    """Sign a run folder's outputs with every key; encrypt for `to` recipients if any."""
    from qroute.bundle import (
        load_kem_public,
        load_signing_key,
        run_members,
        seal_members,
        write_atomic,
    )

    def run() -> int:
        keys = [load_signing_key(path, _key_passphrase(path)) for path in sign_keys]
        recipients = [load_kem_public(path) for path in to]
        members = run_members(run_dir, include_instance)
        data = seal_members(members, keys, recipients)
        write_atomic(out, data)
        size = sum(len(v) for v in members.values())
        what = f"encrypted for {len(recipients)} recipient(s)" if recipients else "signed"
        print(
            f"{out}: {len(members)} files ({size} bytes) {what}, {len(data)} bytes, "
            f"{len(keys)} signature(s)"
        )
        return 0

    return _guarded(None, run)


def _describe(path: Path, opened: Any) -> None:
    bundle = opened.bundle
    state = "valid (decrypted)" if opened.encrypted else "valid"
    print(f"{path}: {state}, created {bundle.created.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    for signer in bundle.signers:
        print(f"  signed by {signer.name} (keyid {signer.keyid[:16]}, ML-DSA-65)")
    for member in bundle.members:
        print(f"  {member.name}  {len(member.data)} bytes  sha256 {member.sha256}")


def bundle_verify(file: Path, trust: Sequence[Path]) -> int:
    """Exit 0 when every signature and digest checks out, 1 naming the failure, 2 unreadable."""
    from qroute.bundle import is_sealed, load_trust, open_bundle, read_bundle_file

    def run() -> int:
        data = read_bundle_file(file)
        if is_sealed(data):
            raise BundleError(f"encrypted bundle: use `qroute bundle open {file} --key KEY`")
        store = load_trust(trust)
        _describe(file, open_bundle(data, store))
        return 0

    return _guarded(file, run)


def bundle_open(
    file: Path,
    key: Path | None,
    trust: Sequence[Path] = (),
    out: Path | None = None,
    save_inner: Path | None = None,
) -> int:
    """Decrypt with `key`, verify against `trust`, extract the members into `out`.

    Without --trust only decrypts: the inner signed bundle goes to `save_inner`, unverified."""
    from qroute.bundle import (
        extract,
        is_sealed,
        load_kem_private,
        load_trust,
        open_bundle,
        read_bundle_file,
        write_atomic,
    )
    from qroute.bundle.seal import decrypt_bundle

    def run() -> int:
        data = read_bundle_file(file)
        kem = None if key is None else load_kem_private(key, _key_passphrase(key))
        if not trust:
            if save_inner is None or kem is None or not is_sealed(data):
                raise BundleError(
                    "give --trust to verify and extract (or --key with --save-inner to only "
                    "decrypt an encrypted bundle)"
                )
            write_atomic(save_inner, decrypt_bundle(data, kem))
            print(f"{save_inner}: decrypted inner bundle, signatures NOT checked (no --trust)")
            return 0
        opened = open_bundle(data, load_trust(trust), kem)
        _describe(file, opened)
        target = out if out is not None else Path(f"{file.name}.opened")
        written = extract(opened.bundle, target)
        if save_inner is not None:
            write_atomic(save_inner, opened.inner)
            print(f"  signed inner bundle saved to {save_inner}")
        print(f"  {len(written)} files written to {target}")
        return 0

    return _guarded(file, run)


def runs_from_bundle(
    file: Path, trust: Sequence[Path], key: Path | None, into: Path
) -> Path | None:
    """For `qroute report`: verify a (possibly encrypted) bundle file and extract it into
    `into`; returns that folder, or None (after a one-line message) when it is invalid;
    raises UsageError (exit 2) when it cannot be read."""
    from qroute.bundle import extract, load_kem_private, load_trust, open_bundle
    from qroute.bundle import read_bundle_file as read

    try:
        if not trust:
            raise BundleError("a bundle given as --runs needs --trust to be verified first")
        kem = None if key is None else load_kem_private(key, _key_passphrase(key))
        opened = open_bundle(read(file), load_trust(trust), kem)
        extract(opened.bundle, into)
    except BundleError as exc:
        if exc.exit_code != EXIT_INVALID:  # unreadable: the CLI's usual one line, exit 2
            raise UsageError(f"--runs {file}: {exc.message}") from None
        _fail(exc, file)
        return None
    signers = ", ".join(s.name for s in opened.bundle.signers)
    print(
        f"{file}: verified, signed by {signers}; reporting its {len(opened.bundle.members)} files"
    )
    return into


# --------------------------------------------------------------------------------------------
# typer wiring: the commands only parse their options and call the functions above

keys_app = typer.Typer(
    name="keys", help="post-quantum key pairs and trust files for bundles", no_args_is_help=True
)
bundle_app = typer.Typer(
    name="bundle", help="sign, encrypt, verify and open result bundles", no_args_is_help=True
)
app.add_typer(keys_app)
app.add_typer(bundle_app)

# `--trust A B C` (several values after one flag, as the docs write it) and `--trust A
# --trust B` both work: click options take one value, so the values after the first land in
# the positional list behind FILE and are read back as trust entries.
FileAndTrust = Annotated[
    list[Path], typer.Argument(metavar="FILE [PUBKEY...]", help="the bundle, then --trust values")
]
TrustOption = Annotated[
    list[Path] | None,
    option("--trust", help="trust file(s) or signing.pub file(s) (repeatable)"),
]


def _file_and_trust(paths: list[Path], trust: list[Path] | None) -> tuple[Path, list[Path]]:
    file, rest = paths[0], paths[1:]
    if rest and not trust:
        raise UsageError(f"unexpected argument(s) {' '.join(map(str, rest))} (give --trust first)")
    return file, [*(trust or []), *rest]


@keys_app.command("new", help="write signing.key/.pub (ML-DSA-65), kem.key/.pub")
def _keys_new(
    out: Annotated[Path, option("--out", help="folder for the four key files")],
    no_passphrase: Annotated[
        bool, option("--no-passphrase", help="leave private keys unencrypted")
    ] = False,
) -> int:
    return keys_new(out, no_passphrase)


@keys_app.command("trust", help="add a signing.pub to a trust file")
def _keys_trust(
    public_key: Annotated[Path, typer.Argument(metavar="PUBKEY")],
    name: Annotated[str, option("--name")],
    trust_file: Annotated[Path, option("--trust-file")],
    not_before: Annotated[
        str | None, option("--not-before", help="ISO date/time (UTC if no zone)")
    ] = None,
    not_after: Annotated[
        str | None, option("--not-after", help="ISO date/time (UTC if no zone)")
    ] = None,
) -> int:
    return keys_trust(public_key, name, trust_file, not_before, not_after)


@bundle_app.command("seal", help="sign a run folder's outputs (and encrypt them)")
def _bundle_seal(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR")],
    sign_keys: Annotated[list[Path], option("--sign-key", help="signing.key (repeatable)")],
    out: Annotated[Path, option("--out")],
    to: Annotated[
        list[Path] | None,
        option("--to", metavar="RECIPIENT_PUBKEY", help="kem.pub of a recipient (repeatable)"),
    ] = None,
    include_instance: Annotated[bool, option("--include-instance")] = False,
) -> int:
    return bundle_seal(run_dir, sign_keys, out, to or [], include_instance)


@bundle_app.command("verify", help="check every signature and digest of a bundle")
def _bundle_verify(paths: FileAndTrust, trust: TrustOption = None) -> int:
    file, trusted = _file_and_trust(paths, trust)
    if not trusted:
        raise UsageError("bundle verify needs --trust (a trust file or signing.pub)")
    return bundle_verify(file, trusted)


@bundle_app.command("open", help="decrypt, verify and extract a bundle")
def _bundle_open(
    paths: FileAndTrust,
    key: Annotated[Path | None, option("--key", help="the recipient's kem.key")] = None,
    trust: TrustOption = None,
    out: Annotated[Path | None, option("--out", help="new folder for the members")] = None,
    save_inner: Annotated[
        Path | None, option("--save-inner", help="also keep the signed bundle")
    ] = None,
) -> int:
    file, trusted = _file_and_trust(paths, trust)
    return bundle_open(file, key, trusted, out, save_inner)


__all__ = [
    "EXIT_INVALID",
    "EXIT_UNREADABLE",
    "bundle_open",
    "bundle_seal",
    "bundle_verify",
    "keys_new",
    "keys_trust",
    "read_passphrase",
    "runs_from_bundle",
]
