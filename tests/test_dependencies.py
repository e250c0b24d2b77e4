"""The dependency set: pyproject.toml and requirements.lock agree, the environment is the lock,
and the cloudpickle override past amazon-braket-sdk's pin is safe for qroute.

The lock is regenerated with `python3 bootstrap.py lock` (README, "Dependencies").
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
SOURCES = ("qroute", "flows", "circuits", "bench")


def _lock() -> dict[str, Version]:
    pins: dict[str, Version] = {}  # keys: normalised names
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"requirements.lock: {line!r} is not pinned with =="
        pins[str(canonicalize_name(name))] = Version(version)
    return pins


def _requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def _pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        listed.extend(extra)
    return [Requirement(r) for r in listed]


def test_lock_pins_every_pyproject_dependency_within_its_range() -> None:
    pins = _lock()
    wrong = []
    for req in _pyproject_requirements():
        pin = pins.get(str(canonicalize_name(req.name)))
        if pin is None:
            wrong.append(f"{req.name}: in pyproject.toml, missing from requirements.lock")
        elif not req.specifier.contains(pin, prereleases=True):
            wrong.append(f"{req.name}: pyproject.toml wants {req.specifier}, the lock has {pin}")
    assert wrong == [], "run `python3 bootstrap.py lock`:\n" + "\n".join(wrong)


def test_lock_honours_constraints_and_overrides() -> None:
    pins = _lock()
    for name in ("constraints.txt", "overrides.txt"):
        for req in _requirements(ROOT / name):
            pin = pins[str(canonicalize_name(req.name))]
            assert req.specifier.contains(pin), f"{name}: {req} but the lock has {pin}"


def test_lock_carries_the_current_stack() -> None:
    pins = _lock()
    assert pins["prefect"] >= Version("3.9")
    assert pins["dask"] >= Version("2026.1") and pins["distributed"] == pins["dask"]
    assert pins["fastapi"] >= Version("0.120")
    assert pins["cloudpickle"] >= Version("3")  # past amazon-braket-sdk's ==2.2.1
    for dev in ("import-linter", "hypothesis", "pytest", "ruff", "mypy", "uv"):
        assert dev in pins


def test_installed_environment_is_the_lock() -> None:
    """bootstrap.py installs the lock with --no-deps: nothing re-resolved, nothing missing."""
    pins = _lock()
    installed = {
        str(canonicalize_name(d.metadata["Name"])): Version(d.version)
        for d in importlib.metadata.distributions()
        if d.metadata["Name"]
    }
    off = {
        name: (str(pin), str(installed.get(name)))
        for name, pin in pins.items()
        if installed.get(name) != pin
    }
    assert off == {}, f"installed packages differ from requirements.lock (pin, installed): {off}"


def test_qroute_never_uses_braket_hybrid_jobs() -> None:
    """The override is safe: cloudpickle 2.2.1 is pinned for braket.jobs (the @hybrid_job
    decorator pickles the decorated function), which no qroute code imports or calls."""
    pattern = re.compile(r"braket\.jobs|hybrid_job|AwsQuantumJob|LocalQuantumJob")
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in SOURCES
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []


def test_only_braket_hybrid_jobs_use_cloudpickle() -> None:
    """Inside amazon-braket-sdk, cloudpickle is used by braket/jobs/hybrid_job.py and its
    entry-point template alone: the pin protects hybrid-job pickling, nothing else."""
    import braket

    root = Path(braket.__path__[0])
    users = sorted(
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if "cloudpickle" in path.read_text(encoding="utf-8", errors="replace")
    )
    assert users == ["braket/jobs/_entry_point_template.py", "braket/jobs/hybrid_job.py"]


def test_braket_local_simulator_runs_on_the_overridden_stack() -> None:
    """Braket itself still works with cloudpickle 3: a Bell pair on the LocalSimulator."""
    import cloudpickle
    from braket.circuits import Circuit
    from braket.devices import LocalSimulator

    assert Version(cloudpickle.__version__) >= Version("3")
    counts = LocalSimulator().run(Circuit().h(0).cnot(0, 1), shots=200).result().measurement_counts
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 200


def test_bootstrap_documents_the_lock_command() -> None:
    """`python3 bootstrap.py lock` is the one command; it uses both the constraint and the
    override file and installs nothing by resolution (pip --no-deps)."""
    sys.path.insert(0, str(ROOT))
    try:
        import bootstrap
    finally:
        sys.path.remove(str(ROOT))
    command = bootstrap.lock_command()
    assert command[1:3] == ["pip", "compile"]
    assert "--override" in command and "overrides.txt" in command
    assert "--constraint" in command and "constraints.txt" in command
    assert '"--no-deps", "-r"' in (ROOT / "bootstrap.py").read_text()
    assert "python3 bootstrap.py lock" in (bootstrap.__doc__ or "")
