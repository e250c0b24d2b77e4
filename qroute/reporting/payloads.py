"""The typed payloads qroute writes: result.json (of `qroute solve` and of `qroute rail`),
comparison records, nightly rows.

Pydantic models, one per payload; writers validate through them (a wrong type fails the
writer, not a later reader) and their JSON schemas live in docs/schemas/ (`write_schemas`;
tests/reporting/test_payloads.py regenerates and compares them).

Open where others extend them: result.json accepts extra top-level keys (cold-chain, rail
and later additions), `quantum_share` and `ablation` are open models with optional fields
(route selection adds quantum_share.by_class, quantum_share.final_routes_selected_by_qubo,
ablation.selection, ablation.routes), and subproblem records, baseline entries, timing and
settings keep any extra field too.

    python -m qroute.reporting.payloads docs/schemas   # rewrite the schema files
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Number = float | None


class _Open(BaseModel):
    """A model that keeps fields it does not declare."""

    model_config = ConfigDict(extra="allow")


class SubproblemEntry(_Open):
    """One subproblem solve of a run (qroute.hybrid.pipeline.SubproblemRecord.as_dict)."""

    index: int
    phase: str = Field(description="initial | improve")
    key: str = Field(description="content hash of the subproblem")
    kind: str = Field(description="route | path")
    size: int = Field(description="free stops")
    nodes: list[int]
    cost_before: float
    cost_after: float
    adopted: bool
    backend_requested: str
    backend_used: str
    device: str
    paradigm: str = Field(description="gate | annealing | hybrid | classical")
    raw_feasible_rate: Number = None
    repaired: bool = False
    wall_seconds: float
    fallback_reason: str | None = None
    provenance: dict[str, Any] = Field(default_factory=dict)


class BaselineEntry(_Open):
    """A classical baseline under the same wall time, validated independently."""

    cost: Number = None
    feasible: bool
    violations: list[str] = Field(default_factory=list)
    num_routes: int | None = None
    gap_percent: Number = None
    wall_seconds: Number = None
    error: str | None = None


class QuantumShare(_Open):
    """What quantum and annealing backends contributed; every field optional."""

    solves: int | None = None
    quantum_solves: int | None = None
    share_of_solves: Number = None
    adopted: int | None = None
    adopted_quantum: int | None = None
    share_of_adopted: Number = None
    by_paradigm: dict[str, int] | None = None
    solves_by_backend: dict[str, int] | None = None
    adopted_by_backend: dict[str, int] | None = None
    arc_share: Number = Field(
        default=None, description="share of the final arcs last set by a quantum answer"
    )
    arcs_from: dict[str, int] | None = None
    arcs_confirmed_by_quantum: int | None = None
    reused_answers_adopted: int | None = None
    by_class: dict[str, Any] | None = Field(
        default=None, description="per provenance class: qpu, quantum_simulator, ..."
    )
    final_routes_selected_by_qubo: Number = Field(
        default=None,
        description="share (0..1) of the final routes whose membership in the plan was last "
        "decided by an adopted route-selection QUBO answer (confirmations are counted apart)",
    )


class Ablation(_Open):
    """What the quantum step changed against its exact classical counterpart (optional)."""

    selection: dict[str, Any] | None = None
    routes: dict[str, Any] | None = None


class Timing(_Open):
    """Seconds spent per part of the run (more keys may follow)."""

    total_seconds: Number = None
    before_flow_seconds: Number = None
    load_seconds: Number = None
    hybrid_seconds: Number = None
    baselines_seconds: Number = None
    optimisation_seconds: Number = None
    orchestration_seconds: Number = None
    report_seconds: Number = None
    api_ready_seconds: Number = None
    orchestration_share: Number = None


class ResultPayload(_Open):
    """result.json of `qroute solve` (qroute.reporting.output.result_payload)."""

    instance: str
    source: str | None = None
    num_customers: int
    status: str = Field(description="complete | infeasible")
    feasible: bool
    violations: list[str]
    cost: float
    num_routes: int
    bks: Number = None
    gap_percent: Number = None
    wall_seconds: float
    policy: str | None = None
    time_limit: Number = None
    seed: int | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    baselines: dict[str, BaselineEntry] = Field(default_factory=dict)
    quantum_share: QuantumShare = Field(default_factory=QuantumShare)
    ablation: Ablation | None = None
    backends: dict[str, int] = Field(default_factory=dict)
    subproblems: list[SubproblemEntry] = Field(default_factory=list)
    history: list[list[float]] = Field(
        default_factory=list, description="[seconds since start, best cost] pairs"
    )
    orchestration_seconds: Number = None
    timing: Timing = Field(default_factory=Timing)
    routes: list[list[int]] = Field(default_factory=list)
    subproblems_initial: int | None = None


class ComparisonRecord(BaseModel):
    """One solve of `qroute compare` (a line of comparison-<run id>.jsonl); every value may
    be null for a skipped solve."""

    model_config = ConfigDict(extra="forbid")

    schema_: int = Field(alias="schema", description="record schema version")
    run_id: str = Field(description="comparison-<UTC timestamp>: all records of one measurement")
    timestamp: str | None = Field(
        default=None, description="ISO 8601 UTC, when this solve finished"
    )
    host: str | None = Field(default=None, description="machine name the local solves ran on")
    kind: str | None = Field(
        default=None,
        description="case family: route-tsp, route-selection, rail-assignment, ... "
        "(null in records from before kinds: route-tsp)",
    )
    backend: str = Field(description="backend name as requested (qroute.backends)")
    backend_used: str | None = Field(default=None, description="provenance.backend_used")
    device: str | None = Field(
        default=None, description="simulator/library, solver name or device ARN"
    )
    paradigm: str | None = Field(default=None, description="gate, annealing or classical")
    provenance_class: str | None = Field(
        default=None, description="qpu | quantum_simulator | hybrid_service | classical_sampler"
    )
    max_size: int | None = Field(
        default=None, description="most the backend accepts, in the kind's unit"
    )
    size: int = Field(
        description="the kind's size: free stops (route-tsp), columns (route-selection), ..."
    )
    variables: int | None = Field(default=None, description="QUBO variables")
    seed: int = Field(description="instance seed = solver seed")
    subproblem: str | None = Field(
        default=None, description="subproblem name, e.g. random-tsp-k4-s0"
    )
    subproblem_key: str | None = Field(
        default=None, description="content hash of the distance matrix"
    )
    status: str = Field(description="ok | skipped: too large | skipped: unavailable | error")
    reason: str | None = Field(default=None, description="why skipped / the error, else null")
    tour: list[int] | None = Field(default=None, description="[0, ..., 0] local node ids")
    answer: list[int] | None = Field(
        default=None, description="the decoded answer (tour stops, chosen columns, ...)"
    )
    cost: Number = Field(default=None, description="the answer's cost in the case's own units")
    optimum: Number = Field(default=None, description="exact optimum of the same case")
    optimum_method: str | None = Field(
        default=None, description="how the optimum was found: held-karp, HiGHS MIP, enumeration"
    )
    gap_percent: Number = Field(default=None, description="100 * (cost - optimum) / optimum")
    optimal: bool | None = Field(
        default=None, description="cost equals the optimum (1e-6 relative)"
    )
    raw_feasible_rate: Number = Field(
        default=None, description="share of raw samples that were feasible answers"
    )
    repaired: bool | None = Field(default=None, description="the answer was repaired from a sample")
    optimum_sampled: bool | None = Field(default=None, description="the optimum was a raw sample")
    time_to_solution_s: Number = Field(default=None, description="wall s around backend.solve")
    backend_wall_s: Number = Field(default=None, description="provenance.wall_seconds")
    shots: int | None = Field(default=None, description="shots / reads (null for exact)")
    estimated_cost_usd: Number = Field(
        default=None, description="from the hardware profile's price"
    )
    price_profile: str | None = Field(default=None, description="hardware profile of the estimate")
    tracked_cost_usd: Number = Field(default=None, description="provenance.cost_usd")
    chain_break_fraction: Number = Field(
        default=None, description="QPU annealers: mean chain breaks"
    )
    ground_state_probability: Number = Field(default=None, description="QAOA: P(ground state)")
    fallback_reason: str | None = Field(default=None, description="provenance.fallback_reason")
    details: dict[str, Any] | None = Field(
        default=None, description="provenance.details, scalars only"
    )


class NightlyRow(BaseModel):
    """One nightly solve run in the results store (qroute.reporting.html_report.append_run)."""

    model_config = ConfigDict(extra="forbid")

    ts: str = Field(description="ISO 8601 UTC, e.g. 2026-11-26T02:00:00Z")
    instance: str = Field(min_length=1, description="instance name")
    cost: float = Field(description="total route length of the validated solution")
    gap_percent: Number = Field(default=None, description="gap to the best-known solution in %")
    backends: str | None = Field(
        default=None, description='JSON: {"backend": solves, ...} or ["backend", ...]'
    )
    quantum_share: Number = Field(default=None, description="share (0..1) of quantum solves")
    cost_usd: Number = Field(default=None, description="money spent on cloud devices in the run")
    wall_seconds: Number = Field(default=None, description="wall time of the run")


class RailLeg(BaseModel):
    """One leg of a consignment's plan (qroute.rail.report.leg_dict)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    mode: str = Field(description="rail | van | truck")
    from_: str = Field(alias="from", description="station code, or pickup / delivery")
    to: str = Field(description="station code, or pickup / delivery")
    depart: str = Field(description="HH:MM (hours may pass 24)")
    arrive: str = Field(description="HH:MM")
    km: float
    cost: float = Field(description="CNY")
    service: str | None = Field(default=None, description="train service (rail legs)")


class RailPlanItem(BaseModel):
    """A consignment and the option it takes."""

    model_config = ConfigDict(extra="forbid")

    consignment: str
    priority: str = Field(description="standard | express | cold_chain")
    kind: str = Field(description="direct | transfer | truck | van")
    ready: str
    deadline: str
    arrival: str
    lateness_min: int
    cost: float
    legs: list[RailLeg]


class RailMip(BaseModel):
    """The HiGHS MIP on the same options (the reference of the gap)."""

    model_config = ConfigDict(extra="forbid")

    cost: Number = None
    bound: Number = None
    proven_gap_percent: Number = None
    optimal: bool
    status: str
    wall_seconds: float


class RailWindow(_Open):
    """One window QUBO solve (qroute.rail.plan.WindowRecord.as_dict)."""

    index: int
    pass_: int = Field(alias="pass")
    consignments: int
    variables: int = Field(description="BQM variables: options and slack bits")
    capacity_rows: int
    backend_requested: str
    backend_used: str
    provenance_class: str
    device: str
    raw_feasible_rate: Number = None
    repaired: bool
    adopted: bool
    cost_before: float
    cost_qubo: float
    cost_window_mip: Number = Field(default=None, description="the window MIP (ablation)")
    wall_seconds: float
    window_mip_seconds: Number = None
    fallback_reason: str | None = None
    cost_usd: float = Field(
        default=0.0, description="what this window's paid dispatch charged (ledger actual)"
    )


class RailProvenance(BaseModel):
    """Windows solved and adopted per provenance class (repairs credited to 'repair')."""

    model_config = ConfigDict(extra="forbid")

    classes: list[str]
    windows_solved: dict[str, int]
    windows_adopted: dict[str, int]
    backends_used: dict[str, int]


class RailValidationEntry(BaseModel):
    """The independent validator's verdict (qroute.rail.validate)."""

    model_config = ConfigDict(extra="forbid")

    feasible: bool
    violations: list[str]
    late_consignments: int
    lateness_minutes: int


class RailServiceLoad(BaseModel):
    """Load of one service segment against its allowance."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    service: str
    segment: int
    from_: str = Field(alias="from")
    to: str
    depart: str
    kg: int
    capacity_kg: int
    slots: int
    capacity_slots: int
    consignments: int


class RailTruckEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consignment: str
    reason: str


class RailLateEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consignment: str
    priority: str
    minutes: int
    reason: str


class RailVanTour(BaseModel):
    """A routed first- or last-mile van tour (qroute.rail.trucks.VanTour.as_dict)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="pickup | delivery")
    station: str
    service: str
    train_time: str
    consignments: list[str] = Field(description="in driving order")
    km: float
    cost: float


class RailCostBreakdown(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rail: float
    truck_and_van: float
    lateness: float


class RailResultPayload(_Open):
    """result.json of `qroute rail` (qroute.rail.report.rail_payload); costs in CNY."""

    scenario: str
    policy: str
    consignments: int
    services: int
    cost: float
    cost_breakdown: RailCostBreakdown
    greedy_cost: float
    feasible: bool
    validation: RailValidationEntry
    mip: RailMip | None = None
    gap_to_mip_percent: Number = None
    provenance: RailProvenance
    windows: list[RailWindow]
    cloud_cost_usd: float = Field(
        default=0.0,
        description="sum of the windows' cost_usd (a replan's base plan: disruption.base_plan)",
    )
    plan: list[RailPlanItem]
    service_loads: list[RailServiceLoad]
    by_truck: list[RailTruckEntry]
    late: list[RailLateEntry]
    unassigned: list[str] = Field(description="always empty: the truck is always an option")
    van_tours: list[RailVanTour]
    van_tour_cost: float = Field(description="what the routed van tours cost")
    van_stem_estimate: float = Field(
        description="what the assignment priced the van legs at, before routing"
    )
    van_route_factor: float = Field(
        description="tour-to-stem factor the van legs were priced with (routed greedy start)"
    )
    van_estimate_error_percent: Number = Field(
        default=None, description="100 * (van_stem_estimate - van_tour_cost) / van_tour_cost"
    )
    wall_seconds: float
    phase_seconds: dict[str, float]
    disruption: dict[str, Any] | None = None
    files: dict[str, str] | None = None


#: The schema files in docs/schemas/, by model.
SCHEMAS: dict[str, type[BaseModel]] = {
    "result.schema.json": ResultPayload,
    "comparison-record.schema.json": ComparisonRecord,
    "nightly-row.schema.json": NightlyRow,
    "rail-result.schema.json": RailResultPayload,
}


def schema_text(model: type[BaseModel]) -> str:
    """The JSON schema of `model`, as written to docs/schemas/."""
    return json.dumps(model.model_json_schema(by_alias=True), indent=2, sort_keys=True) + "\n"


def write_schemas(folder: str | Path) -> list[Path]:
    """Write every payload's JSON schema into `folder`."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = out / name
        path.write_text(schema_text(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_schemas(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas"):
        print(written)
