"""How the hybrid pipeline treats time windows (VRPTW), as result.json states it.

Every part that proposes routes keeps windows, and nothing infeasible is repaired and
credited to a sampler:

* route-TSP / path-window QUBOs: windows **encoded** in part (arcs no schedule can use are
  penalised, qroute.qubo.tsp section 5.); the decoder keeps the cheapest sampled tour that
  meets every window, and flags an answer that does not (``window_feasible: false``);
* stitching: **filter** - an answer whose route then misses a window (or capacity) is not
  adopted; it is never repaired;
* the route pool and route selection: only window-feasible routes enter the pool (checked on
  entry), so every selected plan is made of feasible routes;
* SISR and PyVRP: window-aware insertion and PyVRP's own time windows;
* the final plan: the independent validator (arrival, waiting when early, service times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qroute.qubo.tsp import TIME_WINDOW_ENCODING

HANDLING = {
    "qubo": f"encoded: {TIME_WINDOW_ENCODING}",
    "stitch": "filter: an answer whose route misses a window is not adopted (never repaired)",
    "route_pool": "window-feasible routes only (checked on entry), so selection picks from them",
    "validator": "arrival, waiting when early, service times, depot closing time",
}


def time_window_report(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """HANDLING plus what happened to the run's route / window answers (record dicts as in
    result.json): how many met every window as decoded, and how many stitching refused."""
    provenance = [dict(r.get("provenance") or {}) for r in records]
    flags = [p.get("details", {}).get("window_feasible") for p in provenance]
    return {
        **HANDLING,
        "answers": len(records),
        "answers_window_feasible": sum(1 for f in flags if f is True),
        "answers_window_infeasible": sum(1 for f in flags if f is False),
        "answers_refused_at_stitch": sum(
            1 for p in provenance if p.get("stitch") == "infeasible route"
        ),
    }
