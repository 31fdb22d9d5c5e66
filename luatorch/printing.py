"""Torch7's text form of tensors and storages: what `print(x)` and `tostring(x)` show.

Behaviour reproduced (from Torch7's Tensor.lua, latest revision):

* One number format is chosen from all the values at once.  When every value is integral the
  values print as `%<w>d` with `w` = digits of the largest magnitude + 1, or as `%11.4e` from ten
  digits on.  Otherwise four decimals: `%<w>.4e` when the magnitudes span more than four decades,
  else `%<w>.4f`, with a common scale factor line (`1e-05 *`) when the largest magnitude is below
  0.1 or has more than five integer digits.  Any NaN makes the format a plain `%f`.
* A 1-D tensor or a storage prints one value a line; a matrix prints rows of values separated by
  one space, cut into `Columns a to b` blocks when they do not fit in 80 characters; a tensor of
  more dimensions prints each matrix slice under a `(i,j,.,.) = ` header, the first index
  varying fastest, slices indented by one space and separated by a blank line.
* The text ends with a footer such as `[torch.DoubleTensor of size 2x3]` followed by a newline
  (so Lua's `print` leaves a blank line after it); an empty tensor is
  `[torch.DoubleTensor with no dimension]`.  There is no leading newline.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, NamedTuple

import numpy as np

LINE_WIDTH = 80  # Torch7 fits matrix rows into this many characters


class _Layout(NamedTuple):
    """How every value of one tensor or storage is written."""

    spec: str  # printf-style conversion for one value
    integer: bool  # the spec takes an integer (`%d`)
    scale: float | None  # values are divided by this; printed as `<scale> *` first
    width: float  # column width used to fit matrix rows (NaN when NaNs are present)


def _decades(v: float) -> float:
    """floor(log10(v)) + 1 for a magnitude `v`, 1 for zero; inf and NaN pass through."""
    if v == 0:
        return 1.0
    if math.isnan(v) or math.isinf(v):
        return v
    return float(math.floor(math.log10(v)) + 1)


def _layout(vals: np.ndarray) -> _Layout:
    """Pick Torch7's number format for the float64 values `vals` (not empty)."""
    with np.errstate(invalid="ignore"):
        integral = bool(np.all(vals == np.ceil(vals)))
        mags = np.abs(vals)
    # NaN anywhere makes both extremes NaN, as TH's minall/maxall do.
    lo = _decades(float(np.min(mags)))
    hi = _decades(float(np.max(mags)))
    if integral:
        if hi > 9:
            return _Layout("%11.4e", False, None, 11.0)
        width = hi + 1
        return _Layout(f"%{int(width)}d", True, None, width)
    if math.isnan(hi):
        return _Layout("%f", False, None, math.nan)
    if hi - lo > 4:
        width = 12 if abs(hi) > 99 or abs(lo) > 99 else 11
        return _Layout(f"%{width}.4e", False, None, float(width))
    if hi > 5 or hi < 0:
        with np.errstate(over="ignore", under="ignore"):
            scale = float(np.power(10.0, hi - 1))
        return _Layout("%7.4f", False, scale, 7.0)
    width = 7 if hi == 0 else int(hi) + 6
    return _Layout(f"%{width}.4f", False, None, float(width))


def _cells(vals: np.ndarray, lay: _Layout) -> list[str]:
    """Each value of `vals` (float64, any shape) written with `lay`, in row-major order."""
    flat = vals.reshape(-1)
    if lay.scale is not None:
        with np.errstate(all="ignore"):
            flat = flat / lay.scale
    spec = lay.spec
    if lay.integer:
        return [spec % int(v) for v in flat.tolist()]
    return [spec % v for v in flat.tolist()]


def _scale_line(lay: _Layout) -> str:
    return f"{lay.scale:g} *\n"


def _matrix(cells: list[str], rows: int, cols: int, lay: _Layout, indent: str) -> str:
    """One matrix (cells in row-major order), cut into column blocks as Torch7 does."""
    if math.isnan(lay.width):
        per_line = cols  # Torch7's arithmetic on NaN ends up printing one block, no header
        headers = False
    else:
        per_line = int((LINE_WIDTH - len(indent)) // (lay.width + 1))
        headers = per_line < cols
    scaled = lay.scale is not None
    row_lead = indent + " " if scaled else indent
    out = [indent]
    first = 0
    while first < cols:
        last = min(first + per_line, cols)
        if headers:
            if first:
                out.append("\n")  # later headers get no indent: a Torch7 quirk kept as is
            out.append(f"Columns {first + 1} to {last}\n{indent}")
        if scaled:
            out.append(_scale_line(lay) + " " + indent)
        for r in range(rows):
            out.append(" ".join(cells[r * cols + first:r * cols + last]))
            out.append("\n")
            if r != rows - 1:
                out.append(row_lead)
        first = last
    return "".join(out)


def _lines(cells: list[str], lay: _Layout) -> str:
    """A 1-D tensor's or a storage's body: one value a line, after the scale line if any."""
    head = _scale_line(lay) if lay.scale is not None else ""
    return head + "".join(c + "\n" for c in cells)


def _host(arr: Any) -> np.ndarray:
    """`arr` as a NumPy array, fetching device (CuPy) arrays to the host."""
    if not isinstance(arr, np.ndarray) and hasattr(arr, "get"):
        arr = arr.get()
    return np.asarray(arr)


def format_tensor(arr: np.ndarray, typename: str, where: str = "") -> str:
    """Torch7's tostring() of a tensor holding `arr` (0-d or no elements: the empty tensor).

    `where` follows the size in the footer: cutorch prints ` (GPU 1)` there.
    """
    arr = _host(arr)
    if arr.ndim == 0 or arr.size == 0:
        return f"[{typename} with no dimension]\n"
    vals = np.asarray(arr, dtype=np.float64)
    lay = _layout(vals)
    cells = _cells(vals, lay)
    shape = vals.shape
    size = "x".join(str(s) for s in shape)
    footer = f"[{typename} of size {size}{where}]\n"
    if vals.ndim == 1:
        return _lines(cells, lay) + footer
    rows, cols = shape[-2], shape[-1]
    if vals.ndim == 2:
        return _matrix(cells, rows, cols, lay, "") + footer
    lead = shape[:-2]
    per_slice = rows * cols
    strides = []
    acc = per_slice
    for n in reversed(lead):
        strides.append(acc)
        acc *= n
    strides.reverse()
    parts = []
    # Torch7 walks the leading indices with the first one varying fastest.
    for rev in itertools.product(*[range(n) for n in reversed(lead)]):
        idx = rev[::-1]
        start = sum(i * s for i, s in zip(idx, strides))
        head = "(" + "".join(f"{i + 1}," for i in idx) + ".,.) = \n"
        parts.append(head + _matrix(cells[start:start + per_slice], rows, cols, lay, " "))
    return "\n".join(parts) + footer


def format_storage(arr: np.ndarray, typename: str) -> str:
    """Torch7's tostring() of a storage holding the values of `arr` (flattened)."""
    arr = _host(arr)
    vals = np.asarray(arr, dtype=np.float64).reshape(-1)
    footer = f"[{typename} of size {vals.size}]\n"
    if vals.size == 0:
        return footer
    lay = _layout(vals)
    return _lines(_cells(vals, lay), lay) + footer


def fmt_tensor(tensor: Any, typename: str) -> str:
    """Door function: tostring() of a luatorch Tensor (or a bare array)."""
    if hasattr(tensor, "storage") and hasattr(tensor, "a"):
        if not tensor.size:
            return format_tensor(np.zeros(0), typename)
        index = tensor.storage.device.index
        return format_tensor(tensor.a, typename, f" (GPU {index + 1})" if index >= 0 else "")
    return format_tensor(tensor, typename)


def fmt_storage(storage: Any, typename: str) -> str:
    """Door function: tostring() of a luatorch Storage (or a tensor or bare array)."""
    if hasattr(storage, "buf"):
        return format_storage(storage.buf, typename)
    if hasattr(storage, "a"):
        return format_storage(storage.a, typename)
    return format_storage(storage, typename)


EXPORTS: dict[str, Callable[..., str]] = {
    "fmt_tensor": fmt_tensor,
    "fmt_storage": fmt_storage,
}
