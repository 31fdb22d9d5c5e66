"""Which implementation serves a GPU kernel, and the cache of cuDNN plans.

Three routes, picked per call from the array's module and a few process-wide flags:

| route     | where                                     | serves                                |
| --------- | ----------------------------------------- | ------------------------------------- |
| `cudnn`   | `kernels.cudnn_frontend`: NVIDIA's cuDNN  | convolution fprop / dgrad / wgrad,    |
|           | frontend (module `cudnn`) on CuPy arrays  | batch normalization in training       |
| `fused`   | `kernels.fused`: CuPy ElementwiseKernels  | BatchNorm apply (+ ReLU), sgd / adam  |
|           |                                           | updates, MSECriterion's gradient      |
| `generic` | the NumPy-API code every kernel has       | everything: NumPy, CuPy, virtual GPUs |

Nothing here imports CuPy or the frontend until a CuPy array asks, so the selection and the
plan cache are plain Python, tested on machines without a GPU.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, Hashable, Optional, Tuple

GENERIC, CUDNN, FUSED = "generic", "cudnn", "fused"

# ops the cuDNN frontend serves (its graph API has no pooling node: pooling stays generic)
CUDNN_OPS = frozenset({"conv_fprop", "conv_dgrad", "conv_wgrad", "bn_train", "bn_backward"})
FUSED_OPS = frozenset({"bn_apply", "bn_relu", "sgd", "adam", "mse_grad"})
# element types cuDNN convolves and normalizes (double only for convolution)
CUDNN_DTYPES = {"conv_fprop": ("float32", "float64", "float16"),
                "conv_dgrad": ("float32", "float64", "float16"),
                "conv_wgrad": ("float32", "float64", "float16"),
                "bn_train": ("float32",),
                "bn_backward": ("float32",)}
FUSED_DTYPES = ("float32", "float64", "float16")


@dataclass
class Flags:
    """cudnn.torch's global modes, plus luatorch's own switches for the routes."""

    cudnn: bool = True          # use the cuDNN route when the frontend is there
    fused: bool = True          # use the fused CuPy kernels
    benchmark: bool = False     # time every plan on the first call of a shape, keep the fastest
    fastest: bool = False       # no workspace cap: the heuristics' first plan whatever it needs
    deterministic: bool = False  # refuse plans cuDNN marks non-deterministic
    verbose: bool = False       # say which plan each new shape got
    tf32: bool = False          # let float32 plans round inputs to TF32 on tensor cores
    workspace_limit: int = 256 << 20   # bytes a plan may ask for unless `fastest`

    def plan_key(self) -> Tuple[Any, ...]:
        """The flags that change which plan is built (part of every plan's cache key)."""
        return (self.benchmark, self.fastest, self.deterministic, self.tf32,
                self.workspace_limit)


def _env_flag(name: str, default: bool) -> bool:
    v = os.environ.get(name)
    return default if v is None else v not in ("0", "", "false", "no")


flags = Flags(cudnn=_env_flag("LUATORCH_CUDNN", True), fused=_env_flag("LUATORCH_FUSED", True))


def set_flag(name: str, value: Any) -> None:
    """Set one flag by name (cudnn.benchmark = true in Lua lands here)."""
    if name not in Flags.__dataclass_fields__:
        raise KeyError(name)
    setattr(flags, name, int(value) if name == "workspace_limit" else bool(value))


class _Probe:
    """Whether NVIDIA's cuDNN frontend (module `cudnn`) can serve: importable, and its
    library loads.  Probed once, on the first CuPy array that asks."""

    def __init__(self) -> None:
        self.result: Optional[bool] = None
        self.reason = "not probed yet"
        self.version = 0

    def __call__(self) -> bool:
        if self.result is None:
            self.result = self._probe()
        return self.result

    def _probe(self) -> bool:
        if importlib.util.find_spec("cudnn") is None:
            self.reason = "nvidia-cudnn-frontend is not installed"
            return False
        try:
            import cudnn  # noqa: PLC0415

            self.version = int(cudnn.backend_version())
            # a handle needs the driver and the library's kernels: proof that plans can run
            cudnn.destroy_handle(cudnn.create_handle())
        except Exception as e:  # NOTE: without the cuDNN wheel the import succeeds, this fails
            self.reason = f"cuDNN library unusable: {type(e).__name__}: {e}"
            self.version = 0
            return False
        self.reason = f"cuDNN {self.version}"
        return True


frontend_available = _Probe()


def on_gpu(a: Any) -> bool:
    """Whether `a` is a CuPy array (virtual GPUs hold NumPy arrays: the generic route)."""
    return type(a).__module__.startswith("cupy")


def select(op: str, gpu: bool, frontend: bool, dtype: str, f: Flags = flags) -> str:
    """The route for `op` on an array of element type `dtype`: `gpu` says whether it is a CuPy
    array, `frontend` whether cuDNN's frontend is usable.  Pure: the tests call it directly."""
    if not gpu:
        return GENERIC
    if op in CUDNN_OPS:
        if f.cudnn and frontend and dtype in CUDNN_DTYPES[op]:
            return CUDNN
        return GENERIC
    if op in FUSED_OPS and f.fused and dtype in FUSED_DTYPES:
        return FUSED
    return GENERIC


def pick(op: str, a: Any) -> str:
    """The route for `op` on array `a` (one type check on NumPy arrays)."""
    if not on_gpu(a):
        return GENERIC
    needs_frontend = op in CUDNN_OPS and flags.cudnn
    return select(op, True, frontend_available() if needs_frontend else False, a.dtype.name)


def geometry(*arrays: Any) -> tuple:
    """(shape, element strides, dtype) of each array (None stays None): what a plan is built
    for."""
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
        else:
            isz = a.dtype.itemsize
            out.append((tuple(a.shape), tuple(s // isz for s in a.strides), a.dtype.name))
    return tuple(out)


def plan_key(op: str, device: int, arrays: tuple, params: tuple, f: Flags = flags) -> tuple:
    """The cache key of a plan: op, device, every operand's geometry, the op's parameters
    (padding, stride, ...) and the flags that change the plan choice."""
    return (op, device, geometry(*arrays), params, f.plan_key())


class PlanCache:
    """Built plans by key, least recently used first out past `capacity`."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self.plans: "OrderedDict[Hashable, Any]" = OrderedDict()
        self.declined: Dict[Hashable, str] = {}
        self.hits = self.misses = self.evictions = 0

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The plan for `key`, built by `build()` on a miss."""
        plan = self.plans.get(key)
        if plan is not None:
            self.hits += 1
            self.plans.move_to_end(key)
            return plan
        self.misses += 1
        plan = build()
        self.plans[key] = plan
        while len(self.plans) > self.capacity:
            self.plans.popitem(last=False)
            self.evictions += 1
        if flags.verbose:
            print(f"cudnn: new plan for {key[0]} {key[2]}: {getattr(plan, 'name', '?')}",
                  file=sys.stderr, flush=True)
        return plan

    def try_get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The plan for `key`, or None when building it failed (now or before: the reason is
        kept in `declined` and the caller takes the generic route for this key from then on)."""
        if key in self.declined:
            return None
        try:
            return self.get(key, build)
        except Exception as e:  # NOTE: a graph cuDNN cannot plan here, or a missing piece of
            # the frontend's own dependencies: the generic kernels serve instead
            self.declined[key] = f"{type(e).__name__}: {e}"
            if flags.verbose:
                print(f"cudnn: no plan for {key[0]} {key[2]}: {self.declined[key]}",
                      file=sys.stderr, flush=True)
            return None

    def clear(self) -> None:
        """Drop every plan and every refusal (counters stay)."""
        self.plans.clear()
        self.declined.clear()

    def stats(self) -> Dict[str, int]:
        return {"size": len(self.plans), "capacity": self.capacity, "hits": self.hits,
                "misses": self.misses, "evictions": self.evictions,
                "declined": len(self.declined)}


def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name, "").strip()
    return int(v) if v.isdigit() and int(v) > 0 else default


plans = PlanCache(_env_int("LUATORCH_CUDNN_PLANS", 512))


def describe() -> Dict[str, Any]:
    """The routes' state, for `luatorch info`, cudnn.routes() and the benchmark's header."""
    frontend_available()
    return {"frontend": frontend_available.reason, "cudnn": flags.cudnn, "fused": flags.fused,
            "benchmark": flags.benchmark, "fastest": flags.fastest,
            "deterministic": flags.deterministic, **{f"plans_{k}": v for k, v in
                                                      plans.stats().items()}}


# -- the door: cudnn's modes and counters from Lua ------------------------------------------------
def cudnn_set_flag(name: str, value: Any) -> None:
    """cudnn.benchmark = v (and fastest, verbose, deterministic, tf32)."""
    set_flag(name, value)


def cudnn_version() -> int:
    """The cuDNN library's version when the frontend can serve a real GPU, else 0."""
    from luatorch import backend  # noqa: PLC0415

    if backend.gpus.virtual or not backend.real_gpus_possible():
        return 0
    return frontend_available.version if frontend_available() else 0


def cudnn_routes() -> tuple:
    """describe() as key, value, key, value, ... (Lua makes the table)."""
    return tuple(x for kv in sorted(describe().items()) for x in kv)


def cudnn_clear_plans() -> None:
    """Forget every built plan."""
    plans.clear()


EXPORTS = {"cudnn_set_flag": cudnn_set_flag, "cudnn_version": cudnn_version,
           "cudnn_routes": cudnn_routes, "cudnn_clear_plans": cudnn_clear_plans}
