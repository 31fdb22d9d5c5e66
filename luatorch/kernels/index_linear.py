"""nn.IndexLinear's kernels (THNN's IndexLinear): a linear layer over sparse inputs given as keys
(feature indices) and values, batch element j owning `sizes[j]` consecutive entries.  The weight
is inputSize x (N + outputSize), one row per feature; gradients are kept per entry (one
gradWeight row per key seen), so an update touches only the rows of those keys.

Plain mode (N = 0): entry rows are gathered in chunks (at most about CHUNK elements at a time),
so memory stays bounded however many entries a batch has.  Updates replay THNN's sequential loop
exactly: a row named by c entries, with decay wd, ends as w (1 - wd)^c - sum_r lr g_r
(1 - wd)^(c - r), where r is the entry's rank among that row's entries.

Max-normalize mode (N = 4): columns 1-4 of a feature's row hold the largest |value| seen in
training, its inverse, a learning-rate scale and a per-feature bias; a value enters as
value / max + bias.  The running maximum and the updates of the per-feature bias (which reads
the weights as they are at that entry) are order dependent, so they run in rank steps: step r
handles the r-th entry of every key at once, and the Python loop runs over the largest number of
entries of one key, never over entries.
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


def _rank_steps(xp: Any, rows: Any) -> list:
    """Entry positions grouped by rank: step r holds the r-th entry (in order) of every key."""
    r = np.asarray(rows.get() if hasattr(rows, "get") else rows)
    if r.size == 0:
        return []
    order = np.argsort(r, kind="stable")
    _, start, count = np.unique(r[order], return_index=True, return_counts=True)
    return [xp.asarray(order[start[count > k] + k]) for k in range(int(count.max()))]


def _normalize(weight: Tensor, rows: Any, vals: Any, out: Any, train: bool) -> None:
    """out = each value normalized by its feature's max |value| (updated first in training),
    plus the feature's bias; a value beyond the max (evaluation) counts as its sign."""
    xp = weight.xp
    w = weight.a
    for pos in _rank_steps(xp, rows):
        r, v = rows[pos], vals[pos]
        a = xp.abs(v)
        if train:
            up = a > w[r, 0]
            ru, au = r[up], a[up]
            w[ru, 0] = au
            w[ru, 1] = 1 / au
            # NOTE: THNN's hook for a smarter per-feature update scale; it sets 1
            w[r, 2] = 1
        out[pos] = xp.where(a > w[r, 0], xp.sign(v), v * w[r, 1]) + w[r, 3]


def il_forward(out: Tensor, keys: Tensor, values: Tensor, sizes: Tensor, weight: Tensor,
               bias: Tensor, offset: int, normalized: Tensor, train: bool) -> None:
    """out[j] = bias + sum of value * weight[key] over batch element j's entries (values
    max-normalized into `normalized` when the weight has the 4 extra columns)."""
    rows, vals, batch, B = _entries(keys, values, sizes, weight, offset)
    xp = weight.xp
    D = bias.size[0]
    N = weight.size[1] - D
    if N:
        nv = fit(normalized, (vals.size,)) if vals.size else xp.zeros(0, weight.dtype)
        _normalize(weight, rows, vals, nv, bool(train))
        vals = nv
    o = fit(out, (B, D))
    o[...] = bias.a
    w = weight.a[:, N:]
    step = _step(D)
    for s in range(0, rows.size, step):
        part = w[rows[s:s + step]] * vals[s:s + step, None]
        _add_at(xp, o, batch[s:s + step], part)


def _entry_grads(xp: Any, ga: Any, batch: Any, vals: Any, s: float, N: int, out: Any) -> Any:
    """One row per entry: scale * value * gradOutput of its element, after (max-normalize
    mode) scale * gradOutput itself, the per-feature bias' gradient factor."""
    D = ga.shape[1]
    if vals.size == 0:
        return out
    g = ga[batch]
    if N:
        xp.multiply(g, s, out=out[:, :D])
        xp.multiply(g, (vals * s)[:, None], out=out[:, D:])
    else:
        xp.multiply(g, (vals * s)[:, None], out=out)
    return out


def il_acc_grad(gw: Tensor, gb: Tensor, keys: Tensor, values: Tensor, sizes: Tensor,
                g: Tensor, weight: Tensor, scale: float) -> None:
    """gw = the gradient rows of the entries; gradBias += scale * the sum of gradOutput."""
    _, vals, batch, B = _entries(keys, values, sizes, weight, None)
    D = gb.size[0]
    N = weight.size[1] - D
    ga = g.a.reshape(B, D)
    s = float(scale)
    _entry_grads(weight.xp, ga, batch, vals, s, N, fit(gw, (vals.size, 2 * D if N else D)))
    gb.a[...] += s * ga.sum(axis=0)


def _sparse_update(weight: Tensor, rows: Any, grads: Any, lr: float, wd: float) -> None:
    """THNN's per-entry loop `w[row] -= wd * w[row]; w[row] -= lr * grad` in closed form."""
    xp = weight.xp
    D = grads.shape[1] if grads.ndim == 2 else 1
    w = weight.a
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


def _normalized_update(weight: Tensor, rows: Any, grads: Any, lr: float, wd: float) -> None:
    """Max-normalize mode, entry by entry in rank steps: with the feature's rate
    lr' = lr * scale column, bias column -= lr' <bias factor, weights>, then the weights decay by
    wd * scale column and move by -lr' times their gradient.

    NOTE: THNN's one-output branch differs (its decay term has the opposite sign, and
    accUpdateGradParameters zeroes the scale column); the rule above serves every output size.
    """
    xp = weight.xp
    w = weight.a
    D = grads.shape[1] // 2
    for pos in _rank_steps(xp, rows):
        r = rows[pos]
        rate = w[r, 2]
        g = grads[pos]
        w[r, 3] -= (g[:, :D] * w[r, 4:]).sum(axis=1) * (lr * rate)
        wr = w[r, 4:]
        if wd:
            wr *= (1 - wd * rate)[:, None]
        wr -= (lr * rate)[:, None] * g[:, D:]
        w[r, 4:] = wr


def _apply(weight: Tensor, rows: Any, grads: Any, lr: float, wd: float, N: int) -> None:
    if N:
        _normalized_update(weight, rows, grads, lr, wd)
    else:
        _sparse_update(weight, rows, grads, lr, wd)


def il_update(weight: Tensor, bias: Tensor, gb: Tensor, keys: Tensor, gw: Tensor, lr: float,
              wd: float, offset: int) -> None:
    """bias -= lr * gradBias; each key's weight row -= lr * its gradient rows (decayed by wd)."""
    xp = weight.xp
    bias.a[...] -= float(lr) * gb.a
    rows = xp.asarray(_host(keys) + int(offset))
    n = rows.size
    D = bias.size[0]
    N = weight.size[1] - D
    width = 2 * D if N else D
    grads = gw.a.reshape(n, width) if n else xp.zeros((0, width), weight.dtype)
    _apply(weight, rows, grads, float(lr), float(wd), N)


def il_acc_update(weight: Tensor, bias: Tensor, keys: Tensor, values: Tensor, sizes: Tensor,
                  g: Tensor, scale: float, wd: float, offset: int) -> None:
    """The update accGradParameters + updateParameters(scale) would make, in place (`values`
    are the normalized values in max-normalize mode)."""
    rows, vals, batch, B = _entries(keys, values, sizes, weight, offset)
    xp = weight.xp
    D = bias.size[0]
    N = weight.size[1] - D
    ga = g.a.reshape(B, D)
    s = float(scale)
    bias.a[...] -= s * ga.sum(axis=0)
    grads = _entry_grads(xp, ga, batch, vals, 1.0, N,
                         xp.empty((vals.size, 2 * D if N else D), weight.dtype))
    _apply(weight, rows, grads, s, float(wd), N)


EXPORTS = {
    "il_forward": il_forward,
    "il_acc_grad": il_acc_grad,
    "il_update": il_update,
    "il_acc_update": il_acc_update,
}
