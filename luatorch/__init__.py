"""luatorch: Torch7 scripts and models on an embedded LuaJIT, with NumPy/CuPy as the engine."""

__version__ = "0.1.0"

from luatorch.runtime import LuaError  # noqa: E402
from luatorch.api import LuaObject, LuaTensor, Runtime, load, save  # noqa: E402

__all__ = ["LuaError", "LuaObject", "LuaTensor", "Runtime", "__version__", "load", "save"]
