"""luatorch: Torch7 scripts and models on an embedded LuaJIT, with NumPy/CuPy as the engine."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# NOTE: the public names are imported on first use (PEP 562): `import luatorch` stays cheap,
# and the command line, which needs only its own modules, does not pay for the Python API.
_LAZY = {"LuaError": "luatorch.runtime", "LuaObject": "luatorch.api",
         "LuaTensor": "luatorch.api", "Runtime": "luatorch.api", "load": "luatorch.api",
         "save": "luatorch.api"}

__all__ = ["LuaError", "LuaObject", "LuaTensor", "Runtime", "__version__", "load", "save"]


def __getattr__(name: str) -> Any:
    import importlib

    mod = _LAZY.get(name)
    if mod is None:  # a submodule not imported yet (`luatorch.api.inspect_file`)
        try:
            return importlib.import_module(f"luatorch.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"luatorch.{name}":
                raise
            raise AttributeError(f"module 'luatorch' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
