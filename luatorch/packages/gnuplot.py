"""gnuplot's drawing on matplotlib: each figure is an image file (Agg, no window)."""

from __future__ import annotations

from typing import Any, Callable

from luatorch.packages.plotting import STYLES, available, pyplot, save, seq


def gp_draw(path: str, fig: Any) -> None:
    """Draw one figure (a Lua table: series, title, xlabel, ylabel, grid) into file `path`."""
    plt = pyplot()
    f, ax = plt.subplots(figsize=(8, 5))
    try:
        labelled = False
        series = fig["series"]
        for s in seq(series) if series is not None else []:
            xs = [float(v) for v in seq(s["x"])]
            ys = [float(v) for v in seq(s["y"])]
            name = s["name"]
            style = str(s["style"] or "-")
            label = str(name) if name else None
            labelled = labelled or bool(label)
            if style == "|":
                ax.vlines(xs, 0, ys, label=label)
            else:
                ax.plot(xs, ys, STYLES.get(style, "-"), label=label)
        for key, setter in (("title", ax.set_title), ("xlabel", ax.set_xlabel),
                            ("ylabel", ax.set_ylabel)):
            if fig[key] is not None:
                setter(str(fig[key]))
        if fig["grid"]:
            ax.grid(True)
        if labelled:
            ax.legend()
        save(f, path)
    finally:
        plt.close(f)


EXPORTS: dict[str, Callable] = {
    "gp_available": available,  # the probe both drawing packages share
    "gp_draw": gp_draw,
}
