"""Ctrl-C while Lua runs: `luatorch run` ends with 130, Python gets KeyboardInterrupt."""

import signal
import subprocess
import sys
import time

import pytest

LUATORCH = [sys.executable, "-m", "luatorch.cli"]


def _interrupt(cmd, cwd, ready=b"ready"):
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = p.stdout.readline()
        assert ready in line, line
        time.sleep(0.2)
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
        return p.returncode, time.monotonic() - sent, out.decode(), err.decode()
    finally:
        if p.poll() is None:
            p.kill()


@pytest.mark.parametrize("body", [
    "while true do end",                                   # pure Lua, never calls Python
    "local t = 0 while true do t = t + torch.rand(3):sum() end",  # through the door
])
def test_run_ctrl_c_exits_130(tmp_path, body):
    script = tmp_path / "loop.lua"
    script.write_text("print('ready') io.stdout:flush()\n" + body + "\n")
    rc, took, out, err = _interrupt(LUATORCH + ["run", str(script)], tmp_path)
    assert rc == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "KeyboardInterrupt" not in err
    assert took < 5  # generous for a loaded CI machine; the grace period is 0.4 s


def test_python_api_gets_keyboard_interrupt(tmp_path):
    prog = (
        "import luatorch, sys\n"
        "rt = luatorch.Runtime()\n"
        "rt.execute('require \"nn\"')\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    rt.execute('local m = nn.Linear(5, 5) while true do m:forward(torch.rand(5)) end')\n"
        "except Exception as e:\n"
        "    print('swallowed', type(e).__name__)\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt')\n"
        "print(rt.eval('1 + 2'))\n"
    )
    rc, took, out, err = _interrupt([sys.executable, "-c", prog], tmp_path)
    assert rc == 0, err
    assert out.split() == ["KeyboardInterrupt", "3"]


def test_ctrl_c_outside_lua_is_pythons_own():
    import os

    import luatorch

    rt = luatorch.Runtime(load_torch=False)
    rt.execute("local x = 1")
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


@pytest.mark.parametrize("body", [
    "while true do end",
    "local t = {} for i = 1, 1e15 do t[i % 10 + 1] = i end",
    "while true do pcall(function() error('x') end) end",     # the script's pcall catches
    "for i = 1, 1e15 do local s = ('x'):rep(i % 5) end",     # calls that leave the JIT's traces
])
def test_python_api_stops_pure_lua_loops(tmp_path, body):
    prog = (
        "import luatorch\n"
        "rt = luatorch.Runtime()\n"
        "print('ready', flush=True)\n"
        "try:\n"
        f"    rt.execute({body!r})\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt')\n"
        "print(rt.eval('1 + 2'))\n"
    )
    rc, took, out, err = _interrupt([sys.executable, "-c", prog], tmp_path)
    assert rc == 0, err
    assert out.split() == ["KeyboardInterrupt", "3"]
    assert took < 5


def test_python_api_compiled_loop_ends_on_a_second_ctrl_c(tmp_path):
    # a hot loop inside a function is machine code that never checks the hook: the first
    # Ctrl-C cannot stop it, the second ends the process as LuaJIT's own interpreter does
    prog = (
        "import luatorch\n"
        "rt = luatorch.Runtime()\n"
        "rt.execute('function spin() local n = 0 while true do n = n + 1 end end')\n"
        "print('ready', flush=True)\n"
        "rt.execute('spin()')\n"
    )
    p = subprocess.Popen([sys.executable, "-c", prog], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert b"ready" in p.stdout.readline()
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert p.poll() is None
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130 and err.decode().strip() == "interrupted"
