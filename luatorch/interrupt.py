"""Ctrl-C while Lua runs: a KeyboardInterrupt for the caller, never a Lua error.

Python runs its SIGINT handler only when the main thread executes Python code.  Inside Lua
that happens whenever the script calls into the door (every tensor operation), so the handler
raises there and the runtime turns the unwinding Lua error back into `KeyboardInterrupt`.

A pure-Lua loop never gives Python control.  For those a watcher thread (lupa releases the
GIL while Lua runs) learns of the signal through the wakeup fd and sets a byte, `flag`, that an
interruptible runtime's Lua count hook reads (through the FFI) every 1000 interpreted
instructions: the hook raises, and the call ends in `KeyboardInterrupt`.  The hook is set by
the main thread itself: LuaJIT's `lua_sethook` is safe from a signal handler on the thread
running Lua, not from another thread.  Machine code that LuaJIT compiled for a loop never looks
at hooks (LuaJIT's FAQ, "Ctrl-C"; only a LuaJIT built with LUAJIT_ENABLE_CHECKHOOK does), so a
hot pure-Lua loop inside a function can still not be stopped: the command line then ends the
process with 130 after a grace period, and an embedding program on a second Ctrl-C.  A second
Ctrl-C while the first is still unwinding ends the process too.
"""

from __future__ import annotations

import ctypes
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
_wakeup_w: Optional[int] = None
_hard = False         # the command line: a stuck loop ends the process after GRACE_S
# 0: no Ctrl-C; 1: Ctrl-C seen while Lua ran (set by the watcher); 2: a Lua hook raised it
flag = ctypes.c_uint8(0)


def flag_address() -> int:
    """The address of `flag`, for the Lua hook's FFI pointer."""
    return ctypes.addressof(flag)


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
    flag.value = 0
    return 2


def leave(token: int) -> bool:
    """Called after a Lua call with `enter`'s token; True when a Ctrl-C must be raised."""
    global _depth, _pending
    if token == 0:
        return False
    _depth -= 1
    if token == 1:
        return False
    hit = _pending or flag.value != 0
    _pending = False
    flag.value = 0
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
            if flag.value == 1 and not _hard:
                _die()  # asked twice, and neither the door nor a hook could stop the loop
            flag.value = 1  # an interruptible runtime's hook raises at its next check
            if not _hard:
                continue
            deadline = time.monotonic() + GRACE_S
            while time.monotonic() < deadline and _depth > 0 and flag.value == 1 \
                    and _handled < _signals:
                time.sleep(0.02)
            if _depth > 0 and flag.value == 1 and _handled < _signals:
                _die()  # compiled Lua that never calls Python: nothing else can stop it


def _start_watcher() -> bool:
    global _watcher
    if _watcher is not None:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:
        old = -2
    if old != -1:  # someone else (an event loop) reads the wakeup fd: leave it to them
        if old != -2:
            signal.set_wakeup_fd(old)
        os.close(r)
        os.close(w)
        return False
    global _wakeup_w
    _wakeup_w = w
    _watcher = threading.Thread(target=_watch, args=(r,), name="luatorch-interrupt",
                                daemon=True)
    _watcher.start()
    return True


def rearm() -> None:
    """Point the wakeup fd at the watcher again (prompt_toolkit's event loop takes it over
    while it reads a line and clears it afterwards)."""
    if _wakeup_w is not None and threading.current_thread() is threading.main_thread():
        signal.set_wakeup_fd(_wakeup_w, warn_on_full_buffer=False)


def enable_hard_exit() -> None:
    """For the command line: a Ctrl-C that Lua does not yield to ends the process (130)."""
    global _hard
    _hard = True
    _start_watcher()


def enable_watcher() -> bool:
    """For the prompt and the Python API: Ctrl-C reaches interruptible runtimes' hooks."""
    return _start_watcher()
