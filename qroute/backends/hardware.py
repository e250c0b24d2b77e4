"""Hardware profiles: one validated YAML file per QPU, managed simulator or local solver.

Each file in the repository's top-level ``hardware_profiles/`` folder describes one execution
target: which qroute backend runs it, how big it is, how it is wired, which shot counts it
accepts, what it costs (with the public source and the date the figure was read), when it runs
and which credentials it needs.  The schema is documented in ``hardware_profiles/README.md``.

``load_profile`` reads one file, ``load_profiles`` reads a folder (default: the repository's
``hardware_profiles/``, or ``$QROUTE_HARDWARE_PROFILES``).  Any problem raises
:class:`ProfileError`, whose message is one line naming the file, the YAML line when known and
the field, e.g. ``hardware_profiles/ionq-forte-1.yaml:21: price.per_shot_usd: Input should be
greater than or equal to 0``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qroute.model.clock import as_utc
from qroute.model.errors import ProfileError

__all__ = [
    "BACKENDS",
    "BRAKET_ARN_RE",
    "DEFAULT_PROFILES_DIR",
    "PROFILES_ENV",
    "AccessSchedule",
    "Connectivity",
    "HardwareProfile",
    "Price",
    "ProfileError",
    "ShotRange",
    "Window",
    "as_utc",
    "backend_profile",
    "clique_capacity",
    "device_max_variables",
    "is_in_window",
    "max_variables_for",
    "shipped_profile",
    "window_refusal",
    "load_profile",
    "load_profiles",
    "profiles_dir",
]

PROFILES_ENV = "QROUTE_HARDWARE_PROFILES"
DEFAULT_PROFILES_DIR = Path(__file__).resolve().parent / "hardware_profiles"  # package data

Provider = Literal["aws-braket", "dwave", "local"]
Paradigm = Literal["gate", "annealing", "classical"]
Kind = Literal["qpu", "simulator", "hybrid-solver", "classical-solver"]
Status = Literal["active", "preview", "retired"]
Credentials = Literal["aws", "dwave", "none"]
Backend = Literal[
    "braket-aws",
    "dwave-qpu",
    "dwave-hybrid",
    "dwave-hybrid-cqm",
    "dwave-hybrid-nl",
    "dwave-sa",
    "dwave-tabu",
    "exact",
    "braket-local",
    "pennylane-lightning",
    "qiskit-aer",
    "qaoa-statevector",
]
ConnectivityKind = Literal[
    "all-to-all", "pegasus", "zephyr", "square-lattice", "heavy-hex", "graph"
]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

#: What each qroute backend runs on: (provider, paradigm, allowed kinds).
BACKENDS: Mapping[str, tuple[Provider, Paradigm, frozenset[Kind]]] = {
    "braket-aws": ("aws-braket", "gate", frozenset({"qpu", "simulator"})),
    "dwave-qpu": ("dwave", "annealing", frozenset({"qpu"})),
    "dwave-hybrid": ("dwave", "annealing", frozenset({"hybrid-solver"})),
    "dwave-hybrid-cqm": ("dwave", "annealing", frozenset({"hybrid-solver"})),
    "dwave-hybrid-nl": ("dwave", "annealing", frozenset({"hybrid-solver"})),
    # simulated annealing: a classical CPU sampler, but of the annealing model (a simulator)
    "dwave-sa": ("local", "annealing", frozenset({"simulator"})),
    "dwave-tabu": ("local", "classical", frozenset({"classical-solver"})),
    "exact": ("local", "classical", frozenset({"classical-solver"})),
    "braket-local": ("local", "gate", frozenset({"simulator"})),
    "pennylane-lightning": ("local", "gate", frozenset({"simulator"})),
    "qiskit-aer": ("local", "gate", frozenset({"simulator"})),
    "qaoa-statevector": ("local", "gate", frozenset({"simulator"})),
}
_CREDENTIALS: Mapping[str, Credentials] = {"aws-braket": "aws", "dwave": "dwave", "local": "none"}
_SOLVER_BACKENDS = frozenset({"dwave-qpu", "dwave-hybrid", "dwave-hybrid-cqm", "dwave-hybrid-nl"})

#: Public Amazon Braket device ARN; the region is empty for the global managed simulators.
BRAKET_ARN_RE = re.compile(
    r"^arn:aws:braket:(?P<region>(?:[a-z]{2}(?:-[a-z]+)+-\d)?)::device/"
    r"(?P<family>qpu|quantum-simulator)/(?P<vendor>[a-z0-9-]+)/(?P<device>[A-Za-z0-9][A-Za-z0-9._-]*)$"
)
_ID_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_URL_RE = r"^https?://[^\s/]+\S*$"
# schema bounds: far above any real device, low enough that arithmetic on them stays exact
_MAX_QUBITS = 100_000_000
_MAX_SHOTS = 1_000_000_000
_MAX_GRAPH_PARAMETER = 10_000
_MAX_PRICE_USD = 1_000_000.0
_LATEST_ZONE = timedelta(hours=14)  # the calendar date is first today at UTC+14 (Kiribati)
_DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: Mapping[str, Day] = {
    full: short
    for short, full in zip(
        _DAYS,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        strict=True,
    )
}
_DAY_GROUPS: Mapping[str, tuple[Day, ...]] = {
    "everyday": _DAYS,
    "weekdays": _DAYS[:5],
    "weekend": _DAYS[5:],
}


class _FieldIssue(ValueError):
    """Raised by cross-field checks so the error names the field (relative to its model)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")  # readable when validating without the loader
        self.field = field
        self.message = message


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Connectivity(_Frozen):
    """Qubit wiring: topology family, its size parameters and the number of couplers (edges)."""

    kind: ConnectivityKind
    m: int | None = Field(default=None, gt=0, le=_MAX_GRAPH_PARAMETER, strict=True)
    t: int | None = Field(default=None, gt=0, le=_MAX_GRAPH_PARAMETER, strict=True)
    edges: int | None = Field(default=None, gt=0, le=_MAX_QUBITS**2, strict=True)

    _PARAMS: ClassVar[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
        # kind: (required, allowed)
        "all-to-all": (frozenset(), frozenset()),
        "pegasus": (frozenset({"m"}), frozenset({"m", "edges"})),
        "zephyr": (frozenset({"m", "t"}), frozenset({"m", "t", "edges"})),
        "square-lattice": (frozenset({"edges"}), frozenset({"edges"})),
        "heavy-hex": (frozenset({"edges"}), frozenset({"edges"})),
        "graph": (frozenset({"edges"}), frozenset({"edges"})),
    }

    @model_validator(mode="after")
    def _parameters_fit_kind(self) -> Connectivity:
        required, allowed = self._PARAMS[self.kind]
        for name in ("m", "t", "edges"):
            given = getattr(self, name) is not None
            if given and name not in allowed:
                raise _FieldIssue(name, f"not a parameter of a {self.kind} topology")
            if not given and name in required:
                raise _FieldIssue(name, f"required for a {self.kind} topology")
        return self

    @property
    def nominal_qubits(self) -> int | None:
        """Qubits of the full (defect-free) graph, for the D-Wave topology families."""
        if self.kind == "pegasus" and self.m is not None:
            return 24 * self.m * (self.m - 1)
        if self.kind == "zephyr" and self.m is not None and self.t is not None:
            return 4 * self.t * self.m * (2 * self.m + 1)
        return None


class ShotRange(_Frozen):
    """Shots (reads) per task: the device's accepted range and qroute's default."""

    min: int = Field(ge=0, le=_MAX_SHOTS, strict=True)
    max: int = Field(gt=0, le=_MAX_SHOTS, strict=True)
    default: int = Field(ge=0, le=_MAX_SHOTS, strict=True)

    @model_validator(mode="after")
    def _ordered(self) -> ShotRange:
        if self.min > self.max:
            raise _FieldIssue("min", f"{self.min} is greater than max ({self.max})")
        if not self.min <= self.default <= self.max:
            raise _FieldIssue("default", f"{self.default} is outside [{self.min}, {self.max}]")
        return self


class Price(_Frozen):
    """Public price figures in USD, with where and when they were read."""

    per_task_usd: float | None = Field(default=None, ge=0, le=_MAX_PRICE_USD, allow_inf_nan=False)
    per_shot_usd: float | None = Field(default=None, ge=0, le=_MAX_PRICE_USD, allow_inf_nan=False)
    per_minute_usd: float | None = Field(default=None, ge=0, le=_MAX_PRICE_USD, allow_inf_nan=False)
    per_qpu_second_usd: float | None = Field(
        default=None, ge=0, le=_MAX_PRICE_USD, allow_inf_nan=False, strict=True
    )
    as_of: date
    source: str = Field(pattern=_URL_RE)
    estimate: bool = False

    FIGURES: ClassVar[tuple[str, ...]] = (
        "per_task_usd",
        "per_shot_usd",
        "per_minute_usd",
        "per_qpu_second_usd",
    )

    @field_validator(*FIGURES, mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):  # YAML's true/false would count as 1.0 / 0.0
            raise ValueError(f"expected a number of USD, got {value!r}")
        return value

    @field_validator("as_of", mode="before")
    @classmethod
    def _a_calendar_date(cls, value: Any) -> Any:
        if isinstance(value, bool | int | float):  # pydantic would read 0 as 1970-01-01
            raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}")
        return value

    @field_validator("as_of")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        # the date is already today somewhere (UTC+14): whatever the machine's zone says
        if value > (datetime.now(UTC) + _LATEST_ZONE).date():
            raise ValueError(f"{value.isoformat()} is in the future")
        return value

    def figures(self) -> dict[str, float]:
        """The figures that are given, by field name."""
        return {name: v for name in self.FIGURES if (v := getattr(self, name)) is not None}

    @property
    def is_free(self) -> bool:
        """True when every given figure is zero."""
        return all(v == 0 for v in self.figures().values())

    def cost_usd(
        self, *, tasks: int = 1, shots: int = 0, minutes: float = 0.0, qpu_seconds: float = 0.0
    ) -> float:
        """Cost of ``tasks`` tasks of ``shots`` shots each, plus billed minutes and QPU seconds."""
        return (
            tasks * (self.per_task_usd or 0.0)
            + tasks * shots * (self.per_shot_usd or 0.0)
            + minutes * (self.per_minute_usd or 0.0)
            + qpu_seconds * (self.per_qpu_second_usd or 0.0)
        )


class Window(_Frozen):
    """A weekly execution window in UTC; ``end`` is inclusive (Braket style, e.g. 23:59:59).

    The one window class: hardware profiles and live Braket device properties
    (``Window.from_braket``) both use it. ``end`` before ``start`` is an overnight window
    (Braket's rule: its early-morning part belongs to the day it started on).
    """

    days: tuple[Day, ...] = Field(min_length=1)
    start: time
    end: time

    @field_validator("days", mode="before")
    @classmethod
    def _expand_days(cls, value: Any) -> Any:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        days: set[Day] = set()
        for item in items:
            word = item.strip().lower() if isinstance(item, str) else item
            if word in _DAY_GROUPS:
                days.update(_DAY_GROUPS[word])
            elif word in _DAY_NAMES:
                days.add(_DAY_NAMES[word])
            elif word in _DAYS:
                days.add(_DAYS[_DAYS.index(word)])
            else:
                raise ValueError(
                    f"{item!r} is not a day: use mon..sun, full day names,"
                    " everyday, weekdays or weekend"
                )
        return tuple(day for day in _DAYS if day in days)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            raise ValueError(
                f"got the number {value!r}: quote times as 'HH:MM' (YAML reads 10:00 as 600)"
            )
        return value

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: time) -> time:
        offset = value.utcoffset()
        if offset is not None and offset.total_seconds() != 0:
            raise ValueError("windows are in UTC; drop the offset")
        return value.replace(tzinfo=None)

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if self.end == self.start:
            raise _FieldIssue(
                "end",
                f"{self.end.isoformat()} equals start: the window is empty"
                " (an end before the start is an overnight window)",
            )
        return self

    @classmethod
    def from_braket(cls, day: str, start: time, end: time) -> Window:
        """A Braket ``executionWindows`` entry (day Everyday, Weekdays, Weekend or a name)."""
        return cls(days=day, start=start, end=end)  # type: ignore[arg-type]

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` (aware, or naive UTC) falls inside this window."""
        utc = as_utc(moment)
        now = utc.time().replace(microsecond=0)
        weekday = utc.weekday()
        if self.start < self.end:
            return _DAYS[weekday] in self.days and self.start <= now <= self.end
        if now <= self.end:  # the early-morning part of an overnight window
            weekday = (weekday - 1) % 7
        elif now < self.start:
            return False
        return _DAYS[weekday] in self.days

    def __str__(self) -> str:
        names = {days: name.capitalize() for name, days in _DAY_GROUPS.items()}
        full = {short: name.capitalize() for name, short in _DAY_NAMES.items()}
        if self.days in names:
            shown = names[self.days]
        elif len(self.days) == 1:
            shown = full[self.days[0]]
        else:
            shown = ",".join(self.days)
        return f"{shown} {self.start:%H:%M}-{self.end:%H:%M} UTC"


class AccessSchedule(_Frozen):
    """A profile's ``availability`` section: when the target executes tasks (``always``,
    ``unknown`` or weekly windows) and which credentials it needs."""

    windows: Literal["always", "unknown"] | tuple[Window, ...]
    requires: Credentials

    @field_validator("windows")
    @classmethod
    def _some_windows(cls, value: Any) -> Any:
        if isinstance(value, tuple) and not value:
            raise ValueError("give at least one window, or 'always' / 'unknown'")
        return value


class HardwareProfile(_Frozen):
    """One execution target: a QPU, a managed simulator, a hybrid solver or a local solver."""

    id: str = Field(pattern=_ID_RE)
    name: str = Field(min_length=1)
    provider: Provider
    paradigm: Paradigm
    kind: Kind
    status: Status = "active"
    backend: Backend
    device_arn: str | None = None
    solver_name: str | None = Field(default=None, min_length=1)
    region: str | None = Field(default=None, min_length=1)
    qubits: int = Field(gt=0, le=_MAX_QUBITS, strict=True)  # no bools, no 3.0
    connectivity: Connectivity
    native_gates: tuple[str, ...] = ()
    shots: ShotRange
    price: Price
    availability: AccessSchedule
    max_subproblem_qubits: int | None = Field(default=None, gt=0, le=_MAX_QUBITS, strict=True)
    max_variables: int | None = Field(default=None, gt=0, le=_MAX_QUBITS, strict=True)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_file_stem(cls, value: str, info: ValidationInfo) -> str:
        stem = (info.context or {}).get("file_stem")
        if stem is not None and value != stem:
            raise ValueError(f"{value!r} does not match the file name {stem!r}")
        return value

    @field_validator("device_arn")
    @classmethod
    def _arn_shape(cls, value: str | None) -> str | None:
        if value is not None and not BRAKET_ARN_RE.match(value):
            raise ValueError(
                f"{value!r} is not a Braket device ARN"
                " (arn:aws:braket:<region>::device/<qpu|quantum-simulator>/<vendor>/<device>)"
            )
        return value

    @field_validator("native_gates")
    @classmethod
    def _gate_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for gate in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", gate):
                raise ValueError(f"{gate!r} is not a lower-case gate name")
        if len(set(value)) != len(value):
            raise ValueError("gate names repeat")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HardwareProfile:
        provider, paradigm, kinds = BACKENDS[self.backend]
        if self.provider != provider:
            raise _FieldIssue("provider", f"backend {self.backend} runs on {provider}")
        if self.paradigm != paradigm:
            raise _FieldIssue("paradigm", f"backend {self.backend} is {paradigm}")
        if self.kind not in kinds:
            raise _FieldIssue("kind", f"backend {self.backend} takes {' or '.join(sorted(kinds))}")
        self._check_identity()
        self._check_hardware()
        self._check_commercials()
        return self

    def _check_identity(self) -> None:
        if self.backend == "braket-aws":
            if self.device_arn is None:
                raise _FieldIssue("device_arn", "required for backend braket-aws")
            if self.region is None:
                raise _FieldIssue("region", "required for backend braket-aws")
            match = BRAKET_ARN_RE.match(self.device_arn)
            assert match is not None  # checked by _arn_shape
            family = "qpu" if self.kind == "qpu" else "quantum-simulator"
            if match["family"] != family:
                raise _FieldIssue("device_arn", f"a {self.kind} ARN has /device/{family}/")
            if match["region"] and match["region"] != self.region:
                raise _FieldIssue(
                    "region", f"{self.region} differs from the ARN's {match['region']}"
                )
        elif self.device_arn is not None:
            raise _FieldIssue("device_arn", f"only for backend braket-aws, not {self.backend}")
        if self.backend in _SOLVER_BACKENDS and self.solver_name is None:
            raise _FieldIssue("solver_name", f"required for backend {self.backend}")
        if self.backend not in _SOLVER_BACKENDS and self.solver_name is not None:
            raise _FieldIssue("solver_name", f"only for D-Wave Leap backends, not {self.backend}")

    def _check_hardware(self) -> None:
        if self.paradigm != "gate" and self.native_gates:
            raise _FieldIssue("native_gates", f"must be empty for {self.paradigm} targets")
        if self.paradigm == "gate" and self.kind == "qpu" and not self.native_gates:
            raise _FieldIssue("native_gates", "a gate-model QPU lists its native gates")
        annealer = self.kind == "qpu" and self.paradigm == "annealing"
        if annealer and self.connectivity.kind not in ("pegasus", "zephyr"):
            raise _FieldIssue("connectivity.kind", "a D-Wave QPU is pegasus or zephyr")
        nominal = self.connectivity.nominal_qubits
        if nominal is not None and self.qubits > nominal:
            raise _FieldIssue("qubits", f"{self.qubits} exceeds the {nominal} of the full graph")
        edges = self.connectivity.edges
        if edges is not None and edges > self.qubits * (self.qubits - 1) // 2:
            raise _FieldIssue(
                "connectivity.edges", f"{edges} is more than {self.qubits} qubits allow"
            )
        cap = self.max_subproblem_qubits
        if cap is not None and cap > self.qubits:
            raise _FieldIssue("max_subproblem_qubits", f"{cap} exceeds qubits ({self.qubits})")
        if self.provider == "local" and cap is None:
            raise _FieldIssue("max_subproblem_qubits", "required for a local target")
        limit = self.max_variables
        if limit is None:
            return
        if self.paradigm != "classical" and limit > self.qubits:
            raise _FieldIssue("max_variables", f"{limit} exceeds qubits ({self.qubits})")
        clique = clique_capacity(self.connectivity) if annealer else None
        if clique is not None and limit > clique:
            raise _FieldIssue(
                "max_variables", f"{limit} exceeds the {clique}-variable clique the graph embeds"
            )

    def _check_commercials(self) -> None:
        needed = _CREDENTIALS[self.provider]
        if self.availability.requires != needed:
            raise _FieldIssue("availability.requires", f"{self.provider} needs {needed}")
        figures = self.price.figures()
        if self.provider == "local":
            if not self.price.is_free:
                raise _FieldIssue("price", "a local target costs nothing; set its figures to 0")
            if self.availability.windows != "always":
                raise _FieldIssue("availability.windows", "a local target is 'always' available")
        elif not any(v > 0 for v in figures.values()):
            raise _FieldIssue("price", f"a {self.provider} target needs at least one price figure")
        if self.price.estimate and "estimate" not in (self.notes or "").lower():
            raise _FieldIssue("notes", "price.estimate is true: say in notes what is estimated")

    @property
    def is_local(self) -> bool:
        """Runs on this machine, free, without credentials."""
        return self.provider == "local"

    @property
    def accepts(self) -> Literal["circuit", "bqm"]:
        """What qroute hands the backend: a QAOA circuit or a binary quadratic model."""
        return "circuit" if self.paradigm == "gate" else "bqm"


def clique_capacity(connectivity: Connectivity) -> int | None:
    """Largest fully connected problem a full-yield annealer graph embeds (busclique sizes).

    Pegasus P_m: 12 (m - 1) (180 on P16); Zephyr Z_{m,t}: 2t (2m - 1) (184 on Z_{12,4}).
    tests/hybrid/test_dispatch.py checks both formulas against minorminer's busclique on small
    graphs. Real QPUs miss a few qubits, so this is an upper bound: a failed embedding
    still falls back at solve time.
    """
    if connectivity.kind == "pegasus" and connectivity.m:
        return 12 * (connectivity.m - 1)
    if connectivity.kind == "zephyr" and connectivity.m and connectivity.t:
        return 2 * connectivity.t * (2 * connectivity.m - 1)
    return None


def max_variables_for(profile: HardwareProfile) -> int:
    """Most BQM variables qroute sends to this target in one solve: the only size rule.

    The profile's ``max_variables`` (qroute's own cap) when it sets one, else what the device
    takes (:func:`device_max_variables`).
    """
    if profile.max_variables is not None:
        return profile.max_variables
    return device_max_variables(profile)


def device_max_variables(profile: HardwareProfile) -> int:
    """Most logical variables the target itself takes, without qroute's cap: the busclique
    capacity of an annealing QPU's graph, else ``max_subproblem_qubits``, else ``qubits``."""
    if profile.paradigm == "annealing" and profile.kind == "qpu":
        clique = clique_capacity(profile.connectivity)
        if clique is not None:
            return clique
    return profile.max_subproblem_qubits or profile.qubits


def backend_profile(
    name: str, profiles: dict[str, HardwareProfile] | None = None
) -> HardwareProfile | None:
    """The first active (not retired) profile whose ``backend`` is ``name`` (default: the
    profiles in :func:`profiles_dir`, read once per folder), or None: a backend without one."""
    if profiles is None:
        profiles = _profiles_in(profiles_dir())
    for profile in profiles.values():
        if profile.backend == name and profile.status != "retired":
            return profile
    return None


@lru_cache(maxsize=8)
def _profiles_in(folder: Path) -> dict[str, HardwareProfile]:
    return load_profiles(folder)


def shipped_profile(profile_id: str) -> HardwareProfile:
    """One profile shipped with qroute (package data; ignores ``$QROUTE_HARDWARE_PROFILES``)."""
    return load_profile(DEFAULT_PROFILES_DIR / f"{profile_id}.yaml")


def profiles_dir() -> Path:
    """The profile folder: ``$QROUTE_HARDWARE_PROFILES``, else the repo's ``hardware_profiles``."""
    override = os.environ.get(PROFILES_ENV)
    return Path(override) if override else DEFAULT_PROFILES_DIR


def load_profile(path: str | os.PathLike[str]) -> HardwareProfile:
    """Read and validate one profile; the file's stem must equal its ``id``."""
    return _load(Path(path))[0]


def load_profiles(directory: str | os.PathLike[str] | None = None) -> dict[str, HardwareProfile]:
    """Read every ``*.yaml``/``*.yml`` profile in ``directory`` (default: :func:`profiles_dir`)."""
    folder = Path(directory) if directory is not None else profiles_dir()
    if not folder.is_dir():
        raise ProfileError(
            _shown(folder),
            f"hardware profile folder not found (point ${PROFILES_ENV} at one, e.g. the "
            "repository's hardware_profiles/)",
        )
    profiles: dict[str, HardwareProfile] = {}
    origin: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        profile, root = _load(path)
        if profile.id in profiles:
            raise ProfileError(
                _shown(path),
                f"duplicate id {profile.id!r} (also in {origin[profile.id]})",
                field="id",
                line=_line_of(root, ("id",)),
            )
        profiles[profile.id] = profile
        origin[profile.id] = _shown(path)
    return profiles


def window_refusal(profile: HardwareProfile, when: datetime) -> str | None:
    """The one window rule of dispatch and planning: why the profile says the target is
    closed at ``when`` (aware, or naive UTC), or None.

    ``always`` and ``unknown`` never refuse: for ``unknown`` the live device check decides
    (Braket's device status and windows, when live checks are on).
    """
    windows = profile.availability.windows
    if isinstance(windows, str) or is_in_window(profile, when):
        return None
    utc = as_utc(when)
    shown = "; ".join(str(window) for window in windows)
    return f"outside its execution windows at {utc:%a %H:%M} UTC ({shown}, per profile)"


def is_in_window(profile: HardwareProfile, when: datetime) -> bool:
    """True when ``when`` falls in one of the profile's execution windows.

    A naive ``when`` is taken as UTC.  ``always`` is always open; ``unknown`` never counts as open
    (query the live device before relying on it).
    """
    windows = profile.availability.windows
    if windows == "always":
        return True
    if windows == "unknown":
        return False
    return any(window.contains(when) for window in windows)


# --------------------------------------------------------------------------------------------
# Loading and error reporting


def _shown(path: Path) -> str:
    """The path as the user will recognise it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _load(path: Path) -> tuple[HardwareProfile, yaml.Node | None]:
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(shown, f"cannot read profile: {exc}") from exc
    loader: yaml.SafeLoader | None = None
    root: yaml.Node | None = None
    try:
        loader = yaml.SafeLoader(text)  # a control character fails here already
        root = loader.get_single_node()
        if root is not None:
            _reject_duplicate_keys(shown, root, (), set())
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise ProfileError(shown, f"invalid YAML: {problem}", line=line) from None
    except ProfileError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # a scalar YAML resolves but cannot build, e.g. the date 2026-02-30
        line, value = _bad_scalar(root)
        what = f"invalid value {value!r}: {exc}" if value is not None else f"invalid value: {exc}"
        raise ProfileError(shown, what, line=line) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ProfileError(shown, f"expected a mapping of profile fields, found {found}", line=1)
    try:
        profile = HardwareProfile.model_validate(data, context={"file_stem": path.stem})
    except ValidationError as exc:
        raise _to_profile_error(shown, exc, root) from exc
    return profile, root


def _bad_scalar(root: yaml.Node | None) -> tuple[int | None, str | None]:
    """The first scalar that SafeLoader resolves to a type but cannot construct."""
    if root is None:
        return None, None
    stack = [root]
    visited: set[int] = set()
    probe = yaml.SafeLoader("")
    try:
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                try:
                    probe.construct_object(node, deep=True)
                except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                    return node.start_mark.line + 1, str(node.value)[:40]
            elif isinstance(node, yaml.MappingNode):
                stack.extend(item for pair in reversed(node.value) for item in reversed(pair))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(reversed(node.value))
    finally:
        probe.dispose()
    return None, None


def _reject_duplicate_keys(
    shown: str, node: yaml.Node, loc: tuple[str | int, ...], seen_nodes: set[int]
) -> None:
    """Reject a key given twice, and any YAML alias (a node met twice: an alias can recurse
    or expand exponentially, and no profile needs one)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        if id(node) in seen_nodes:
            field = ".".join(str(p) for p in loc) or None
            raise ProfileError(
                shown,
                "YAML aliases (*name) are not supported in profiles",
                field=field,
                line=node.start_mark.line + 1,
            )
        seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                field = ".".join(str(p) for p in (*loc, name))
                raise ProfileError(
                    shown, "key appears twice", field=field, line=key.start_mark.line + 1
                )
            seen.add(name)
            _reject_duplicate_keys(shown, value, (*loc, name), seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _reject_duplicate_keys(shown, item, (*loc, index), seen_nodes)


def _is_tag(part: str | int) -> bool:
    """Pydantic labels union members in error locations, e.g. ``tuple[Window, ...]``."""
    return isinstance(part, str) and any(c in part for c in "[]'\"")


def _clean_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The error location as a field path, without union-member labels."""
    return tuple(p for p in loc if not _is_tag(p))


def _union_root(loc: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The field path of the union an error came from, or None if it did not come from one."""
    for i, part in enumerate(loc):
        if _is_tag(part):
            return _clean_loc(loc[:i])
    return None


def _to_profile_error(shown: str, exc: ValidationError, root: yaml.Node | None) -> ProfileError:
    errors = exc.errors(include_url=False)
    first = errors[0]  # pydantic reports fields in declaration order
    union = _union_root(first["loc"])
    if union is not None:
        # A union reports one error per member; the member that got furthest is the useful one.
        members = [e for e in errors if _union_root(e["loc"]) == union]
        first = max(members, key=lambda e: len(_clean_loc(e["loc"])))
    loc = _clean_loc(first["loc"])
    message = str(first["msg"])
    issue = (first.get("ctx") or {}).get("error")
    if isinstance(issue, _FieldIssue):
        loc = (*loc, *issue.field.split("."))
        message = issue.message
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if first["type"] == "literal_error" and "input" in first:
        message = f"{message}, got {first['input']!r}"
    # Other problems, not counting the chosen one's ancestors (the failed union members).
    others = len({c for e in errors if (c := _clean_loc(e["loc"])) != loc[: len(c)]})
    if others > 0:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    field = ".".join(str(p) for p in loc) or None
    if first["type"] == "missing":  # no line of its own: point at the enclosing key, if any
        line = _line_of(root, loc[:-1]) if len(loc) > 1 else None
    else:
        line = _line_of(root, loc)
    return ProfileError(shown, message, field=field, line=line)


def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (the key's line in a mapping); None if absent."""
    if root is None:
        return None
    node: yaml.Node = root
    line = root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if pair is None:
                return None
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return None
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line  # a scalar where a container was expected: its own line
    return line
