"""Helpers shared by the convolution kernels (kernels.conv and its Winograd route): the
batch-chunking rule, channels-last views and zero-framed copies.  Arrays come from the tensors'
module (`xp`)."""

from __future__ import annotations

from typing import Any, Sequence


def samples_per_chunk(B: int, per: int, limit: int) -> int:
    """Samples per chunk when each sample has `per` elements of work arrays: the whole batch up
    to twice `limit`, else about `limit`."""
    return B if B * per <= 2 * limit else max(1, min(B, limit // per))


def last(a: Any) -> Any:
    """View with axis 1 moved last (channels-first to channels-last)."""
    n = a.ndim
    return a.transpose((0,) + tuple(range(2, n)) + (1,))


def inner(img: Any, lead: int, pad: Sequence[int], size: Sequence[int]) -> Any:
    """The unpadded part of `img` whose spatial axes start at `lead`."""
    idx = [slice(None)] * img.ndim
    for i, p in enumerate(pad):
        idx[lead + i] = slice(p, p + size[i])
    return img[tuple(idx)]


def zero_border(img: Any, lead: int, pad: Sequence[int], size: Sequence[int]) -> None:
    """Zero what lies around the inner part of `img` (spatial axes from `lead`, `pad` before
    the inner `size`, whatever remains after it)."""
    for i, p in enumerate(pad):
        ax = lead + i
        idx = [slice(None)] * img.ndim
        if p:
            idx[ax] = slice(0, p)
            img[tuple(idx)] = 0
        if img.shape[ax] > p + size[i]:
            idx[ax] = slice(p + size[i], None)
            img[tuple(idx)] = 0


def padded(xp: Any, src: Any, img: Any, lead: int, pad: Sequence[int]) -> None:
    """img = src inside a zero frame: `pad` before, the rest of img after (spatial axes from
    `lead`)."""
    size = src.shape[lead:lead + len(pad)]
    zero_border(img, lead, pad, size)
    xp.copyto(inner(img, lead, pad, size), src)
