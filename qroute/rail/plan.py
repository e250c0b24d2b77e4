"""The rail planning pipeline: options, a greedy feasible start, window QUBOs solved through
the backends (large-neighbourhood search over corridor/time windows), the MIP reference.

One function, `plan_rail`, serves the CLI, the Prefect flow, the benchmark and the tests.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qroute.model.solver import BackendUnavailable, Budget
from qroute.rail.mip import MipResult, solve_mip
from qroute.rail.model import RailNetwork
from qroute.rail.options import Option, Segment, all_options, capacities, load_of
from qroute.rail.qubo import decode, window_qubo
from qroute.rail.samplers import ONEHOT, RailSamplers, rail_chain
from qroute.rail.trucks import route_vans

Options = Mapping[str, Sequence[Option]]
Weights = Mapping[str, tuple[int, int]]
WINDOW_FILL = 0.6  # option variables per window, as a share of the limit (room for slack)
MAX_PASSES = 3
DEFAULT_WINDOW_VARIABLES = 100
"""Windows are kept far below dwave-sa's 1000-variable profile limit: SA on the slack-encoded
capacity rows degrades fast with size (bench/rail.py; 60-100 option variables per window
matched the window MIP's LNS quality, 600 did not adopt a single window)."""
MIP_WINDOW = 256  # window size when the window MIP alone solves (no QUBO backend)
ONEHOT_WINDOW_VARIABLES = 2000
"""Option variables per onehot-sa window: the whole default scenario (918) in one window;
larger instances are cut into corridor/time windows of this size (bench/rail.py)."""
ONEHOT_POLISH_VARIABLES = 200
"""Option variables per onehot-sa window after the first pass (about 40 consignments
around one service): small enough that onehot-sa matched the window MIP on every such
window measured, so each re-solve fixes what the large window left."""


@dataclass(frozen=True)
class RailConfig:
    policy: str = "local"
    time_limit: float = 20.0  # seconds for the QUBO path, and again for the MIP
    seed: int = 0
    shots: int | None = None
    mip: bool = True  # solve the full MIP as the reference
    max_window_variables: int | None = None
    """Window cap; None: ONEHOT_WINDOW_VARIABLES option variables for onehot-sa,
    DEFAULT_WINDOW_VARIABLES BQM variables for every other backend (both within the
    backend's own limit)."""
    row_margin: float | None = None  # capacity-row penalty margin; None: certified (qubo.py)
    estimate_vans: bool = True  # price van legs with `van_route_factor` before the assignment
    penalty: str = "incumbent"
    """"incumbent": certified penalties capped by the window's current plan (qubo.py);
    "regret": the regret weights alone (also certified, larger)."""


@dataclass(frozen=True)
class WindowRecord:
    index: int
    pass_: int
    consignments: int
    variables: int
    capacity_rows: int
    backend_requested: str
    backend_used: str
    provenance_class: str
    device: str
    raw_feasible_rate: float | None
    repaired: bool
    adopted: bool
    cost_before: float
    cost_qubo: float
    cost_window_mip: float | None
    wall_seconds: float
    window_mip_seconds: float | None
    fallback_reason: str | None = None
    cost_usd: float = 0.0  # what this window's paid dispatch charged (its ledger row's actual)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out["pass"] = out.pop("pass_")
        return out


@dataclass(frozen=True)
class RailPlan:
    network: RailNetwork
    options: dict[str, tuple[Option, ...]]
    choice: dict[str, int]
    cost: float
    greedy_cost: float
    records: tuple[WindowRecord, ...]
    mip: MipResult | None
    policy: str
    wall_seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def chosen(self, cid: str) -> Option:
        return self.options[cid][self.choice[cid]]

    @property
    def gap_percent(self) -> float | None:
        if self.mip is None or self.mip.cost is None or self.mip.cost <= 0:
            return None
        return (self.cost - self.mip.cost) / self.mip.cost * 100.0


def weights_of(net: RailNetwork) -> dict[str, tuple[int, int]]:
    return {c.id: (c.weight_kg, c.slots) for c in net.consignments}


def plan_cost(choice: Mapping[str, int], options: Options) -> float:
    return sum(options[c][k].cost for c, k in choice.items())


def residual_of(
    capacity: Mapping[Segment, tuple[int, int]], load: Mapping[Segment, Sequence[int]]
) -> dict[Segment, tuple[int, int]]:
    out = {}
    for seg, (kg, sl) in capacity.items():
        used = load.get(seg, (0, 0))
        out[seg] = (kg - used[0], sl - used[1])
    return out


def greedy(
    ids: Sequence[str],
    options: Options,
    residual: Mapping[Segment, tuple[int, int]],
    weights: Weights,
) -> dict[str, int]:
    """Regret order (what the truck would cost a consignment over its cheapest option,
    largest first; lateness by priority is in the costs), each its cheapest option that still
    fits; the truck always fits. Feasible by construction. (Tried: priority class then
    deadline, 12.8 % above the MIP on the default scenario; regret, 5.4 %; regret per kg,
    7.0 %.)"""
    free = {seg: list(v) for seg, v in residual.items()}

    def regret(cid: str) -> float:
        truck = next(o.cost for o in options[cid] if o.kind == "truck")
        return truck - options[cid][0].cost

    choice = {}
    for cid in sorted(ids, key=lambda c: (-regret(c), c)):
        kg, sl = weights[cid]
        for k, opt in enumerate(options[cid]):
            if all(free[s][0] >= kg and free[s][1] >= sl for s in opt.segments):
                for s in opt.segments:
                    free[s][0] -= kg
                    free[s][1] -= sl
                choice[cid] = k
                break
    return choice


def conflict_windows(
    ids: Sequence[str],
    options: Options,
    choice: Mapping[str, int],
    capacity: Mapping[Segment, tuple[int, int]],
    weights: Weights,
    budget_vars: int,
) -> list[list[str]]:
    """Windows of consignments that compete for the same trains: one per service, fullest
    service first, grown breadth-first over the services their options use (a corridor and
    time window) until `budget_vars` option variables. Consignments with a single option
    need no decision and are left out."""
    movable = [c for c in ids if len(options[c]) > 1]
    riders: dict[str, list[str]] = {}
    for cid in movable:
        for service in dict.fromkeys(s for o in options[cid] for s in o.services):
            riders.setdefault(service, []).append(cid)
    load = load_of(choice, options, weights)

    def fullness(service: str) -> float:
        rows = [v for seg, v in load.items() if seg[0] == service]
        return max(
            (
                max(kg / capacity[(service, 0)][0], sl / capacity[(service, 0)][1])
                for kg, sl in rows
            ),
            default=0.0,
        )

    seeds = sorted(riders, key=lambda s: (-fullness(s), s))
    windows = []
    made: set[frozenset[str]] = set()  # a window grown again from another seed is skipped
    for seed in seeds:
        window: list[str] = []
        seen: set[str] = set()
        size = 0
        queue = [seed]
        done: set[str] = set()
        while queue and size < budget_vars:
            service = queue.pop(0)
            if service in done:
                continue
            done.add(service)
            for cid in riders.get(service, []):
                if cid in seen:
                    continue
                if size + len(options[cid]) > budget_vars:
                    break
                seen.add(cid)
                window.append(cid)
                size += len(options[cid])
                queue.extend(s for o in options[cid] for s in o.services if s not in done)
        if window and frozenset(window) not in made:
            made.add(frozenset(window))
            windows.append(window)
    return windows


def window_limit(samplers: RailSamplers, policy: str, config: RailConfig) -> int:
    """Most variables per window, as `RailSamplers.window_size` of the chain's first backend
    counts them (option variables for onehot-sa, every BQM variable otherwise)."""
    chain = rail_chain(policy)
    if policy == "mixed":
        limit = samplers.max_variables("dwave-sa")
    elif chain and chain[0] == ONEHOT:
        cap = config.max_window_variables or ONEHOT_WINDOW_VARIABLES
        return min(samplers.max_variables(ONEHOT), cap)
    else:
        limit = min((samplers.max_variables(name) for name in chain), default=MIP_WINDOW)
    return min(limit, config.max_window_variables or DEFAULT_WINDOW_VARIABLES)


def improve_windows(
    net: RailNetwork,
    options: Options,
    choice: dict[str, int],
    capacity: Mapping[Segment, tuple[int, int]],
    config: RailConfig,
    samplers: RailSamplers,
    deadline: float,
    ids: Sequence[str] | None = None,
) -> tuple[dict[str, int], list[WindowRecord]]:
    """Large-neighbourhood search: re-solve each window's QUBO with the allowances the
    rest of the plan leaves; adopt the answer when it is cheaper; stop when a pass adopts
    nothing or time runs out. onehot-sa's first pass takes windows of up to
    ONEHOT_WINDOW_VARIABLES (the whole default scenario), later passes re-solve windows of
    ONEHOT_POLISH_VARIABLES around each service from the answer (the same sampler).

    The window MIP of every window is the ablation (`cost_window_mip`); its time is kept in
    the records and not charged to `deadline`, unless it stands in for a refusing chain."""
    weights = weights_of(net)
    chain = rail_chain(config.policy)
    limit = window_limit(samplers, config.policy, config)
    first = chain[0] if chain and config.policy != "mixed" else "dwave-sa"
    fill = 1.0 if first == ONEHOT else WINDOW_FILL
    sizes = [limit] * MAX_PASSES
    if first == ONEHOT:
        sizes[1:] = [min(limit, ONEHOT_POLISH_VARIABLES)] * (MAX_PASSES - 1)
    members_all = list(ids if ids is not None else choice)
    records: list[WindowRecord] = []
    index = 0
    for pass_ in range(MAX_PASSES):
        adopted_any = False
        limit = sizes[pass_]
        pending = conflict_windows(
            members_all, options, choice, capacity, weights, max(1, int(limit * fill))
        )
        while pending and time.perf_counter() < deadline:
            group = pending.pop(0)
            members = frozenset(group)
            residual = residual_of(capacity, load_of(choice, options, weights, members))
            before = plan_cost({c: choice[c] for c in group}, options)
            wq = window_qubo(
                group,
                options,
                residual,
                weights,
                row_margin=config.row_margin,
                incumbent=before if config.penalty == "incumbent" else None,
            )
            if samplers.window_size(first, wq) > limit and len(group) > 1:
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
                continue
            mark = time.perf_counter()
            sub_options = {c: options[c] for c in group}
            window_mip = solve_mip(
                sub_options, residual, weights=weights, time_limit=max(1.0, deadline - mark)
            )
            mip_seconds = time.perf_counter() - mark
            deadline += mip_seconds  # the ablation is not the QUBO path's time
            budget = Budget(  # this window's share of what is left (onehot-sa fits its reads)
                time_limit=max(0.1, (deadline - time.perf_counter()) / (len(pending) + 1)),
                seed=config.seed + index,
                shots=config.shots,
            )
            try:
                got = samplers.solve(chain, wq, budget, initial={c: choice[c] for c in group})
            except BackendUnavailable as exc:
                deadline -= mip_seconds  # the window MIP is this window's solver after all
                new = window_mip.choice
                cost = window_mip.cost if window_mip.cost is not None else before
                record = WindowRecord(
                    index,
                    pass_,
                    len(group),
                    wq.num_variables,
                    len(wq.rows),
                    chain[0] if chain else "mip",
                    "mip",
                    "classical_sampler",
                    "HiGHS",
                    1.0,
                    False,
                    False,
                    before,
                    cost,
                    window_mip.cost,
                    mip_seconds,
                    mip_seconds,
                    str(exc),
                )
                if new and cost < before - 1e-6:
                    choice.update(new)
                    record = _adopted(record)
                    adopted_any = True
                records.append(record)
                index += 1
                continue
            decoded = decode(got.sampleset, wq, options, residual, weights)
            adopt = decoded.cost < before - 1e-6
            if adopt:
                choice.update(decoded.choice)
                adopted_any = True
            records.append(
                WindowRecord(
                    index,
                    pass_,
                    len(group),
                    wq.num_variables,
                    len(wq.rows),
                    got.backend_requested,
                    got.backend_used,
                    got.provenance_class,
                    got.device,
                    decoded.raw_feasible_rate,
                    decoded.repaired,
                    adopt,
                    before,
                    decoded.cost,
                    window_mip.cost,
                    got.wall_seconds,
                    mip_seconds,
                    got.fallback_reason,
                    float(got.details.get("cost_usd") or 0.0),
                )
            )
            index += 1
        last = pass_ + 1 == MAX_PASSES
        if time.perf_counter() >= deadline or (
            not adopted_any and (last or sizes[pass_ + 1] == limit)
        ):
            break
    return choice, records


def _adopted(record: WindowRecord) -> WindowRecord:
    from dataclasses import replace

    return replace(record, adopted=True)


def van_route_factor(net: RailNetwork, options: Options, choice: Mapping[str, int]) -> float:
    """Routed van tour cost / stem cost (both at the van rate) for the van legs of `choice`
    (qroute.rail.trucks routes them); 1.0 when `choice` has no van leg. Measured on the
    greedy start, it is the estimate the assignment prices van legs with."""
    legs = {cid: options[cid][k].legs for cid, k in choice.items()}
    stem_km = sum(leg.km for plan in legs.values() for leg in plan if leg.mode == "van")
    if stem_km <= 0:
        return 1.0
    tour_km = sum(t.km for t in route_vans(net, legs))
    return tour_km / stem_km


def with_van_estimate(net: RailNetwork, factor: float) -> RailNetwork:
    from dataclasses import replace

    return net.replace(tariff=replace(net.tariff, van_route_factor=round(factor, 3)))


def plan_rail(
    net: RailNetwork, config: RailConfig | None = None, samplers: RailSamplers | None = None
) -> RailPlan:
    """Plan every consignment: QUBO windows (or the MIP alone under policy "exact"), then the
    full MIP as the reference for the gap.

    With `config.estimate_vans` (and a network whose tariff has no van factor yet) the van
    legs of the greedy start are routed first and their tour-to-stem ratio prices every van
    leg (`van_route_factor`): the assignment chooses rail or truck knowing an estimate of
    what the vans will cost. The plan's network carries that tariff (disruption replans
    price with it)."""
    config = config or RailConfig()
    samplers = samplers or RailSamplers()
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    options = all_options(net)
    capacity = capacities(net)
    weights = weights_of(net)
    phases["options"] = time.perf_counter() - t0
    mark = time.perf_counter()
    choice = greedy(list(options), options, capacity, weights)
    phases["greedy"] = time.perf_counter() - mark
    if config.estimate_vans and net.tariff.van_route_factor == 1.0:
        mark = time.perf_counter()
        net = with_van_estimate(net, van_route_factor(net, options, choice))
        options = all_options(net)
        choice = greedy(list(options), options, capacity, weights)
        phases["van_estimate"] = time.perf_counter() - mark
    greedy_cost = plan_cost(choice, options)
    records: list[WindowRecord] = []
    mip: MipResult | None = None
    if config.policy == "exact":
        mark = time.perf_counter()
        mip = solve_mip(options, capacity, weights=weights, time_limit=config.time_limit)
        phases["mip"] = time.perf_counter() - mark
        if mip.choice:
            choice = dict(mip.choice)
    else:
        mark = time.perf_counter()
        choice, records = improve_windows(
            net, options, choice, capacity, config, samplers, mark + config.time_limit
        )
        phases["qubo_windows"] = time.perf_counter() - mark
        # inside qubo_windows: the window MIPs of the ablation (not part of the QUBO path)
        phases["window_mip_ablation"] = sum(
            r.window_mip_seconds or 0.0 for r in records if r.backend_used != "mip"
        )
        if config.mip:
            mark = time.perf_counter()
            mip = solve_mip(options, capacity, weights=weights, time_limit=config.time_limit)
            phases["mip"] = time.perf_counter() - mark
    return RailPlan(
        net,
        dict(options),
        choice,
        plan_cost(choice, options),
        greedy_cost,
        tuple(records),
        mip,
        config.policy,
        time.perf_counter() - t0,
        phases,
    )
