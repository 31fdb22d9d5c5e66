"""Helpers several kernel families share (a home of their own, so no family imports another)."""

from __future__ import annotations

from typing import Any, Callable, Dict


def table_cache(most: int) -> Callable[[tuple, Callable[[], Any]], Any]:
    """A lookup `cached(key, make)` of small tables computed once per geometry key (and array
    module); each family makes its own.  All are forgotten at once when `most` are held: a table
    is cheap to rebuild, an unbounded cache under ever-changing shapes is not."""
    tables: Dict[tuple, Any] = {}

    def cached(key: tuple, make: Callable[[], Any]) -> Any:
        v = tables.get(key)
        if v is None:
            if len(tables) >= most:
                tables.clear()
            v = tables[key] = make()
        return v

    return cached


def on_axis(axis: int, sel: Any) -> tuple:
    """An index tuple applying `sel` to the axis `axis` places from the end (1 = last)."""
    return (Ellipsis, sel) + (slice(None),) * (axis - 1)
