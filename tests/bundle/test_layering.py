"""qroute.bundle is a library layer: no Prefect, no terminal UI, no CLI; passphrase sources."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qroute.bundle import BundleError
from qroute.cli import bundle_commands


def test_bundle_package_imports_no_prefect_rich_typer_or_cli() -> None:
    code = (
        "import sys, qroute.bundle; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'rich', 'typer')"
        " or m in ('qroute.cli.app', 'qroute.cli.bundle_commands')); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_passphrase_from_env_then_prompt_only_on_a_terminal(monkeypatch) -> None:
    asked: list[str] = []
    answers = iter(["typed", "typed", "typed", "other"])

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr(bundle_commands.getpass, "getpass", fake_getpass)
    monkeypatch.setenv("QROUTE_KEY_PASSPHRASE", "from-env")
    assert bundle_commands.read_passphrase("key") == b"from-env"
    monkeypatch.delenv("QROUTE_KEY_PASSPHRASE")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert bundle_commands.read_passphrase("key") is None  # never blocks a pipeline
    assert asked == []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert bundle_commands.read_passphrase("key", confirm=True) == b"typed"
    assert asked == ["key: ", "again: "]
    with pytest.raises(BundleError, match="the passphrases differ"):
        bundle_commands.read_passphrase("key", confirm=True)
