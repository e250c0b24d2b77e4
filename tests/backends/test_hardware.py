"""Hardware profiles: the shipped YAML files, the validators and the one-line error messages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from qroute.backends.hardware import (
    BRAKET_ARN_RE,
    DEFAULT_PROFILES_DIR,
    PROFILES_ENV,
    HardwareProfile,
    ProfileError,
    backend_profile,
    device_max_variables,
    is_in_window,
    load_profile,
    load_profiles,
    max_variables_for,
    profiles_dir,
)
from tests.paths import REPO

SHIPPED = {
    "braket-dm1",
    "braket-local",
    "braket-sv1",
    "braket-tn1",
    "dwave-advantage",
    "dwave-advantage2",
    "dwave-hybrid-bqm",
    "dwave-hybrid-cqm",
    "dwave-hybrid-nl",
    "dwave-sa",
    "dwave-tabu",
    "exact",
    "ionq-forte-1",
    "iqm-emerald",
    "iqm-garnet",
    "pennylane-lightning",
    "qaoa-statevector",
    "qiskit-aer",
    "rigetti-ankaa-3",
}
LOCAL = {
    "dwave-sa",
    "dwave-tabu",
    "exact",
    "braket-local",
    "pennylane-lightning",
    "qiskit-aer",
    "qaoa-statevector",
}

# A small valid profile; the broken variants below edit one line of it at a time.
VALID = """\
# test device
id: {stem}
name: Test QPU
provider: aws-braket
paradigm: gate
kind: qpu
backend: braket-aws
device_arn: arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1
region: us-east-1
qubits: 36
connectivity:
  kind: all-to-all
native_gates: [gpi, gpi2, zz]
shots:
  min: 100
  max: 5000
  default: 100
price:
  per_task_usd: 0.30
  per_shot_usd: 0.08
  as_of: 2026-01-15
  source: https://aws.amazon.com/braket/pricing/
availability:
  windows:
    - {{days: [mon, tue], start: "08:00", end: "10:00"}}
  requires: aws
"""


@pytest.fixture(scope="module")
def shipped() -> dict[str, HardwareProfile]:
    return load_profiles(DEFAULT_PROFILES_DIR)


def write(folder: Path, stem: str, text: str, suffix: str = ".yaml") -> Path:
    path = folder / f"{stem}{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- shipped profiles -----------------------------------------------------------------------


def test_every_shipped_profile_loads(shipped: dict[str, HardwareProfile]) -> None:
    assert set(shipped) == SHIPPED
    files = sorted(p.stem for p in DEFAULT_PROFILES_DIR.glob("*.y*ml"))
    assert files == sorted(SHIPPED)  # one file per profile, ids unique
    for stem in files:
        assert load_profile(DEFAULT_PROFILES_DIR / f"{stem}.yaml").id == stem


def test_default_folder_is_the_packaged_hardware_profiles() -> None:
    expected = REPO / "qroute" / "backends" / "hardware_profiles"
    assert expected == DEFAULT_PROFILES_DIR
    assert (DEFAULT_PROFILES_DIR / "README.md").is_file()


def test_braket_arns_are_valid_and_agree_with_region_and_kind(
    shipped: dict[str, HardwareProfile],
) -> None:
    braket = {k: p for k, p in shipped.items() if p.backend == "braket-aws"}
    assert set(braket) == {
        "braket-dm1",
        "braket-sv1",
        "braket-tn1",
        "ionq-forte-1",
        "iqm-emerald",
        "iqm-garnet",
        "rigetti-ankaa-3",
    }
    for profile in braket.values():
        assert profile.device_arn is not None
        match = BRAKET_ARN_RE.match(profile.device_arn)
        assert match, profile.id
        assert match["family"] == ("qpu" if profile.kind == "qpu" else "quantum-simulator")
        assert match["region"] in ("", profile.region)
        assert profile.availability.requires == "aws"
    assert braket["ionq-forte-1"].device_arn == "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
    assert braket["braket-sv1"].device_arn == "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
    others = [p for p in shipped.values() if p.backend != "braket-aws"]
    assert all(p.device_arn is None for p in others)


def test_braket_qpu_prices_match_the_pricing_page(shipped: dict[str, HardwareProfile]) -> None:
    per_shot = {
        "ionq-forte-1": 0.08,
        "iqm-garnet": 0.00145,
        "iqm-emerald": 0.0016,
        "rigetti-ankaa-3": 0.0009,
    }
    for key, price in per_shot.items():
        assert shipped[key].price.per_task_usd == pytest.approx(0.30)
        assert shipped[key].price.per_shot_usd == pytest.approx(price)
    assert shipped["braket-sv1"].price.per_minute_usd == pytest.approx(0.075)
    assert shipped["braket-dm1"].price.per_minute_usd == pytest.approx(0.075)
    assert shipped["braket-tn1"].price.per_minute_usd == pytest.approx(0.275)
    # 100 shots on Forte-1: 0.30 + 100 * 0.08
    assert shipped["ionq-forte-1"].price.cost_usd(shots=100) == pytest.approx(8.30)
    assert shipped["braket-sv1"].price.cost_usd(tasks=1, minutes=2.0) == pytest.approx(0.15)


def test_dwave_profiles(shipped: dict[str, HardwareProfile]) -> None:
    adv, adv2, hybrid = (
        shipped["dwave-advantage"],
        shipped["dwave-advantage2"],
        shipped["dwave-hybrid-bqm"],
    )
    assert (adv.solver_name, adv.qubits) == ("Advantage_system4.1", 5627)
    assert (adv.connectivity.kind, adv.connectivity.m, adv.connectivity.edges) == (
        "pegasus",
        16,
        40279,
    )
    assert adv.connectivity.nominal_qubits == 5760
    assert adv2.solver_name is not None and adv2.solver_name.startswith("Advantage2_system1")
    assert (adv2.connectivity.kind, adv2.connectivity.m, adv2.connectivity.t) == ("zephyr", 12, 4)
    assert adv2.qubits == 4589 and adv2.connectivity.nominal_qubits == 4800
    assert hybrid.kind == "hybrid-solver" and hybrid.qubits == 1_000_000
    for profile in (adv, adv2, hybrid):
        assert profile.native_gates == ()
        assert profile.accepts == "bqm"
        assert profile.availability.requires == "dwave"
        assert profile.price.estimate and "estimate" in (profile.notes or "").lower()
    assert adv.price.per_qpu_second_usd == pytest.approx(2000 / 3600, rel=1e-3)
    assert hybrid.price.per_minute_usd == pytest.approx(2000 / 3600 / 20 * 60, rel=1e-3)


def test_local_profiles_are_free_always_on_and_capped(shipped: dict[str, HardwareProfile]) -> None:
    local = {k for k, p in shipped.items() if p.is_local}
    assert local == LOCAL
    for key in LOCAL:
        profile = shipped[key]
        assert profile.backend == key
        assert profile.price.is_free and profile.price.cost_usd(tasks=5, shots=1000) == 0
        assert profile.availability.windows == "always"
        assert profile.availability.requires == "none"
        assert profile.max_subproblem_qubits is not None
        assert profile.max_subproblem_qubits <= profile.qubits
    assert shipped["exact"].max_subproblem_qubits == 20
    assert shipped["braket-local"].qubits == 26
    assert shipped["qiskit-aer"].accepts == "circuit"
    assert shipped["dwave-sa"].accepts == "bqm"


def test_gate_qpus_list_native_gates(shipped: dict[str, HardwareProfile]) -> None:
    assert shipped["ionq-forte-1"].native_gates == ("gpi", "gpi2", "zz")
    assert shipped["iqm-garnet"].native_gates == ("prx", "cz")
    assert shipped["rigetti-ankaa-3"].native_gates == ("rx", "rz", "iswap")
    assert shipped["iqm-garnet"].connectivity.edges == 30
    assert shipped["rigetti-ankaa-3"].status == "retired"


def test_env_var_overrides_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "only-one", VALID.format(stem="only-one"))
    monkeypatch.setenv(PROFILES_ENV, str(tmp_path))
    assert profiles_dir() == tmp_path
    assert list(load_profiles()) == ["only-one"]
    monkeypatch.delenv(PROFILES_ENV)
    assert profiles_dir() == DEFAULT_PROFILES_DIR


def test_profiles_are_frozen(shipped: dict[str, HardwareProfile]) -> None:
    with pytest.raises(ValueError):
        shipped["iqm-garnet"].qubits = 21  # type: ignore[misc]


# --- broken variants ------------------------------------------------------------------------

# (name, old text, new text, field named in the message, text in the message, line anchor)
BROKEN = [
    ("missing-field", "qubits: 36\n", "", "qubits", "Field required", None),
    ("missing-nested", "  as_of: 2026-01-15\n", "", "price.as_of", "Field required", "price:"),
    (
        "negative-price",
        "per_shot_usd: 0.08",
        "per_shot_usd: -0.08",
        "price.per_shot_usd",
        "greater than or equal to 0",
        "per_shot_usd",
    ),
    ("shots-min-above-max", "  min: 100", "  min: 9000", "shots.min", "greater than max", "min:"),
    (
        "default-outside",
        "default: 100",
        "default: 7",
        "shots.default",
        "outside [100, 5000]",
        "default:",
    ),
    (
        "bad-arn",
        "device/qpu/ionq/Forte-1",
        "device/ionq/Forte-1",
        "device_arn",
        "not a Braket device ARN",
        "device_arn",
    ),
    (
        "arn-region-mismatch",
        "region: us-east-1",
        "region: eu-north-1",
        "region",
        "differs from the ARN's us-east-1",
        "region:",
    ),
    ("bad-provider", "provider: aws-braket", "provider: aws", "provider", "got 'aws'", "provider:"),
    (
        "unknown-field",
        "kind: qpu\n",
        "kind: qpu\ncolour: blue\n",
        "colour",
        "Extra inputs",
        "colour",
    ),
    (
        "unquoted-time",
        'end: "10:00"',
        "end: 10:00",
        "availability.windows.0.end",
        "quote times",
        "days:",
    ),
    (
        "window-empty",
        'start: "08:00", end: "10:00"',
        'start: "10:00", end: "10:00"',
        "availability.windows.0.end",
        "equals start: the window is empty",
        "days:",
    ),
    (
        "bad-day",
        "days: [mon, tue]",
        "days: [mon, tuez]",
        "availability.windows.0.days",
        "'tuez' is not a day",
        "days:",
    ),
    (
        "no-price-figure",
        "  per_task_usd: 0.30\n  per_shot_usd: 0.08\n",
        "",
        "price",
        "at least one price figure",
        "price:",
    ),
    (
        "estimate-without-note",
        "  source: https://aws",
        "  estimate: true\n  source: https://aws",
        "notes",
        "estimate",
        None,
    ),
    (
        "wrong-credentials",
        "requires: aws",
        "requires: dwave",
        "availability.requires",
        "needs aws",
        "requires:",
    ),
    (
        "wrong-paradigm",
        "paradigm: gate",
        "paradigm: annealing",
        "paradigm",
        "braket-aws is gate",
        "paradigm:",
    ),
    (
        "future-date",
        "as_of: 2026-01-15",
        "as_of: 2999-01-01",
        "price.as_of",
        "in the future",
        "as_of",
    ),
    (
        "bad-source",
        "source: https://aws.amazon.com/braket/pricing/",
        "source: pricing page",
        "price.source",
        "pattern",
        "source:",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "field", "text", "anchor"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_variant_names_file_field_and_line(
    tmp_path: Path, name: str, old: str, new: str, field: str, text: str, anchor: str | None
) -> None:
    valid = VALID.format(stem=name)
    assert old in valid
    broken = valid.replace(old, new, 1)
    path = write(tmp_path, name, broken)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert f": {field}: " in message
    assert text in message
    assert caught.value.field == field
    if anchor is not None:
        assert caught.value.line == line_of(broken, anchor)
        assert message.startswith(f"{path}:{caught.value.line}: {field}: ")


def test_the_valid_template_itself_loads(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "ok", VALID.format(stem="ok")))
    assert profile.id == "ok" and profile.status == "active"
    assert profile.shots.default == 100
    assert profile.availability.windows != "always"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    broken = VALID.format(stem="bad").replace("connectivity:\n", "connectivity: [oops\n")
    path = write(tmp_path, "bad", broken)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    assert "invalid YAML" in message
    assert caught.value.line is not None
    assert line_of(broken, "[oops") <= caught.value.line <= line_of(broken, "[oops") + 1


def test_id_must_equal_the_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path, "forte", VALID.format(stem="forte-1"))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == f"{path}:2: id: 'forte-1' does not match the file name 'forte'"


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    broken = VALID.format(stem="dup").replace("qubits: 36\n", "qubits: 36\nqubits: 37\n")
    path = write(tmp_path, "dup", broken)
    with pytest.raises(ProfileError, match=r"dup\.yaml:11: qubits: key appears twice"):
        load_profile(path)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "twin", VALID.format(stem="twin"))
    second = write(tmp_path, "twin", VALID.format(stem="twin"), suffix=".yml")
    with pytest.raises(ProfileError) as caught:
        load_profiles(tmp_path)
    assert str(caught.value).startswith(f"{second}:2: id: duplicate id 'twin'")
    assert "twin.yaml" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "found an empty file"), ("- a\n- b\n", "found a list")],
)
def test_non_mapping_files(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "odd", text)
    with pytest.raises(ProfileError, match=expected):
        load_profile(path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="folder not found"):
        load_profiles(tmp_path / "nope")


def test_local_profile_must_be_free(tmp_path: Path) -> None:
    text = (DEFAULT_PROFILES_DIR / "dwave-sa.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, "dwave-sa", text.replace("per_shot_usd: 0\n", "per_shot_usd: 0.01\n"))
    with pytest.raises(
        ProfileError, match=r"dwave-sa\.yaml:\d+: price: a local target costs nothing"
    ):
        load_profile(path)


def test_annealer_has_no_native_gates(tmp_path: Path) -> None:
    text = (DEFAULT_PROFILES_DIR / "dwave-advantage.yaml").read_text(encoding="utf-8")
    path = write(
        tmp_path, "dwave-advantage", text.replace("native_gates: []", "native_gates: [cz]")
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "native_gates"
    assert caught.value.line == line_of(text, "native_gates")
    assert "must be empty for annealing targets" in str(caught.value)


def test_missing_top_level_field_has_no_line(tmp_path: Path) -> None:
    path = write(tmp_path, "nq", VALID.format(stem="nq").replace("qubits: 36\n", ""))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert (caught.value.line, caught.value.field) == (None, "qubits")
    assert str(caught.value) == f"{path}: qubits: Field required"


def edited_shipped(tmp_path: Path, stem: str, old: str, new: str) -> Path:
    """A copy of the shipped profile ``stem`` with ``old`` replaced by ``new``."""
    text = (DEFAULT_PROFILES_DIR / f"{stem}.yaml").read_text(encoding="utf-8")
    assert old in text
    return write(tmp_path, stem, text.replace(old, new))


OUT_OF_RANGE = [
    ("dwave-advantage", "qubits: 5627", "qubits: 6000", r"qubits: 6000 exceeds the 5760 of"),
    ("qaoa-statevector", "max_variables: 16", "max_variables: 29", r"29 exceeds qubits \(28\)"),
    ("dwave-advantage", "max_variables: 100", "max_variables: 181", r"181 exceeds the 180-var"),
]


@pytest.mark.parametrize(("stem", "old", "new", "message"), OUT_OF_RANGE)
def test_a_count_beyond_the_graph_or_the_qubits_is_refused(
    tmp_path: Path, stem: str, old: str, new: str, message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile(edited_shipped(tmp_path, stem, old, new))


def test_a_qpu_limit_may_reach_the_clique_its_graph_embeds(tmp_path: Path) -> None:
    edited = edited_shipped(tmp_path, "dwave-advantage", "max_variables: 100", "max_variables: 180")
    assert max_variables_for(load_profile(edited)) == 180


def test_max_variables_for_prefers_the_cap_then_the_device(
    shipped: dict[str, HardwareProfile],
) -> None:
    assert max_variables_for(shipped["exact"]) == 169  # the cap, above the 24 "qubits"
    assert max_variables_for(shipped["dwave-advantage"]) == 100  # the cap, below the clique
    assert max_variables_for(shipped["dwave-hybrid-nl"]) == 1600  # no cap: its qubits
    assert max_variables_for(shipped["qiskit-aer"]) == 20  # no cap: max_subproblem_qubits
    assert max_variables_for(shipped["iqm-garnet"]) == 20  # no cap: its qubits
    uncapped = shipped["dwave-advantage2"].model_copy(update={"max_variables": None})
    assert max_variables_for(uncapped) == 184  # busclique of Z(12,4)
    assert device_max_variables(shipped["dwave-advantage2"]) == 184  # the device, not the cap
    assert device_max_variables(shipped["dwave-sa"]) == 1000  # max_subproblem_qubits, not 256


def test_backend_profile_skips_retired_profiles(shipped: dict[str, HardwareProfile]) -> None:
    assert backend_profile("dwave-qpu", shipped) is shipped["dwave-advantage"]
    assert backend_profile("braket-aws", shipped) is shipped["braket-dm1"]
    only_retired = {"braket-tn1": shipped["braket-tn1"]}
    assert backend_profile("braket-aws", only_retired) is None
    assert backend_profile("qaoa-sdks", shipped) is None


# --- execution windows ----------------------------------------------------------------------


def test_windows_on_concrete_datetimes(shipped: dict[str, HardwareProfile]) -> None:
    garnet = shipped["iqm-garnet"]  # Mon-Wed 08:00-10:00, Thu-Fri 13:00-15:00 UTC
    monday = datetime(2026, 11, 30, 9, 0)
    assert monday.weekday() == 0
    assert is_in_window(garnet, monday)
    assert is_in_window(garnet, monday.replace(hour=8, minute=0))  # start is inclusive
    assert is_in_window(garnet, monday.replace(hour=10, minute=0))  # so is the end
    assert not is_in_window(garnet, monday.replace(hour=10, minute=1))
    assert not is_in_window(garnet, monday + timedelta(days=3))  # Thursday 09:00
    assert is_in_window(garnet, (monday + timedelta(days=3)).replace(hour=14))  # Thursday 14:00
    assert not is_in_window(garnet, (monday + timedelta(days=6)).replace(hour=14))  # Sunday


def test_aware_datetimes_are_converted_to_utc(shipped: dict[str, HardwareProfile]) -> None:
    garnet = shipped["iqm-garnet"]
    helsinki_winter = timezone(timedelta(hours=2))
    # 11:30 in UTC+2 on Monday is 09:30 UTC: open.  09:30 in UTC+2 is 07:30 UTC: closed.
    assert is_in_window(garnet, datetime(2026, 11, 30, 11, 30, tzinfo=helsinki_winter))
    assert not is_in_window(garnet, datetime(2026, 11, 30, 9, 30, tzinfo=helsinki_winter))
    # 23:30 UTC-5 on Sunday is Monday 04:30 UTC: closed on Garnet, open on Ankaa-3.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert not is_in_window(garnet, sunday_night)
    assert is_in_window(shipped["rigetti-ankaa-3"], sunday_night)


def test_everyday_windows_and_special_values(shipped: dict[str, HardwareProfile]) -> None:
    ankaa = shipped["rigetti-ankaa-3"]  # every day 00:00-06:59:59, 09:00-19:00, 21:00-23:59:59
    windows = ankaa.availability.windows
    assert isinstance(windows, tuple) and len(windows) == 3
    assert windows[0].days == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert windows[0].end == time(6, 59, 59)
    saturday = datetime(2026, 11, 28, tzinfo=UTC)
    assert is_in_window(ankaa, saturday.replace(hour=18))
    assert not is_in_window(ankaa, saturday.replace(hour=7, minute=30))
    assert not is_in_window(ankaa, saturday.replace(hour=20))
    assert is_in_window(ankaa, saturday.replace(hour=23, minute=59, second=59))
    assert is_in_window(shipped["braket-sv1"], saturday.replace(hour=3))  # always
    assert is_in_window(shipped["qiskit-aer"], saturday)
    assert shipped["ionq-forte-1"].availability.windows == "unknown"
    assert not is_in_window(shipped["ionq-forte-1"], saturday.replace(hour=12))


def test_day_names_and_groups_are_normalised(tmp_path: Path) -> None:
    text = VALID.format(stem="days").replace("days: [mon, tue]", "days: [Weekend, Friday, fri]")
    profile = load_profile(write(tmp_path, "days", text))
    windows = profile.availability.windows
    assert isinstance(windows, tuple)
    assert windows[0].days == ("fri", "sat", "sun")


# --- fuzz findings (issue 11): every YAML failure is one ProfileError line ------------------


def _profile_error(path: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert (
        "\n" not in str(info.value)
        and str(info.value).startswith(str(path.name))
        or str(info.value).startswith(str(path))
    )
    return info.value


def test_a_recursive_yaml_alias_is_a_profile_error(tmp_path: Path) -> None:
    text = VALID.format(stem="t") + "notes: &loop [*loop]\n"
    path = write(tmp_path, "t", text)
    error = _profile_error(path)
    assert "YAML aliases" in str(error) and error.line == line_of(text, "notes:")


def test_any_yaml_alias_is_refused(tmp_path: Path) -> None:
    text = VALID.format(stem="t").replace("  min: 100\n", "  min: &low 100\n")
    text = text.replace("  default: 100\n", "  default: *low\n")
    # scalars may be aliased harmlessly; a repeated mapping or sequence may not
    assert load_profile(write(tmp_path, "t", text)).shots.default == 100
    text = VALID.format(stem="u").replace("connectivity:\n", "connectivity: &wire\n")
    text += "extra: *wire\n"
    assert "YAML aliases" in str(_profile_error(write(tmp_path, "u", text)))


def test_a_control_character_is_a_profile_error(tmp_path: Path) -> None:
    text = VALID.format(stem="t").replace("Test QPU", "Test\x07QPU")
    error = _profile_error(write(tmp_path, "t", text))
    assert "invalid YAML" in str(error)


def test_an_impossible_date_is_a_profile_error(tmp_path: Path) -> None:
    text = VALID.format(stem="t").replace("2026-01-15", "2026-02-30")
    error = _profile_error(write(tmp_path, "t", text))
    assert "'2026-02-30'" in str(error) and "day is out of range" in str(error)
    assert error.line == line_of(text, "as_of")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("qubits: 36", "qubits: 100000000000000000000000000", "qubits"),
        ("  max: 5000", "  max: 10000000000000", "shots.max"),
        ("per_shot_usd: 0.08", "per_shot_usd: 1e300", "price.per_shot_usd"),
    ],
)
def test_absurd_values_hit_the_schema_bounds(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    text = VALID.format(stem="t").replace(old, new)
    error = _profile_error(write(tmp_path, "t", text))
    assert error.field == field and "less than or equal" in str(error)


def test_the_missing_folder_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="QROUTE_HARDWARE_PROFILES"):
        load_profiles(tmp_path / "nope")


def test_an_end_before_the_start_is_an_overnight_window_as_on_braket() -> None:
    from qroute.backends.hardware import Window

    window = Window(days=("fri",), start="22:00", end="02:00")  # type: ignore[arg-type]
    assert window.contains(datetime(2026, 11, 27, 23, 0))  # Friday 23:00
    assert window.contains(datetime(2026, 11, 28, 1, 30))  # Saturday 01:30 is Friday's night
    assert not window.contains(datetime(2026, 11, 28, 23, 0))  # Saturday night is not
    assert not window.contains(datetime(2026, 11, 27, 1, 30))  # nor Friday's own early hours
    assert str(window) == "Friday 22:00-02:00 UTC"


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The machine's zone set to America/New_York (UTC-5 in January) for one test."""
    import time as clock
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    yield ZoneInfo("America/New_York")
    monkeypatch.delenv("TZ")
    clock.tzset()


def test_windows_are_checked_in_utc_under_a_new_york_clock(new_york) -> None:  # type: ignore[no-untyped-def]
    from qroute.backends.hardware import AccessSchedule, Window, as_utc, window_refusal

    garnet = load_profiles()["iqm-garnet"]  # mon-wed 08:00-10:00 UTC
    # Wednesday 04:30 in New York = 09:30 UTC: open; 08:30 New York = 13:30 UTC: closed
    assert is_in_window(garnet, datetime(2026, 1, 7, 4, 30, tzinfo=new_york))
    assert window_refusal(garnet, datetime(2026, 1, 7, 4, 30, tzinfo=new_york)) is None
    closed = window_refusal(garnet, datetime(2026, 1, 7, 8, 30, tzinfo=new_york))
    assert closed is not None and "at Wed 13:30 UTC" in closed
    # a naive time is UTC, never the machine's local time
    assert is_in_window(garnet, datetime(2026, 1, 7, 9, 30))
    assert not is_in_window(garnet, datetime(2026, 1, 7, 4, 30))
    assert as_utc(datetime(2026, 1, 7, 9, 30)) == datetime(2026, 1, 7, 9, 30, tzinfo=UTC)
    # now, aware: the same instant whatever the zone
    assert as_utc(datetime.now(new_york)).utcoffset() == timedelta(0)

    # an overnight window (Friday 22:00 to 02:00 UTC): its small hours belong to Friday
    overnight = garnet.model_copy(
        update={
            "availability": AccessSchedule(
                windows=(Window(days=("fri",), start=time(22), end=time(2)),), requires="aws"
            )
        }
    )
    friday_night = datetime(2026, 1, 9, 18, 30, tzinfo=new_york)  # Fri 23:30 UTC
    saturday_early = datetime(2026, 1, 9, 20, 30, tzinfo=new_york)  # Sat 01:30 UTC
    saturday_late = datetime(2026, 1, 10, 18, 30, tzinfo=new_york)  # Sat 23:30 UTC
    assert is_in_window(overnight, friday_night)
    assert is_in_window(overnight, saturday_early)
    assert not is_in_window(overnight, saturday_late)
    assert not is_in_window(overnight, datetime(2026, 1, 9, 16, 59, tzinfo=new_york))

    # "unknown": never counts as open, never refuses (the live device check decides)
    unknown = load_profiles()["ionq-forte-1"]
    assert unknown.availability.windows == "unknown"
    assert not is_in_window(unknown, friday_night)
    assert window_refusal(unknown, friday_night) is None


def test_a_price_date_is_future_only_when_it_is_future_everywhere(new_york) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from qroute.backends.hardware import Price

    source = "https://aws.amazon.com/braket/pricing/"
    # already today at UTC+14, though still yesterday in New York and in UTC
    kiribati_today = (datetime.now(UTC) + timedelta(hours=14)).date()
    assert Price(per_task_usd=0.3, as_of=kiribati_today, source=source).as_of == kiribati_today
    with pytest.raises(ValidationError, match="in the future"):
        Price(per_task_usd=0.3, as_of=kiribati_today + timedelta(days=1), source=source)
