"""Shared fixtures: a LuaJIT runtime with torch loaded, and helpers to move data across."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime


@pytest.fixture(scope="module")
def rt() -> Runtime:
    """One runtime per test module (creating one costs ~50 ms)."""
    return Runtime()


def arr(rt: Runtime, expr: str) -> np.ndarray:
    """The NumPy view behind the Lua tensor that `expr` evaluates to."""
    h = rt.eval(f"torch._handle({expr})")
    return h.a if h.size else np.zeros(0, h.dtype)


def lua_list(t) -> list:
    """A Lua array table as a Python list."""
    return [t[i] for i in range(1, len(t) + 1)]


@pytest.fixture(autouse=True)
def _seeded_rng():
    """Every test starts from the same Torch7 random state, whatever ran before it.

    The default generator, like Torch7's, starts from a random seed; without this, tests that
    draw inputs without seeding could fail on one unlucky draw in a hundred runs.
    """
    from luatorch import random as lt_random

    lt_random.rng_manual_seed(None, 20261124)
    np.random.seed(20261124)
