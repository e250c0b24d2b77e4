"""Rail cargo benchmarks: QUBO path (window QUBOs on local SA) vs the HiGHS MIP, disruption
replans, QAOA on ≤ 16-qubit windows per SDK, and a scaling table.

    PYTHONPATH=. .venv/bin/python bench/rail.py                     # every section
    PYTHONPATH=. .venv/bin/python bench/rail.py --sections default,disrupt --time-limit 20
    PYTHONPATH=. .venv/bin/python bench/rail.py --sections ablation --time-limit 30
    PYTHONPATH=. .venv/bin/python bench/rail.py --sections scaling --sizes 200,1000,5000
    PYTHONPATH=. .venv/bin/python bench/rail.py --sections cqm --cqm-windows 8

All numbers are single runs on whatever machine runs it; say how loaded it was.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from qroute.rail.comparison import compare_backends, summary, window_cases
from qroute.rail.cqm import window_cqm
from qroute.rail.disruption import parse_disruption, replan
from qroute.rail.mip import solve_mip
from qroute.rail.model import hhmm
from qroute.rail.options import all_options, capacities
from qroute.rail.plan import (
    RailConfig,
    RailPlan,
    greedy,
    improve_windows,
    plan_rail,
    van_route_factor,
    weights_of,
    with_van_estimate,
)
from qroute.rail.samplers import RailSamplers
from qroute.rail.scenario import hsr_yangtze
from qroute.rail.validate import validate_plan

QAOA_ENGINES = ("qaoa-statevector", "braket-local", "pennylane-lightning", "qiskit-aer")
ANNEALERS = ("dwave-sa", "dwave-tabu")


def _pct(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{(a - b) / b * 100:.2f}"


def _qubo_seconds(plan: RailPlan) -> float:
    """The QUBO path's wall time: the whole plan less the window-MIP ablation inside it."""
    return plan.wall_seconds - plan.phase_seconds.get("window_mip_ablation", 0.0)


def section_default(time_limit: float, seed: int) -> RailPlan:
    net = hsr_yangtze()
    plan = plan_rail(net, RailConfig(time_limit=time_limit, seed=seed, mip=False))
    qubo_s = _qubo_seconds(plan)
    options, weights, cap = plan.options, weights_of(net), capacities(net)
    equal = solve_mip(options, cap, weights=weights, time_limit=qubo_s)
    full = solve_mip(options, cap, weights=weights, time_limit=120)
    adopted = sum(r.adopted for r in plan.records)
    feasible = [r.raw_feasible_rate or 0.0 for r in plan.records]
    window_gaps = [
        (r.cost_qubo - r.cost_window_mip) / r.cost_window_mip * 100
        for r in plan.records
        if r.cost_window_mip
    ]
    legs = {c: plan.chosen(c).legs for c in plan.choice}
    ok = validate_plan(plan.network, legs).feasible
    used = Counter(r.backend_used for r in plan.records)
    print(f"## default scenario {net.name} (policy local: {dict(used)})")
    print("| path | cost CNY | gap to MIP optimum % | wall s |")
    print("|---|---|---|---|")
    print(
        f"| greedy start (regret order) | {plan.greedy_cost:,.2f} | "
        f"{_pct(plan.greedy_cost, full.cost)} | – |"
    )
    print(
        f"| QUBO path (onehot-sa windows, LNS) | {plan.cost:,.2f} | "
        f"{_pct(plan.cost, full.cost)} | {qubo_s:.1f} |"
    )
    print(
        f"| MIP at equal wall time | {equal.cost or 0:,.2f} | {_pct(equal.cost, full.cost)} | "
        f"{equal.wall_seconds:.1f} |"
    )
    print(
        f"| MIP (HiGHS, proven gap {full.gap_percent or 0:.4f} %) | {full.cost or 0:,.2f} | "
        f"0.00 | {full.wall_seconds:.1f} |"
    )
    phases = ", ".join(f"{k} {v:.1f}" for k, v in plan.phase_seconds.items())
    print(
        f"\nwindows solved {len(plan.records)}, adopted {adopted}, mean raw feasibility "
        f"{sum(feasible) / max(len(feasible), 1):.2f}, mean window gap to the window MIP "
        f"{sum(window_gaps) / max(len(window_gaps), 1):.2f} %, "
        f"repaired {sum(r.repaired for r in plan.records)}; sampler s "
        f"{sum(r.wall_seconds for r in plan.records):.1f}; phases s: {phases}; van legs "
        f"priced at stem km x {plan.network.tariff.van_route_factor:.3f}; plan valid: {ok}\n"
    )
    return plan


def section_disrupt(plan: RailPlan, seed: int, replan_limit: float) -> None:
    net = plan.network
    use = Counter(s for c in plan.choice for s in plan.chosen(c).services)
    print("## disruption replans (busiest services of the default plan)")
    print(
        "| disruption | affected | cost before | cost after | MIP (replanned set) | "
        "feasible | replan s |"
    )
    print("|---|---|---|---|---|---|---|")
    for sid, _ in use.most_common(2):
        s = net.service[sid]
        at = hhmm(s.stops[min(1, len(s.stops) - 2)].depart)
        for spec in (f"{sid}:+45@{at}", f"{sid}:cancel@{at}"):
            d = parse_disruption(spec, net)
            done = replan(plan, d, RailConfig(time_limit=replan_limit, seed=seed))
            legs = {c: done.plan.chosen(c).legs for c in done.plan.choice}
            ok = validate_plan(done.plan.network, legs, done.banned, d.at).feasible
            mip = done.plan.mip.cost if done.plan.mip else None
            print(
                f"| {d.describe()} | {len(done.affected)} | {done.cost_before:,.2f} | "
                f"{done.plan.cost:,.2f} | {mip or 0:,.2f} | {ok} | "
                f"{done.wall_seconds:.2f} |"
            )
    print()


def section_qaoa(count: int, seed: int, shots: int, penalties: list[str]) -> None:
    for penalty in penalties:
        cases = window_cases(hsr_yangtze(), count, penalty=penalty)
        records = compare_backends(cases, (*QAOA_ENGINES, *ANNEALERS), seed=seed, shots=shots)
        rows = summary(records)
        binding = sum(c.optimum > c.qubo.offset_cost + 1e-6 for c in cases)
        print(
            f"## assignment QUBO windows of 12-16 qubits, per backend ({len(cases)} windows, "
            f"{binding} binding; penalties: {penalty}; QAOA p = 2, {shots} shots / reads)"
        )
        print(
            "| backend | class | optimum found | mean gap % | raw feasible | P(ground) "
            "| s per window |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            p = r["mean_ground_state_probability"]
            print(
                f"| {r['backend']} | {r['provenance_class']} | "
                f"{r['optimum_found']}/{r['windows']} | {r['mean_gap_percent']:.2f} | "
                f"{r['mean_raw_feasible_rate']:.3f} | {'–' if p is None else f'{p:.4f}'} | "
                f"{r['mean_seconds']:.2f} |"
            )
        largest = [round(max(c.qubo.one_hot_penalty.values()), 1) for c in cases]
        print(
            f"\nwindow sizes (qubits): {[c.qubo.num_variables for c in cases]}; largest "
            f"one-hot penalty per window (CNY): {largest}\n"
        )


def section_cqm(count: int) -> None:
    """The window CQM (the leap-hybrid-cqm model) against the certified window BQM: sizes,
    and its optimum by dimod's ExactCQMSolver (the offline fake's solver) vs the window's."""
    import dimod

    cases = [c for c in window_cases(hsr_yangtze(), 4 * count, max_vars=18) if c.qubo.rows]
    cases = cases[:count]
    print(f"## rail windows as a CQM vs the window BQM ({len(cases)} windows with capacity rows)")
    print(
        "| window | BQM variables | slack bits | CQM variables | constraints (== / <=) "
        "| CQM optimum = window optimum | ExactCQMSolver s |"
    )
    print("|---|---|---|---|---|---|---|")
    for i, case in enumerate(cases):
        wq = case.qubo
        cqm = window_cqm(wq)
        start = time.perf_counter()
        answer = dimod.ExactCQMSolver().sample_cqm(cqm)
        seconds = time.perf_counter() - start
        best = answer.filter(lambda d: d.is_feasible).first.energy
        slack = wq.num_variables - wq.num_option_variables
        same = abs(best - case.optimum) < 1e-6
        print(
            f"| {i} | {wq.num_variables} | {slack} | {len(cqm.variables)} | "
            f"{len(case.consignments)} / {len(wq.rows)} | {same} | {seconds:.3f} |"
        )
    print()


def section_ablation(time_limit: float, seed: int) -> None:
    """Window sampler, penalty and window size of the QUBO path, from the same greedy start
    (van legs priced as plan_rail prices them); the window MIP as the window solver bounds
    what any sampler can reach with this LNS."""
    net = hsr_yangtze()
    options, weights, cap = all_options(net), weights_of(net), capacities(net)
    net = with_van_estimate(
        net, van_route_factor(net, options, greedy(list(options), options, cap, weights))
    )
    options = all_options(net)
    start = greedy(list(options), options, cap, weights)
    optimum = solve_mip(options, cap, weights=weights, time_limit=120).cost
    print(f"## QUBO path ablation (default scenario, {time_limit:g} s each, same greedy start)")
    print(
        "| policy (window sampler) | penalties | window limit | cost | gap to MIP % | "
        "windows / adopted | mean raw feasibility | sampler s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    settings: list[tuple[str, str, int | None, float | None]] = [
        ("local", "incumbent", None, None),
        ("local", "regret", None, None),
        ("bitflip", "regret", 100, None),
        ("bitflip", "incumbent", 100, None),
        ("bitflip", "regret", 250, 0.02),
        ("exact", "regret", 100, None),
        ("exact", "regret", 256, None),
    ]
    for policy, penalty, limit, margin in settings:
        config = RailConfig(
            policy=policy,
            time_limit=time_limit,
            seed=seed,
            max_window_variables=limit,
            row_margin=margin,
            penalty=penalty,
        )
        choice, records = improve_windows(
            net, options, dict(start), cap, config, RailSamplers(), time.perf_counter() + time_limit
        )
        cost = sum(options[c][k].cost for c, k in choice.items())
        raw = [r.raw_feasible_rate or 0.0 for r in records]
        solver = {"local": "onehot-sa", "bitflip": "dwave-sa", "exact": "window MIP"}[policy]
        kind = penalty if margin is None else f"row margin {margin} (not certified)"
        print(
            f"| {policy} ({solver}) | {kind} | {limit or 'default'} | {cost:,.2f} | "
            f"{_pct(cost, optimum)} | {len(records)} / {sum(r.adopted for r in records)} | "
            f"{sum(raw) / max(len(raw), 1):.2f} | {sum(r.wall_seconds for r in records):.1f} |"
        )
    print()


def section_scaling(sizes: list[int], time_limit: float, mip_limit: float, seed: int) -> None:
    print(f"## scaling (QUBO windows {time_limit:g} s; MIP at equal time and at {mip_limit:g} s)")
    print(
        "| consignments | services | options | greedy gap % | QUBO cost | QUBO s | "
        "MIP equal-time cost | MIP cost | MIP proven gap % | MIP s | QUBO vs MIP % | "
        "QUBO vs MIP bound % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        services = max(40, n // 20)
        net = hsr_yangtze(n, services)
        plan = plan_rail(net, RailConfig(time_limit=time_limit, seed=seed, mip=False))
        qubo_s = _qubo_seconds(plan)
        weights, cap = weights_of(net), capacities(net)
        equal = solve_mip(plan.options, cap, weights=weights, time_limit=qubo_s)
        full = solve_mip(plan.options, cap, weights=weights, time_limit=mip_limit)
        nopt = sum(len(o) for o in plan.options.values())
        print(
            f"| {n} | {services} | {nopt} | {_pct(plan.greedy_cost, full.cost)} | "
            f"{plan.cost:,.0f} | {qubo_s:.1f} | {equal.cost or 0:,.0f} | {full.cost or 0:,.0f} | "
            f"{full.gap_percent or 0:.2f} | {full.wall_seconds:.1f} | "
            f"{_pct(plan.cost, full.cost)} | {_pct(plan.cost, full.bound)} |"
        )
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sections", default="default,disrupt,qaoa,ablation,scaling,cqm")
    ap.add_argument("--cqm-windows", type=int, default=8)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--replan-limit", type=float, default=1.5)
    ap.add_argument("--mip-limit", type=float, default=120.0)
    ap.add_argument("--sizes", default="200,1000,5000")
    ap.add_argument("--qaoa-windows", type=int, default=6)
    ap.add_argument("--penalties", default="incumbent,regret", help="certified penalty kinds")
    ap.add_argument("--shots", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sections = set(args.sections.split(","))
    plan = None
    if sections & {"default", "disrupt"}:
        plan = section_default(args.time_limit, args.seed)
    if "disrupt" in sections and plan is not None:
        section_disrupt(plan, args.seed, args.replan_limit)
    if "qaoa" in sections:
        section_qaoa(args.qaoa_windows, args.seed, args.shots, args.penalties.split(","))
    if "ablation" in sections:
        section_ablation(args.time_limit, args.seed)
    if "cqm" in sections:
        section_cqm(args.cqm_windows)
    if "scaling" in sections:
        sizes = [int(s) for s in args.sizes.split(",")]
        section_scaling(sizes, args.time_limit, args.mip_limit, args.seed)


if __name__ == "__main__":
    main()
