"""The bad-argument walk (issue 17): no Python words, no call past the bound, the process
survives.  A seeded sample runs with the suite; the whole walk runs under the `slow` marker."""

from __future__ import annotations

import pytest

from tests.fuzz.walker import LEAK_RE, walk


def _check(report) -> None:
    bad = report.examples.get("leak", []) + report.examples.get("hang", [])
    assert not bad, "\n".join(f"{c} -> {m[:200]}" for c, m in bad[:20])


def test_leak_patterns_catch_python_words() -> None:
    for msg in ["invalid literal for int() with base 10: 'abc'",
                "'<' not supported between instances of 'lupa.luajit21._LuaTable' and 'int'",
                "AttributeError: 'NoneType' object has no attribute 'size'",
                "rng_exponential() missing 1 required positional argument: 'lam'",
                "Cannot cast array data from dtype('float64')"]:
        assert LEAK_RE.search(msg)
    assert not LEAK_RE.search("bad argument #2 to 'narrow' (number expected, got string)")


def test_fuzz_sample() -> None:
    _check(walk(seed=17, per_target=3, limit=120, bound_s=5.0))


@pytest.mark.slow
def test_fuzz_full_walk() -> None:
    _check(walk(seed=1, per_target=3, bound_s=5.0))
