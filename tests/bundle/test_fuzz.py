"""Fuzz: 10,000 random byte and field mutations of valid bundles, every one rejected.

Byte mutations (flip, overwrite, insert, delete, swap, truncate, duplicate a slice) and field
mutations (every envelope, manifest, signature and container field: changed, dropped, added,
duplicated, re-ordered; re-encoded canonically, so they reach the signature and manifest
checks rather than failing as bad JSON) are applied to a countersigned bundle and to one
encrypted for two recipients.  Each must raise BundleError (one line, exit 1 or 2): never
another exception, never success.
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qroute.bundle import BundleError, open_bundle, seal_members, verify_bundle
from qroute.bundle.manifest import canonical_json

MEMBERS = {
    "result.json": json.dumps({"instance": "X-n101-k25", "cost": 27591.0}).encode(),
    "solution.sol": b"Route #1: 1 2 3\nRoute #2: 4 5\nCost 27591\n",
    "summary.md": b"# qroute solve\n",
}
SIGNED_MUTATIONS = 7_000
SEALED_MUTATIONS = 3_000


def _byte_mutation(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(7)
    i = rng.randrange(len(buf))
    if kind == 0:
        buf[i] ^= 1 << rng.randrange(8)
    elif kind == 1:
        buf[i] = rng.randrange(256)
    elif kind == 2:
        buf.insert(i, rng.randrange(256))
    elif kind == 3:
        del buf[i]
    elif kind == 4:
        j = rng.randrange(len(buf))
        buf[i], buf[j] = buf[j], buf[i]
    elif kind == 5:
        del buf[i:]
    else:
        j = min(len(buf), i + rng.randrange(1, 64))
        buf[j:j] = buf[i:j]
    return bytes(buf)


def _tweak(value: Any, rng: random.Random) -> Any:
    """A different value of a JSON scalar/list (string chars, numbers, list order...)."""
    if isinstance(value, bool) or value is None:
        return rng.choice([0, "", [], {}, not value])
    if isinstance(value, int):
        return rng.choice([value + 1, value - 1, -value - 1, str(value), 2**63])
    if isinstance(value, str):
        if not value or rng.random() < 0.2:
            return rng.choice([value + "x", "", value.upper(), 1])
        i = rng.randrange(len(value))
        alphabet = "0123456789abcdefABCDEF+/=./-_xyzZ"
        return value[:i] + rng.choice(alphabet.replace(value[i], "")) + value[i + 1 :]
    if isinstance(value, list):
        if len(value) > 1 and rng.random() < 0.4:
            return value[::-1]
        return rng.choice([value[:-1], value + value[-1:], [], value[:1] * 2])
    return {**value, "extra": 1}


def _mutate_path(obj: Any, rng: random.Random, depth: int = 0) -> Any:
    """Change one randomly chosen node of a JSON tree (descending into the manifest)."""
    if isinstance(obj, dict) and obj and (depth == 0 or rng.random() < 0.8):
        keys = list(obj)
        if rng.random() < 0.08:
            return {k: obj[k] for k in rng.sample(keys, len(keys))} | (
                {} if len(keys) > 1 else {"extra": 0}
            )  # re-ordered fields
        if rng.random() < 0.05:
            return {k: v for k, v in obj.items() if k != rng.choice(keys)}  # dropped field
        key = rng.choice(keys)
        return {**obj, key: _mutate_path(obj[key], rng, depth + 1)}
    if isinstance(obj, list) and obj and rng.random() < 0.7:
        i = rng.randrange(len(obj))
        return obj[:i] + [_mutate_path(obj[i], rng, depth + 1)] + obj[i + 1 :]
    return _tweak(obj, rng)


def _field_mutation(data: bytes, rng: random.Random) -> bytes:
    outer = json.loads(data)
    if "payload" in outer and rng.random() < 0.6:  # reach inside the signed manifest
        manifest = json.loads(base64.b64decode(outer["payload"]))
        payload = canonical_json(_mutate_path(manifest, rng))
        outer = {**outer, "payload": base64.b64encode(payload).decode()}
    else:
        outer = _mutate_path(outer, rng)
    return canonical_json(outer) + b"\n"


def _run(data: bytes, check: Callable[[bytes], object], count: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    done = 0
    while done < count:
        mutant = (_field_mutation if rng.random() < 0.4 else _byte_mutation)(data, rng)
        if mutant == data:
            continue
        done += 1
        try:
            check(mutant)
        except BundleError as exc:
            assert exc.exit_code in (1, 2) and "\n" not in exc.message
            outcomes[exc.message.split(":")[0][:40]] += 1
        else:
            raise AssertionError(f"mutation accepted: {mutant[:200]!r}")
    return outcomes


def test_10000_mutations_all_rejected(parties, trust) -> None:
    signers = [parties["carrier"].signing, parties["shipper"].signing]
    signed = seal_members(MEMBERS, signers)
    assert verify_bundle(signed, trust)  # the unmutated bundles are valid
    recipients = [parties["carrier"].kem_public, parties["shipper"].kem_public]
    sealed = seal_members(MEMBERS, signers, recipients)
    key = parties["shipper"].kem
    assert open_bundle(sealed, trust, key)

    signed_outcomes = _run(signed, lambda d: verify_bundle(d, trust), SIGNED_MUTATIONS, 15)
    sealed_outcomes = _run(sealed, lambda d: open_bundle(d, trust, key), SEALED_MUTATIONS, 16)
    assert sum(signed_outcomes.values()) + sum(sealed_outcomes.values()) == 10_000
    # the field mutations reach the deep checks, not only the JSON parser
    reasons = " ".join(signed_outcomes)
    for expected in ("signature 1 by key", "not a JSON bundle", "bundle file is not in canon"):
        assert expected in reasons, signed_outcomes
    assert any("decryption failed" in r or "cannot unwrap" in r for r in sealed_outcomes)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_is_rejected(parties, trust, data) -> None:
    """Property: overwriting any one byte of a valid bundle with any other value is caught."""
    bundle = _signed_once(parties)
    index = data.draw(st.integers(0, len(bundle) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != bundle[index]))
    mutant = bundle[:index] + bytes([value]) + bundle[index + 1 :]
    try:
        verify_bundle(mutant, trust)
    except BundleError as exc:
        assert "\n" not in exc.message
    else:
        raise AssertionError(f"byte {index} -> {value} accepted")


_CACHE: dict[str, bytes] = {}


def _signed_once(parties) -> bytes:
    if "b" not in _CACHE:
        _CACHE["b"] = seal_members(MEMBERS, [parties["carrier"].signing])
    return _CACHE["b"]
