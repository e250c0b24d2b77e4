"""D-Wave Leap: the QPU, the hybrid BQM solver and the hybrid CQM solver, all ledgered.

Every paid call goes through one composite, :class:`qroute.cloud.paid.LedgeredSampler`
(ledger row and budget guard before sending, problem id before waiting, recovery by id or
per-run label, cancel on timeout, redacted errors):

* ``LeapQPUBackend``: ``EmbeddingComposite(LedgeredSampler(DWaveSampler))``. It is
  registered as ``leap-advantage`` / ``leap-advantage2`` and, on the first active QPU
  profile, as ``dwave-qpu`` itself (``qroute solve --policy annealer``, the nightly annealer
  policy, the hardware comparison): no D-Wave QPU call leaves without a ledger row and a budget.
* ``LeapHybridBackend``: ``LeapHybridSampler`` with variables relabelled to integers; the
  ``time_limit`` is fixed (the solver's own minimum included) before the reservation, so the
  estimate prices the limit actually sent; the actual cost is the answer's ``charge_time``.
* ``LeapHybridCQMBackend``: ``LeapHybridCQMSampler`` (``leap-hybrid-cqm``); route selection goes
  as a ``dimod.ConstrainedQuadraticModel`` with one equality constraint per customer
  (``qroute.cloud.leap_cqm``), other kinds as their BQM without constraints.

Leap's hybrid nonlinear solver (``leap-hybrid-nl``) is in ``qroute.cloud.leap_nl``: its sampler
is not a dimod sampler, so it runs on ``run_paid`` directly, with the same ledger steps.

Clients are opened per use from the profile's region (``Client.from_config(region=...)``) and
closed (context managers); availability asks the live solver (``online``, ``avg_load``) when
``settings.live_checks`` is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import dimod

from qroute.backends.annealing import DWaveQPUBackend
from qroute.backends.base import Availability, SamplerBackend
from qroute.backends.hardware import HardwareProfile, max_variables_for
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
    safe_error,
)
from qroute.cloud.guarded import guarded_solve
from qroute.cloud.paid import LedgeredSampler, Pricing, ledgered
from qroute.cloud.settings import CloudSettings, current_settings
from qroute.model.solver import BackendUnavailable, Budget, SolveResult
from qroute.qubo.kind import Conversion, QuboKind
from qroute.qubo.tsp import TSP_KIND

__all__ = [
    "LeapHybridBackend",
    "LeapHybridCQMBackend",
    "LeapQPUBackend",
    "leap_backend_name",
]

log = module_logger(__name__)


def leap_backend_name(profile: HardwareProfile) -> str:
    return "leap-" + profile.id.removeprefix("dwave-")


class _LeapPaid:
    """What the Leap backends share: profile, settings, credentials, region, clients, live
    solver status, recovery hooks for the composite, and the redacting ``solve``."""

    name: str
    device: str
    paradigm = "annealing"
    profile: HardwareProfile

    @property
    def max_variables(self) -> int:
        """From the profile (``max_variables_for``): e.g. 1600 variables (40 stops) for the
        hybrid solvers, 100 (10 stops) for the QPUs."""
        return max_variables_for(self.profile)

    def _leap_init(
        self,
        profile: HardwareProfile,
        *,
        client_factory: Callable[[], Any] | None,
        problem_lookup: Callable[[str], str | None] | None,
        settings: CloudSettings | None,
        injected: bool,
    ) -> None:
        self.profile = profile
        self._client_factory = client_factory
        self._problem_lookup = problem_lookup
        self._settings = settings
        self._injected = injected
        self._subproblem: str | None = None

    @property
    def settings(self) -> CloudSettings:
        return self._settings if self._settings is not None else current_settings()

    # -- offline checks and prices (qroute.backends.CloudBackend) ------------------------

    def offline_reason(self) -> str | None:
        if self.profile.status == "retired":
            return f"{self.profile.name} is retired (hardware profile {self.profile.id})"
        if not self._injected:
            reason = dwave_credentials_reason()
            if reason is not None:
                return reason
        if self.settings.budget_usd is None:
            return (
                "budget: no run budget set (--budget-usd / $QROUTE_BUDGET_USD), so no paid "
                f"{self.profile.name} call is made"
            )
        return None

    def availability(self) -> Availability:
        reason = self.offline_reason()
        live = not self._injected or self._client_factory is not None  # a fake client answers
        if reason is None and live and self.settings.live_checks:
            reason = self.solver_status()
        return Availability(reason is None, reason or "ok")

    def solver_status(self) -> str | None:
        """Why the profile's live solver cannot take work now (``online``), or None; the load
        (``avg_load``) is logged."""
        try:
            with self._client() as client:
                solver = client.get_solver(name=self.profile.solver_name)
                online, load = bool(solver.online), solver.avg_load
        except Exception as exc:
            return f"Leap solver {self.profile.solver_name} status unknown: {safe_error(exc)}"
        if not online:
            return f"Leap solver {self.profile.solver_name} is offline"
        log.info("%s: solver %s online, avg_load %s", self.name, self.profile.solver_name, load)
        return None

    # -- clients, all closed after use ----------------------------------------------------

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.profile.region:
            config["region"] = self.profile.region
        token = dwave_token()
        if token:
            config["token"] = token
        return config

    def _client(self) -> Any:
        if self._client_factory is not None:
            return self._client_factory()
        from dwave.cloud import Client

        return Client.from_config(**self._config())

    def find_by_label(self, label: str) -> str | None:
        if self._problem_lookup is not None:
            return self._problem_lookup(label)
        from dwave.cloud.api.resources import Problems

        with Problems.from_config(**self._config()) as problems:
            found = problems.list_problems(label=label, max_results=5)
        return str(found[0].id) if found else None

    def retrieve(self, problem_id: str, timeout: float) -> dimod.SampleSet:
        """The answer of an earlier problem by id (``Client.retrieve_answer``)."""
        with self._client() as client:
            future = client.retrieve_answer(problem_id)
            if not future.wait(timeout=timeout):
                raise TimeoutError(problem_id)
            answer = future.sampleset
            answer.resolve()
            timing = dict(getattr(future, "timing", None) or answer.info.get("timing", {}))
        answer.info.update(timing=timing, problem_id=problem_id)
        return answer

    def paid(self, child: Any, pricing: Pricing) -> LedgeredSampler:
        """``child`` behind the ledger composite of this backend."""
        return ledgered(
            child,
            backend=self.name,
            pricing=pricing,
            settings=self._settings,
            retrieve=self.retrieve,
            find_by_label=self.find_by_label,
        )

    # -- the redacting solve --------------------------------------------------------------

    def solve(self, problem: Any, budget: Budget, *, kind: QuboKind = TSP_KIND) -> SolveResult:
        def run(kind: QuboKind, problem: Any, budget: Budget, start: float) -> SolveResult:
            reason = self.offline_reason()
            if reason is not None:  # no budget / credentials: refused before any connection
                raise BackendUnavailable(reason)
            self._subproblem = kind.label(problem)
            try:
                return self._solve_paid(problem, budget, kind)
            finally:
                self._close()

        return guarded_solve(self, kind, problem, budget, run, log)  # type: ignore[arg-type]

    def _solve_paid(self, problem: Any, budget: Budget, kind: QuboKind) -> SolveResult:
        return SamplerBackend.solve(self, problem, budget, kind=kind)  # type: ignore[arg-type]

    def _close(self) -> None:
        """Close the SDK sampler this solve opened (its cloud client's threads)."""

    def paid_details(self, info: Mapping[str, Any]) -> dict[str, Any]:
        keep = ("ledger_key", "estimate_usd", "recovered", "charged_in_this_solve")
        details = {k: info.get(k) for k in keep}
        if info.get("cost_overrun"):
            details["cost_overrun"] = info["cost_overrun"]
        return details


def _close_sdk(sampler: Any) -> None:
    close = getattr(sampler, "close", None)
    if callable(close):
        try:
            close()
        except Exception as exc:
            log.warning("closing a Leap sampler failed: %s", safe_error(exc))


class LeapQPUBackend(_LeapPaid, DWaveQPUBackend):
    """A D-Wave QPU through Leap: ``EmbeddingComposite(LedgeredSampler(DWaveSampler))``.

    Sampling parameters (uniform-torque-compensation chain strength, seeded embedding, raw
    answers) are :class:`qroute.backends.DWaveQPUBackend`'s; reads are clamped to the profile;
    the cost is QPU access time at the profile's price. ``child`` replaces the
    ``DWaveSampler`` (tests pass ``MockDWaveSampler``; the device is then the mock's name).
    ``name`` defaults to ``leap-<profile>``; ``qroute.cloud.register`` also registers it as
    ``dwave-qpu``.
    """

    def __init__(
        self,
        profile: HardwareProfile,
        *,
        child: dimod.Sampler | None = None,
        client_factory: Callable[[], Any] | None = None,
        problem_lookup: Callable[[str], str | None] | None = None,
        settings: CloudSettings | None = None,
        name: str | None = None,
    ) -> None:
        if profile.backend != "dwave-qpu":
            raise ValueError(f"{profile.id} is not a D-Wave QPU profile")
        DWaveQPUBackend.__init__(self, child=None, solver=profile.solver_name)
        self._leap_init(
            profile,
            client_factory=client_factory,
            problem_lookup=problem_lookup,
            settings=settings,
            injected=child is not None,
        )
        self._injected_child = child
        self._sdk: Any = None
        self.name = name or leap_backend_name(profile)
        self.device = profile.solver_name or profile.id

    def availability(self) -> Availability:
        return _LeapPaid.availability(self)

    def reads(self, budget: Budget) -> int:
        reads = budget.shots or self.profile.shots.default
        return int(min(max(reads, self.profile.shots.min), self.profile.shots.max))

    def shots_for(self, budget: Budget) -> int:
        return self.reads(budget)

    def estimate(self, sub: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> CostEstimate:
        return estimate_annealer(self.profile, self.reads(budget))

    def pricing(self) -> Pricing:
        profile = self.profile

        def actual(info: Mapping[str, Any]) -> float:
            access_us = float((info.get("timing") or {}).get("qpu_access_time") or 0.0)
            return profile.price.cost_usd(tasks=1, qpu_seconds=access_us / 1e6)

        return Pricing(
            estimate=lambda bqm, sent: estimate_annealer(profile, int(sent["num_reads"])),
            actual=actual,
        )

    def paid_child(self) -> tuple[dimod.Sampler, str]:
        reason = self.offline_reason()  # callers of sampler() (the selection step) too: no
        if reason is not None:  # budget or credentials -> refused before any connection
            raise BackendUnavailable(f"{self.name}: {reason}")
        child = self._injected_child
        if child is None:
            from dwave.system import DWaveSampler

            child = self._sdk = DWaveSampler(solver=self.profile.solver_name, **self._config())
        props = getattr(child, "properties", {}) or {}
        device = str(props.get("chip_id", type(child).__name__))
        return self.paid(child, self.pricing()), device

    def sample_kwargs(self, conversion: Conversion | None, budget: Budget) -> dict[str, Any]:
        kwargs = DWaveQPUBackend.sample_kwargs(
            self, conversion, Budget(seed=budget.seed, shots=self.reads(budget))
        )
        return {**kwargs, "subproblem": self._subproblem, "max_cost_usd": budget.max_cost_usd}

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        return {
            **DWaveQPUBackend.postprocess_info(self, sampleset),
            **self.paid_details(sampleset.info),
        }

    def _close(self) -> None:
        if self._sdk is not None:
            _close_sdk(self._sdk)
        self._sdk, self._composite = None, None


class _IntegerLabels(dimod.Sampler, dimod.Composite):  # type: ignore[misc]
    """Sends the BQM with variables relabelled 0..n-1 and maps the answer back, so only
    integers leave (dimod's ``relabel_variables_as_integers``)."""

    def __init__(self, child: Any) -> None:
        self._child = child

    @property
    def children(self) -> list[Any]:
        return [self._child]

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._child.parameters)

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self._child.properties)

    def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs: Any) -> dimod.SampleSet:
        numbered, mapping = bqm.relabel_variables_as_integers(inplace=False)
        answer = self._child.sample(numbered, **kwargs)
        return answer.relabel_variables(mapping, inplace=False)


class _LeapHybridBase(_LeapPaid, SamplerBackend):
    """A Leap hybrid solver priced by run time: ``sampler`` replaces the SDK's in tests."""

    sdk_class = "LeapHybridSampler"
    profile_backend = "dwave-hybrid"

    def __init__(
        self,
        profile: HardwareProfile,
        *,
        sampler: Any | None = None,
        client_factory: Callable[[], Any] | None = None,
        problem_lookup: Callable[[str], str | None] | None = None,
        settings: CloudSettings | None = None,
    ) -> None:
        if profile.backend != self.profile_backend:
            raise ValueError(f"{profile.id} is not a {self.profile_backend} profile")
        self._leap_init(
            profile,
            client_factory=client_factory,
            problem_lookup=problem_lookup,
            settings=settings,
            injected=sampler is not None,
        )
        self.name = leap_backend_name(profile)
        self.device = profile.solver_name or profile.id
        self._injected_sampler = sampler
        self._sdk: Any = None
        if sampler is not None:  # an injected sampler (a test double) is named as itself
            self.device = type(sampler).__name__

    def shots_for(self, budget: Budget) -> int:
        return 1  # one answer per run

    def estimate(self, sub: Any, budget: Budget, kind: QuboKind = TSP_KIND) -> CostEstimate:
        variables = kind.num_variables(sub)
        return estimate_hybrid(self.profile, variables, hybrid_min_time_limit(variables))

    def pricing(self) -> Pricing:
        profile = self.profile

        def actual(info: Mapping[str, Any]) -> float:
            # Leap bills charge_time (µs); run_time only when an answer lacks it
            billed_us = float(info.get("charge_time") or info.get("run_time") or 0.0)
            return profile.price.cost_usd(tasks=1, minutes=billed_us / 60e6)

        return Pricing(
            estimate=lambda model, sent: estimate_hybrid(
                profile, len(model.variables), float(sent["time_limit"])
            ),
            actual=actual,
        )

    def sdk_sampler(self) -> Any:
        """The (injected or Leap's) hybrid sampler, opened once per solve."""
        if self._injected_sampler is not None:
            return self._injected_sampler
        if self._sdk is None:
            import dwave.system

            factory = getattr(dwave.system, self.sdk_class)
            self._sdk = factory(solver=self.profile.solver_name, **self._config())
        return self._sdk

    def time_limit(self, model: Any) -> float:
        """The limit sent: our table's minimum, raised to the solver's own ``min_time_limit``
        (fixed before the reservation, so the estimate prices what is sent)."""
        limit = hybrid_min_time_limit(len(model.variables))
        own = getattr(self.sdk_sampler(), "min_time_limit", None)
        if callable(own):
            limit = max(limit, float(own(model)))
        return limit

    def _close(self) -> None:
        if self._sdk is not None:
            _close_sdk(self._sdk)
        self._sdk = None

    def constrained_result(
        self,
        kind: QuboKind,
        problem: Any,
        answer: dimod.SampleSet,
        *,
        model: str,
        constraints: int,
        budget: Budget,
        start: float,
        paid: Mapping[str, Any],
        cost_usd: float,
    ) -> SolveResult:
        """The result of a constrained model's answer (CQM, NL): the kind reads the sample
        columns; the solver's own feasible share and the paid details are recorded."""
        from qroute.backends.base import interpreted_result

        interpretation = kind.interpret(problem, _bqm_columns(answer))
        details = {
            "qubo": kind.name,
            "model": model,
            "variables": len(answer.variables),
            "constraints": constraints,
            "best_energy": interpretation.best_raw_energy,
            "num_reads": interpretation.num_reads,
            "feasible_by_solver": _feasible_share(answer),
            **interpretation.details,
            **paid,
        }
        return interpreted_result(
            self,  # type: ignore[arg-type]
            interpretation,
            seed=budget.seed,
            start=start,
            shots=1,
            details=details,
            cost_usd=cost_usd,
        )


class LeapHybridBackend(_LeapHybridBase):
    """Leap's hybrid BQM solver (``LeapHybridSampler``) for subproblems too large to embed."""

    def sampler(self) -> dimod.Sampler:
        return _IntegerLabels(self.paid(self.sdk_sampler(), self.pricing()))

    def sample_kwargs(self, conversion: Conversion | None, budget: Budget) -> dict[str, Any]:
        assert conversion is not None
        return {
            "time_limit": self.time_limit(conversion.bqm),
            "subproblem": self._subproblem,
            "max_cost_usd": budget.max_cost_usd,
        }

    def postprocess_info(self, sampleset: dimod.SampleSet) -> dict[str, Any]:
        info = sampleset.info
        timing = {k: info[k] for k in ("run_time", "charge_time") if k in info}
        return {"problem_id": info.get("problem_id"), "timing": timing, **self.paid_details(info)}


class LeapHybridCQMBackend(_LeapHybridBase):
    """Leap's hybrid CQM solver (``LeapHybridCQMSampler``): route selection with its cover
    constraints as real constraints (``qroute.cloud.leap_cqm.selection_cqm``); other kinds
    are sent as their BQM (``ConstrainedQuadraticModel.from_bqm``)."""

    sdk_class = "LeapHybridCQMSampler"
    profile_backend = "dwave-hybrid-cqm"

    def _solve_paid(self, problem: Any, budget: Budget, kind: QuboKind) -> SolveResult:
        from qroute.cloud.leap_cqm import kind_cqm

        start = time.perf_counter()
        cqm = kind_cqm(kind, problem)
        answer = self.paid(self.sdk_sampler(), self.pricing()).sample_cqm(
            cqm,
            time_limit=self.time_limit(cqm),
            subproblem=self._subproblem,
            max_cost_usd=budget.max_cost_usd,
        )
        info = answer.info
        return self.constrained_result(
            kind,
            problem,
            answer,
            model="cqm",
            constraints=len(cqm.constraints),
            budget=budget,
            start=start,
            paid={
                "problem_id": info.get("problem_id"),
                "timing": {k: info[k] for k in ("run_time", "charge_time") if k in info},
                **self.paid_details(info),
            },
            cost_usd=float(info.get("cost_usd", 0.0) or 0.0),
        )


def _bqm_columns(answer: dimod.SampleSet) -> dimod.SampleSet:
    """The CQM answer with only the sample columns the kinds read (no feasibility vectors)."""
    return dimod.SampleSet.from_samples(
        (answer.record.sample, list(answer.variables)),
        dimod.BINARY,
        energy=answer.record.energy,
        num_occurrences=answer.record.num_occurrences,
    )


def _feasible_share(answer: dimod.SampleSet) -> float | None:
    if "is_feasible" not in answer.record.dtype.names:
        return None
    counts = answer.record.num_occurrences
    return float((answer.record.is_feasible * counts).sum() / max(int(counts.sum()), 1))
