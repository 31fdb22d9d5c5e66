"""The interactive prompt (`luatorch`, `luatorch repl`, `th`): trepl's read-eval-print loop.

On a terminal it reads through prompt_toolkit (history in ~/.luatorch_history, completion of
globals and table fields, Lua syntax in colour, values printed in colour); otherwise it reads
standard input plainly, without prompts or colours, so `echo 'print(1+1)' | luatorch` prints 2.
Either way `? name` shows help, `$ cmd` runs a shell command, `who()` lists the user's globals
and `timing(true)` reports how long each line took.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any, Callable, List, Optional

from luatorch import interrupt

# results are printed by `__luatorch_show` when the th prelude sets trepl's printer there,
# else by Lua's print
_ECHO = """
function(f, echo)
   local n, r = f(function(...) return select('#', ...), {...} end)
   _LAST = r[1]
   if not echo then return end
   local show = rawget(_G, '__luatorch_show') or print
   for i = 1, n do show(r[i]) end
end
"""

_COMPLETE = """
local prefix = ...
local t, path = _G, ''
for part in prefix:gmatch('([%w_]+)[%.:]') do
   local v = t[part]
   if type(v) ~= 'table' and not (type(v) == 'userdata' and getmetatable(v)) then return {} end
   path = prefix:match('^(.*[%.:])')
   t = type(v) == 'table' and v or getmetatable(v)
end
local last = prefix:match('([%w_]*)$')
local out, seen = {}, {}
local function add(tab)
   for k in pairs(tab) do
      if type(k) == 'string' and k:sub(1, #last) == last and not seen[k] then
         seen[k] = true
         out[#out + 1] = path .. k
      end
   end
end
while type(t) == 'table' do
   add(t)
   local mt = getmetatable(t)
   t = mt and type(mt.__index) == 'table' and mt.__index or nil
end
table.sort(out)
return out
"""


def incomplete(rt: Any, code: str) -> bool:
    """True when `code` is an unfinished chunk (an open `function ... end`, say)."""
    loader = rt.lua.eval("loadstring")
    res = loader(code, "=stdin")
    if not isinstance(res, tuple) or res[0] is not None:
        return False
    expr = loader("return " + code.strip().lstrip("=").rstrip(";"), "=stdin")
    if not isinstance(expr, tuple) or expr[0] is not None:
        return False  # `t` alone is an expression to print, not the start of `t = ...`
    return "<eof>" in str(res[1])


def compile_line(rt: Any, code: str) -> tuple:
    """(chunk source, echo) for a line: `=expr` and bare expressions print their values."""
    stripped = code.strip()
    silent = stripped.endswith(";")
    if stripped.startswith("="):
        stripped = stripped[1:]
    loader = rt.lua.eval("loadstring")
    expr = stripped.rstrip(";")
    res = loader("return " + expr, "=stdin")
    if not isinstance(res, tuple) or res[0] is not None:
        # the values go through `pack` so that `error('x')` is no tail call: its position
        # stays the line's own
        return "local pack = ...; return pack(" + expr + "\n)", not silent
    return code, False


def evaluate(rt: Any, code: str, err: Callable[[str], None]) -> None:
    """Run one complete input, printing expression results and errors; the session goes on."""
    from luatorch.runtime import LuaError

    source, echo = compile_line(rt, code)
    try:
        try:
            fn = rt.load(source, "=stdin")
        except LuaError as e:
            err(e.message)
            return
        if source.startswith("local pack = ..."):
            rt.call(rt.lua.eval(_ECHO), fn, echo)
        else:
            rt.call(fn)
    except LuaError as e:
        err(e.message)
    except KeyboardInterrupt:
        err("interrupted")


_HELP = """
local expr = ...
local help = require 'trepl.help'
if expr == '' then return help.intro end
local f = loadstring('return ' .. expr, '=stdin')
if not f then return 'help: ' .. expr .. ' is not an expression' end
local ok, v = pcall(f)
if not ok then return tostring(v) end
return help.text(v, expr)
"""

_SETUP = """
local colors = ...
local trepl = require 'trepl'
trepl.timing = false
-- timing(true): each line's time is printed after it, as trepl's timer_start/timer_stop did
rawset(_G, 'timing', function(on) trepl.timing = on ~= false end)
require('trepl.who').mark('timing')
require('trepl.printer').setcolors(colors)
"""


def shell(rt: Any, cmd: str, err: Callable[[str], None]) -> None:
    """`$ cmd`: run a shell command, print its output and keep it in `_LAST` (trepl's way)."""
    try:
        res = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except KeyboardInterrupt:
        err("interrupted")
        return
    out = res.stdout.decode(errors="replace")
    sys.stdout.write(out)
    sys.stdout.flush()
    rt.lua.globals()._LAST = out
    if res.returncode:
        err(f"exit code {res.returncode}")


def help_text(rt: Any, expr: str) -> str:
    """What `? expr` prints: the prompt's own help for a bare `?`."""
    return str(rt.call(rt.lua.eval("function(...) " + _HELP + " end"), expr.strip()))


def _history_path() -> str:
    return os.path.join(os.path.expanduser("~"), ".luatorch_history")


def completions(rt: Any, prefix: str) -> List[str]:
    """Names completing `prefix`: globals, table fields (`a.b`), methods (`x:`)."""
    try:
        got = rt.lua.execute(_COMPLETE, prefix)
    except Exception:
        return []
    return [str(v) for v in got.values()] if got is not None else []


_KEYWORDS = frozenset(
    "and break do else elseif end false for function if in local nil not or repeat return "
    "then true until while".split())
_TOKEN = re.compile(r"""(?P<comment>--.*)|(?P<string>"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?"""
                    r"""|\[\[.*?(?:\]\]|$))|(?P<number>0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)"""
                    r"""|(?P<name>[A-Za-z_]\w*)|(?P<other>.)""")


def lua_tokens(line: str) -> List[tuple]:
    """(style class, text) pieces of one line of Lua, for colouring the input."""
    out = []
    for m in _TOKEN.finditer(line):
        kind = m.lastgroup or "other"
        text = m.group()
        if kind == "name":
            kind = "keyword" if text in _KEYWORDS else "name"
        out.append(("class:" + kind if kind not in ("name", "other") else "", text))
    return out


def _lua_lexer() -> Any:
    from prompt_toolkit.lexers import Lexer

    class LuaLexer(Lexer):
        def lex_document(self, document: Any) -> Callable[[int], List[tuple]]:
            lines = document.lines
            return lambda i: lua_tokens(lines[i]) if i < len(lines) else []

    return LuaLexer()


def _lua_style() -> Any:
    from prompt_toolkit.styles import Style

    return Style.from_dict({"keyword": "ansiblue bold", "string": "ansigreen",
                            "number": "ansicyan", "comment": "ansibrightblack italic"})


def _terminal_reader(rt: Any) -> Callable[[str], Optional[str]]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.history import FileHistory

    class LuaCompleter(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Any:
            text = document.text_before_cursor
            i = len(text)
            while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_.:"):
                i -= 1
            word = text[i:]
            if not word:
                return
            for c in completions(rt, word):
                yield Completion(c, start_position=-len(word))

    session: Any = PromptSession(history=FileHistory(_history_path()),
                                 completer=LuaCompleter(), lexer=_lua_lexer(),
                                 style=_lua_style())

    def read(prompt: str) -> Optional[str]:
        try:
            return session.prompt(prompt)
        except EOFError:
            return None

    return read


def _plain_reader(prompt: str) -> Optional[str]:
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


def _timing_on(rt: Any) -> bool:
    return bool(rt.lua.eval("package.loaded.trepl and package.loaded.trepl.timing"))


def loop(rt: Any) -> None:
    """Read, evaluate and print until end of input or `exit`."""
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    read = _terminal_reader(rt) if tty else _plain_reader
    colors = tty and os.environ.get("NO_COLOR", "") == ""
    rt.require("trepl")
    rt.call(rt.lua.eval("function(...) " + _SETUP + " end"), colors)
    rt.make_interruptible(functions=True)

    def err(msg: str) -> None:
        sys.stdout.flush()
        print(msg, file=sys.stderr, flush=True)

    while True:
        buf = ""
        try:
            line = read("th> ")
            if line is None:
                if tty:
                    print("")
                return
            buf = line
            while not buf.lstrip().startswith(("$", "?")) and incomplete(rt, buf):
                more = read(">> ")
                if more is None:
                    break
                buf += "\n" + more
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt drops the line, as trepl
        text = buf.strip()
        if text in ("exit", "os.exit()", "quit"):
            return
        if not text:
            continue
        interrupt.rearm()
        start = time.perf_counter()
        if text.startswith("$"):
            shell(rt, text[1:].strip(), err)
        elif text.startswith("?"):
            print(help_text(rt, text[1:]), flush=True)
        else:
            evaluate(rt, buf, err)
        if _timing_on(rt):
            took = f"[{time.perf_counter() - start:0.4f}s]"
            print(f"\x1b[1;30m{took}\x1b[0m" if colors else took, flush=True)
        sys.stdout.flush()
