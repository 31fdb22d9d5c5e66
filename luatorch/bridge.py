"""The only door between Lua and Python.

Lua receives one flat table of plain Python functions (`torch._door`) and caches each in a
local at load time.  Every module that serves Lua lists its functions in an `EXPORTS` dict;
this file merges them.  Indices arrive 1-based from Lua and are made 0-based by the exporting
functions themselves, right at the door (nowhere deeper).
"""

from __future__ import annotations

import importlib
from typing import Callable, Dict

# Modules whose EXPORTS make up the door, in order (a later name may not shadow an earlier one).
MODULES = [
    "luatorch.tensor_ops",
    "luatorch.kernels.pointwise",
    "luatorch.kernels.indexing",
    "luatorch.kernels.reduce",
    "luatorch.kernels.blas",
    "luatorch.kernels.linalg",
    "luatorch.kernels.linear",
    "luatorch.kernels.activation",
    "luatorch.kernels.loss",
    "luatorch.kernels.normalization",
    "luatorch.kernels.pooling",
    "luatorch.kernels.spatial",
    "luatorch.kernels.conv",
    "luatorch.kernels.spatial_norm",
    "luatorch.kernels.upsampling",
    "luatorch.kernels.feature_pooling",
    "luatorch.kernels.index_linear",
    "luatorch.random",
    "luatorch.printing",
    "luatorch.sysutil",
    "luatorch.threads",
    "luatorch.serialization.door",
    "luatorch.packages.optim_plot",
    "luatorch.packages.gnuplot",
]


def build_door() -> Dict[str, Callable]:
    """Collect every module's EXPORTS into one dict, refusing duplicate names."""
    door: Dict[str, Callable] = {}
    for name in MODULES:
        mod = importlib.import_module(name)
        for key, fn in getattr(mod, "EXPORTS", {}).items():
            if key in door:
                raise RuntimeError(f"door name {key!r} exported twice ({name})")
            door[key] = fn
    return door
