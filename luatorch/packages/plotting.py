"""matplotlib for the companion packages that draw (gnuplot, optim.Logger): one probe, one way in.

Figures are always image files (the Agg backend), never windows.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

_AVAILABLE: Optional[bool] = None

# gnuplot's point and line styles as matplotlib format strings.  NOTE: "|" (impulses) is not
# here: each caller draws it itself (gnuplot as vertical lines, optim.Logger as bars).
STYLES = {"-": "-", ".": ".", "+": "+", "+-": "+-", "-+": "+-", "~": "-"}


def seq(t: Any) -> List[Any]:
    """A Lua array table (or a Python sequence) as a Python list."""
    if isinstance(t, (list, tuple)):
        return list(t)
    return [t[i] for i in range(1, len(t) + 1)]


def available() -> bool:
    """Say whether matplotlib can be imported (checked once)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        try:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot  # noqa: F401

            _AVAILABLE = True
        except Exception:
            _AVAILABLE = False
    return _AVAILABLE


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (imported only when something is drawn)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str, **kwargs: Any) -> None:
    """Write figure `fig` into file `path`, creating its folder first."""
    folder = os.path.dirname(str(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(str(path), **kwargs)
