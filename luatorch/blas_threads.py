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


def _apply(n: int) -> None:
    _cache["n"] = n
    fns = _openblas()
    if fns is not None:
        fns[0](ctypes.c_int(n))


def th_set_num_threads(n: int) -> None:
    """Set the number of BLAS threads (no-op where the BLAS offers no control)."""
    _lent["explicit"] = True
    _apply(max(1, int(n)))


# Cores lent to `threads` workers.  OpenBLAS's idle threads spin for a while after each call,
# so a training state using a BLAS thread per core starved the loader threads beside it: a
# 2-core loader benchmark ran slower overlapped than serial.  While workers exist, BLAS gets
# the cores they leave (at least one), unless the user chose a count (torch.setnumthreads,
# OPENBLAS_NUM_THREADS or OMP_NUM_THREADS, which `luatorch run --np` sets per rank).
_lent = {"workers": 0, "saved": None, "explicit": False, "cores": 0}


def _cores() -> int:
    return _lent["cores"] or os.cpu_count() or 1


def _left() -> int:
    """The cores the workers leave to BLAS (at least one)."""
    return max(1, _cores() - _lent["workers"])


def share(ranks: int, cpus: int) -> None:
    """`ranks` processes, this one included, run on the same `cpus` cores: BLAS gets its part
    of them (and `threads` workers lend from that part), unless the user chose a count."""
    if ranks <= 1:
        return
    _lent["cores"] = max(1, cpus // ranks)
    if _chosen():
        return
    if _lent["saved"] is not None:
        # workers hold cores now: the count restored when they end is the new share
        _lent["saved"] = _lent["cores"]
    _apply(_left())


def _chosen() -> bool:
    return _lent["explicit"] or any(v in os.environ for v in ("OPENBLAS_NUM_THREADS",
                                                               "OMP_NUM_THREADS"))


def lend(workers: int) -> None:
    """`workers` threads start: give BLAS the remaining cores."""
    _lent["workers"] += workers
    if _chosen() or _openblas() is None:
        return
    if _lent["saved"] is None:
        _lent["saved"] = th_get_num_threads()
    _apply(_left())


def unlend(workers: int) -> None:
    """`workers` threads ended: BLAS gets its cores back once no worker is left."""
    _lent["workers"] = max(0, _lent["workers"] - workers)
    saved = _lent["saved"]
    if saved is None:
        return
    if _lent["workers"] == 0:
        _lent["saved"] = None
        if not _lent["explicit"]:
            _apply(saved)
    elif not _lent["explicit"]:
        _apply(_left())


def th_get_num_threads() -> int:
    """The number of BLAS threads in use."""
    fns = _openblas()
    if fns is not None:
        return int(fns[1]())
    return _cache.get("n", os.cpu_count() or 1)


EXPORTS = {"th_set_num_threads": th_set_num_threads, "th_get_num_threads": th_get_num_threads}
