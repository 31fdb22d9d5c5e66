"""Door functions for cutorch's device API: device count, the current device, properties, RNGs.

Devices are 1-based here, as Lua sees them; the registry in `luatorch.backend` is 0-based.
"""

from __future__ import annotations

from typing import Any, Dict

from luatorch import backend
from luatorch.random import Generator
from luatorch.tensor import Tensor, TorchError

# One random generator per GPU, as cutorch keeps one per device (made on first use).
_generators: Dict[Any, Generator] = {}


def _check(i: Any) -> int:
    """0-based index of 1-based device `i`, or cudaSetDevice's error."""
    n = len(backend.gpu_devices())
    if not isinstance(i, (int, float)) or int(i) != i or not 1 <= i <= n:
        if n == 0:
            from luatorch.tensor_ops import NO_GPU

            raise TorchError(NO_GPU)
        raise TorchError(f"cuda runtime error (10) : invalid device ordinal (device {i}; "
                         f"there {'is' if n == 1 else 'are'} {n} GPU{'s' if n != 1 else ''})")
    return int(i) - 1


def gpu_require() -> None:
    """Fail as cutorch's initialisation does on a machine with no device (real or virtual)."""
    if not backend.gpu_devices():
        from luatorch.tensor_ops import NO_GPU

        raise TorchError(NO_GPU)


def gpu_count() -> int:
    """cutorch.getDeviceCount()."""
    return len(backend.gpu_devices())


def gpu_virtual() -> int:
    """How many of the GPUs are virtual (0 for real ones)."""
    return backend.gpus.virtual


def gpu_get() -> int:
    """cutorch.getDevice(): the current device, 1-based."""
    if not backend.gpu_devices():
        return 0
    return backend.gpus.current + 1


def gpu_set(i: Any) -> None:
    """cutorch.setDevice(i)."""
    i = _check(i)
    backend.gpu_devices()[i].use()
    backend.gpus.current = i


def gpu_synchronize(i: Any = None) -> None:
    """Wait for device `i` (default: the current one) to finish its queued work."""
    devs = backend.gpu_devices()
    if devs:
        devs[backend.gpus.current if i is None else _check(i)].synchronize()


def gpu_synchronize_all() -> None:
    """Wait for every device."""
    for d in backend.gpu_devices():
        d.synchronize()


def gpu_properties(i: Any) -> tuple:
    """cutorch.getDeviceProperties(i) as key, value, key, value, ... (Lua makes the table)."""
    props = backend.gpu_devices()[_check(i)].properties()
    return tuple(x for kv in sorted(props.items()) for x in kv)


def gpu_memory(i: Any = None) -> tuple:
    """cutorch.getMemoryUsage([i]): free and total bytes."""
    devs = backend.gpu_devices()
    if not devs:
        _check(1)
    return devs[backend.gpus.current if i is None else _check(i)].memory()


def gpu_generator(i: Any = None) -> Generator:
    """The random generator of device `i` (default: the current one)."""
    devs = backend.gpu_devices()
    if not devs:
        _check(1)
    dev = devs[backend.gpus.current if i is None else _check(i)]
    g = _generators.get(dev)
    if g is None:
        # NOTE: cutorch seeds each device's generator with a default seed; a fixed seed here
        # keeps virtual-GPU runs reproducible
        g = _generators[dev] = Generator(dev.index + 1)
    return g


def gpu_of(x: Any) -> int:
    """tensor:getDevice() / storage:getDevice(): 1-based, 0 for a CPU object or an empty tensor
    (cutorch's has no storage, hence no device)."""
    if isinstance(x, Tensor):
        if not x.storage.buf.shape[0]:
            return 0
        dev = x.storage.device
    else:
        dev = x.device
    return dev.index + 1


EXPORTS = {
    "gpu_count": gpu_count, "gpu_virtual": gpu_virtual, "gpu_get": gpu_get, "gpu_set": gpu_set,
    "gpu_synchronize": gpu_synchronize, "gpu_synchronize_all": gpu_synchronize_all,
    "gpu_properties": gpu_properties, "gpu_memory": gpu_memory, "gpu_generator": gpu_generator,
    "gpu_of": gpu_of, "gpu_require": gpu_require,
}

