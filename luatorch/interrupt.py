"""Ctrl-C while Lua runs: a KeyboardInterrupt for the caller, never a Lua error.

Python runs its SIGINT handler only when the main thread executes Python code.  Inside Lua
that happens whenever the script calls into the door (every tensor operation), so the handler
raises there and the runtime turns the unwinding Lua error back into `KeyboardInterrupt`.  A
pure-Lua loop never gives Python control: for the command line a watcher thread (lupa
releases the GIL while Lua runs) sees the signal through the wakeup fd and ends the process
with 130 when the handler has not run within a grace period.  A second Ctrl-C while the first
is still unwinding ends the process too.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Optional

GRACE_S = 0.4
EXIT_CODE = 130

_depth = 0            # nesting of Lua calls made from the main thread
_pending = False      # a Ctrl-C raised inside Lua, not yet delivered to the caller
_signals = 0          # SIGINTs seen by the watcher
_handled = 0          # SIGINTs seen by the Python handler
_watcher: Optional[threading.Thread] = None
_previous: Any = None
_installed = False


def _die() -> None:
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os.write(2, b"interrupted\n")
    os._exit(EXIT_CODE)


def _handler(signum: int, frame: Any) -> None:
    global _pending, _handled
    if _depth == 0:  # outside Lua: whatever handled Ctrl-C before us
        prev = _previous
        if callable(prev):
            return prev(signum, frame)
        if prev == signal.SIG_IGN:
            return None
        raise KeyboardInterrupt
    _handled += 1
    if _pending:  # the user asked twice: stop waiting for the cleanup
        _die()
    _pending = True
    raise KeyboardInterrupt


def enter() -> int:
    """Called before a Lua call: 0 (nothing to undo), 1 (nested) or 2 (the outermost call)."""
    global _depth, _previous
    if threading.current_thread() is not threading.main_thread():
        return 0
    if _depth > 0:
        _depth += 1
        return 1
    # NOTE: installed once and left in place (it defers to the previous handler outside
    # Lua): signal.signal costs ~20 us, which twice per call tripled a Python->Lua call
    # (getsignal costs ~8 us too: a flag says whether ours is in place)
    global _installed
    if not _installed:
        try:
            _previous = signal.signal(signal.SIGINT, _handler)
        except (ValueError, TypeError):  # no signals here (an embedding without them)
            return 0
        _installed = True
    _depth = 1
    return 2


def leave(token: int) -> bool:
    """Called after a Lua call with `enter`'s token; True when a Ctrl-C must be raised."""
    global _depth, _pending
    if token == 0:
        return False
    _depth -= 1
    if token == 1:
        return False
    hit, _pending = _pending, False
    return hit


def _watch(fd: int) -> None:
    global _signals
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        for b in data:
            if b != signal.SIGINT:
                continue
            _signals += 1
            if _depth == 0:
                continue  # Python has control: its own handler answers
            deadline = time.monotonic() + GRACE_S
            while time.monotonic() < deadline and _handled < _signals and _depth > 0:
                time.sleep(0.02)
            if _handled < _signals and _depth > 0:
                _die()  # a Lua loop that never calls Python: nothing else can stop it


def enable_hard_exit() -> None:
    """For the command line: a Ctrl-C that Lua does not yield to ends the process (130)."""
    global _watcher
    if _watcher is not None or threading.current_thread() is not threading.main_thread():
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    _watcher = threading.Thread(target=_watch, args=(r,), name="luatorch-interrupt",
                                daemon=True)
    _watcher.start()
