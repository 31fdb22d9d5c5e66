"""gnuplot's drawing on matplotlib: each figure is an image file (Agg, no window)."""

from __future__ import annotations

import os
from typing import Any, Callable

from luatorch.packages.plotting import STYLES, available, pyplot, save, seq


def _floats(t: Any) -> list:
    return [float(v) for v in seq(t)]


def gp_draw(path: str, fig: Any) -> None:
    """Draw one figure (a Lua table: series or image, labels, grid, axis, legend) into `path`."""
    plt = pyplot()
    f, ax = plt.subplots(figsize=(8, 5))
    try:
        labelled = False
        series = fig["series"]
        for s in seq(series) if series is not None else []:
            xs, ys = _floats(s["x"]), _floats(s["y"])
            name = s["name"]
            style = str(s["style"] or "-")
            label = str(name) if name else None
            labelled = labelled or bool(label)
            if style == "|":
                ax.vlines(xs, 0, ys, label=label)
            elif style == "hist":
                ax.bar(xs, ys, width=float(s["width"]), label=label)
            else:
                ax.plot(xs, ys, STYLES.get(style, "-"), label=label)
        im = fig["image"]
        if im is not None:
            import numpy as np

            m = np.asarray(_floats(im["data"])).reshape(int(im["rows"]), int(im["cols"]))
            shown = ax.imshow(m, cmap="gray" if im["palette"] == "gray" else "viridis",
                              aspect="auto", interpolation="nearest")
            f.colorbar(shown, ax=ax)
        for key, setter in (("title", ax.set_title), ("xlabel", ax.set_xlabel),
                            ("ylabel", ax.set_ylabel)):
            if fig[key] is not None:
                setter(str(fig[key]))
        if fig["grid"]:
            ax.grid(True)
        if fig["logscale"]:
            ax.set_yscale("log")
        lim = fig["limits"]
        if lim is not None:
            xmin, xmax, ymin, ymax = _floats(lim)
            ax.set_xlim(xmin, xmax)
            ax.set_ylim(ymin, ymax)
        if fig["aspect"] is not None:
            ax.set_aspect(str(fig["aspect"]))
        if labelled:
            ax.legend(loc=str(fig["legend"] or "best"))
        # NOTE: the format follows the file's extension (.eps is PostScript), PNG otherwise.
        ext = os.path.splitext(str(path))[1].lower().lstrip(".")
        save(f, path, format=ext if ext in ("png", "eps", "pdf", "svg") else "png")
    finally:
        plt.close(f)


def gp_abspath(path: str) -> str:
    """The absolute path of a figure file, to tell the user where it is."""
    return os.path.abspath(str(path))


EXPORTS: dict[str, Callable] = {
    "gp_available": available,  # the probe both drawing packages share
    "gp_draw": gp_draw,
    "gp_abspath": gp_abspath,
}
