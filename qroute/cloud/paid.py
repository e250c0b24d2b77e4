"""The paid boundary as one ``dimod.Composite``: ledger row, budget guard, recovery, redaction.

``LedgeredSampler(child, ...)`` wraps any paid D-Wave sampler (``DWaveSampler`` under an
``EmbeddingComposite``, ``LeapHybridSampler``, ``LeapHybridCQMSampler``). Each ``sample`` (or
``sample_cqm``) call is one dispatch of :func:`qroute.cloud.guarded.run_paid`:

1. the ledger key is the model's content plus the exact keyword arguments sent to the child
   (for the QPU: the *embedded* BQM, so a recovered answer is only ever unembedded with the
   embedding it was sampled on); the estimate is worked out from those same arguments (the
   hybrid ``time_limit`` actually sent, the ``num_reads`` actually sent);
2. the budget guard refuses, or writes the ``reserved`` row (with the problem label) before
   anything leaves; the label is per run: ``settings.dispatch_label(key)``;
3. the problem id is written as soon as Leap returns it, before waiting; a rerun recovers a
   ``submitted``/``waiting`` row by id and looks a ``reserved``/``rejected`` row up by its
   label before sending anything again;
4. a wait past ``settings.wait_seconds`` cancels the pending problem (``Future.cancel``) and
   leaves the id for a rerun; errors leave as ``CloudTaskFailed`` with secrets removed;
5. the actual cost (QPU access time, or the hybrid ``charge_time``) closes the row; a cost
   above the estimate is re-checked against the run budget and recorded (``guarded``).

The answer's ``info`` says what this call spent: ``cost_usd`` is 0 for an answer reused from
the ledger (it was counted by the solve that paid for it).

Braket stays on ``run_paid`` with its own ``PaidJob`` (``qroute.cloud.braket``): a gate task is a
circuit program, not a BQM, so a ``dimod.Sampler`` boundary does not fit it; both share the
one state machine, budget guard and redaction underneath.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dimod

from qroute.cloud.cost import CostEstimate
from qroute.cloud.credentials import module_logger, redact, safe_error
from qroute.cloud.guarded import CloudTaskFailed, Reserve, run_paid
from qroute.cloud.leap_answers import samples_payload, wait_id
from qroute.cloud.ledger import LedgerEntry, ledger_key
from qroute.cloud.settings import CloudSettings, current_settings
from qroute.model.solver import BackendUnavailable, Budget

__all__ = [
    "LedgeredSampler",
    "LedgeredStructuredSampler",
    "Pricing",
    "cancel_pending",
    "ledgered",
    "problem_label",
    "still_waiting",
    "submitted_by_label",
]

log = module_logger(__name__)

#: keyword arguments the composite itself takes (never sent to the child)
OWN_PARAMETERS = ("subproblem", "max_cost_usd")
#: throttling errors the composite retries (bounded by settings.retry_attempts): raised before a
#: problem exists, so a retry cannot create a second one
THROTTLED = ("TooManyRequests", "RateLimited", "Throttl")
#: errors that mean SAPI refused the request outright (bad or expired token): nothing exists
REFUSED = ("SolverAuthenticationError", "Unauthorized", "Forbidden")

Retriever = Callable[[str, float], dimod.SampleSet]
"""(problem id, timeout seconds) -> the finished answer; raises TimeoutError when not done."""
LabelLookup = Callable[[str], "str | None"]
"""problem label -> the id of a Leap problem carrying it, or None."""


@dataclass(frozen=True)
class Pricing:
    """How a paid sampler is priced: ``estimate(model, sent kwargs)`` before, ``actual(info)``
    (USD from the answer's info: QPU access time, hybrid charge time) after."""

    estimate: Callable[[Any, Mapping[str, Any]], CostEstimate]
    actual: Callable[[Mapping[str, Any]], float]


def problem_label(settings: CloudSettings, key: str) -> str:
    """The Leap problem label of one dispatch: ``settings.dispatch_label`` (run identity +
    ledger key; never repeats across runs, so a lookup by label finds only this run's problem)."""
    return settings.dispatch_label(key)


def model_fingerprint(model: Any) -> str:
    """Content hash of a BQM (dimod's serialization, variable order included) or a CQM
    (objective, then each constraint's label, sense, right-hand side and terms)."""
    if isinstance(model, dimod.ConstrainedQuadraticModel):
        parts = [
            _terms(model.objective),
            repr(sorted((repr(v), model.vartype(v).name) for v in model.variables)),
        ]
        for name, constraint in model.constraints.items():
            parts.append(
                repr((name, constraint.sense.value, constraint.rhs, _terms(constraint.lhs)))
            )
        blob = "\n".join(parts).encode()
    else:
        blob = json.dumps(model.to_serializable(), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _terms(model: Any) -> str:
    linear = sorted((repr(v), float(b)) for v, b in model.linear.items())
    quadratic = sorted((repr(u), repr(v), float(b)) for (u, v), b in model.quadratic.items())
    return repr((linear, quadratic, float(model.offset)))


def _jsonable(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(kwargs), sort_keys=True, default=str))


class LedgeredSampler(dimod.Sampler, dimod.Composite):  # type: ignore[misc]
    """A paid sampler behind the ledger and the budget guard (module docstring).

    child: the paid sampler; backend: the backend name written to the ledger; pricing: its
    ``Pricing``; settings: the run's cloud settings (default: current); retrieve: fetches an
    earlier problem's answer by id (recovery); find_by_label: Leap's problem list by label
    (None: a ``reserved`` row is never resent, since it may have reached Leap).
    """

    def __init__(
        self,
        child: Any,
        *,
        backend: str,
        pricing: Pricing,
        settings: CloudSettings | None = None,
        retrieve: Retriever | None = None,
        find_by_label: LabelLookup | None = None,
    ) -> None:
        self._child = child
        self.backend = backend
        self.pricing = pricing
        self._settings = settings
        self.retrieve = retrieve
        self.find_by_label = find_by_label

    @property
    def settings(self) -> CloudSettings:
        return self._settings if self._settings is not None else current_settings()

    @property
    def children(self) -> list[Any]:
        return [self._child]

    @property
    def parameters(self) -> dict[str, Any]:
        own: dict[str, list[str]] = {name: [] for name in OWN_PARAMETERS}
        child = getattr(self._child, "parameters", {}) or {}
        return {**{k: v for k, v in child.items() if k != "label"}, **own}

    @property
    def properties(self) -> dict[str, Any]:
        return {
            "child_properties": dict(getattr(self._child, "properties", {}) or {}),
            "backend": self.backend,
            "ledgered": True,
        }

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        subproblem: str | None = None,
        max_cost_usd: float | None = None,
        **kwargs: Any,
    ) -> dimod.SampleSet:
        """Sample ``bqm`` on the child once, through the ledger (see the module docstring)."""
        return self._dispatch(bqm, "sample", subproblem, max_cost_usd, kwargs)

    def sample_cqm(
        self,
        cqm: dimod.ConstrainedQuadraticModel,
        *,
        subproblem: str | None = None,
        max_cost_usd: float | None = None,
        **kwargs: Any,
    ) -> dimod.SampleSet:
        """The same for a constrained model (``LeapHybridCQMSampler.sample_cqm``)."""
        return self._dispatch(cqm, "sample_cqm", subproblem, max_cost_usd, kwargs)

    def _dispatch(
        self,
        model: Any,
        method: str,
        subproblem: str | None,
        max_cost_usd: float | None,
        kwargs: dict[str, Any],
    ) -> dimod.SampleSet:
        kwargs.pop("label", None)  # the composite names the problem
        params = _jsonable(kwargs)
        key = ledger_key(model_fingerprint(model), self.backend, {"method": method, **params})
        job = _SampleJob(
            sampler=self,
            model=model,
            method=method,
            kwargs=kwargs,
            key=key,
            label=subproblem or f"{type(model).__name__} of {len(model.variables)} variables",
            params=params,
            budget=Budget(max_cost_usd=max_cost_usd),
        )
        try:
            entry, recovered = run_paid(job, self.settings)
        except BackendUnavailable as exc:
            raise type(exc)(str(redact(str(exc)))) from None
        except Exception as exc:
            raise CloudTaskFailed(f"{self.backend}: {safe_error(exc)}") from None
        return _answer(entry, recovered)


class LedgeredStructuredSampler(LedgeredSampler, dimod.Structured):  # type: ignore[misc]
    """A ``LedgeredSampler`` over a structured child (a QPU): ``EmbeddingComposite`` embeds
    onto the child's graph above it."""

    @property
    def nodelist(self) -> list[Any]:
        return list(self._child.nodelist)

    @property
    def edgelist(self) -> list[Any]:
        return list(self._child.edgelist)


def ledgered(child: Any, **kwargs: Any) -> LedgeredSampler:
    """The composite over ``child``: structured when the child is (a QPU)."""
    if isinstance(child, dimod.Structured):
        return LedgeredStructuredSampler(child, **kwargs)
    return LedgeredSampler(child, **kwargs)


def _answer(entry: LedgerEntry, recovered: str | None) -> dimod.SampleSet:
    assert entry.result is not None
    answer = dimod.SampleSet.from_serializable(entry.result["sampleset"])
    answer.info.update(
        problem_id=entry.task_id,
        timing=dict(entry.result.get("timing") or {}),
        ledger_key=entry.key,
        estimate_usd=entry.estimate_usd,
        actual_usd=float(entry.actual_usd or 0.0),
        # reused from the ledger: counted by the solve that paid for it, not again here
        cost_usd=0.0 if recovered == "ledger" else float(entry.actual_usd or 0.0),
        recovered=recovered,
        charged_in_this_solve=recovered != "ledger",
    )
    for name in ("charge_time", "run_time"):
        if name in entry.result:
            answer.info[name] = entry.result[name]
    if entry.extra.get("cost_overrun"):
        answer.info["cost_overrun"] = entry.extra["cost_overrun"]
    return answer


def submitted_by_label(entry: LedgerEntry, lookup: LabelLookup | None) -> str | None:
    """The id of the Leap problem a ``reserved``/``rejected`` row may have created, asked by the
    row's label (None: none found, or the row has no label); raises when it cannot be asked."""
    label = entry.extra.get("label")
    if not label:
        return None  # written before labels were stored: nothing was labelled to find
    if lookup is None:
        raise CloudTaskFailed(
            f"an earlier submission (label {label}) may exist and cannot be looked up here; "
            "not resubmitting"
        )
    try:
        return lookup(str(label))
    except Exception as exc:
        raise CloudTaskFailed(
            f"an earlier submission (label {label}) may exist but Leap could not be asked "
            f"({safe_error(exc)}); not resubmitting"
        ) from None


def still_waiting(
    settings: CloudSettings, key: str, problem_id: str, *, cancelled: bool = False
) -> CloudTaskFailed:
    """A Leap problem not done within ``settings.wait_seconds``: the row becomes ``waiting``
    (its id stays for a rerun to recover); returns the error to raise."""
    reason = (
        f"timed out after {settings.wait_seconds:g}s waiting for Leap problem {problem_id}; "
        + ("cancel requested; " if cancelled else "")
        + "the id stays in the ledger for a rerun"
    )
    settings.ledger().mark_waiting(key, reason)
    return CloudTaskFailed(reason)


def _is_throttled(exc: BaseException) -> bool:
    name = type(exc).__name__
    return any(mark in name for mark in THROTTLED) or "429" in str(exc)


@dataclass
class _SampleJob:
    """One composite call as a ``qroute.cloud.guarded.PaidJob``."""

    sampler: LedgeredSampler
    model: Any
    method: str
    kwargs: dict[str, Any]
    key: str
    label: str
    params: dict[str, Any]
    budget: Budget
    recovered_by: str = "problem id"
    _estimate: CostEstimate | None = field(default=None, repr=False)

    @property
    def backend_name(self) -> str:
        return self.sampler.backend

    @property
    def settings(self) -> CloudSettings:
        return self.sampler.settings

    def estimate_cost(self) -> CostEstimate:
        if self._estimate is None:
            self._estimate = self.sampler.pricing.estimate(self.model, self.kwargs)
        return self._estimate

    def find_submitted(self, entry: LedgerEntry) -> str | None:
        """A ``reserved``/``rejected`` row may have reached Leap: ask by its label first."""
        return submitted_by_label(entry, self.sampler.find_by_label)

    def submit(self, resumed: LedgerEntry | None, reserve: Reserve) -> tuple[float, dict[str, Any]]:
        settings = self.settings
        ledger = settings.ledger()
        label = problem_label(settings, self.key)
        if resumed is not None:
            label = str(resumed.extra.get("label") or label)  # resend under the same label
        else:
            reserve(self.estimate_cost(), extra={"label": label})
        child = self.sampler.children[0]
        send = getattr(child, self.method)
        accepted = getattr(child, "parameters", None)  # Leap's samplers all take a label
        named = {"label": label} if accepted is None or "label" in accepted else {}
        answer: dimod.SampleSet | None = None
        for attempt in range(max(settings.retry_attempts, 1)):
            try:
                answer = send(self.model, **named, **self.kwargs)
                problem_id = wait_id(answer)
                break
            except Exception as exc:
                if _is_throttled(exc) and attempt + 1 < settings.retry_attempts:
                    time.sleep(settings.retry_base_seconds * 2**attempt)
                    continue
                reason = safe_error(exc)
                if _is_throttled(exc):  # refused every time: nothing was created
                    self._unbilled("rejected", f"throttled {attempt + 1} times: {reason}")
                elif any(mark in type(exc).__name__ for mark in REFUSED):
                    self._unbilled("rejected", f"refused: {reason}")
                else:  # it may have reached Leap: the row stays reserved, a rerun asks by label
                    ledger.update_extra(self.key, last_error=reason)
                raise CloudTaskFailed(f"{self.backend_name}: {reason}") from None
        assert answer is not None
        if not problem_id:
            raise CloudTaskFailed("Leap returned no problem id")
        ledger.mark_submitted(self.key, problem_id)
        log.info("%s: submitted Leap problem %s for %s", self.backend_name, problem_id, self.label)
        self._wait(answer, problem_id)
        try:
            answer.resolve()
        except Exception as exc:
            reason = f"Leap problem {problem_id} failed: {safe_error(exc)}"
            self._unbilled("failed", reason)
            raise CloudTaskFailed(reason) from None
        return self._settled(answer)

    def _unbilled(self, state: str, reason: str) -> None:
        """Close the row as ``failed`` / ``rejected`` at no cost, and take its reserved
        estimate out of the night's spend (Leap bills neither)."""
        settings = self.settings
        ledger = settings.ledger()
        if state == "failed":
            ledger.mark_failed(self.key, reason, 0.0)
        else:
            ledger.mark_rejected(self.key, reason)
        settings.guard().settle(self.key, 0.0)

    def _wait(self, answer: dimod.SampleSet, problem_id: str) -> None:
        settings = self.settings
        deadline = time.monotonic() + settings.wait_seconds
        while not answer.done():
            if time.monotonic() >= deadline:
                cancelled = settings.cancel_on_timeout and _cancel(answer)
                raise still_waiting(settings, self.key, problem_id, cancelled=cancelled)
            time.sleep(min(settings.poll_interval_seconds, 0.5))

    def recover(self, entry: LedgerEntry) -> tuple[float, dict[str, Any]]:
        """Fetch the answer of a problem sent earlier (by id): nothing is resubmitted."""
        assert entry.task_id is not None
        retrieve = self.sampler.retrieve
        if retrieve is None:
            raise CloudTaskFailed(
                f"Leap problem {entry.task_id} is pending and cannot be retrieved here; "
                "not resubmitting"
            )
        settings = self.settings
        log.info("%s: recovering Leap problem %s", self.backend_name, entry.task_id)
        try:
            answer = retrieve(entry.task_id, settings.wait_seconds)
            answer.resolve()
        except TimeoutError:
            raise still_waiting(settings, entry.key, entry.task_id) from None
        except Exception as exc:
            reason = f"Leap problem {entry.task_id} failed: {safe_error(exc)}"
            self._unbilled("failed", reason)
            raise CloudTaskFailed(reason) from None
        return self._settled(answer)

    def _settled(self, answer: dimod.SampleSet) -> tuple[float, dict[str, Any]]:
        info = answer.info
        actual = float(self.sampler.pricing.actual(info))
        payload: dict[str, Any] = {**samples_payload(answer), "timing": _timing(info)}
        for name in ("charge_time", "run_time"):
            if name in info:
                payload[name] = float(info[name])
        return actual, payload


def _timing(info: Mapping[str, Any]) -> dict[str, Any]:
    timing = dict(info.get("timing") or {})
    return {k: float(v) for k, v in timing.items() if isinstance(v, int | float)}


def _cancel(answer: dimod.SampleSet) -> bool:
    """Ask Leap to cancel the pending problem behind ``answer`` (best effort).

    dimod keeps the cloud client's Future of a ``SampleSet.from_future`` in ``_future``
    (no public accessor); its ``cancel()`` sends SAPI's cancel for a problem still pending.
    """
    return cancel_pending(getattr(answer, "_future", None))


def cancel_pending(future: Any) -> bool:
    """``future.cancel()`` of a dwave.cloud ``Future`` (best effort; False when there is none
    or it failed): SAPI's cancel for a problem still pending."""
    cancel = getattr(future, "cancel", None)
    if not callable(cancel):
        return False
    try:
        cancel()
    except Exception as exc:
        log.warning("cancelling a timed-out Leap problem failed: %s", safe_error(exc))
        return False
    return True
