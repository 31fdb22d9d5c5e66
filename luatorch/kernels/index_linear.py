"""nn.IndexLinear's kernels (THNN's IndexLinear, plain mode): a linear layer over sparse inputs
given as keys (feature indices) and values, batch element j owning `sizes[j]` consecutive
entries.  The weight is inputSize x outputSize (one row per feature); gradients are kept per
entry (one gradWeight row per key seen), so an update touches only the rows of those keys.

Entry rows are gathered in chunks (at most about CHUNK elements at a time), so memory stays
bounded however many entries a batch has.  Updates replay THNN's sequential loop exactly: a
row named by c entries, with decay wd, ends as w (1 - wd)^c - sum_r lr g_r (1 - wd)^(c - r),
where r is the entry's rank among that row's entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from luatorch.kernels.activation import fit
from luatorch.tensor import Tensor, TorchError

CHUNK = 1 << 21


def _host(t: Tensor) -> np.ndarray:
    """A small index tensor (keys, sizes) as a flat int64 NumPy array, wherever it lives."""
    if not t.size:
        return np.zeros(0, np.int64)
    a = t.a.reshape(-1)
    return np.asarray(a.get() if hasattr(a, "get") else a).astype(np.int64)


def _entries(keys: Tensor, values: Tensor, sizes: Tensor, weight: Tensor, offset: Any) -> tuple:
    """(0-based weight rows (None without an offset), values, batch element of each entry,
    batch size) after checks; the index arrays in the weight's array module."""
    xp = weight.xp
    n = keys.numel() if keys.size else 0
    if n != (values.numel() if values.size else 0) or len(keys.size) > 1 \
            or len(values.size) > 1:
        raise TorchError("Keys and values should have the same number of elements")
    sz = _host(sizes)
    if int(sz.sum()) != n:
        raise TorchError(f"the sizes add up to {int(sz.sum())} entries, but there are {n} keys")
    rows = None
    if offset is not None:
        rows = _host(keys) + int(offset)
        nrows = weight.size[0] if weight.size else 0
        if n and (int(rows.min()) < 0 or int(rows.max()) >= nrows):
            raise TorchError(f"key out of range: weight has {nrows} rows")
        rows = xp.asarray(rows)
    vals = values.a.reshape(-1) if n else xp.zeros(0, weight.dtype)
    batch = xp.asarray(np.repeat(np.arange(sz.size), sz))
    return rows, vals, batch, sz.size


def _add_at(xp: Any, dst: Any, idx: Any, vals: Any) -> None:
    """dst[idx] += vals with repeated indices accumulated."""
    if hasattr(xp.add, "at"):
        xp.add.at(dst, idx, vals)
    else:  # CuPy without ufunc.at
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(dst, idx, vals)


def _step(width: int) -> int:
    """Entries per chunk of gathered rows."""
    return max(1, CHUNK // max(1, width))


def il_forward(out: Tensor, keys: Tensor, values: Tensor, sizes: Tensor, weight: Tensor,
               bias: Tensor, offset: int) -> None:
    """out[j] = bias + sum of value * weight[key] over batch element j's entries."""
    rows, vals, batch, B = _entries(keys, values, sizes, weight, offset)
    xp = weight.xp
    D = bias.size[0]
    o = fit(out, (B, D))
    o[...] = bias.a
    w = weight.a[:, :D]
    step = _step(D)
    for s in range(0, rows.size, step):
        part = w[rows[s:s + step]] * vals[s:s + step, None]
        _add_at(xp, o, batch[s:s + step], part)


def il_acc_grad(gw: Tensor, gb: Tensor, keys: Tensor, values: Tensor, sizes: Tensor,
                g: Tensor, weight: Tensor, scale: float) -> None:
    """gw = one gradient row per entry (scale * value * gradOutput of its element);
    gradBias += scale * the sum of gradOutput over the batch."""
    _, vals, batch, B = _entries(keys, values, sizes, weight, None)
    D = gb.size[0]
    ga = g.a.reshape(B, D)
    rowsg = fit(gw, (vals.size, D))
    s = float(scale)
    if vals.size:
        weight.xp.multiply(ga[batch], (vals * s)[:, None], out=rowsg)
    gb.a[...] += s * ga.sum(axis=0)


def _sparse_update(weight: Tensor, rows: Any, grads: Any, lr: float, wd: float) -> None:
    """THNN's per-entry loop `w[row] -= wd * w[row]; w[row] -= lr * grad` in closed form."""
    xp = weight.xp
    D = grads.shape[1] if grads.ndim == 2 else 1
    w = weight.a[:, :D]
    if rows.size == 0:
        return
    if not wd:
        _add_at(xp, w, rows, grads.reshape(rows.size, D) * -lr)
        return
    order = xp.argsort(rows, kind="stable")
    sr = rows[order]
    uniq, start, count = xp.unique(sr, return_index=True, return_counts=True)
    group = xp.repeat(xp.arange(uniq.size), count)
    rank = xp.arange(sr.size) - start[group] + 1
    keep = 1.0 - wd
    factor = keep ** (count[group] - rank).astype(w.dtype)
    w[uniq] *= (keep ** count.astype(w.dtype))[:, None]
    _add_at(xp, w, sr, grads.reshape(rows.size, D)[order] * (-lr * factor)[:, None])


def il_update(weight: Tensor, bias: Tensor, gb: Tensor, keys: Tensor, gw: Tensor, lr: float,
              wd: float, offset: int) -> None:
    """bias -= lr * gradBias; each key's weight row -= lr * its gradient rows (decayed by wd)."""
    xp = weight.xp
    bias.a[...] -= float(lr) * gb.a
    rows = xp.asarray(_host(keys) + int(offset))
    n = rows.size
    D = bias.size[0]
    grads = gw.a.reshape(n, D) if n else xp.zeros((0, D), weight.dtype)
    _sparse_update(weight, rows, grads, float(lr), float(wd))


def il_acc_update(weight: Tensor, bias: Tensor, keys: Tensor, values: Tensor, sizes: Tensor,
                  g: Tensor, scale: float, wd: float, offset: int) -> None:
    """The update accGradParameters + updateParameters(scale) would make, in place."""
    rows, vals, batch, B = _entries(keys, values, sizes, weight, offset)
    D = bias.size[0]
    ga = g.a.reshape(B, D)
    s = float(scale)
    bias.a[...] -= s * ga.sum(axis=0)
    _sparse_update(weight, rows, ga[batch] * vals[:, None], s, float(wd))


EXPORTS = {
    "il_forward": il_forward,
    "il_acc_grad": il_acc_grad,
    "il_update": il_update,
    "il_acc_update": il_acc_update,
}
