"""Plotting and file-system help for optim.Logger: PNG curves through matplotlib when present."""

from __future__ import annotations

import os
from typing import Any, Callable, List

from luatorch.packages.plotting import STYLES, available, pyplot, save, seq


def opt_mkdir(path: str) -> None:
    """Create folder `path` and its parents (no error when it exists)."""
    os.makedirs(str(path), exist_ok=True)


def _smooth(xs: List[float], ys: List[float]) -> tuple:
    """A denser curve through the points (cubic when NumPy can fit one), for the '~' style."""
    import numpy as np

    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if len(x) < 4 or not np.all(np.isfinite(y)):
        return x, y
    dense = np.linspace(x[0], x[-1], 10 * len(x))
    # natural cubic spline through the points, solved as a tridiagonal system
    h = np.diff(x)
    n = len(x)
    a = np.zeros((n, n))
    r = np.zeros(n)
    a[0, 0] = a[-1, -1] = 1.0
    for i in range(1, n - 1):
        a[i, i - 1], a[i, i], a[i, i + 1] = h[i - 1], 2 * (h[i - 1] + h[i]), h[i]
        r[i] = 3 * ((y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1])
    c = np.linalg.solve(a, r)
    b = (y[1:] - y[:-1]) / h - h * (2 * c[:-1] + c[1:]) / 3
    d = (c[1:] - c[:-1]) / (3 * h)
    k = np.clip(np.searchsorted(x, dense, side="right") - 1, 0, n - 2)
    t = dense - x[k]
    return dense, y[k] + b[k] * t + c[k] * t**2 + d[k] * t**3


def opt_plot(path: str, title: str, names: Any, values: Any, styles: Any,
             logscale: bool = False, eps_path: str = "") -> None:
    """Draw each series of `values` (Lua tables of numbers) against 1..n into PNG file `path`,
    and into EPS file `eps_path` when given (the file Torch7's Logger wrote)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    try:
        for name, ys, style in zip(seq(names), seq(values), seq(styles)):
            ys = [float(v) for v in seq(ys)]
            xs = list(range(1, len(ys) + 1))
            style = str(style)
            label = str(name)
            if style == "|":
                ax.bar(xs, ys, label=label, alpha=0.6)
            elif style == "~":
                sx, sy = _smooth(xs, ys)
                ax.plot(sx, sy, "-", label=label)
            else:
                fmt = STYLES.get(style, style)
                try:
                    ax.plot(xs, ys, fmt, label=label)
                except ValueError:
                    ax.plot(xs, ys, "-", label=label)
        if logscale:
            ax.set_yscale("log")
        ax.grid(True)
        ax.set_title(str(title))
        ax.legend()
        save(fig, path, format="png")
        if eps_path:
            save(fig, eps_path, format="eps")
    finally:
        plt.close(fig)


EXPORTS: dict[str, Callable] = {
    "opt_plot_available": available,  # the probe both drawing packages share
    "opt_mkdir": opt_mkdir,
    "opt_plot": opt_plot,
}
