"""D-Wave Leap: the QPU (EmbeddingComposite over DWaveSampler) and the hybrid BQM solver.

Both backends run the one ledger state machine, :func:`qroute.cloud.guarded.run_paid` (states
in :mod:`qroute.cloud.ledger`), shared with Braket: the budget guard reserves the estimated
cost (row ``reserved``) before the problem is sent; the SAPI problem id is written as soon as
Leap returns it and before waiting for the answer (``submitted``); a rerun that finds the id
retrieves the answer with ``Client.retrieve_answer(problem_id)`` instead of submitting again.
The QPU path stores the minor embedding and chain strength with the id,
because the answer comes back on physical qubits and must be unembedded the same way.

Only the QUBO is sent: variables are (stop index, position) pairs or plain integers, with
distances as biases. Costs: QPU access time (``timing["qpu_access_time"]``) and hybrid run
time (``info["run_time"]``) at the profile's prices.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import dimod
import numpy as np

from qroute.backends.annealing import DWaveQPUBackend
from qroute.backends.base import Availability, interpreted_result
from qroute.backends.hardware import HardwareProfile
from qroute.cloud.cost import (
    CostEstimate,
    estimate_annealer,
    estimate_hybrid,
    hybrid_min_time_limit,
)
from qroute.cloud.credentials import (
    dwave_credentials_reason,
    dwave_token,
    module_logger,
    redact,
    safe_error,
)
from qroute.cloud.guarded import CloudTaskFailed, JobNames, Reserve, guarded_solve, run_paid
from qroute.cloud.leap_answers import (
    RecordingChild,
    decode_var,
    encode_var,
    samples_payload,
    sampleset_from_payload,
    wait_id,
)
from qroute.cloud.ledger import Ledger, LedgerEntry, ledger_key
from qroute.cloud.settings import CloudSettings, current_settings
from qroute.model.solver import Budget, SolveResult
from qroute.qubo.kind import Conversion, QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = ["LeapHybridBackend", "LeapQPUBackend", "leap_backend_name"]

log = module_logger(__name__)

HYBRID_MAX_VARIABLES = 1600  # 40 stops: about the 3-5 s minimum time limit


def leap_backend_name(profile: HardwareProfile) -> str:
    return "leap-" + profile.id.removeprefix("dwave-")


def _label(key: str) -> str:
    return f"qroute-{key[:24]}"


class _LeapBase:
    """Ledger, budget and recovery logic shared by the Leap QPU and hybrid backends."""

    paradigm = "annealing"
    name: str
    device: str
    max_variables: int

    def __init__(
        self,
        profile: HardwareProfile,
        *,
        client_factory: Callable[[], Any] | None = None,
        problem_lookup: Callable[[str], str | None] | None = None,
        settings: CloudSettings | None = None,
        injected: bool = False,
    ) -> None:
        self.profile = profile
        self.device = profile.solver_name or profile.id
        self._client_factory = client_factory
        self._problem_lookup = problem_lookup
        self._settings = settings
        self._injected = injected

    @property
    def settings(self) -> CloudSettings:
        return self._settings if self._settings is not None else current_settings()

    def offline_reason(self) -> str | None:
        if self.profile.status == "retired":
            return f"{self.profile.name} is retired (hardware profile {self.profile.id})"
        if self._injected:
            return None
        return dwave_credentials_reason()

    def availability(self) -> Availability:
        reason = self.offline_reason()
        return Availability(reason is None, reason or "ok")

    def _config(self) -> dict[str, Any]:
        token = dwave_token()
        return {"token": token} if token else {}

    def _client(self) -> Any:
        if self._client_factory is not None:
            return self._client_factory()
        from dwave.cloud import Client

        return Client.from_config(**self._config())

    def _find_by_label(self, label: str) -> str | None:
        if self._problem_lookup is not None:
            return self._problem_lookup(label)
        from dwave.cloud.api.resources import Problems

        with Problems.from_config(**self._config()) as problems:
            found = problems.list_problems(label=label, max_results=5)
        return str(found[0].id) if found else None

    # -- the shared flow -------------------------------------------------------------------

    def solve(self, problem: Any, budget: Budget, *, kind: QuboKind = TSP_KIND) -> SolveResult:
        return guarded_solve(self, kind, problem, budget, self._solve, log)  # type: ignore[arg-type]

    def _solve(self, kind: QuboKind, sub: Any, budget: Budget, start: float) -> SolveResult:
        conversion = kind.convert(sub)
        params = self.params(kind, sub, budget)
        key = ledger_key(kind.key(sub), self.name, params)
        estimate = self.estimate(sub, budget, kind)
        job = _LeapJob(self, kind, sub, conversion, budget, key, params, estimate)
        done, recovered = run_paid(job, self.settings)
        return self._finish(kind, sub, conversion.bqm, done, start, recovered=recovered)

    def _find_submitted(self, key: str) -> str | None:
        """Crashed between sending and hearing the id: ask Leap by label before resending."""
        try:
            return self._find_by_label(_label(key))
        except Exception as exc:
            raise CloudTaskFailed(
                f"an earlier submission (label {_label(key)}) may exist but Leap could not "
                f"be asked ({safe_error(exc)}); not resubmitting"
            ) from None

    def _sample_and_wait(
        self,
        kind: QuboKind,
        sub: Any,
        conversion: Conversion,
        budget: Budget,
        key: str,
        params: dict[str, Any],
        estimate: CostEstimate,
        resumed: bool,
        reserve: Reserve,
    ) -> tuple[float, dict[str, Any]]:
        ledger = self.settings.ledger()
        sampleset, extra = self._submit(
            kind, sub, conversion, budget, ledger, key, params, estimate, resumed, reserve
        )
        self._wait(sampleset, key, ledger)
        sampleset.resolve()
        actual = self._actual_cost(sampleset.info)
        payload = {
            **samples_payload(self._to_source(sampleset, extra)),
            "timing": self._timing(sampleset.info),
        }
        return actual, payload

    def _wait(self, sampleset: dimod.SampleSet, key: str, ledger: Ledger) -> None:
        settings = self.settings
        deadline = time.monotonic() + settings.wait_seconds
        while not sampleset.done():
            if time.monotonic() >= deadline:
                self._timeout(key, ledger, sampleset)
            time.sleep(min(settings.poll_interval_seconds, 0.5))

    def _timeout(self, key: str, ledger: Ledger, future: Any) -> NoReturn:
        settings = self.settings
        entry = ledger.get(key)
        problem_id = entry.task_id if entry is not None else None
        reason = (
            f"timed out after {settings.wait_seconds:g}s waiting for Leap problem {problem_id}; "
            "the id stays in the ledger for a rerun"
        )
        ledger.mark_waiting(key, reason)
        raise CloudTaskFailed(reason)

    def _recover(
        self, kind: QuboKind, sub: Any, bqm: dimod.BinaryQuadraticModel, entry: LedgerEntry
    ) -> tuple[float, dict[str, Any]]:
        """Fetch the answer of a problem submitted earlier (by id): nothing is resubmitted."""
        assert entry.task_id is not None
        ledger = self.settings.ledger()
        log.info("%s: recovering Leap problem %s for %s", self.name, entry.task_id, kind.label(sub))
        client = self._client()
        try:
            future = client.retrieve_answer(entry.task_id)
            if not future.wait(timeout=self.settings.wait_seconds):
                self._timeout(entry.key, ledger, future)
            try:
                answer = future.sampleset
                answer.resolve()
            except Exception as exc:
                reason = f"Leap problem {entry.task_id} failed: {safe_error(exc)}"
                ledger.mark_failed(entry.key, reason, 0.0)
                raise CloudTaskFailed(reason) from None
            timing = dict(getattr(future, "timing", None) or answer.info.get("timing", {}))
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
        info = {**answer.info, "timing": timing}
        actual = self._actual_cost(info)
        source = self._to_source(answer, entry.extra, bqm=bqm)
        payload = {**samples_payload(source), "timing": self._timing(info)}
        return actual, payload

    def _finish(
        self,
        kind: QuboKind,
        sub: Any,
        bqm: dimod.BinaryQuadraticModel,
        entry: LedgerEntry,
        start: float,
        recovered: str | None,
    ) -> SolveResult:
        assert entry.result is not None
        sampleset = sampleset_from_payload(entry.result, bqm)
        decoded = kind.interpret(sub, sampleset)
        record = sampleset.record
        breaks = (
            record.chain_break_fraction if "chain_break_fraction" in record.dtype.names else None
        )
        details = {
            "qubo": kind.name,
            "variables": bqm.num_variables,
            "best_energy": decoded.best_raw_energy,
            "num_reads": decoded.num_reads,
            "problem_id": entry.task_id,
            "solver": self.device,
            "timing": entry.result.get("timing"),
            "chain_break_fraction": float(np.mean(breaks)) if breaks is not None else None,
            "chain_strength": entry.extra.get("chain_strength"),
            "estimate_usd": entry.estimate_usd,
            "ledger_key": entry.key,
            "recovered": recovered,
            "charged_in_this_solve": recovered is None,
            **self._more_details(entry),
        }
        return interpreted_result(
            self,
            decoded,
            seed=entry.params.get("seed"),
            start=start,
            shots=int(entry.params.get("num_reads") or 1),
            details=redact(details),
            cost_usd=float(entry.actual_usd or 0.0),
        )

    # -- per backend -----------------------------------------------------------------------

    def shots_for(self, budget: Budget) -> int:
        raise NotImplementedError

    def params(self, kind: QuboKind, sub: Any, budget: Budget) -> dict[str, Any]:
        raise NotImplementedError

    def estimate(self, sub: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> CostEstimate:
        raise NotImplementedError

    def _submit(
        self,
        kind: QuboKind,
        sub: Any,
        conversion: Conversion,
        budget: Budget,
        ledger: Ledger,
        key: str,
        params: dict[str, Any],
        estimate: CostEstimate,
        resumed: bool,
        reserve: Reserve,
    ) -> tuple[dimod.SampleSet, dict[str, Any]]:
        raise NotImplementedError

    def _to_source(
        self,
        answer: dimod.SampleSet,
        extra: Mapping[str, Any],
        bqm: dimod.BinaryQuadraticModel | None = None,
    ) -> dimod.SampleSet:
        raise NotImplementedError

    def _timing(self, info: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _actual_cost(self, info: Mapping[str, Any]) -> float:
        raise NotImplementedError

    def _more_details(self, entry: LedgerEntry) -> dict[str, Any]:
        return {}


class LeapQPUBackend(_LeapBase):
    """A D-Wave QPU through Leap, composed over :class:`qroute.backends.DWaveQPUBackend`.

    The sampling parameters (reads, uniform-torque-compensation chain strength, seeded
    embedding, raw answers) come from the wrapped backend; this class adds the ledger, the
    budget, recovery by problem id and the QPU-access-time cost. ``child`` replaces the
    ``DWaveSampler`` (tests pass ``MockDWaveSampler``; the device is then the mock's name).
    """

    def __init__(
        self,
        profile: HardwareProfile,
        *,
        child: dimod.Sampler | None = None,
        client_factory: Callable[[], Any] | None = None,
        problem_lookup: Callable[[str], str | None] | None = None,
        settings: CloudSettings | None = None,
    ) -> None:
        if profile.backend != "dwave-qpu":
            raise ValueError(f"{profile.id} is not a D-Wave QPU profile")
        super().__init__(
            profile,
            client_factory=client_factory,
            problem_lookup=problem_lookup,
            settings=settings,
            injected=child is not None,
        )
        self.inner = DWaveQPUBackend(child=child, solver=profile.solver_name)
        self.name = leap_backend_name(profile)
        self.max_variables = self.inner.max_variables
        self._child = child

    def reads(self, budget: Budget) -> int:
        reads = budget.shots or self.profile.shots.default
        return int(min(max(reads, self.profile.shots.min), self.profile.shots.max))

    def shots_for(self, budget: Budget) -> int:
        return self.reads(budget)

    def params(self, kind: QuboKind, sub: Any, budget: Budget) -> dict[str, Any]:
        return {
            "solver": self.device,
            "num_reads": self.reads(budget),
            "seed": budget.seed,
            "chain_strength": "uniform_torque_compensation",
            "qubo": kind.name,
        }

    def estimate(self, sub: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> CostEstimate:
        return estimate_annealer(self.profile, self.reads(budget))

    def _submit(
        self,
        kind: QuboKind,
        sub: Any,
        conversion: Conversion,
        budget: Budget,
        ledger: Ledger,
        key: str,
        params: dict[str, Any],
        estimate: CostEstimate,
        resumed: bool,
        reserve: Reserve,
    ) -> tuple[dimod.SampleSet, dict[str, Any]]:
        from dwave.embedding.chain_strength import uniform_torque_compensation
        from dwave.system import DWaveSampler, EmbeddingComposite

        bqm = conversion.bqm
        if not resumed:
            reserve(estimate)
        kwargs = self.inner.sample_kwargs(
            conversion, Budget(seed=budget.seed, shots=self.reads(budget))
        )
        captured: dict[str, Any] = {}

        def chain_strength(source: dimod.BinaryQuadraticModel, embedding: Any) -> float:
            # called by EmbeddingComposite after embedding, before the problem is sent: the
            # embedding goes to the ledger first, so any later recovery can unembed the answer
            value = float(uniform_torque_compensation(source, embedding))
            captured["chain_strength"] = value
            captured["embedding"] = [
                [encode_var(v), [int(q) for q in chain]] for v, chain in embedding.items()
            ]
            ledger.update_extra(key, **captured)
            return value

        def on_submitted(problem_id: str) -> None:
            ledger.mark_submitted(key, problem_id)
            log.info("%s: submitted Leap problem %s for %s", self.name, problem_id, kind.label(sub))

        recording: RecordingChild | None = None
        try:
            child = self._child
            if child is None:
                child = DWaveSampler(solver=self.profile.solver_name, **self._config())
            props = getattr(child, "properties", {}) or {}
            self.device = str(props.get("chip_id", type(child).__name__))
            recording = RecordingChild(child, on_submitted)
            sampleset = EmbeddingComposite(recording).sample(
                bqm, **{**kwargs, "chain_strength": chain_strength, "label": _label(key)}
            )
        except Exception as exc:
            if recording is None or not recording.sending:  # nothing reached Leap
                ledger.mark_rejected(key, f"not sent: {safe_error(exc)}")
            raise
        return sampleset, captured

    def _to_source(
        self,
        answer: dimod.SampleSet,
        extra: Mapping[str, Any],
        bqm: dimod.BinaryQuadraticModel | None = None,
    ) -> dimod.SampleSet:
        if bqm is None:  # a fresh answer: EmbeddingComposite already unembedded it
            return answer
        from dwave.embedding import unembed_sampleset
        from dwave.embedding.chain_breaks import majority_vote

        stored = extra.get("embedding")
        if not stored:
            raise CloudTaskFailed("the ledger has no embedding for this problem; cannot unembed")
        embedding = {decode_var(v): tuple(chain) for v, chain in stored}
        return unembed_sampleset(
            answer, embedding, bqm, chain_break_method=majority_vote, chain_break_fraction=True
        )

    def _timing(self, info: Mapping[str, Any]) -> dict[str, Any]:
        timing = info.get("timing") or {}
        keep = ("qpu_access_time", "qpu_programming_time", "qpu_sampling_time")
        return {k: timing[k] for k in keep if k in timing}

    def _actual_cost(self, info: Mapping[str, Any]) -> float:
        access_us = float((info.get("timing") or {}).get("qpu_access_time") or 0.0)
        return self.profile.price.cost_usd(tasks=1, qpu_seconds=access_us / 1e6)

    def _more_details(self, entry: LedgerEntry) -> dict[str, Any]:
        embedding = entry.extra.get("embedding") or []
        chains = [len(chain) for _, chain in embedding]
        return {
            "qpu_access_time_us": (entry.result or {}).get("timing", {}).get("qpu_access_time"),
            "physical_qubits": int(sum(chains)),
            "max_chain_length": int(max(chains)) if chains else 0,
        }


class LeapHybridBackend(_LeapBase):
    """Leap's hybrid BQM solver (``LeapHybridSampler``) for subproblems too large to embed.

    The BQM is relabelled to integers before it is sent (the ledger keeps the order).
    ``sampler`` replaces the ``LeapHybridSampler`` in tests.
    """

    def __init__(
        self,
        profile: HardwareProfile,
        *,
        sampler: Any | None = None,
        client_factory: Callable[[], Any] | None = None,
        problem_lookup: Callable[[str], str | None] | None = None,
        settings: CloudSettings | None = None,
    ) -> None:
        if profile.backend != "dwave-hybrid":
            raise ValueError(f"{profile.id} is not a D-Wave hybrid profile")
        super().__init__(
            profile,
            client_factory=client_factory,
            problem_lookup=problem_lookup,
            settings=settings,
            injected=sampler is not None,
        )
        self.name = leap_backend_name(profile)
        self.max_variables = HYBRID_MAX_VARIABLES
        self._sampler = sampler
        if sampler is not None:  # an injected sampler (a test double) is named as itself
            self.device = type(sampler).__name__

    def shots_for(self, budget: Budget) -> int:
        return 1  # one answer per run

    def time_limit(self, variables: int) -> float:
        return hybrid_min_time_limit(variables)

    def params(self, kind: QuboKind, sub: Any, budget: Budget) -> dict[str, Any]:
        return {
            "solver": self.device,
            "time_limit": self.time_limit(kind.num_variables(sub)),
            "seed": budget.seed,
            "qubo": kind.name,
        }

    def estimate(self, sub: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> CostEstimate:
        variables = kind.num_variables(sub)
        return estimate_hybrid(self.profile, variables, self.time_limit(variables))

    def _submit(
        self,
        kind: QuboKind,
        sub: Any,
        conversion: Conversion,
        budget: Budget,
        ledger: Ledger,
        key: str,
        params: dict[str, Any],
        estimate: CostEstimate,
        resumed: bool,
        reserve: Reserve,
    ) -> tuple[dimod.SampleSet, dict[str, Any]]:
        bqm = conversion.bqm
        order = list(bqm.variables)
        extra = {"variable_order": [encode_var(v) for v in order]}
        if not resumed:
            reserve(estimate, extra=extra)
        sampler = self._sampler
        sending = False
        try:
            if sampler is None:
                from dwave.system import LeapHybridSampler

                sampler = LeapHybridSampler(solver=self.profile.solver_name, **self._config())
            numbered = bqm.relabel_variables({v: i for i, v in enumerate(order)}, inplace=False)
            time_limit = float(params["time_limit"])
            min_limit = getattr(sampler, "min_time_limit", None)
            if callable(min_limit):
                time_limit = max(time_limit, float(min_limit(numbered)))
            sending = True
            sampleset = sampler.sample(numbered, time_limit=time_limit, label=_label(key))
        except Exception as exc:
            if not sending:  # e.g. no hybrid solver for this token: nothing reached Leap
                ledger.mark_rejected(key, f"not sent: {safe_error(exc)}")
            raise
        problem_id = wait_id(sampleset)
        if not problem_id:
            raise CloudTaskFailed("Leap returned no problem id")
        ledger.mark_submitted(key, problem_id, time_limit=time_limit)
        log.info("%s: submitted Leap problem %s for %s", self.name, problem_id, kind.label(sub))
        return sampleset, extra

    def _to_source(
        self,
        answer: dimod.SampleSet,
        extra: Mapping[str, Any],
        bqm: dimod.BinaryQuadraticModel | None = None,
    ) -> dimod.SampleSet:
        order = [decode_var(v) for v in extra["variable_order"]]
        mapping = {i: v for i, v in enumerate(order)}
        relabel = {label: mapping[int(label)] for label in answer.variables}
        return answer.relabel_variables(relabel, inplace=False)

    def _timing(self, info: Mapping[str, Any]) -> dict[str, Any]:
        keep = ("run_time", "charge_time", "qpu_access_time")
        return {k: info[k] for k in keep if k in info}

    def _actual_cost(self, info: Mapping[str, Any]) -> float:
        run_us = float(info.get("run_time") or 0.0)
        return self.profile.price.cost_usd(tasks=1, minutes=run_us / 60e6)


@dataclass(frozen=True)
class _LeapJob(JobNames):
    """One Leap dispatch (QPU or hybrid) as a ``qroute.cloud.guarded.PaidJob``."""

    backend: _LeapBase
    kind: QuboKind
    sub: Any
    conversion: Conversion
    budget: Budget
    key: str
    params: dict[str, Any]
    estimate: CostEstimate
    recovered_by: str = "problem id"

    def estimate_cost(self) -> CostEstimate:
        return self.estimate

    def find_submitted(self, entry: LedgerEntry) -> str | None:
        return self.backend._find_submitted(entry.key)

    def submit(self, resumed: LedgerEntry | None, reserve: Reserve) -> tuple[float, dict[str, Any]]:
        return self.backend._sample_and_wait(
            self.kind,
            self.sub,
            self.conversion,
            self.budget,
            self.key,
            self.params,
            self.estimate,
            resumed is not None,
            reserve,
        )

    def recover(self, entry: LedgerEntry) -> tuple[float, dict[str, Any]]:
        return self.backend._recover(self.kind, self.sub, self.conversion.bqm, entry)
