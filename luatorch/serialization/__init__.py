"""Torch7's serialization format (.t7 files), byte-compatible both ways and safe by default.

- `fileio`: Torch7's File (disk and memory, binary and ascii) with size checks on every read.
- `reader` / `writer`: object records, and a pure-Python reader/writer that runs no Lua.
- `door`: the functions lua/torch/File.lua calls (Lua walks objects, Python moves bytes).
"""

from luatorch.serialization.fileio import CorruptFileError, TorchFile, open_disk, open_memory
from luatorch.serialization.reader import (LuaFunction, LuaTable, TorchObject, load_python,
                                           loads_python)
from luatorch.serialization.writer import dumps_python, save_python

__all__ = ["CorruptFileError", "TorchFile", "open_disk", "open_memory", "LuaFunction",
           "LuaTable", "TorchObject", "load_python", "loads_python", "dumps_python",
           "save_python"]
