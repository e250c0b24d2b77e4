"""One loader for instance specs in every command: a path, a data-folder name, or a scenario."""

from __future__ import annotations

from pathlib import Path

from qroute.model.errors import InputError, UsageError
from qroute.model.problem import Problem, check_matrix_fits


def load_problem(spec: str, size: int | None = None, seed: int | None = None) -> Problem:
    """An instance path, an instance name from the data folder, or 'yangtze-delta'."""
    from qroute.model.cold_chain import SCENARIO_NAME as COLD_CHAIN
    from qroute.model.cold_chain import cold_chain_problem
    from qroute.model.data import find_instance
    from qroute.model.instances import read_instance
    from qroute.model.scenario import SCENARIO_NAME, yangtze_delta

    if spec == COLD_CHAIN:
        return cold_chain_problem(size, seed)
    if spec == SCENARIO_NAME:
        if size is not None:
            if size < 1:
                raise UsageError(f"--size must be at least 1, got {size}")
            check_matrix_fits(size + 1, f"--size {size}")
        try:
            return yangtze_delta(
                num_customers=size if size is not None else 60,
                seed=seed if seed is not None else 2026,
            )
        except ValueError as exc:
            raise InputError(SCENARIO_NAME, str(exc)) from None
    path = Path(spec)
    if not path.exists() and path.suffix == "":
        found = find_instance(spec)
        if found is not None:
            path = found
    return read_instance(path)
