"""The only door between Lua and Python.

Lua receives one flat table of plain Python functions (`torch._door`) and caches each in a
local at load time.  Every module that serves Lua lists its functions in an `EXPORTS` dict;
this file merges them.  Indices arrive 1-based from Lua and are made 0-based by the exporting
functions themselves, right at the door (nowhere deeper).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict

import numpy as np

from luatorch import backend
from luatorch.backend import cpu
from luatorch.tensor import Storage, Tensor, TorchError

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
    "luatorch.kernels.routes",
    "luatorch.kernels.fused",
    "luatorch.random",
    "luatorch.devices",
    "luatorch.capture",
    "luatorch.printing",
    "luatorch.packages.sysutil",
    "luatorch.blas_threads",
    "luatorch.packages.threads",
    "luatorch.packages.tds",
    "luatorch.serialization.door",
    "luatorch.packages.optim_plot",
    "luatorch.packages.gnuplot",
    "luatorch.packages.image",
    "luatorch.dist.door",
    "luatorch.dist.replicas",
]


# Door functions whose handles may live on different devices: copies move data between
# devices.
CROSS_DEVICE = {"t_copy", "s_copy", "t_typeconv", "t_same_storage", "dpt_reduce",
                "dpt_broadcast"}
# Functions that launch nothing, so cutorch lets their tensors live on different GPUs (never
# on the CPU beside a GPU): size comparisons, and `set`, which points a tensor at the memory of
# another wherever it is.
ANY_GPU = {"t_is_same_size", "t_set", "t_set_storage"}
# Functions taking index or mask tensors, which may stay LongTensor / ByteTensor on the CPU
# beside GPU data (cutorch's `_long` and `Byte` forms; the indices of max pooling and the keys
# of IndexLinear, which nn keeps as LongTensors whatever the module's type).
CPU_INDICES_OK = {"ix_index", "ix_index_fill", "ix_index_copy", "ix_index_add", "ix_gather",
                  "ix_scatter", "ix_scatter_fill", "ix_masked_select", "ix_masked_copy",
                  "ix_masked_fill"}
CPU_INDICES_PREFIXES = ("pool_", "conv_tmaxpool_", "il_")
# Functions that only keep handles (shared tds elements) and run nothing on them: unchecked,
# which also spares every element read of a shared tds.Hash the checks' cost.
UNCHECKED_PREFIXES = ("tds_",)
_SIZES = np.dtype(np.int64)
_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.uint8))


def _where(dev: Any) -> str:
    return "CPU" if dev.index < 0 else f"GPU {dev.index + 1}"


def _rehome(t: Tensor, dev: Any) -> None:
    """Give an empty GPU tensor an empty storage on `dev`: in cutorch it has no storage at all,
    and the op that fills it allocates on the current device."""
    t.set_geometry(Storage(dev.empty(0, t.dtype), dev), 0, ())


def _device_checked(fn: Callable, indices_ok: bool, kernel: bool,
                    rehome: bool = False, any_gpu: bool = False) -> Callable:
    """`fn` behind cutorch's checks: every tensor argument lives on one device, and for a
    kernel (`kernel`) that device is the current GPU (THCTensor_checkGPU, without peer access).
    Empty tensors live nowhere, as cutorch's storage-less ones: a kernel or a resize (`rehome`)
    moves them to the device it works on.  With `any_gpu` tensors of several GPUs may meet."""
    gpus = backend.gpus

    def checked(*args: Any) -> Any:
        dev = None
        empties = None
        for a in args:
            if isinstance(a, Tensor):
                st = a.storage
                d = st.device
                if indices_ok and d is cpu and st.buf.dtype in _INDEX_DTYPES:
                    continue
                if not st.buf.shape[0] and d is not cpu:
                    if empties is None:
                        empties = []
                    empties.append(a)
                    continue
            elif isinstance(a, Storage):
                d = a.device
                if d is cpu and a.buf.dtype == _SIZES:
                    continue  # a LongStorage of sizes, strides or indices: geometry, not data
            else:
                continue
            if dev is None or d is dev:
                dev = d
            elif dev is cpu or d is cpu:
                raise TorchError("expected all tensors on one device: got tensors on "
                                 f"{_where(dev)} and {_where(d)} (copy one with :cuda() "
                                 "or :float() first)")
            elif not any_gpu:
                raise TorchError("arguments are located on different GPUs "
                                 f"({_where(dev)} and {_where(d)})")
        if (kernel or rehome) and (empties is not None or (dev is not None and dev is not cpu)):
            cur = gpus.devices[gpus.current] if gpus.devices else None
            if kernel and dev is not None and dev is not cpu and dev is not cur:
                raise TorchError(f"arguments are located on different GPUs (tensors on "
                                 f"{_where(dev)}, current device {_where(cur)}: call "
                                 f"cutorch.setDevice({dev.index + 1}) first, or use "
                                 "cutorch.withDevice)")
            if empties is not None and cur is not None:
                # NOTE: the current device, not the other arguments' one: cutorch allocates a
                # storage-less tensor's memory where the caller is (resizeAs(src) of a tensor
                # on GPU 1 while GPU 2 is current lands on GPU 2); a kernel's tensors are on
                # the current device anyway
                for t in empties:
                    if t.storage.device is not cur:
                        _rehome(t, cur)
        return fn(*args)

    checked.__name__ = fn.__name__
    checked.__doc__ = fn.__doc__
    return checked


# Door functions outside luatorch.kernels that launch kernels (cutorch checks their device).
KERNEL_NAMES = {"t_fill", "t_zero"}
KERNEL_PREFIXES = ("rng_fill_",)
# Resizes: an empty GPU tensor resized gets its memory on the current device, as in cutorch.
RESIZE_NAMES = {"t_resize", "t_resize_as", "t_resize_storage"}


def build_door(check_devices: bool = False) -> Dict[str, Callable]:
    """Collect every module's EXPORTS into one dict, refusing duplicate names.

    With `check_devices` (GPUs in use) every function taking handles first checks that they
    share a device: the one place where mixing devices is caught, so kernels never check.
    """
    door: Dict[str, Callable] = {}
    for name in MODULES:
        mod = importlib.import_module(name)
        for key, fn in getattr(mod, "EXPORTS", {}).items():
            if key in door:
                raise RuntimeError(f"door name {key!r} exported twice ({name})")
            if check_devices and key not in CROSS_DEVICE \
                    and not key.startswith(UNCHECKED_PREFIXES):
                kernel = (name.startswith("luatorch.kernels.") or key in KERNEL_NAMES
                          or key.startswith(KERNEL_PREFIXES))
                fn = _device_checked(fn, key in CPU_INDICES_OK
                                     or key.startswith(CPU_INDICES_PREFIXES), kernel,
                                     key in RESIZE_NAMES, key in ANY_GPU)
            door[key] = fn
    return door
