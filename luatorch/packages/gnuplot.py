"""gnuplot's drawing on matplotlib: each figure is an image file (Agg, no window)."""

from __future__ import annotations

import os
from typing import Any, Callable, List, Optional

_AVAILABLE: Optional[bool] = None

# gnuplot's point and line styles as matplotlib format strings
_STYLES = {"-": "-", ".": ".", "+": "+", "+-": "+-", "-+": "+-", "~": "-", "|": "-"}


def _seq(t: Any) -> List[Any]:
    """A Lua array table (or a Python sequence) as a Python list."""
    if isinstance(t, (list, tuple)):
        return list(t)
    return [t[i] for i in range(1, len(t) + 1)]


def gp_available() -> bool:
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


def gp_draw(path: str, fig: Any) -> None:
    """Draw one figure (a Lua table: series, title, xlabel, ylabel, grid) into file `path`."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    f, ax = plt.subplots(figsize=(8, 5))
    try:
        labelled = False
        series = fig["series"]
        for s in _seq(series) if series is not None else []:
            xs = [float(v) for v in _seq(s["x"])]
            ys = [float(v) for v in _seq(s["y"])]
            name = s["name"]
            style = str(s["style"] or "-")
            label = str(name) if name else None
            labelled = labelled or bool(label)
            if style == "|":
                ax.vlines(xs, 0, ys, label=label)
            else:
                ax.plot(xs, ys, _STYLES.get(style, "-"), label=label)
        for key, setter in (("title", ax.set_title), ("xlabel", ax.set_xlabel),
                            ("ylabel", ax.set_ylabel)):
            if fig[key] is not None:
                setter(str(fig[key]))
        if fig["grid"]:
            ax.grid(True)
        if labelled:
            ax.legend()
        folder = os.path.dirname(str(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        f.savefig(str(path))
    finally:
        plt.close(f)


EXPORTS: dict[str, Callable] = {
    "gp_available": gp_available,
    "gp_draw": gp_draw,
}
