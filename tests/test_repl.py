"""The prompt through a pipe (plain reading) and through a pseudo-terminal (prompt_toolkit)."""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

CMD = [sys.executable, "-m", "luatorch.cli"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_pipe_evaluates_plainly(tmp_path):
    src = "\n".join([
        "print(1+1)",
        "x = 3",
        "x*2",
        "=x+1",
        "x;",
        "error('boom')",
        "function f(a)",
        "  return a*10",
        "end",
        "f(4)",
        "print(_LAST)",
        "1, nil, 3",
    ]) + "\n"
    p = subprocess.run(CMD, input=src, capture_output=True, text=True, timeout=60,
                       cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["2", "6", "4", "40", "40", "1", "nil", "3"]
    assert p.stderr.strip() == "stdin:1: boom"
    assert "th>" not in p.stdout


class _Term:
    """The prompt on a pseudo-terminal, read with a deadline."""

    def __init__(self, home):
        self.master, slave = pty.openpty()
        env = {**os.environ, "HOME": str(home), "TERM": "xterm", "COLUMNS": "120",
               "LINES": "40", "PROMPT_TOOLKIT_NO_CPR": "1"}
        self.p = subprocess.Popen(CMD, stdin=slave, stdout=slave, stderr=slave, cwd=home,
                                  env=env, start_new_session=True)
        os.close(slave)
        self.seen = ""
        self.raw = ""  # everything read, escape sequences kept

    def expect(self, text, timeout=30.0):
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not seen in {self.seen[-800:]!r}"
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    got = os.read(self.master, 4096).decode(errors="replace")
                    self.raw += got
                    self.seen = ANSI.sub("", self.seen + got)
                except OSError:
                    break
        i = self.seen.index(text) + len(text)
        self.seen = self.seen[i:]

    def send(self, text):
        os.write(self.master, text.encode())

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=10)
        os.close(self.master)


def test_terminal_session(tmp_path):
    t = _Term(tmp_path)
    try:
        t.expect("th>")
        t.send("function g(a)\r")
        t.expect(">>")
        t.send("return a + 100 end\r")
        t.expect("th>")
        t.send("g(23)\r")
        t.expect("123")
        t.send("mylongname = 7\r")
        t.expect("th>")
        t.send("mylongn\t")  # completion of a global
        t.expect("mylongname")
        t.send("\r")
        t.expect("7")
        t.send("local n = 0 while true do n = n + torch.rand(2):sum() end\r")
        time.sleep(1.0)
        os.kill(t.p.pid, signal.SIGINT)
        t.expect("interrupted")
        t.send("print('after' .. 1)\r")
        t.expect("after1")
        # a loop of pure Lua typed at the prompt: the interpreter's hook stops it
        t.send("local n = 0 while true do n = n + 1 end\r")
        time.sleep(1.0)
        os.kill(t.p.pid, signal.SIGINT)
        t.expect("interrupted")
        t.send("print('again' .. 2)\r")
        t.expect("again2")
        # a hot loop inside a function typed at the prompt (LuaJIT would compile it, and
        # compiled code never checks hooks): the prompt keeps such functions interpreted
        t.send("function spin() local n = 0 while true do n = n + 1 end end\r")
        t.expect("th>")
        t.send("spin()\r")
        time.sleep(1.0)
        os.kill(t.p.pid, signal.SIGINT)
        t.expect("interrupted")
        t.send("print('still' .. 3)\r")
        t.expect("still3")
        t.send("exit\r")
        t.p.wait(timeout=20)
    finally:
        t.close()
    assert "g(23)" in (tmp_path / ".luatorch_history").read_text()
    # a second session sees the first one's history (the up arrow recalls it)
    t = _Term(tmp_path)
    try:
        t.expect("th>")
        t.send("\x1b[A\r")
        t.expect("exit")
        t.p.wait(timeout=20)
        assert t.p.returncode == 0
    finally:
        t.close()


def test_pipe_help_shell_who_timing(tmp_path):
    src = "\n".join([
        "myvar = {1, 2}",
        "$ echo hello from the shell",
        "print(_LAST == 'hello from the shell\\n')",
        "? optim",
        "require 'optim'",
        "? optim.sgd",
        "? math.max",
        "?",
        "who()",
        "timing(true)",
        "1 + 1",
        "timing(false)",
        "{b = {c = 's'}, a = 1}",
    ]) + "\n"
    p = subprocess.run(CMD, input=src, capture_output=True, text=True, timeout=60,
                       cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "hello from the shell\ntrue\n" in out
    assert "optim is nil" in out
    # ? on a Lua function: its parameters, its place and the comment that documents it
    assert "optim.sgd(opfunc, x, config, state)" in out and "learningRate" in out
    assert "math.max is a built-in function" in out
    assert "$ cmd" in out and "who()" in out                 # `?` alone: the prompt's help
    start = out.index("== User Variables ==")
    who = out[start:out.index("\n==\n", start)]
    assert "[myvar]" in who and "table - size: 2" in who
    assert "[torch]" not in who and "[timing]" not in who    # start-up globals are the system's
    assert re.search(r"\[\d+\.\d{4}s\]\n2\n\[\d+\.\d{4}s\]\n", out)  # 1+1, timed
    # tables as trepl printed them: keys sorted, nested tables indented
    assert "{\n  a : 1\n  b : \n    {\n      c : \"s\"\n    }\n}\n" in out
    assert "\x1b[" not in out                                # no colours off a terminal


def test_terminal_colours_help_and_shell(tmp_path):
    t = _Term(tmp_path)
    raw = ""
    try:
        t.expect("th>")
        t.send("local y = 'q' -- c\r")
        t.expect("th>")
        t.send("x = 5\r")
        t.expect("th>")
        t.send("x\r")
        t.expect("th>")
        t.send("{n = 1, s = 'a'}\r")
        t.expect("th>")
        t.send("$ echo shell-$((20 + 22))\r")
        t.expect("shell-42")
        t.send("? torch.rand\r")
        t.expect("a new tensor of the default type")
        t.send("exit\r")
        t.p.wait(timeout=20)
    finally:
        raw = t.raw
        t.close()
    # the input in colour as it is typed: keywords, strings, comments
    assert re.search(r"\x1b\[[0-9;]*m(\x1b\[[0-9;]*m)*local", raw)
    assert re.search(r"\x1b\[[0-9;]*m(\x1b\[[0-9;]*m)*'q'", raw)
    # values printed in colour on a terminal (numbers cyan, nested strings green)
    assert "\x1b[0;36m5\x1b[0m" in raw
    assert "\x1b[0;36m1\x1b[0m" in raw and "\x1b[0;32m\"a\"\x1b[0m" in raw


def test_lua_tokens_for_colouring():
    from luatorch.repl import lua_tokens

    toks = lua_tokens("local s = 'a\\'b' .. [[x]] + 0x1F -- done")
    kinds = {text: style for style, text in toks}
    assert kinds["local"] == "class:keyword" and kinds["'a\\'b'"] == "class:string"
    assert kinds["[[x]]"] == "class:string" and kinds["0x1F"] == "class:number"
    assert kinds["-- done"] == "class:comment" and kinds["s"] == ""
    assert "".join(text for _, text in toks) == "local s = 'a\\'b' .. [[x]] + 0x1F -- done"
