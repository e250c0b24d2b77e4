"""The persistent answer store: both phases' answers persisted atomically, reused by content."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import pytest

from qroute.hybrid.answer_store import AnswerStore, answer_key
from qroute.hybrid.pipeline import PipelineConfig
from qroute.model.subproblem import random_route_tsp


def test_put_then_get_round_trips_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    from qroute.orchestration.tasks import solve_subproblem

    sub = random_route_tsp(5, seed=1)
    result = solve_subproblem.fn(sub, 0, PipelineConfig(policy="local"))
    store = AnswerStore(tmp_path / "answers")
    key = answer_key(sub, "local", ["dwave-sa"], None)
    assert store.get(key) is None
    store.put(key, result)
    assert store.get(key) == result
    assert [p.name for p in store.folder.iterdir()] == [f"{key}.pkl"]


def test_the_key_is_content_policy_chain_and_shots_not_the_index() -> None:
    sub, other = random_route_tsp(5, seed=1), random_route_tsp(5, seed=2)
    base = answer_key(sub, "local", ["dwave-sa"], None)
    assert base == answer_key(random_route_tsp(5, seed=1), "local", ["dwave-sa"], None)
    assert base != answer_key(other, "local", ["dwave-sa"], None)
    assert base != answer_key(sub, "mixed", ["dwave-sa"], None)
    assert base != answer_key(sub, "local", ["exact"], None)
    assert base != answer_key(sub, "local", ["dwave-sa"], 100)


def test_a_torn_or_foreign_file_counts_as_absent(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path)
    store.path("answer-a").write_bytes(pickle.dumps({"not": "a result"})[:7])
    store.path("answer-b").write_bytes(pickle.dumps({"not": "a result"}))
    assert store.get("answer-a") is None and store.get("answer-b") is None


def test_concurrent_writers_never_leave_a_torn_file(tmp_path: Path) -> None:
    from qroute.orchestration.tasks import solve_subproblem

    sub = random_route_tsp(5, seed=3)
    result = solve_subproblem.fn(sub, 0, PipelineConfig(policy="local"))
    store = AnswerStore(tmp_path)
    store.put("answer-x", result)
    seen: list[object] = []

    def write() -> None:
        for _ in range(50):
            store.put("answer-x", result)

    def read() -> None:
        for _ in range(200):
            seen.append(store.get("answer-x"))

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 200 and all(value == result for value in seen)
    assert os.listdir(tmp_path) == ["answer-x.pkl"]


def test_the_solve_task_reuses_an_answer_at_another_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes improvement-phase answers survive a crash: the rerun cuts the same
    content at another index (the loop is clock-driven) and still gets the stored answer."""
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    import qroute.hybrid.dispatch as dispatch
    from qroute.orchestration import tasks

    calls: list[int] = []
    original = dispatch.Dispatcher.solve

    def counting(self, sub, budget, **options):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(self, sub, budget, **options)

    monkeypatch.setattr(dispatch.Dispatcher, "solve", counting)
    tasks._solver.cache_clear()
    sub = random_route_tsp(6, seed=4)
    config = PipelineConfig(policy="local")
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: tmp_path}):
        first = tasks.solve_subproblem.fn(sub, 3, config)
        again = tasks.solve_subproblem.fn(sub, 41, config)
    assert calls == [1]  # the second call never reached a backend
    assert len(AnswerStore(tmp_path / "answers")) == 1
    assert again.routes == first.routes and again.cost == first.cost
    assert again.provenance.details["reused_from_cache"] is True
    assert "reused_from_cache" not in first.provenance.details
