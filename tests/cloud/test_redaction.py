"""Planted secrets never reach logs, exceptions, provenance/result JSON, files or CLI output."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from qroute.cloud import CloudSettings, configure, install_log_redaction
from qroute.cloud.braket import BraketQAOABackend, CloudTaskFailed
from qroute.cloud.credentials import REDACTED, redact, register_secret, safe_error
from qroute.cloud.dwave_leap import LeapQPUBackend
from qroute.hybrid.dispatch import Dispatcher
from qroute.model.solver import Budget
from qroute.model.subproblem import random_route_tsp

from .fakes import FakeBraket, FakeLeap, capabilities, profile, toy_problem

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDfakeSessionToken0123456789"
DWAVE = "DEV-0123456789abcdef0123456789abcdef01234567"
SIGNATURE = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
PRESIGNED = (
    "https://qroute-results.s3.amazonaws.com/tasks/results.json?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential={KEY_ID}%2F20260107%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20260107T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
    f"&X-Amz-Security-Token={SESSION}&X-Amz-Signature={SIGNATURE}"
)
SECRETS = (KEY_ID, SECRET, SESSION, DWAVE, SIGNATURE)
SUB = random_route_tsp(3, seed=1)


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a planted secret leaked into {where}"
    # partial leaks too: no long run of any secret survives
    for secret in SECRETS:
        assert secret[:16] not in text and secret[-16:] not in text, where


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION)
    monkeypatch.setenv("DWAVE_API_TOKEN", DWAVE)


def test_redact_removes_every_form() -> None:
    text = (
        f"key {KEY_ID} secret={SECRET} token: {SESSION} leap {DWAVE} url {PRESIGNED} "
        f"Authorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/x, Signature={SIGNATURE}"
    )
    cleaned = redact(text)
    assert_clean(cleaned, "redact()")
    assert "X-Amz-Signature=" + REDACTED in cleaned
    assert "https://qroute-results.s3.amazonaws.com/tasks/results.json?" in cleaned
    nested = redact({"a": [PRESIGNED, {"b": (SECRET,)}], "n": 3})
    assert_clean(json.dumps(nested), "redact(dict)")
    assert nested["n"] == 3


def test_redact_keeps_ordinary_text() -> None:
    text = (
        "task arn:aws:braket:us-east-1:123456789012:quantum-task/550e8400-e29b-41d4-a716-"
        "446655440000 on arn:aws:braket:::device/quantum-simulator/amazon/sv1, "
        "ledger key e6d0bf08f25a69a7987d81e7e03ab56d, "
        "commit 0123456789abcdef0123456789abcdef01234567"
    )
    assert redact(text) == text


def test_registered_secrets_and_env_values_are_removed(planted: None) -> None:
    register_secret("prefect-block-value-xyz")
    message = safe_error(RuntimeError(f"bad {SECRET} and prefect-block-value-xyz"))
    assert message == f"RuntimeError: bad {REDACTED} and {REDACTED}"


def test_no_planted_secret_escapes_any_output(
    planted: None,
    settings: CloudSettings,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    registered: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    install_log_redaction()
    outputs: dict[str, str] = {}
    sv1 = profile("braket-sv1")
    assert sv1.device_arn is not None

    # 1. Braket refuses the submission with an error quoting secrets and a presigned URL
    fake = FakeBraket()
    fake.device(sv1.device_arn, capabilities(simulator=True), simulator=True)
    fake.create_error(
        "AccessDeniedException", f"denied for {KEY_ID} {SECRET} session {SESSION} at {PRESIGNED}"
    )
    backend = BraketQAOABackend(sv1, session_factory=fake.session, settings=settings, maxiter=8)
    result = Dispatcher(
        chain=lambda sub, kind: ["braket-sv1", "exact"], backends={"braket-sv1": backend}
    ).solve(SUB, Budget(seed=1))
    outputs["fallback reason"] = result.provenance.fallback_reason or ""
    assert "AccessDeniedException" in outputs["fallback reason"]
    outputs["provenance json"] = json.dumps(result.provenance.as_dict())

    # 2. a task FAILED with a reason quoting a presigned URL and the D-Wave token
    other = random_route_tsp(3, seed=2)
    fake2 = FakeBraket()
    arn = fake2.task_arn()
    fake2.device(sv1.device_arn, capabilities(simulator=True), simulator=True)
    fake2.create(arn)
    fake2.task(arn, sv1.device_arn, "FAILED", times=2, failure=f"read {PRESIGNED} with {DWAVE}")
    backend2 = BraketQAOABackend(sv1, session_factory=fake2.session, settings=settings, maxiter=8)
    with pytest.raises(CloudTaskFailed) as failed:
        backend2.solve(other, Budget(seed=1))
    outputs["exception"] = str(failed.value) + repr(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__

    # 3. the D-Wave QPU raising with its token in the message
    leap = FakeLeap()
    child = leap.child()

    def broken(bqm: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"SAPI rejected token {DWAVE}; retry at {PRESIGNED}")

    child.sample = broken  # type: ignore[method-assign]
    qpu = LeapQPUBackend(profile("dwave-advantage2"), child=child, settings=settings)
    leap_result = Dispatcher(
        chain=lambda sub, kind: ["leap-advantage2", "exact"], backends={"leap-advantage2": qpu}
    ).solve(random_route_tsp(4, seed=3), Budget(seed=1))
    outputs["leap fallback"] = leap_result.provenance.fallback_reason or ""
    assert "SAPI rejected token" in outputs["leap fallback"]
    outputs["leap provenance"] = json.dumps(leap_result.provenance.as_dict())

    # 4. the CLI: `qroute backends` and the dry run, with credentials in the environment
    configure(run_dir=settings.run_dir, spend_dir=settings.spend_dir, live_checks=False)
    from qroute.cli.app import main
    from qroute.cli.cloud_commands import print_dry_run

    assert main(["backends"]) == 0
    buffer = io.StringIO()
    print_dry_run(toy_problem(), "cloud", 5.0, subproblems=[SUB], out=buffer)
    captured = capsys.readouterr()
    outputs["cli stdout"] = captured.out + buffer.getvalue()
    outputs["cli stderr"] = captured.err

    # 5. everything written to disk, and every log record
    for path in Path(settings.run_dir).rglob("*"):
        if path.is_file():
            outputs[f"file {path.name}"] = path.read_bytes().decode("utf-8", "replace")
    for path in Path(settings.spend_dir).rglob("*"):
        if path.is_file():
            outputs[f"spend file {path.name}"] = path.read_bytes().decode("utf-8", "replace")
    outputs["logs"] = caplog.text
    outputs["log records"] = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)

    assert "braket-sv1" in outputs["cli stdout"]
    for where, text in outputs.items():
        assert_clean(text, where)


# -- secrets that no environment variable holds, and the forms botocore prints them in ----------

ROLE_TOKEN = "FwoGZXIvYXdzEPlantedAssumedRoleSessionToken-0123456789abcdef"
ROLE_SECRET = "plantedRoleSecret+value/0123456789-xyz"
CONFIG_TOKEN = "planted-dwave-config-token-987654"
SIGNATURE_HEX = "9f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1ff"


def botocore_debug_line(token: str, key_id: str, signature: str) -> str:
    """What botocore.endpoint logs at DEBUG for every request (header values are bytes)."""
    return (
        "Sending http request: <AWSPreparedRequest stream_output=False, method=POST, "
        "url=https://braket.us-east-1.amazonaws.com/quantum-tasks, headers={'Content-Type': "
        "b'application/json', 'User-Agent': b'Boto3/1.41 md/Botocore#1.44.8', 'X-Amz-Date': "
        f"b'20260107T120000Z', 'X-Amz-Security-Token': b'{token}', 'Authorization': "
        f"b'AWS4-HMAC-SHA256 Credential={key_id}/20260107/us-east-1/braket/aws4_request, "
        f"SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature={signature}'"
        ", 'Content-Length': '812'}>"
    )


def test_bytes_form_headers_are_redacted() -> None:
    line = botocore_debug_line(SESSION, "ASIAIOSFODNN7EXAMPLE", SIGNATURE_HEX)
    cleaned = redact(line)
    assert_clean(cleaned, "botocore DEBUG line")
    assert SIGNATURE_HEX not in cleaned and "ASIAIOSFODNN7EXAMPLE" not in cleaned
    assert f"'X-Amz-Security-Token': b'{REDACTED}'" in cleaned
    assert f"'Authorization': b'{REDACTED}'" in cleaned
    assert "'Content-Length': '812'" in cleaned  # the rest of the line stays readable
    leap = redact(f"headers={{'X-Auth-Token': b'{CONFIG_TOKEN}', 'Accept': b'*/*'}}")
    assert CONFIG_TOKEN not in leap and "'Accept': b'*/*'" in leap
    assert redact(f"token {SESSION}".encode()) == f"token {REDACTED}".encode()


def test_session_credentials_outside_the_environment_are_registered() -> None:
    import boto3

    from qroute.cloud.credentials import watch_aws_credentials

    # credentials given to the session directly: what an SSO cache or an assumed role yields
    session = boto3.Session(
        aws_access_key_id="ASIAPLANTEDROLEKEY01",
        aws_secret_access_key=ROLE_SECRET,
        aws_session_token=ROLE_TOKEN,
        region_name="us-east-1",
    )
    assert ROLE_TOKEN in redact(f"assumed {ROLE_TOKEN}")  # no pattern knows it: unregistered
    watch_aws_credentials(session)
    text = redact(f"assumed {ROLE_TOKEN} with {ROLE_SECRET} from the SSO cache")
    assert ROLE_TOKEN not in text and ROLE_SECRET not in text
    assert text == f"assumed {REDACTED} with {REDACTED} from the SSO cache"
    # every request signing registers the session's current (possibly refreshed) credentials
    refreshed = "FwoGZXIvYXdzEPlantedRefreshedSessionToken-fedcba9876543210"
    session._session.set_credentials("ASIAPLANTEDROLEKEY02", ROLE_SECRET, refreshed)
    session.events.emit("before-sign.braket.CreateQuantumTask", request=None)
    assert refreshed not in redact(f"next hour: {refreshed}")


def test_the_dwave_config_file_token_is_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qroute.cloud.credentials import dwave_credentials_reason

    config = tmp_path / "dwave.conf"
    config.write_text(f"[defaults]\ntoken = {CONFIG_TOKEN}\n")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config))
    assert dwave_credentials_reason() is None
    assert redact(f"SAPI said: bad {CONFIG_TOKEN}") == f"SAPI said: bad {REDACTED}"


def test_fallback_reasons_hold_only_redacted_text() -> None:
    from qroute.backends.base import Availability
    from qroute.backends.fallback import FallbackChain
    from qroute.model.solver import BackendUnavailable

    register_secret(CONFIG_TOKEN)

    class Leaky:
        paradigm = "annealing"
        device = "leaky"
        max_variables = 100

        def __init__(self, name: str, error: Exception) -> None:
            self.name = name
            self.error = error

        def availability(self) -> Availability:
            return Availability(True)

        def solve(self, problem: Any, budget: Budget, *, kind: Any = None) -> Any:
            raise self.error

    header = botocore_debug_line(SESSION, KEY_ID, SIGNATURE_HEX)
    backends: dict[str, Any] = {
        "leaky-a": Leaky("leaky-a", RuntimeError(f"SAPI error for token {CONFIG_TOKEN}")),
        "leaky-b": Leaky("leaky-b", BackendUnavailable(f"signing failed: {header}")),
        "leaky-c": Leaky("leaky-c", ValueError(f"secret={SECRET} at {PRESIGNED}")),
    }
    result = FallbackChain(
        lambda sub, kind: ["leaky-a", "leaky-b", "leaky-c", "exact"], backends=backends
    ).solve(SUB, Budget(seed=1))
    reason = result.provenance.fallback_reason or ""
    assert "leaky-a: failed (RuntimeError: SAPI error for token" in reason
    assert "leaky-b: signing failed" in reason and "leaky-c: failed (ValueError" in reason
    assert CONFIG_TOKEN not in reason and SIGNATURE_HEX not in reason
    assert_clean(reason, "fallback reason")


def test_comparison_records_hold_only_redacted_errors(
    monkeypatch: pytest.MonkeyPatch, planted: None
) -> None:
    import qroute.backends as backends
    from qroute.reporting.comparison import STATUS_ERROR, measure_solve

    class Failing:
        name = "failing-qpu"
        paradigm = "annealing"
        device = "failing"
        max_variables = 100

        def availability(self) -> Any:
            from qroute.backends.base import Availability

            return Availability(True)

        def solve(self, problem: Any, budget: Budget, *, kind: Any = None) -> Any:
            raise RuntimeError(f"SAPI rejected token {DWAVE} from {PRESIGNED} ({SESSION})")

    monkeypatch.setitem(backends._FACTORIES, "failing-qpu", Failing)
    record = measure_solve("failing-qpu", 3, 1)
    assert record["status"] == STATUS_ERROR
    assert str(record["reason"]).startswith("RuntimeError: SAPI rejected token")
    assert_clean(json.dumps(record), "comparison record")
