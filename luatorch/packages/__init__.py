"""The Python halves of Torch7's companion packages, one module per Lua package served.

A package whose Python half needs an optional dependency asks for it with `need`, so a user
without it gets one line naming the extra to install, never a traceback:

    PIL = need("PIL", package="image", dist="Pillow", extra="image")
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Optional

from luatorch.tensor import TorchError


class MissingExtra(TorchError):
    """An optional dependency is absent; shown in Lua as one line at the caller's place."""


def extra_message(package: str, dist: str, extra: str) -> str:
    """The one line a user reads: `image requires Pillow: pip install "luatorch[image]"`."""
    return f'{package} requires {dist}: pip install "luatorch[{extra}]"'


def need(module: str, package: str, dist: Optional[str] = None,
         extra: Optional[str] = None) -> ModuleType:
    """Import `module` for Lua package `package`, or raise `MissingExtra` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra_message(package, dist or module, extra or package)) from None
