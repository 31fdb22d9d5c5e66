"""gnuplot's drawing on matplotlib: each figure is an image file (Agg, no window)."""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from luatorch.packages.plotting import STYLES, available, pyplot, save, seq


def _floats(t: Any) -> list:
    return [float(v) for v in seq(t)]


def _limit(v: Any) -> Optional[float]:
    return None if v is None else float(v)


def _ticks(axis: Any, spec: Any) -> None:
    """gnuplot's tics on a matplotlib axis: labelled positions, plain positions or a step."""
    if spec is None:
        return
    if spec["step"] is not None:
        from matplotlib.ticker import MultipleLocator

        axis.set_major_locator(MultipleLocator(float(spec["step"])))
        return
    items = seq(spec["list"])
    axis.set_ticks([float(t["pos"]) for t in items])
    if any(t["label"] is not None for t in items):
        axis.set_ticklabels([str(t["label"]) if t["label"] is not None else f"{t['pos']:g}"
                             for t in items])


def _draw3d(ax: Any, fig: Any) -> bool:
    """Surfaces (splot) and points (scatter3); says whether any has a legend entry."""
    import numpy as np

    labelled = False
    for s in seq(fig["surfaces"]) if fig["surfaces"] is not None else []:
        shape = (int(s["rows"]), int(s["cols"]))
        xyz = [np.asarray(_floats(s[k])).reshape(shape) for k in ("x", "y", "z")]
        label = str(s["name"]) if s["name"] else None
        labelled = labelled or bool(label)
        ax.plot_wireframe(*xyz, label=label, color=f"C{len(ax.collections) % 10}")
    for s in seq(fig["points3"]) if fig["points3"] is not None else []:
        label = str(s["name"]) if s["name"] else None
        labelled = labelled or bool(label)
        ax.scatter(_floats(s["x"]), _floats(s["y"]), _floats(s["z"]), label=label)
    if fig["zlabel"] is not None:
        ax.set_zlabel(str(fig["zlabel"]))
    if fig["zrange"] is not None:
        ax.set_zlim(_limit(fig["zrange"][1]), _limit(fig["zrange"][2]))
    return labelled


def gp_draw(path: str, fig: Any) -> None:
    """Draw one figure (a Lua table: curves, image, surfaces or 3D points, labels, grid, axis
    ranges, tics, legend) into `path`."""
    plt = pyplot()
    three = fig["surfaces"] is not None or fig["points3"] is not None
    f = plt.figure(figsize=(8, 5))
    ax = f.add_subplot(projection="3d") if three else f.add_subplot()
    try:
        labelled = _draw3d(ax, fig) if three else False
        series = fig["series"]
        for s in seq(series) if series is not None else []:
            xs, ys = _floats(s["x"]), _floats(s["y"])
            name = s["name"]
            style = str(s["style"] or "-")
            label = str(name) if name else None
            labelled = labelled or bool(label)
            if style == "|":
                ax.vlines(xs, 0, ys, label=label)
            elif style == "filled":
                ax.fill_between(xs, ys, _floats(s["y2"]), alpha=0.5, label=label)
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
        log = fig["logscale"]
        if log:
            # NOTE: gnuplot.logscale(true) has always meant the y axis here; raw names its axes
            axes = str(log) if isinstance(log, str) else "y"
            if "x" in axes:
                ax.set_xscale("log")
            if "y" in axes:
                ax.set_yscale("log")
        for key, setlim in (("xrange", ax.set_xlim), ("yrange", ax.set_ylim)):
            if fig[key] is not None:
                setlim(_limit(fig[key][1]), _limit(fig[key][2]))
        _ticks(ax.xaxis, fig["xtics"])
        _ticks(ax.yaxis, fig["ytics"])
        if fig["aspect"] is not None and not three:
            ax.set_aspect(str(fig["aspect"]))
        if labelled and not fig["nolegend"]:
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
