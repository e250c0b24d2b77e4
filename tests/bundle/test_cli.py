"""The commands as a user runs them: exit codes 0/1/2 and one-line errors, no traceback.

A few runs go through a real `qroute` process (exit code and stderr as a shell sees them);
the rest call `qroute.cli.app.main` in-process, the same parser and handlers, because each CLI
start costs ~1-2 s of imports."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from qroute.cli.app import main

QROUTE = [sys.executable, "-m", "qroute.cli.app"]


def qroute_process(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QROUTE_KEY_PASSPHRASE"}
    return subprocess.run(
        [*QROUTE, *shlex.split(line)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


class Cli:
    """`qroute LINE` in-process, in a folder, with or without QROUTE_KEY_PASSPHRASE."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
        self.root, self.capsys, self.monkeypatch = root, capsys, monkeypatch
        monkeypatch.chdir(root)

    def __call__(self, line: str, passphrase: str | None = None) -> tuple[int, str, str]:
        if passphrase is None:
            self.monkeypatch.delenv("QROUTE_KEY_PASSPHRASE", raising=False)
        else:
            self.monkeypatch.setenv("QROUTE_KEY_PASSPHRASE", passphrase)
        try:
            code = main(shlex.split(line))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture()
def cli(tmp_path: Path, capsys, monkeypatch) -> Cli:
    """Two parties' keys via `qroute keys new`, a trust file via `qroute keys trust`."""
    run = Cli(tmp_path, capsys, monkeypatch)
    code, out, err = run("keys new --out carrier", passphrase="s3cret")
    assert code == 0, err
    assert "passphrase-encrypted, 0600" in out
    assert run("keys new --out shipper --no-passphrase")[0] == 0
    for name in ("carrier", "shipper"):
        trust = f"keys trust {name}/signing.pub --name {name} --trust-file trust.json"
        code, out, err = run(f"{trust} --not-after 2099-01-01")
        assert code == 0, err
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps({"instance": "X-n101-k25", "cost": 27591.0}))
    (folder / "solution.sol").write_text("Route #1: 1 2 3\nCost 27591\n")
    code, out, err = run(
        "bundle seal run --sign-key carrier/signing.key --out run.bundle", passphrase="s3cret"
    )
    assert code == 0, err
    assert "run.bundle: 2 files" in out and "1 signature(s)" in out
    return run


def test_exit_codes_in_a_real_process(cli: Cli) -> None:
    root = cli.root
    done = qroute_process("bundle verify run.bundle --trust trust.json", root)
    assert done.returncode == 0, done.stderr
    assert "run.bundle: valid, created" in done.stdout
    assert "signed by carrier (keyid" in done.stdout
    size = (root / "run" / "result.json").stat().st_size
    assert f"result.json  {size} bytes  sha256" in done.stdout

    env = json.loads((root / "run.bundle").read_bytes())
    payload = bytearray(base64.b64decode(env["payload"]))
    payload[payload.index(b'"created":"2') + 11] = ord("1")  # back-date by 1,000 years
    env["payload"] = base64.b64encode(bytes(payload)).decode()
    (root / "altered.bundle").write_bytes(json.dumps(env, separators=(",", ":")).encode() + b"\n")
    done = qroute_process("bundle verify altered.bundle --trust trust.json", root)
    assert done.returncode == 1
    assert one_line(done.stderr).startswith(
        "qroute: invalid bundle: altered.bundle: signature 1 by key"
    )

    (root / "cut.bundle").write_bytes((root / "run.bundle").read_bytes()[:500])
    done = qroute_process("bundle verify cut.bundle --trust trust.json", root)
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "qroute: error: cut.bundle: not a JSON bundle (truncated or damaged file?)"
    )

    done = qroute_process("bundle seal run --sign-key carrier/signing.key --out x.bundle", root)
    assert done.returncode == 2
    assert one_line(done.stderr).endswith(
        "carrier/signing.key: the private key is encrypted; set QROUTE_KEY_PASSPHRASE or "
        "enter a passphrase"
    )
    assert not (root / "x.bundle").exists()


def test_verify_failures(cli: Cli) -> None:
    code, _, err = cli("bundle verify run.bundle --trust shipper/signing.pub")
    assert code == 1
    assert "qroute: invalid bundle: run.bundle: signature 1: unknown key" in one_line(err)
    code, _, err = cli("bundle verify nope.bundle --trust trust.json")
    assert (code, one_line(err)) == (2, "qroute: error: nope.bundle: no such bundle file")
    code, _, err = cli("bundle verify run.bundle --trust missing.json")
    assert code == 2 and "missing.json: no such trust file or public key" in one_line(err)
    code, _, err = cli("bundle verify run.bundle")  # --trust is required
    assert code == 2 and "needs --trust" in err


def test_countersign_encrypt_open(cli: Cli) -> None:
    root = cli.root
    code, out, err = cli(
        "bundle seal run --sign-key carrier/signing.key --sign-key shipper/signing.key "
        "--to shipper/kem.pub --to carrier/kem.pub --out run.sealed",
        passphrase="s3cret",
    )
    assert code == 0, err
    assert "encrypted for 2 recipient(s)" in out and "2 signature(s)" in out
    code, _, err = cli("bundle verify run.sealed --trust trust.json")
    assert code == 2 and "encrypted bundle: use `qroute bundle open" in one_line(err)

    open_as_shipper = "bundle open run.sealed --key shipper/kem.key --trust trust.json"
    code, out, err = cli(f"{open_as_shipper} --out opened --save-inner inner.bundle")
    assert code == 0, err
    assert "valid (decrypted)" in out
    assert "signed by carrier" in out and "signed by shipper" in out
    for name in ("result.json", "solution.sol"):
        assert (root / "opened" / name).read_bytes() == (root / "run" / name).read_bytes()
    code, out, err = cli("bundle verify inner.bundle --trust trust.json")
    assert code == 0, err  # the re-sharable signed inner bundle

    code, _, err = cli(f"{open_as_shipper} --out opened")
    assert code == 2 and "opened: exists and is not an empty folder" in one_line(err)

    code, _, err = cli(
        "bundle open run.sealed --key carrier/kem.key --trust shipper/signing.pub --out o2",
        passphrase="s3cret",
    )
    assert code == 1 and "unknown key" in one_line(err)
    assert not (root / "o2").exists()  # nothing written before verification succeeds


def test_open_with_a_key_it_was_not_sealed_for(cli: Cli) -> None:
    code, _, err = cli(
        "bundle seal run --sign-key carrier/signing.key --to shipper/kem.pub --out s.sealed",
        passphrase="s3cret",
    )
    assert code == 0, err
    code, _, err = cli(
        "bundle open s.sealed --key carrier/kem.key --trust trust.json --out wrong",
        passphrase="s3cret",
    )
    assert code == 1
    assert "not encrypted for this key" in one_line(err)
    assert not (cli.root / "wrong").exists()
    code, _, err = cli("keys new --out third")
    assert code == 2 and "no passphrase: set QROUTE_KEY_PASSPHRASE" in one_line(err)
    assert not (cli.root / "third").exists()


def test_report_reads_a_verified_bundle(cli: Cli) -> None:
    (cli.root / "run" / "routes.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    code, _, err = cli("bundle seal run --sign-key shipper/signing.key --out plot.bundle")
    assert code == 0, err
    code, out, err = cli("report --runs plot.bundle --trust trust.json --out report.html")
    assert code == 0, err
    assert "plot.bundle: verified, signed by shipper" in out
    assert "X-n101-k25" in (cli.root / "report.html").read_text()
    code, _, err = cli("report --runs plot.bundle --trust carrier/signing.pub")
    assert code == 1 and "unknown key" in one_line(err)
    code, _, err = cli("report --runs plot.bundle")
    assert code == 2 and "needs --trust to be verified first" in one_line(err)
