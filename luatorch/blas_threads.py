"""BLAS thread control (`torch.setnumthreads`), through the OpenBLAS that NumPy loaded."""

from __future__ import annotations

import ctypes
import os
from typing import Optional, Tuple

_SET = ("openblas_set_num_threads", "openblas_set_num_threads64_",
        "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads")
_GET = ("openblas_get_num_threads", "openblas_get_num_threads64_",
        "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads")
_cache: dict = {}


def _openblas() -> Optional[Tuple[object, object]]:
    if "fns" in _cache:
        return _cache["fns"]
    import numpy  # noqa: F401  (loads its BLAS)

    fns = None
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        libs = set()
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        s = next((getattr(lib, n) for n in _SET if hasattr(lib, n)), None)
        g = next((getattr(lib, n) for n in _GET if hasattr(lib, n)), None)
        if s is not None and g is not None:
            g.restype = ctypes.c_int
            fns = (s, g)
            break
    _cache["fns"] = fns
    return fns


def th_set_num_threads(n: int) -> None:
    """Set the number of BLAS threads (no-op where the BLAS offers no control)."""
    n = max(1, int(n))
    _cache["n"] = n
    fns = _openblas()
    if fns is not None:
        fns[0](ctypes.c_int(n))


def th_get_num_threads() -> int:
    """The number of BLAS threads in use."""
    fns = _openblas()
    if fns is not None:
        return int(fns[1]())
    return _cache.get("n", os.cpu_count() or 1)


EXPORTS = {"th_set_num_threads": th_set_num_threads, "th_get_num_threads": th_get_num_threads}
