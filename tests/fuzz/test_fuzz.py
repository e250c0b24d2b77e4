"""The fuzz suite in CI: a few hundred seeded mutants of instances, solutions and hardware
profiles (tests/fuzz/harness.py). Every one must be a clean one-line error or read back
identical to its original; bench/fuzz.py runs thousands."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import OUTCOMES, READERS, run_cases

CI_CASES = 400


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return run_cases(CI_CASES, seed=20261201)


def test_no_traceback_and_no_silently_changed_data(report) -> None:  # type: ignore[no-untyped-def]
    assert report.failures == []
    assert report.total("traceback") == 0 and report.total("changed") == 0


def test_every_reader_was_exercised_both_ways(report) -> None:  # type: ignore[no-untyped-def]
    assert set(report.counts) == set(READERS)
    assert report.total() == CI_CASES
    for kind, counts in report.counts.items():
        assert set(counts) == set(OUTCOMES)
        assert counts["clean"] > 0, kind
    # meaning-preserving mutations (shuffled rows, BOM, CRLF, blanks) must read back identical
    assert report.counts["instance"]["identical"] > 0.1 * sum(report.counts["instance"].values())


def test_the_mutator_finds_the_original_bugs() -> None:
    """The oracle can fail: a reader that reads rows in file order (ignoring node ids) is
    caught as 'changed' (the first finding of issue 11)."""
    import random
    import tempfile
    from pathlib import Path

    from tests.fuzz import harness

    with tempfile.TemporaryDirectory() as tmp:
        seed = harness.prepare([harness.instance_seeds(include_real=False)[0]], Path(tmp))[0]
        text = seed.text.replace("2 4\n3 3\n", "3 3\n2 4\n")  # rows swapped, ids kept
        assert harness.classify(seed, text, Path(tmp)) == ("identical", "")
        misread = seed.text.replace("2 4\n3 3\n", "2 3\n3 4\n")  # what a row-order reader sees
        assert harness.classify(seed, misread, Path(tmp))[0] == "changed"
        assert harness.mutate_instance(seed, random.Random(0))[0]


def test_time_window_mutations_are_one_line_errors() -> None:
    """Issue 13: due before ready, a negative service time, a window after the depot closes
    and a reversed depot window, in Solomon and CVRPLIB (TIME_WINDOW_SECTION) files, each
    a clean one-line error before anything is solved."""
    import random
    import tempfile
    from collections import Counter
    from pathlib import Path

    from tests.fuzz import harness

    rng = random.Random(13)
    seen: Counter[tuple[str, str]] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = harness.prepare(harness.instance_seeds(include_real=False), Path(tmp))
        windowed = [s for s in seeds if s.name.endswith(".txt") or "TIME_WINDOW" in s.text]
        assert {s.name for s in windowed} == {"T101.txt", "T-w5.vrp"}
        for _ in range(120):
            seed = rng.choice(windowed)
            solomon = seed.name.endswith(".txt")
            mutation, text = harness._mutate_time_window(seed.text.split("\n"), solomon, rng)
            assert harness.classify(seed, text, Path(tmp)) == ("clean", ""), (mutation, text)
            seen[(seed.name, mutation)] += 1
    assert len(seen) == 8  # all four mutations on both formats
