"""The command line as a user meets it: exit codes, `arg`, one-line errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "luatorch.cli"]


def run(args, cwd, stdin=None):
    env = dict(os.environ)
    return subprocess.run(CLI + args, cwd=cwd, input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)


def write(tmp_path, name, code):
    p = tmp_path / name
    p.write_text(code)
    return str(p)


def test_run_with_args(tmp_path):
    write(tmp_path, "s.lua", "print(arg[0], arg[1], arg[2], #arg)\nprint(...)\n")
    r = run(["run", "s.lua", "a", "b"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["s.lua\ta\tb\t2", "a\tb"]


def test_th_style_invocation_and_require_local_module(tmp_path):
    write(tmp_path, "helper.lua", "local M = {}\nfunction M.twice(x) return 2 * x end\nreturn M\n")
    write(tmp_path, "main.lua", "local h = require 'helper'\nprint(h.twice(21))\n")
    r = run(["main.lua"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"


def test_exec_and_lib_flags(tmp_path):
    r = run(["run", "-l", "torch", "-e", "print(torch.Tensor(2, 3):nElement())"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "6"


@pytest.mark.parametrize("code,line,words", [
    ("local x = 1\nlocal y = = 2\n", 2, "unexpected symbol"),
    ("local x = nil\nprint(x.field)\n", 2, "attempt to index"),
    ("local t = torch.Tensor(3)\nlocal v = t[7]\n", 2, "out of bound"),
    ("local t = torch.Tensor(3)\n\nt:fill({})\n", 3, "number expected"),
    ("error('my failure')\n", 1, "my failure"),
])
def test_errors_are_one_line_with_file_and_line(tmp_path, code, line, words):
    write(tmp_path, "bad.lua", code)
    r = run(["run", "bad.lua"], tmp_path)
    assert r.returncode == 1
    err = r.stderr.strip()
    assert err.startswith(f"bad.lua:{line}:"), err
    assert words in err
    assert "Traceback" not in err and "\n" not in err


def test_debug_shows_lua_traceback(tmp_path):
    write(tmp_path, "bad.lua", "local function f()\n  error('boom')\nend\nf()\n")
    r = run(["run", "--debug", "bad.lua"], tmp_path)
    assert r.returncode == 1
    assert "stack traceback" in r.stderr


def test_missing_script(tmp_path):
    r = run(["run", "nope.lua"], tmp_path)
    assert r.returncode == 1
    assert "cannot open nope.lua" in r.stderr


def test_unknown_option_before_the_script(tmp_path):
    r = run(["run", "--bogus", "x.lua"], tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == "luatorch run: unknown option --bogus (see luatorch run --help)"
    # after the script, options are the script's own arguments
    script = write(tmp_path, "s.lua", "print(arg[1])")
    r = run(["run", script, "--bogus"], tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "--bogus"


def test_os_exit_code(tmp_path):
    write(tmp_path, "s.lua", "os.exit(3)\n")
    assert run(["run", "s.lua"], tmp_path).returncode == 3


def test_interactive_line_loop(tmp_path):
    write(tmp_path, "s.lua", "x = 5\n")
    r = run(["run", "-i", "s.lua"], tmp_path, stdin="x * 2\nprint('hi')\n")
    assert r.returncode == 0, r.stderr
    assert "10" in r.stdout and "hi" in r.stdout


def test_info(tmp_path):
    r = run(["info"], tmp_path)
    assert r.returncode == 0
    assert "LuaJIT 2.1" in r.stdout and "numpy" in r.stdout
    # which GPU features are live: CuPy, the cuDNN frontend, NCCL, virtual GPUs
    for key in ("cupy ", "cudnn ", "nccl ", "virtual ", "devices "):
        assert any(line.startswith(key) for line in r.stdout.splitlines()), key


def test_info_counts_virtual_gpus(tmp_path):
    r = run(["info", "--virtual-gpus", "2"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "virtual  2 simulated GPU(s)" in r.stdout
    assert "devices  cpu, cuda:0 (virtual), cuda:1 (virtual)" in r.stdout


def test_line_loop_assignment_is_a_statement(tmp_path):
    # regression: `x = ...` was taken for the expression `{x = ...}` and assigned nothing
    r = run(["repl"], tmp_path, stdin="x = 21\nprint(x * 2)\n")
    assert r.returncode == 0, r.stderr
    assert "42" in r.stdout and "attempt to" not in r.stderr


def test_run_of_a_directory_says_so(tmp_path):
    r = run(["run", "."], tmp_path)
    assert r.returncode == 1
    assert r.stderr.strip() == "cannot open .: Is a directory"


def _as(prog, args, cwd):
    code = f"import sys; sys.argv[0] = {prog!r}; from luatorch.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_th_help_is_a_script_runners_usage(tmp_path):
    r = _as("th", ["-h"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: th [options] [script.lua [arguments]]")
    for opt in ("-e STMT", "-l LIB", "-i ", "--virtual-gpus", "-h, --help"):
        assert opt in r.stdout
    r = _as("luatorch", ["-h"], tmp_path)
    assert r.returncode == 0 and "Commands:" in r.stdout and "luatorch SCRIPT" in r.stdout
    # after the script, -h is the script's own argument
    script = write(tmp_path, "s.lua", "print('got', arg[1])")
    r = _as("th", [script, "-h"], tmp_path)
    assert r.returncode == 0 and r.stdout.split() == ["got", "-h"]


def test_arg_is_set_for_exec_statements(tmp_path):
    script = write(tmp_path, "s.lua", "print('script', arg[1], arg[2])")
    r = run(["-e", "print('e', arg[0] == ..., arg[1], #arg)".replace("...", repr(script)),
             script, "a", "b"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["e", "true", "a", "2", "script", "a", "b"]
    r = run(["-e", "print(type(arg), #arg)"], tmp_path)
    assert r.stdout.split() == ["table", "0"]


def test_start_up_imports_only_what_it_needs(tmp_path):
    # `import luatorch` loads neither NumPy nor LuaJIT; a run that draws no random numbers
    # never imports numpy.random (start-up time: bench/bench_startup.py)
    empty = write(tmp_path, "empty.lua", "")
    code = ("import sys, luatorch; print('numpy' in sys.modules, 'lupa' in sys.modules); "
            "from luatorch.cli import run_script; run_script(sys.argv[1], []); "
            "print('numpy.random' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code, empty], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "False"]
