"""Classical inter-route search for the hybrid pipeline, and arc provenance.

`RuinRecreate` is a slack-induction-by-string-removals (SISR, Christiaens & Vanden Berghe,
Transportation Science 2020) ruin-and-recreate search: remove a few strings of consecutive
customers from routes near a random seed customer, re-insert the removed customers one by one
at their cheapest feasible position (with "blinks" that skip a position now and then), accept
by a simulated-annealing rule. The solution is kept as successor/predecessor arrays so that
the cheapest insertion over every position of every route is a handful of numpy operations.

It is deliberately the only classical move: it decides which customers share a route (and
where an inserted customer goes), while the order inside routes is re-optimised by the
subproblem solvers in qroute.hybrid.pipeline. `ArcLedger` records which arcs were last set by an
adopted answer of which provenance class (qroute.model.provenance) and which by a classical
move, so the pipeline can report an honest share per class.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qroute.model.problem import Problem
from qroute.model.provenance import PROVENANCE_CLASSES

INF = float("inf")
_EPS = 1e-9


@dataclass(frozen=True)
class SISRParams:
    """SISR parameters (the paper's defaults for ruin; temperatures relative to the mean arc)."""

    avg_removed: float = 10.0  # c-bar: mean number of customers removed per ruin
    max_string: float = 10.0  # L-max: longest string removed from one route
    split_rate: float = 0.5  # share of string removals that keep a substring (split-string)
    split_depth: float = 0.5  # chance to grow the kept substring by one more customer
    blink_rate: float = 0.01  # chance to skip a position while inserting
    t_start: float = 0.3  # start temperature, times the mean arc length of the start
    t_end: float = 0.002  # final temperature, times the mean arc length
    neighbours: int = 80  # neighbour-list length used by the ruin step


class ArcLedger:
    """Where each arc of the solution got its current position.

    `marks` maps an arc to the provenance class (qroute.model.provenance) of the adopted,
    unrepaired subproblem answer that set it last. `confirmed` maps an arc that a classical
    move set to the class of a later answer for its route or window that returned exactly
    the same order (it confirmed, not set, the arc). Any other arc was set by the classical
    search or the classical start ("search"). Arcs are keyed as unordered pairs when the
    distance matrix is symmetric (a reversed route keeps its provenance) and as ordered
    pairs otherwise. The ledger also keeps the answers already obtained per subproblem key,
    so an identical subproblem is never solved twice.

    Only arcs that are really new reset: a search move that removes and re-creates an arc
    unchanged (the common equal-cost move) leaves its mark alone (`RuinRecreate.iterate`).
    """

    def __init__(self, problem: Problem) -> None:
        d = problem.distances
        self.num_nodes = problem.num_nodes
        self.symmetric = bool(np.array_equal(d, d.T))
        self.marks: dict[int, str] = {}
        self.confirmed: dict[int, str] = {}
        self.answers: dict[str, Any] = {}  # subproblem key -> SolveResult already obtained
        self.exact_costs: dict[str, float] = {}  # subproblem key -> Held-Karp optimum
        self.reused = 0  # adoptions of an earlier answer to an identical subproblem

    def key(self, a: int, b: int) -> int:
        if self.symmetric and a > b:
            a, b = b, a
        return a * self.num_nodes + b

    def path_keys(self, path: Sequence[int]) -> list[int]:
        return [self.key(a, b) for a, b in zip(path[:-1], path[1:], strict=False)]

    def route_keys(self, route: Sequence[int]) -> list[int]:
        return self.path_keys([0, *route, 0])

    def set_route(self, old: Sequence[int], new: Sequence[int], origin: str | None) -> None:
        """`new` replaced `old`: arcs it adds are marked with `origin` (a provenance class;
        None for the classical search); kept arcs keep their marks."""
        before = set(self.route_keys(old))
        added = [k for k in self.route_keys(new) if k not in before]
        if origin is not None:
            self.marks.update(dict.fromkeys(added, origin))
            for k in added:
                self.confirmed.pop(k, None)
        else:
            self.classical(added)

    def confirm(self, keys: Iterable[int], origin: str) -> None:
        """An answer of class `origin` reproduced these (classically set) arcs."""
        for k in keys:
            if k not in self.marks:
                self.confirmed[k] = origin

    def classical(self, keys: Iterable[int]) -> None:
        marks, confirmed = self.marks, self.confirmed
        for k in keys:
            marks.pop(k, None)
            confirmed.pop(k, None)

    def counts(self, routes: Iterable[Sequence[int]]) -> dict[str, int]:
        """How many of a solution's arcs each provenance class set, how many the search set
        ("search") and how many of those an answer confirmed ("confirmed")."""
        out: dict[str, int] = dict.fromkeys(PROVENANCE_CLASSES, 0)
        out.update(search=0, confirmed=0)
        for route in routes:
            if route:
                for k in self.route_keys(route):
                    origin = self.marks.get(k)
                    if origin is None:
                        out["search"] += 1
                        out["confirmed"] += k in self.confirmed
                    else:
                        out[origin] = out.get(origin, 0) + 1
        return out

    def state(self) -> tuple[dict[int, str], dict[int, str]]:
        return dict(self.marks), dict(self.confirmed)

    def restore(self, state: tuple[dict[int, str], dict[int, str]]) -> None:
        self.marks, self.confirmed = dict(state[0]), dict(state[1])


class RuinRecreate:
    """SISR on a linked-array solution.

    Routes live in slots 0..R-1 (empty slots allowed, at least one kept free while the fleet
    allows another route). Slot s starts at a virtual depot node n + 1 + s, so "insert after
    node i" covers every position of every route, including the front of a route and a new
    route (after an empty slot's virtual depot), in one vector. Customers not in any route and
    the real depot have route_of = -1, which indexes a sentinel slot that never has room.
    """

    def __init__(
        self,
        problem: Problem,
        routes: Sequence[Sequence[int]],
        seed: int = 0,
        params: SISRParams | None = None,
        ledger: ArcLedger | None = None,
    ) -> None:
        self.problem = problem
        self.params = params or SISRParams()
        self.ledger = ledger or ArcLedger(problem)
        self.random = random.Random(seed)
        n1 = problem.num_nodes
        self.n1 = n1
        self.D = np.ascontiguousarray(problem.distances, dtype=np.float64)
        self.Dl: list[list[float]] = self.D.tolist()
        self.q = np.asarray(problem.demands, dtype=np.float64)
        self.ql: list[float] = self.q.tolist()
        self.capacity = float(problem.capacity)
        self.limit = problem.max_route_length
        svc = problem.service_times
        self.svcl: list[float] = [0.0] * n1 if svc is None else [float(x) for x in svc]
        self.fleet = problem.num_vehicles
        self.tw = problem.time_windows
        clean = [[int(c) for c in r] for r in routes if len(r) > 0]
        self.slots = 0
        self.Dout = np.zeros((n1, 0))
        self.Din = np.zeros((n1, 0))
        self.num_routes = 0
        self.cost = 0.0
        self.created: list[int] | None = None  # arcs created by the move under way
        self._allocate(max(len(clean) + 8, int(1.25 * len(clean)) + 2))
        for slot, route in enumerate(clean):
            self.write_route(slot, route)
        self.cost = float(self.rcost[:-1].sum())
        self._neighbours = self._neighbour_lists(self.params.neighbours)
        self._best = self.snapshot()
        self.best_cost = self.cost
        self.iterations = 0
        self.accepted = 0
        self.pool: Any = None  # a RoutePool (qroute.hybrid.route_pool) fed on accepted moves

    # ---------------------------------------------------------------- state

    def _allocate(self, slots: int) -> None:
        """(Re)size to `slots` route slots, keeping the current solution."""
        n1, old = self.n1, self.slots
        extra = slots - old
        if old == 0:
            self.succ = np.zeros(n1 + slots, dtype=np.int64)
            self.pred = np.zeros(n1 + slots, dtype=np.int64)
            self.route_of = np.full(n1 + slots, -1, dtype=np.int64)
            self.arc = np.zeros(n1 + slots, dtype=np.float64)
            self.card = np.zeros(slots + 1, dtype=np.int64)
            self.load = np.zeros(slots + 1, dtype=np.float64)
            self.rcost = np.zeros(slots + 1, dtype=np.float64)
            self.rsvc = np.zeros(slots + 1, dtype=np.float64)
            self.load[-1] = INF
            self.rcost[-1] = INF
        else:
            self.succ = np.concatenate([self.succ, np.zeros(extra, dtype=np.int64)])
            self.pred = np.concatenate([self.pred, np.zeros(extra, dtype=np.int64)])
            self.route_of = np.concatenate([self.route_of, np.zeros(extra, dtype=np.int64)])
            self.arc = np.concatenate([self.arc, np.zeros(extra)])

            def widen(a: NDArray, fill: float) -> NDArray:
                return np.concatenate([a[:-1], np.full(extra, fill, dtype=a.dtype), a[-1:]])

            self.card = widen(self.card, 0)
            self.load = widen(self.load, 0.0)
            self.rcost = widen(self.rcost, 0.0)
            self.rsvc = widen(self.rsvc, 0.0)
        self.route_of[n1 + old : n1 + slots] = np.arange(old, slots)
        self.slots = slots
        if self.Dout.shape[1] < n1 + slots:
            index = np.concatenate([np.arange(n1), np.zeros(slots, dtype=np.int64)])
            self.Dout = np.ascontiguousarray(self.D[:, index])  # Dout[c, j] = d(c, j)
            self.Din = np.ascontiguousarray(self.D.T[:, index])  # Din[c, i] = d(i, c)

    def _neighbour_lists(self, k: int) -> list[list[int]]:
        n = self.n1 - 1
        lists: list[list[int]] = [[]]
        if n == 0:
            return lists
        sym = self.D[1:, 1:] + self.D[1:, 1:].T
        k = min(k, n)
        for row in range(n):
            near = np.argpartition(sym[row], k - 1)[:k] if k < n else np.arange(n)
            near = near[np.argsort(sym[row, near], kind="stable")] + 1
            lists.append([row + 1] + [int(c) for c in near if c != row + 1])
        return lists

    def snapshot(self, ledger: bool = True) -> tuple[Any, ...]:
        return (
            self.succ.copy(),
            self.pred.copy(),
            self.route_of.copy(),
            self.arc.copy(),
            self.card.copy(),
            self.load.copy(),
            self.rcost.copy(),
            self.rsvc.copy(),
            self.cost,
            self.num_routes,
            self.slots,
            self.ledger.state() if ledger else None,
        )

    def restore(self, snap: tuple[Any, ...], copy: bool = True) -> None:
        arrays = [x.copy() for x in snap[:8]] if copy else list(snap[:8])
        (
            self.succ,
            self.pred,
            self.route_of,
            self.arc,
            self.card,
            self.load,
            self.rcost,
            self.rsvc,
        ) = arrays
        self.cost, self.num_routes, self.slots = snap[8], snap[9], snap[10]
        if snap[11] is not None:
            self.ledger.restore(snap[11])

    def save_best(self) -> None:
        self.cost = float(self.rcost[:-1].sum())
        self._best = self.snapshot()
        self.best_cost = self.cost

    def restore_best(self) -> None:
        self.restore(self._best)

    def route_list(self, slot: int) -> list[int]:
        out: list[int] = []
        succ = self.succ
        c = int(succ[self.n1 + slot])
        while c:
            out.append(c)
            c = int(succ[c])
        return out

    def route_items(self) -> list[tuple[int, list[int]]]:
        """(slot, customers) of every non-empty route."""
        return [(int(s), self.route_list(int(s))) for s in np.flatnonzero(self.card[:-1] > 0)]

    def routes(self) -> list[list[int]]:
        return [route for _, route in self.route_items()]

    def best_routes(self) -> list[list[int]]:
        current = self.snapshot()
        self.restore_best()
        routes = self.routes()
        self.restore(current)
        return routes

    def write_route(self, slot: int, seq: list[int]) -> None:
        """Make slot `slot` the route `seq` (its customers unlinked from anywhere else)."""
        old_card = int(self.card[slot])
        if self.created is not None:
            old = set(self.ledger.route_keys(self.route_list(slot)))
            self.created.extend(k for k in self.ledger.route_keys(seq) if k not in old)
        dl = self.Dl
        succ, pred, route_of, arc = self.succ, self.pred, self.route_of, self.arc
        prev = self.n1 + slot
        real = 0
        total = 0.0
        for c in seq:
            pred[c] = prev
            route_of[c] = slot
            succ[prev] = c
            arc[prev] = dl[real][c]
            total += dl[real][c]
            prev = real = c
        succ[prev] = 0
        arc[prev] = dl[real][0] if seq else 0.0
        total += dl[real][0] if seq else 0.0
        self.card[slot] = len(seq)
        self.load[slot] = sum(self.ql[c] for c in seq)
        self.cost += total - float(self.rcost[slot])
        self.rcost[slot] = total
        self.rsvc[slot] = sum(self.svcl[c] for c in seq)
        self.num_routes += (len(seq) > 0) - (old_card > 0)

    def load_routes(self, routes: Sequence[Sequence[int]], origin: str | None = None) -> None:
        """Replace the whole solution (another engine's or a selection's plan). Arcs that
        are new to the solution get `origin` (None: the classical search); kept arcs keep
        their marks."""
        old_keys = {k for _, r in self.route_items() for k in self.ledger.route_keys(r)}
        clean = [[int(c) for c in r] for r in routes if len(r) > 0]
        for slot, _ in self.route_items():
            self.write_route(slot, [])
        if self.slots < len(clean) + 2:
            self._allocate(max(2 * self.slots, len(clean) + 8))
        for slot, route in enumerate(clean):
            self.write_route(slot, route)
        self.cost = float(self.rcost[:-1].sum())
        added = [k for r in clean for k in self.ledger.route_keys(r) if k not in old_keys]
        if origin is None:
            self.ledger.classical(added)
        else:
            self.ledger.marks.update(dict.fromkeys(added, origin))
            for k in added:
                self.ledger.confirmed.pop(k, None)

    def set_route(self, slot: int, seq: list[int], origin: str | None) -> None:
        """Replace a route's order from outside the search (a subproblem answer)."""
        old = self.route_list(slot)
        self.ledger.set_route(old, seq, origin)
        self.write_route(slot, seq)

    def route_ok(self, slot: int) -> bool:
        """Length limit and time windows of a slot (capacity is kept by construction)."""
        if self.limit is not None and self.rcost[slot] + self.rsvc[slot] > self.limit + 1e-6:
            return False
        if self.tw is not None:
            return self._tw_ok(self.route_list(slot))
        return True

    def _tw_ok(self, seq: list[int]) -> bool:
        tw = self.tw
        assert tw is not None
        dl, svc = self.Dl, self.svcl
        time = float(tw[0, 0])
        previous = 0
        for c in (*seq, 0):
            time += svc[previous] + dl[previous][c]
            if time > tw[c, 1] + 1e-6:
                return False
            if time < tw[c, 0]:
                time = float(tw[c, 0])
            previous = c
        return True

    # ---------------------------------------------------------------- ruin

    def ruin(self) -> list[int]:
        """Remove strings (or split strings) from routes near a random seed customer."""
        p = self.params
        rnd = self.random
        present = self.n1 - 1
        avg_card = present / max(self.num_routes, 1)
        ls_max = min(p.max_string, avg_card)
        ks_max = 4.0 * p.avg_removed / (1.0 + ls_max) - 1.0
        ks = int(rnd.random() * ks_max) + 1
        seed = rnd.randrange(1, self.n1)
        removed: list[int] = []
        ruined: set[int] = set()
        route_of = self.route_of
        for c in self._neighbours[seed]:
            if len(ruined) >= ks:
                break
            slot = int(route_of[c])
            if slot < 0 or slot in ruined:
                continue
            ruined.add(slot)
            seq = self.route_list(slot)
            size = len(seq)
            at = seq.index(c)
            length = int(rnd.random() * min(size, ls_max)) + 1
            keep = 0
            if length < size and rnd.random() < p.split_rate:
                keep = 1
                while length + keep < size and rnd.random() < p.split_depth:
                    keep += 1
            span = length + keep
            start = rnd.randint(max(0, at - span + 1), min(at, size - span))
            block = seq[start : start + span]
            left = seq[start - 1] if start > 0 else 0
            right = seq[start + span] if start + span < size else 0
            if keep:
                k0 = rnd.randint(0, length)
                kept = block[k0 : k0 + keep]
                gone = block[:k0] + block[k0 + keep :]
                new = seq[:start] + kept + seq[start + span :]
                junctions = [(left, kept[0])] if k0 > 0 else []
                if k0 + keep < span:
                    junctions.append((kept[-1], right))
            else:
                gone = block
                new = seq[:start] + seq[start + span :]
                junctions = [(left, right)]
            for g in gone:
                route_of[g] = -1
            created, self.created = self.created, None
            self.write_route(slot, new)
            self.created = created
            if created is not None:
                created.extend(self.ledger.key(a, b) for a, b in junctions)
            removed.extend(gone)
        return removed

    # ---------------------------------------------------------------- recreate

    def _candidates(self, c: int) -> NDArray:
        """Cost of inserting c after each node (virtual depots included), inf where the
        capacity, the fleet or the length limit forbids it."""
        size = self.succ.shape[0]
        after = self.Din[c, :size] + self.Dout[c][self.succ] - self.arc
        room = self.load <= self.capacity + _EPS - self.ql[c]
        if self.fleet is not None and self.num_routes >= self.fleet:
            room[:-1] &= self.card[:-1] > 0
        mask = room[self.route_of]
        if self.limit is not None:
            spare = (self.limit + 1e-6 - self.svcl[c]) - self.rcost - self.rsvc
            mask &= after <= spare[self.route_of]
        return np.where(mask, after, INF)

    def insert_best(self, c: int, blink: float) -> bool:
        """Insert customer c at its cheapest feasible position; False if there is none.
        Each position is skipped ("blinked") with probability `blink`."""
        cand = self._candidates(c)
        if self.tw is not None:
            return self._insert_tw(c, cand, blink)
        i = int(cand.argmin())
        while blink > 0.0 and cand[i] < INF and self.random.random() < blink:
            cand[i] = INF
            i = int(cand.argmin())
        if cand[i] == INF:
            return False
        self.link(c, i)
        return True

    def _insert_tw(self, c: int, cand: NDArray, blink: float) -> bool:
        order = np.argsort(cand, kind="stable")
        tried_empty = False
        n1 = self.n1
        for i in order.tolist():
            if cand[i] == INF:
                break
            slot = int(self.route_of[i])
            empty = self.card[slot] == 0
            if empty and tried_empty:
                continue
            if blink > 0.0 and self.random.random() < blink:
                continue
            tried_empty |= bool(empty)
            seq = self.route_list(slot)
            pos = 0 if i >= n1 else seq.index(i) + 1
            if self._tw_ok([*seq[:pos], c, *seq[pos:]]):
                self.link(c, i)
                return True
        return False

    def link(self, c: int, p: int) -> None:
        """Insert customer c right after node p (a customer or a slot's virtual depot)."""
        dl = self.Dl
        slot = int(self.route_of[p])
        nxt = int(self.succ[p])
        real = p if p < self.n1 else 0
        delta = dl[real][c] + dl[c][nxt] - float(self.arc[p])
        self.succ[p] = c
        self.arc[p] = dl[real][c]
        self.pred[c] = p
        self.succ[c] = nxt
        self.arc[c] = dl[c][nxt]
        if nxt:
            self.pred[nxt] = c
        self.route_of[c] = slot
        if self.card[slot] == 0:
            self.num_routes += 1
        self.card[slot] += 1
        self.load[slot] += self.ql[c]
        self.rcost[slot] += delta
        self.rsvc[slot] += self.svcl[c]
        self.cost += delta
        if self.created is not None:
            key = self.ledger.key
            self.created.append(key(real, c))
            self.created.append(key(c, nxt))
        if self.num_routes >= self.slots:
            self._allocate(2 * self.slots)

    def insert_all(self, customers: list[int], blink: float, force: bool = False) -> bool:
        """Insert customers in the given order; `force` opens a route when nothing fits
        (ignoring a fixed fleet, which the validator then reports)."""
        for c in customers:
            if not self.insert_best(c, blink):
                if not force:
                    return False
                empty = int(np.flatnonzero(self.card[:-1] == 0)[0])
                self.link(c, self.n1 + empty)
        return True

    def _recreate_order(self, removed: list[int]) -> list[int]:
        pick = self.random.random() * 11.0
        if pick < 4.0:
            self.random.shuffle(removed)
        elif pick < 8.0:
            removed.sort(key=lambda c: -self.ql[c])
        elif pick < 10.0:
            removed.sort(key=lambda c: -self.Dl[0][c])
        else:
            removed.sort(key=lambda c: self.Dl[0][c])
        return removed

    # ---------------------------------------------------------------- search

    def iterate(self, temperature: float) -> bool:
        """One ruin-and-recreate step with simulated-annealing acceptance."""
        snap = self.snapshot(ledger=False)
        current = self.cost
        self.created = []
        removed = self.ruin()
        ok = True
        if self.limit is not None or self.tw is not None:
            ok = all(self.route_ok(s) for s in {int(x) for x in snap[2][removed]})
        ok = ok and self.insert_all(self._recreate_order(removed), self.params.blink_rate)
        created, self.created = self.created, None
        self.iterations += 1
        threshold = current - temperature * math.log(1.0 - self.random.random())
        if ok and self.cost < threshold - _EPS:
            # reset only arcs that are really new: an arc the move removed and re-created
            # unchanged keeps its mark (equal-cost moves are accepted all the time)
            self.ledger.classical(k for k in created if not self._had_arc(snap, k))
            if self.pool is not None:
                touched = {int(x) for x in snap[2][removed]} | {
                    int(x) for x in self.route_of[removed]
                }
                for slot in touched:
                    if self.card[slot] > 0:
                        self.pool.add(self.route_list(slot))
            self.accepted += 1
            if self.cost < self.best_cost - _EPS:
                self.save_best()
            return True
        self.restore(snap, copy=False)
        return False

    def _had_arc(self, snap: tuple[Any, ...], key: int) -> bool:
        """Whether the solution in `snap` (before the move) held the arc `key`."""
        a, b = divmod(key, self.n1)
        if self._arc_in(snap, a, b):
            return True
        return self.ledger.symmetric and self._arc_in(snap, b, a)

    def _arc_in(self, snap: tuple[Any, ...], a: int, b: int) -> bool:
        succ, pred = snap[0], snap[1]
        if a == 0:
            return b != 0 and int(pred[b]) >= self.n1
        if b == 0:
            return int(succ[a]) == 0
        return int(succ[a]) == b

    def mean_arc(self) -> float:
        return self.cost / max(self.n1 - 1 + self.num_routes, 1)
