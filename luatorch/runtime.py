"""The LuaJIT runtime: lupa with Lua 5.1 semantics, our package paths, the door, and errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import lupa.luajit21 as lupa

from luatorch import errors as _errors
from luatorch import interrupt as _interrupt
from luatorch import backend, bridge
from luatorch import tensor as _tensor


def lua_dir() -> Path:
    """Folder holding the Lua packages (`torch/`, `nn/`, ...), installed or in the source tree."""
    src = Path(__file__).resolve().parent.parent / "lua"
    if (src / "torch" / "init.lua").is_file():  # a source checkout (tests, editable installs)
        return src
    import luatorch._lua as pkg

    return Path(list(pkg.__path__)[0])


class LuaError(Exception):
    """A Lua error, already formatted as Torch7 shows it (`file.lua:12: message`)."""

    def __init__(self, message: str, traceback: str = ""):
        super().__init__(message)
        self.message = message
        self.traceback = traceback


# Error handler run at the point of failure, while the stack is intact: it turns a Python
# exception into `file:line: message` at the innermost frame outside our own library.
_LUA_SUPPORT = r"""
local libroot, errmsg, flush = ...
-- os.exit leaves at once, as in Torch7, but Python's buffered output is written first
local exit = os.exit
os.exit = function(...)
   flush()
   io.stdout:flush()
   return exit(...)
end
local debug, type, tostring = debug, type, tostring
local pairs, ipairs = pairs, ipairs
-- the public name of a library function (a tail call leaves its frame without a name);
-- looked up afresh at each error, which is rare, so functions defined later are found too
local function publicname(f)
   local torch = package.loaded.torch
   if type(torch) ~= 'table' then return nil end
   local function find(t)
      for k, v in pairs(t) do
         if v == f and type(k) == 'string' then return k end
      end
   end
   for _, tn in ipairs{'Double', 'Float', 'Long', 'Int', 'Byte', 'Char', 'Short'} do
      local mt = torch.getmetatable('torch.' .. tn .. 'Tensor')
      local k = mt and find(mt)
      if k then return k end
   end
   return find(torch)
end
-- the user's position, and the name of the function the user called (for messages)
local function userpos(level)
   local first, fname
   while true do
      local info = debug.getinfo(level, 'Slnf')
      if not info then break end
      local src = info.source or ''
      if src:sub(1, 10) == '=[luatorch' then
         -- our own glue (the runtime, the Python API's helpers): not a place the user wrote
         fname = fname or (info.namewhat ~= '' and info.name) or nil
      elseif info.currentline and info.currentline > 0 then
         first = first or (info.short_src .. ':' .. info.currentline)
         if src ~= '=[luatorch]' and (src:sub(1, 1) ~= '@'
               or src:sub(2, #libroot + 1) ~= libroot) then
            return info.short_src .. ':' .. info.currentline, fname
         end
         fname = (info.namewhat ~= '' and info.name) or publicname(info.func) or fname
      elseif not fname then
         fname = publicname(info.func)  -- a door function installed as a method itself
      end
      level = level + 1
   end
   return first, fname
end
local function tostr(e, level)
   if type(e) == 'string' then return e end
   local pos, fname = userpos(level + 1)
   local msg = errmsg(e, fname)
   if msg == nil then return e end
   if pos then return pos .. ': ' .. msg end
   return msg
end
-- library code (e.g. nn containers) turns caught errors into Torch7-style strings with this
package.loaded['luatorch.errors'] = {tostring = function(e) return tostr(e, 3) end}
local function handler(e)
   local msg = tostr(e, 3)
   if type(msg) ~= 'string' then msg = tostring(msg) end
   return msg, debug.traceback('', 2)
end
-- pcall that hands scripts Torch7-style error strings, not Python exception objects
local xpcall, select = xpcall, select
local function pyhandler(e) return tostr(e, 3) end
pcall = function(f, ...)
   return xpcall(f, pyhandler, ...)
end
-- and xpcall, whose handler (torch.Tester's among them) gets the same string
_G.xpcall = function(f, h, ...)
   return xpcall(f, function(e) return h(tostr(e, 3)) end, ...)
end
local function run(f, ...)
   local res = {xpcall(f, function(e)
      local msg, tb = handler(e)
      return {msg, tb}
   end, ...)}
   if res[1] then return true end
   return false, res[2][1], res[2][2]
end
return run
"""


def _error_message(exc: Any, fname: Optional[str] = None) -> Optional[str]:
    """Torch7-style text for a Python exception raised inside a door function."""
    return _errors.translate(exc, fname)


def _flush() -> None:
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass


def _virtual_gpus(n: Optional[int]) -> int:
    """The virtual GPU count: `n` when given, else $LUATORCH_VIRTUAL_GPUS, else 0."""
    if n is None:
        env = os.environ.get("LUATORCH_VIRTUAL_GPUS", "").strip()
        try:
            n = int(env) if env else 0
        except ValueError:
            raise ValueError(f"LUATORCH_VIRTUAL_GPUS must be a number, got {env!r}") from None
    if n < 0:
        raise ValueError(f"the number of virtual GPUs must be >= 0, got {n}")
    return n


# NOTE: a count hook, set by the thread running Lua, is how an interpreted pure-Lua loop sees
# Ctrl-C (luatorch/interrupt.py).  Our own glue ('=[luatorch]') is never interrupted, so the
# error handler and the call wrapper always finish; a script that catches the error with
# pcall is interrupted again at the next check until the call returns.
_INTERRUPT_HOOK = r"""
local addr = ...
local ffi = require 'ffi'
local flag = ffi.cast('volatile uint8_t *', addr)
local getinfo, error = debug.getinfo, error
debug.sethook(function()
   if flag[0] == 0 then return end
   if getinfo(2, 'S').source == '=[luatorch]' then return end
   flag[0] = 2
   error('interrupted', 2)
end, '', 1000)
"""


class Runtime:
    """One LuaJIT state with the torch package reachable through `require`."""

    interruptible = False

    def __init__(self, script_dir: Optional[str] = None, load_torch: bool = True,
                 extra_paths: Iterable[str] = (), virtual_gpus: Optional[int] = None):
        self.lua = lupa.LuaRuntime(unpack_returned_tuples=True, register_eval=False,
                                   register_builtins=False)
        g = self.lua.globals()
        root = str(lua_dir())
        # NOTE: our packages come before LUA_PATH, unlike th where LUA_PATH came first: the
        # LUA_PATH of a leftover Torch7 install (torch-activate sets one) would otherwise load
        # Torch7's own torch and nn, which need its C libraries. Every other module the user's
        # LUA_PATH reaches comes first, then LuaJIT's default (';;' in LUA_PATH stands for it,
        # as in Lua), then the script's folder.
        default = str(g.package.path)
        env_path = os.environ.get("LUA_PATH")
        user = env_path.replace(";;", ";" + default + ";") if env_path else default
        paths = [f"{root}/?.lua", f"{root}/?/init.lua", user.strip(";")]
        if script_dir:
            paths += [f"{script_dir}/?.lua", f"{script_dir}/?/init.lua"]
        paths += [f"{p}/?.lua" for p in extra_paths]
        g.package.path = ";".join(p for p in paths if p)
        # NOTE: scripts reach Python only through the door; lupa's `python` table is removed.
        g.python = None
        self.virtual_gpus = _virtual_gpus(virtual_gpus)
        # NOTE: the GPU registry is per process (door functions are plain functions): the
        # runtime made last decides how many virtual GPUs there are.
        backend.configure_gpus(self.virtual_gpus)
        # NOTE: device checks wrap the door only where GPUs may be used (virtual ones asked
        # for, or CuPy installed), so CPU-only runs keep the bare, faster door.
        self.door = bridge.build_door(check_devices=self.virtual_gpus > 0
                                      or backend.real_gpus_possible())
        self.lua.execute("package.loaded['luatorch.door'] = ...", self.lua.table_from(self.door))
        self._run = self.lua.execute(_LUA_SUPPORT, root, _error_message, _flush,
                                     name="=[luatorch]")
        self._wrapper = self.lua.eval("function(f, keep, ...) keep(f(...)) end",
                                      name="=[luatorch]")
        collect = self.lua.eval("collectgarbage")
        # NOTE: two passes: a tensor's Python handle sits as a value in a weak-keyed table, and
        # LuaJIT frees such a value one cycle after its key.
        _tensor._gc_hook[:] = [lambda: (collect("collect"), collect("collect"))]
        # NOTE: stop-the-world collection.  lupa's bookkeeping of Python objects held by Lua
        # can drop a live object when the same object is pushed again between the moment the
        # collector finds its old wrapper dead and the moment that wrapper's finalizer runs
        # (lupa issue 294); with each cycle run to completion in one step there is no such
        # moment.  The total work is the same as incremental collection.
        self.lua.execute("collectgarbage('setstepmul', 1000000)", name="=[luatorch]")
        if load_torch:
            self.require("torch")

    def make_interruptible(self, functions: bool = False) -> None:
        """Let Ctrl-C stop interpreted pure-Lua loops (the prompt, the Python API).

        Chunks run by `execute` are then kept out of the JIT compiler, so that a loop typed at
        the prompt stays interruptible; with `functions` (the prompt) the functions they define
        are too.
        """
        if self.interruptible:
            return
        if _interrupt.enable_watcher():
            self.lua.execute(_INTERRUPT_HOOK, _interrupt.flag_address(), name="=[luatorch]")
            # NOTE: compiled code never checks hooks (lupa's LuaJIT is built without
            # LUAJIT_ENABLE_CHECKHOOK): at the prompt a hot loop inside a function typed there
            # would ignore Ctrl-C, so the prompt keeps those functions interpreted as well
            # (jit.off's second argument reaches every function the chunk defines); the Python
            # API keeps them compiled, for speed
            code = ("function(f) jit.off(f, true) return f end" if functions
                    else "function(f) jit.off(f) return f end")
            self._nojit = self.lua.eval(code, name="=[luatorch]")
            self.interruptible = True

    def load(self, code: str, name: str = "=(command line)") -> Any:
        """Compile a chunk (kept interpreted when the runtime is interruptible)."""
        loader = self.lua.eval("loadstring")
        fn, err = self._unpack3(loader(code, name))[:2]
        if fn is None:
            raise LuaError(str(err))
        return self._nojit(fn) if self.interruptible else fn

    def require(self, name: str) -> Any:
        """`require(name)` in this runtime."""
        return self.call(self.lua.eval("require"), name)

    def call(self, fn: Any, *args: Any) -> Any:
        """Call a Lua function, turning a Lua error into `LuaError` with a Torch7-style message."""
        box: list = []

        def keep(*vals: Any) -> None:
            box.extend(vals)

        wrapper = self._wrapper
        token = _interrupt.enter()
        try:
            ok, msg, tb = self._unpack3(self._run(wrapper, fn, keep, *args))
        finally:
            if _interrupt.leave(token):
                _errors.last_python_traceback()
                raise KeyboardInterrupt
        if not ok:
            pytb = _errors.last_python_traceback()
            raise LuaError(msg, (tb or "") + ("\n" + pytb if pytb else ""))
        return box[0] if len(box) == 1 else (tuple(box) if box else None)

    @staticmethod
    def _unpack3(r: Any) -> tuple:
        if isinstance(r, tuple):
            return (r + (None, None, None))[:3]
        return (r, None, None)

    def execute(self, code: str, name: str = "=(command line)") -> Any:
        """Run a chunk of Lua source; returns its results."""
        return self.call(self.load(code, name))

    def eval(self, expr: str) -> Any:
        """Evaluate a Lua expression."""
        return self.execute("return " + expr, "=(eval)")

    def set_arg(self, path: Optional[str], args: Sequence[str] = ()) -> None:
        """Set Torch7's global `arg`: `arg[0]` the script, `arg[1..n]` its arguments."""
        argt = self.lua.table_from({i + 1: a for i, a in enumerate(args)})
        if path is not None:
            argt[0] = path
        self.lua.globals().arg = argt

    def run_file(self, path: str, args: Sequence[str] = ()) -> None:
        """Run a script file with Torch7's global `arg` table."""
        self.set_arg(path, args)
        loader = self.lua.eval("loadfile")
        fn, err = self._unpack3(loader(path))[:2]
        if fn is None:
            raise LuaError(str(err))
        self.call(fn, *args)
