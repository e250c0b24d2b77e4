"""Leap's hybrid nonlinear (Stride) solver: route selection as a ``dwave.optimization.Model``.

``LeapHybridNLBackend`` (``leap-hybrid-nl``) sends the constrained model of
``qroute.cloud.leap_cqm.kind_cqm`` as a nonlinear model: one binary decision array ``x`` over
the model's variables (for route selection: the kept pool routes), the objective ``c · x``
(plus the BQM's quadratic terms for the other kinds), and each linear constraint as
``(a · x) <sense> rhs`` (route selection: every customer covered exactly once, at most
``max_routes`` routes). It goes through ``dwave.system.LeapHybridNLSampler``.

The paid call runs on :func:`qroute.cloud.guarded.run_paid` with its own ``PaidJob`` rather than
under :class:`qroute.cloud.paid.LedgeredSampler`: the NL sampler is not a ``dimod.Sampler``
(it takes a ``Model``, returns a ``Future[SampleResult]`` and writes its answer into the
model's states), so the composite cannot wrap it. The state machine is the same: the budget
guard refuses or writes the ``reserved`` row (with the per-run label
``settings.dispatch_label``) before anything leaves, the problem id is written before waiting,
a wait past ``settings.wait_seconds`` cancels the pending problem and keeps its id, a rerun
recovers by id or asks Leap by label before resending, the actual cost is the answer's
``charge_time``, errors leave redacted.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import dimod
import numpy as np

from qroute.cloud.cost import CostEstimate, estimate_hybrid, hybrid_min_time_limit
from qroute.cloud.credentials import module_logger, safe_error
from qroute.cloud.dwave_leap import _LeapHybridBase
from qroute.cloud.guarded import CloudTaskFailed, JobNames, Reserve, run_paid
from qroute.cloud.leap_answers import samples_payload
from qroute.cloud.ledger import LedgerEntry, ledger_key
from qroute.cloud.paid import (
    cancel_pending,
    model_fingerprint,
    still_waiting,
    submitted_by_label,
)
from qroute.model.solver import Budget, SolveResult
from qroute.qubo.kind import QuboKind

__all__ = ["LeapHybridNLBackend", "NLModel", "nl_model", "nl_sampleset"]

log = module_logger(__name__)

_SENSES = {"==": "__eq__", "<=": "__le__", ">=": "__ge__"}


@dataclass(frozen=True)
class NLModel:
    """A nonlinear model over one binary array ``x``; ``variables[i]`` is ``x[i]``'s label in
    the kind's BQM (what ``interpret`` reads); ``fingerprint``: the source CQM's content."""

    model: Any  # dwave.optimization.Model
    x: Any  # its BinaryVariable
    variables: tuple[Any, ...]
    fingerprint: str


def nl_model(cqm: dimod.ConstrainedQuadraticModel) -> NLModel:
    """The CQM (binary, linear constraints) as a ``dwave.optimization.Model``."""
    from dwave.optimization import Model

    variables = tuple(cqm.variables)
    index = {v: i for i, v in enumerate(variables)}
    model = Model()
    x = model.binary(len(variables))
    objective = cqm.objective
    costs = np.zeros(len(variables))
    for v, bias in objective.linear.items():
        costs[index[v]] = bias
    value: Any = (model.constant(costs) * x).sum()
    if objective.quadratic:
        quadratic = {(index[u], index[v]): b for (u, v), b in objective.quadratic.items()}
        value = value + model.quadratic_model(x, quadratic)
    if objective.offset:
        value = value + model.constant(float(objective.offset))
    model.minimize(value)
    for label, constraint in cqm.constraints.items():
        if constraint.lhs.quadratic:
            raise ValueError(f"constraint {label} is quadratic; the NL model takes linear ones")
        row = np.zeros(len(variables))
        for v, bias in constraint.lhs.linear.items():
            row[index[v]] = bias
        lhs = (model.constant(row) * x).sum()
        rhs = float(constraint.rhs) - float(constraint.lhs.offset)
        model.add_constraint(getattr(lhs, _SENSES[constraint.sense.value])(rhs))
    return NLModel(model, x, variables, model_fingerprint(cqm))


def nl_sampleset(nl: NLModel) -> dimod.SampleSet:
    """The model's states as a SampleSet over the kind's variables: energy is the objective,
    ``is_feasible`` the model's own ``feasible(i)``."""
    model, x = nl.model, nl.x
    with model.lock():  # intermediate states (objective, constraints) are read locked
        count = len(model.states)
        rows = np.array([x.state(i) for i in range(count)], dtype=np.int8).reshape(count, -1)
        energy = [float(model.objective.state(i)) for i in range(count)]
        feasible = [bool(model.feasible(i)) for i in range(count)]
    return dimod.SampleSet.from_samples(
        (rows, list(nl.variables)), dimod.BINARY, energy=energy, is_feasible=feasible
    )


class LeapHybridNLBackend(_LeapHybridBase):
    """Leap's hybrid nonlinear solver (``LeapHybridNLSampler``), ``leap-hybrid-nl``: see the
    module docstring. ``sampler`` replaces the SDK's in tests (``sample(model, time_limit,
    label)`` returning a future of ``(model, info)``)."""

    sdk_class = "LeapHybridNLSampler"
    profile_backend = "dwave-hybrid-nl"

    def time_limit(self, model: Any) -> float:
        """Our table's minimum, raised to the solver's ``estimated_min_time_limit``."""
        nl: NLModel = model
        limit = hybrid_min_time_limit(len(nl.variables))
        own = getattr(self.sdk_sampler(), "estimated_min_time_limit", None)
        if callable(own):
            limit = max(limit, float(own(nl.model)))
        return limit

    def retrieve_states(self, problem_id: str, nl: NLModel, timeout: float) -> dict[str, Any]:
        """Load an earlier problem's answer (by id) into ``nl``'s states; returns its timing."""
        with self._client() as client:
            future = client.retrieve_answer(problem_id)
            if not future.wait(timeout=timeout):
                raise TimeoutError(problem_id)
            nl.model.states.from_file(future.answer_data, check_header=False)
            return dict(future.timing or {})

    def _solve_paid(self, problem: Any, budget: Budget, kind: QuboKind) -> SolveResult:
        from qroute.cloud.leap_cqm import kind_cqm

        start = time.perf_counter()
        cqm = kind_cqm(kind, problem)
        nl = nl_model(cqm)
        limit = self.time_limit(nl)
        params = {"method": "sample_nlm", "time_limit": limit}
        key = ledger_key(nl.fingerprint, self.name, params)
        job = _NLJob(self, kind, problem, nl, key, params, budget, limit)
        entry, recovered = run_paid(job, self.settings)
        assert entry.result is not None
        timing = dict(entry.result.get("timing") or {})
        paid = {
            "ledger_key": entry.key,
            "estimate_usd": entry.estimate_usd,
            "recovered": recovered,
            # reused from the ledger: counted by the solve that paid for it
            "charged_in_this_solve": recovered != "ledger",
            "cost_overrun": entry.extra.get("cost_overrun"),
        }
        return self.constrained_result(
            kind,
            problem,
            dimod.SampleSet.from_serializable(entry.result["sampleset"]),
            model="nl",
            constraints=nl.model.num_constraints(),
            budget=budget,
            start=start,
            paid={
                "problem_id": entry.task_id,
                "timing": {k: timing[k] for k in ("run_time", "charge_time") if k in timing},
                **self.paid_details(paid),
            },
            cost_usd=0.0 if recovered == "ledger" else float(entry.actual_usd or 0.0),
        )


@dataclass
class _NLJob(JobNames):
    """One NL dispatch as a ``qroute.cloud.guarded.PaidJob``."""

    backend: LeapHybridNLBackend  # type: ignore[assignment]
    kind: QuboKind
    sub: Any
    nl: NLModel
    key: str
    params: dict[str, Any]
    budget: Budget
    time_limit: float
    recovered_by: str = "problem id"

    def estimate_cost(self) -> CostEstimate:
        return estimate_hybrid(self.backend.profile, len(self.nl.variables), self.time_limit)

    def find_submitted(self, entry: LedgerEntry) -> str | None:
        """A ``reserved``/``rejected`` row may have reached Leap: ask by its label first."""
        return submitted_by_label(entry, self.backend.find_by_label)

    def submit(self, resumed: LedgerEntry | None, reserve: Reserve) -> tuple[float, dict[str, Any]]:
        settings = self.backend.settings
        ledger = settings.ledger()
        label = settings.dispatch_label(self.key)
        if resumed is not None:
            label = str(resumed.extra.get("label") or label)  # resend under the same label
        else:
            reserve(self.estimate_cost(), extra={"label": label})
        try:
            future = self.backend.sdk_sampler().sample(
                self.nl.model, time_limit=self.time_limit, label=label
            )
            problem_id = _problem_id(future, settings.wait_seconds)
        except Exception as exc:  # it may have reached Leap: the row stays reserved
            reason = safe_error(exc)
            ledger.update_extra(self.key, last_error=reason)
            raise CloudTaskFailed(f"{self.backend_name}: {reason}") from None
        if not problem_id:
            raise CloudTaskFailed("Leap returned no problem id")
        ledger.mark_submitted(self.key, problem_id)
        log.info("%s: submitted Leap problem %s for %s", self.backend_name, problem_id, self.label)
        try:
            result = future.result(timeout=settings.wait_seconds)
        except concurrent.futures.TimeoutError:
            cancelled = settings.cancel_on_timeout and _cancel(future)
            raise still_waiting(settings, self.key, problem_id, cancelled=cancelled) from None
        except Exception as exc:
            self._failed(f"Leap problem {problem_id} failed: {safe_error(exc)}")
        return self._settled(dict(result.info.get("timing") or {}))

    def recover(self, entry: LedgerEntry) -> tuple[float, dict[str, Any]]:
        """Load the answer of a problem sent earlier (by id): nothing is resubmitted."""
        assert entry.task_id is not None
        settings = self.backend.settings
        try:
            timing = self.backend.retrieve_states(entry.task_id, self.nl, settings.wait_seconds)
        except TimeoutError:
            raise still_waiting(settings, entry.key, entry.task_id) from None
        except Exception as exc:
            self._failed(f"Leap problem {entry.task_id} failed: {safe_error(exc)}")
        return self._settled(timing)

    def _failed(self, reason: str) -> NoReturn:
        """Close the row as failed at no cost (Leap bills no failed problem) and raise."""
        settings = self.backend.settings
        settings.ledger().mark_failed(self.key, reason, 0.0)
        settings.guard().settle(self.key, 0.0)
        raise CloudTaskFailed(reason)

    def _settled(self, timing: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
        numeric = {k: float(v) for k, v in timing.items() if isinstance(v, int | float)}
        actual = float(self.backend.pricing().actual(numeric))
        return actual, {**samples_payload(nl_sampleset(self.nl)), "timing": numeric}


def _problem_id(future: Any, timeout: float) -> str | None:
    waiter = getattr(future, "wait_id", None)
    problem_id = waiter(timeout=timeout) if callable(waiter) else None
    return None if problem_id is None else str(problem_id)


def _cancel(future: Any) -> bool:
    """Ask Leap to cancel the pending problem behind the NL sampler's result ``future`` (best
    effort). dwave-system sets the result future's ``wait_id`` to the cloud client's
    ``Future.wait_id`` (a bound method; no public accessor of that Future), whose ``cancel()``
    sends SAPI's cancel for a problem still pending."""
    return cancel_pending(getattr(getattr(future, "wait_id", None), "__self__", None))
