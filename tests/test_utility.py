"""Tests for torch.Timer, tic/toc, torch.CmdLine, torch.Tester and torch.TestSuite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from luatorch.packages import sysutil
from luatorch.runtime import LuaError, Runtime

# os.exit would end pytest itself; scripts under test see it raise a recognisable error.
EXIT_STUB = "os.exit = function(code) error('os.exit(' .. tostring(code) .. ')', 0) end"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    """A fresh runtime with torch loaded and os.exit made catchable."""
    runtime = Runtime()
    runtime.execute(EXIT_STUB)
    yield runtime


def flushed(rt: Runtime, capfd: pytest.CaptureFixture) -> str:
    """Flush Lua's C-level stdout/stderr and return what was written since the last read."""
    rt.execute("io.stdout:flush() io.stderr:flush()")
    out, err = capfd.readouterr()
    return out + err


def has_tensor_math(rt: Runtime) -> bool:
    """Whether the tensor API the tensor asserts rely on has landed."""
    try:
        return bool(rt.eval("(torch.Tensor{1, 3} - torch.Tensor{1, 1}):abs():max() == 2"))
    except LuaError:
        return False


# --------------------------------------------------------------------------- sysutil


def test_sysutil_exports() -> None:
    """Every export is prefixed sys_ and the clock gives three floats."""
    assert all(name.startswith("sys_") for name in sysutil.EXPORTS)
    wall, user, system = sysutil.sys_clock()
    assert all(isinstance(v, float) for v in (wall, user, system))
    assert sysutil.sys_getenv("LUATORCH_SURELY_UNSET_VARIABLE") is None
    assert isinstance(sysutil.sys_hostname(), str)
    assert isinstance(sysutil.sys_isatty("stdout"), bool)


def test_getenv_from_lua(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """sys_getenv reaches Lua through the door, nil for unset names."""
    monkeypatch.setenv("LUATORCH_TEST_VAR", "hello")
    assert rt.eval("torch._door.sys_getenv('LUATORCH_TEST_VAR')") == "hello"
    assert rt.eval("torch._door.sys_getenv('LUATORCH_SURELY_UNSET_VARIABLE') == nil") is True


# --------------------------------------------------------------------------- Timer


def test_timer_fields_and_type(rt: Runtime) -> None:
    """time() gives real/user/sys numbers and the object is a torch.Timer."""
    res = rt.execute(
        """
        local t = torch.Timer()
        local r = t:time()
        return torch.typename(t), type(r.real), type(r.user), type(r.sys), r.real >= 0
        """
    )
    assert res == ("torch.Timer", "number", "number", "number", True)


def test_timer_monotonic_and_counts_cpu(rt: Runtime) -> None:
    """Real time never goes back, and a busy loop shows up as user time."""
    res = rt.execute(
        """
        local t = torch.Timer()
        local last, ok = -1, true
        for _ = 1, 200 do
           local r = t:time().real
           if r < last then ok = false end
           last = r
        end
        local x = 0
        local start = t:time()
        while t:time().real - start.real < 0.2 do x = x + math.sin(x + 1) end
        local r = t:time()
        return ok, r.real >= 0.2, r.user > 0, r.user + r.sys <= r.real * 4 + 0.1
        """
    )
    assert res == (True, True, True, True)


def test_timer_stop_resume_reset(rt: Runtime) -> None:
    """A stopped timer is frozen; resume adds on; reset zeroes and keeps the run state."""
    res = rt.execute(
        """
        local sleep = torch._door.sys_sleep
        local t = torch.Timer()
        sleep(0.05)
        assert(t:stop() == t)
        local frozen = t:time().real
        sleep(0.05)
        local still = t:time().real
        t:stop()
        local stopped_twice = t:time().real
        assert(t:resume() == t)
        sleep(0.05)
        local resumed = t:time().real
        t:resume()
        local after_second_resume = t:time().real
        t:stop()
        assert(t:reset() == t)
        local zero = t:time().real
        sleep(0.02)
        local zero_still = t:time().real
        t:resume()
        sleep(0.02)
        local restarted = t:time().real
        t:reset()
        local running_reset = t:time().real
        return frozen, still, stopped_twice, resumed, after_second_resume, zero,
               zero_still, restarted, running_reset
        """
    )
    frozen, still, twice, resumed, second, zero, zero_still, restarted, running_reset = res
    assert frozen >= 0.045
    assert still == frozen == twice
    assert 0.095 <= resumed < frozen + 0.5
    assert second >= resumed
    assert zero == 0 and zero_still == 0
    assert 0.015 <= restarted < 0.5
    assert 0 <= running_reset < 0.015


def test_tic_toc(rt: Runtime) -> None:
    """tic is epoch seconds; toc(t) is the time since t; toc without a number errors."""
    now, elapsed = rt.execute(
        """
        local t = torch.tic()
        torch._door.sys_sleep(0.03)
        return t, torch.toc(t)
        """
    )
    assert abs(now - __import__("time").time()) < 5
    assert 0.025 <= elapsed < 1
    with pytest.raises(LuaError, match="bad argument #1 to 'toc'"):
        rt.execute("torch.toc()")


# --------------------------------------------------------------------------- CmdLine

CMD_SETUP = """
cmd = torch.CmdLine()
cmd:text()
cmd:text('Training a simple network')
cmd:text('Options')
cmd:option('-seed', 123, 'initial random seed')
cmd:option('-booloption', false, 'boolean option')
cmd:option('-truthy', true, 'on by default')
cmd:option('-stroption', 'mystring', 'string option')
cmd:option('-lr', 0.1, 'learning rate')
cmd:text()
"""


def parse(rt: Runtime, *args: str) -> dict:
    """Parse `args` with the sample command line and return the params as a dict."""
    rt.execute(CMD_SETUP)
    argt = rt.lua.table_from(list(args))
    params = rt.call(rt.eval("function(a) return cmd:parse(a) end"), argt)
    return dict(params.items())


def test_cmdline_defaults(rt: Runtime) -> None:
    """With no arguments every option keeps its default, keyed without the dash."""
    assert parse(rt) == {
        "seed": 123, "booloption": False, "truthy": True, "stroption": "mystring", "lr": 0.1,
    }


def test_cmdline_numbers_strings_booleans(rt: Runtime) -> None:
    """Numbers convert by the default's type, strings stay strings, flags toggle defaults."""
    params = parse(rt, "-seed", "456", "-lr", "1e-3", "-stroption", "42", "-booloption",
                   "-truthy")
    assert params == {
        "seed": 456, "booloption": True, "truthy": False, "stroption": "42", "lr": 0.001,
    }
    assert isinstance(params["stroption"], str)


def test_cmdline_explicit_type_and_wrong_default(rt: Runtime) -> None:
    """An option's type may be given; a default of another type, or none, is refused."""
    rt.execute("c = torch.CmdLine() c:option('-n', 5, 'count', 'number')")
    with pytest.raises(LuaError, match="option -n has wrong default type value"):
        rt.execute("torch.CmdLine():option('-n', 'five', 'count', 'number')")
    with pytest.raises(LuaError, match="option -x has no default value"):
        rt.execute("torch.CmdLine():option('-x', nil, 'nothing')")


def test_cmdline_arguments(rt: Runtime) -> None:
    """Positional arguments fill declared slots in order, around options."""
    params = rt.execute(
        """
        local c = torch.CmdLine()
        c:argument('-input', 'input file')
        c:argument('-count', 'how many', 'number')
        c:option('-v', false, 'verbose')
        local p = c:parse({'in.t7', '-v', '7'})
        return p.input, p.count, p.v
        """
    )
    assert params == ("in.t7", 7, True)


@pytest.mark.parametrize(
    "setup, args, message",
    [
        ("", "{'-unknown'}", "invalid argument: -unknown"),
        ("", "{'-seed'}", "missing argument for option -seed"),
        ("", "{'-seed', 'abc'}", "invalid type for option -seed (should be number)"),
        ("cmd:argument('-input', 'input file')", "{}", "not enough arguments"),
        ("cmd:argument('-n', 'n', 'number')", "{'x'}",
         "invalid argument type for argument -n (should be number)"),
    ],
)
def test_cmdline_errors(rt: Runtime, capfd: pytest.CaptureFixture, setup: str, args: str,
                        message: str) -> None:
    """Bad command lines write Torch7's message to stderr, show usage and exit 1."""
    rt.execute(CMD_SETUP + setup)
    flushed(rt, capfd)
    with pytest.raises(LuaError, match=r"os\.exit\(1\)"):
        rt.execute(f"cmd:parse({args})")
    out = flushed(rt, capfd)
    assert message in out
    assert "Usage: [options]" in out


@pytest.mark.parametrize("flag", ["-h", "--help", "-help"])
def test_cmdline_help(rt: Runtime, capfd: pytest.CaptureFixture, flag: str) -> None:
    """-h/--help prints the usage with aligned options and defaults, then exits 0."""
    rt.execute(CMD_SETUP + "cmd:argument('-input', 'input file')")
    flushed(rt, capfd)
    with pytest.raises(LuaError, match=r"os\.exit\(0\)"):
        rt.execute(f"local a = {{'-seed', '5', '{flag}'}} a[0] = 'train.lua' cmd:parse(a)")
    out = flushed(rt, capfd)
    lines = out.splitlines()
    assert lines[0] == "Usage: train.lua [options] <input>"
    assert "" in lines and "Training a simple network" in lines and "Options" in lines
    assert "  -seed       initial random seed [123]" in lines
    assert "  -booloption boolean option [false]" in lines
    assert "  -stroption  string option [mystring]" in lines
    assert "  <input>     input file" in lines


def test_cmdline_parse_defaults_to_global_arg(rt: Runtime) -> None:
    """parse() with no table reads the script's global arg."""
    rt.execute(CMD_SETUP + "arg = {[0] = 's.lua', '-seed', '9'}")
    assert rt.eval("cmd:parse().seed") == 9


def test_cmdline_string(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """string() joins non-default options sorted, honours ignore, forces ignore=false keys."""
    rt.execute(CMD_SETUP)
    assert rt.eval("cmd:string('experiment', cmd:parse({}), {dir=true})") == "experiment"
    got = rt.eval(
        "cmd:string('experiment', cmd:parse({'-stroption', 'mycustomstring', '-seed', '456'}),"
        " {dir=true})"
    )
    assert got == "experiment,seed=456,stroption=mycustomstring"
    got = rt.eval("cmd:string('exp', cmd:parse({'-booloption', '-seed', '1'}), {seed=true})")
    assert got == "exp,booloption=t"
    got = rt.eval("cmd:string('exp', cmd:parse({}), {lr=false})")
    assert got == "exp,lr=0.1"
    rt.execute("p = cmd:parse({}) p.rundir = 'x'")
    flushed(rt, capfd)
    assert rt.eval("cmd:string('exp', p, {})") == "exp"
    assert "WARNING: unknown option/argument: rundir IGNORING for DIRECTORY NAME" in flushed(
        rt, capfd)
    custom = rt.execute(
        """
        local c = torch.CmdLine('_', ':')
        c:argument('-data', 'data set')
        c:option('-k', 1, 'k')
        return c:string('run', c:parse({'mnist', '-k', '3'}), {})
        """
    )
    assert custom == "run_data:mnist_k:3"


def test_cmdline_log(rt: Runtime, capfd: pytest.CaptureFixture, tmp_path: Path) -> None:
    """log() tees print to screen and file, listing the params, with addTime prefixes."""
    log = tmp_path / "log"
    rt.execute(CMD_SETUP)
    flushed(rt, capfd)
    rt.call(rt.eval("function(f) cmd:log(f, cmd:parse({'-seed', '7'})) print('hello', 3) end"),
            str(log))
    screen = flushed(rt, capfd)
    text = log.read_text()
    assert text.startswith("[program started on ")
    assert "[command line arguments]\n" in text
    assert "seed 7\n" in text and "booloption false\n" in text
    assert "[----------------------]\nhello 3\n" in text
    assert "seed\t7" in screen and "hello\t3" in screen

    rt.call(rt.eval("function(f) cmd:silent() cmd:addTime('proj', '%Y') cmd:log(f) "
                    "print('quiet') end"), str(log))
    assert "quiet" not in flushed(rt, capfd)
    year = __import__("time").strftime("%Y")
    assert f"{year}[proj]: quiet\n" in log.read_text()


def test_cmdline_log_to_open_file_and_addtime_errors(rt: Runtime, tmp_path: Path) -> None:
    """log() accepts an open file handle; addTime rejects a non-string format."""
    log = tmp_path / "open.log"
    rt.call(rt.eval("function(name) local f = io.open(name, 'w') local c = torch.CmdLine() "
                    "c:silent() c:addTime() c:log(f, {a = 1}) print('x') f:close() end"),
            str(log))
    lines = log.read_text().splitlines()
    assert lines[2].endswith(" a 1") and lines[-1].endswith(" x")
    with pytest.raises(LuaError, match="Argument has to be string"):
        rt.execute("torch.CmdLine():addTime('n', 5)")


# --------------------------------------------------------------------------- TestSuite


def test_testsuite_duplicates_and_types(rt: Runtime) -> None:
    """A suite refuses a second test of the same name, nested tables and non-functions."""
    rt.execute("s = torch.TestSuite() function s.myTest() end")
    assert rt.eval("type(s.myTest)") == "function"
    assert rt.eval("s.__isTestSuite") is True
    with pytest.raises(LuaError, match="Test myTest is already defined."):
        rt.execute("function s.myTest() end")
    with pytest.raises(LuaError, match="Nested tables of tests are not supported"):
        rt.execute("s.nested = {}")
    with pytest.raises(LuaError, match="Only functions are supported as members of a TestSuite"):
        rt.execute("s.x = 1")


# --------------------------------------------------------------------------- Tester asserts

# (passing call, failing call, text expected in the recorded failure)
ASSERTS = [
    ("assert(true)", "assert(false, 'msg')", "msg\nBOOL violation condition=false"),
    ("assertlt(1, 2)", "assertlt(10, 9, 'a < b')", "a < b\nLT failed: 10 >= 9"),
    ("assertgt(2, 1)", "assertgt(1, 2)", "GT failed: 1 <= 2"),
    ("assertle(2, 2)", "assertle(3, 2)", "LE failed: 3 > 2"),
    ("assertge(2, 2)", "assertge(1, 2)", "GE failed: 1 < 2"),
    ("asserteq('a', 'a')", "asserteq(1, 2)", "EQ failed: 1 ~= 2"),
    ("assertne(1, 2)", "assertne(3, 3)", "NE failed: 3 == 3"),
    ("assertalmosteq(1, 1 + 1e-17)", "assertalmosteq(1, 1.5, 0.1)",
     "ALMOST_EQ failed: 1 ~= 1.5 with tolerance=0.1"),
    ("assertalmosteq(1, 1.05, 'm', 0.1)", "assertalmosteq(1, 1.2, 0.1, 'm')",
     "m\nALMOST_EQ failed"),
    ("assertGeneralEq({1, {a = 'x'}}, {1, {a = 'x'}})",
     "assertGeneralEq({1, {a = 'x'}}, {1, {a = 'y'}})",
     "At table location 2.a: EQ failed: x (string) ~= y (string)"),
    ("assertGeneralNe(1, 2)", "assertGeneralNe('s', 's')", "NE failed: s (string) == s (string)"),
    ("eq(1, 1.05, 0.1)", "eq(1, 1.2, 0.1)", "EQ failed: 1 ~= 1.2 with tolerance=0.1"),
    ("eq({x = 1}, {x = 1})", "eq(1, '1')",
     "EQ failed: values have different types (first: number, second: string)"),
    ("ne({1}, {2})", "ne(1, 1.05, 0.1)", "NE failed: 1 == 1.05 with tolerance=0.1"),
    ("ne(1, 'x')", "ne({a = {b = 1}}, {a = {b = 1}})", "The tables are equal"),
    ("assertTableEq({1, 2, {3}}, {1, 2, {3}})", "assertTableEq({1, 2}, {1, 2, 3})",
     "Entry 3 missing in first table (is 3 in second)"),
    ("assertTableEq({1.0, 2}, {1.01, 2}, 0.1)", "assertTableEq({1, x = 2}, {1})",
     "Entry x missing in second table (is 2 in first)"),
    ("assertTableNe({1}, {2})", "assertTableNe({1}, {1}, 'same')", "same\nThe tables are equal"),
    ("assertError(function() error('boom') end)", "assertError(function() end, 'should fail')",
     "should fail\nERROR violation: err=nil"),
    ("assertNoError(function() end)", "assertNoError(function() error('oops', 0) end)",
     "ERROR violation: err=oops"),
    ("assertErrorMsg(function() error('exact', 0) end, 'exact')",
     "assertErrorMsg(function() error('other', 0) end, 'exact')", "ERROR violation: err=other"),
    ("assertErrorPattern(function() error('bad size 3') end, 'size %d')",
     "assertErrorPattern(function() error('bad') end, 'size %d')", "ERROR violation: err="),
    ("assertErrorObj(function() error({code = 7}) end, function(e) return e.code == 7 end)",
     "assertErrorObj(function() error({code = 8}) end, function(e) return e.code == 7 end)",
     "ERROR violation: err=table"),
    ("assert_sub(true, 'old')", "assert_sub(false, 'old style')", "old style"),
]


@pytest.mark.parametrize("good, bad, expected", ASSERTS, ids=[a[0].split("(")[0] for a in ASSERTS])
def test_assert_pass_and_fail(rt: Runtime, good: str, bad: str, expected: str) -> None:
    """Each assert returns true and records nothing when it holds, else records a failure."""
    passed, n_after_pass = rt.execute(
        f"t = torch.Tester() local r = t:{good} return r, #t.errors"
    )
    assert passed is True and n_after_pass == 0
    failed, n_after_fail, text = rt.execute(
        f"local r = t:{bad} return r, #t.errors, t.errors[1]"
    )
    assert failed is False and n_after_fail == 1
    assert expected in text
    assert "stack traceback:" in text


def test_assert_argument_checks(rt: Runtime) -> None:
    """Messages must be strings, no stray arguments, tolerance non-negative and single."""
    rt.execute("t = torch.Tester()")
    for call, message in [
        ("t:asserteq(1, 1, 5)", "message parameter must be a string"),
        ("t:asserteq(1, 1, 'm', 'extra')", "Unexpected arguments passed to test function"),
        ("t:eq(1, 1, -1)", "tolerance cannot be negative"),
        ("t:eq(1, 1, 1, 2)", "already have tolerance"),
        ("t:eq(1, 1, 'a', 'b')", "already have message"),
        ("t:eq(1, 1, {})", "should be a tolerance or message"),
        ("t:assertTableEq(1, {})", "First argument should be a Table"),
        ("t:assertTensorEq({}, {})", "First argument should be a Tensor"),
    ]:
        with pytest.raises(LuaError, match=message):
            rt.execute(call)
    # A nil message followed by a tolerance still counts as "tolerance, message" order.
    assert rt.eval("t:eq(1, 1.05, nil, 0.1)") is True


def test_assert_warnings(rt: Runtime) -> None:
    """Non-boolean assert and assertne on tables warn (and still count)."""
    n = rt.execute(
        "t = torch.Tester() t:assert(1) t:assertne({}, {}) return #t.warnings, #t.errors"
    )
    assert n == (2, 0)
    assert "should only be used for boolean conditions" in rt.eval("t.warnings[1]")


def test_table_compare_handles_cycles(rt: Runtime) -> None:
    """Self-referencing tables compare without looping forever."""
    assert rt.execute(
        """
        local a, b = {x = 1}, {x = 1}
        a.self, b.self = a, b
        return torch.Tester():eq(a, b)
        """
    ) is True


def test_tensor_asserts(rt: Runtime) -> None:
    """assertTensorEq/Ne and eq/ne on tensors and tensors inside tables."""
    if not has_tensor_math(rt):
        pytest.skip("tensor arithmetic not available yet")
    res = rt.execute(
        """
        local t = torch.Tester()
        local a, b = torch.Tensor{1, 2, 3}, torch.Tensor{1, 2, 4}
        local r = {
           t:assertTensorEq(a, a:clone()),
           not t:assertTensorEq(a, b),
           t:assertTensorEq(a, b, 1.5),
           t:assertTensorNe(a, b),
           not t:assertTensorNe(a, a:clone()),
           t:assertTensorNe(a, torch.FloatTensor{1, 2, 3}),
           t:eq(a, a:clone()),
           not t:eq(a, b),
           t:ne(a, b),
           t:eq({2, a}, {2, torch.Tensor{1, 2, 3.001}}, 0.01),
           not t:eq(a, torch.Tensor{{1, 2, 3}}),
           t:assertTensorEq(a, torch.Tensor{{1, 2, 3}}),
           not t:eq(a, {1, 2, 3}),
           t:eq(torch.ByteTensor{1, 2}, torch.ByteTensor{1, 2}),
           t:eq(torch.ByteTensor{1}, torch.ByteTensor{2}, 1.5),
        }
        for i, v in ipairs(r) do if v ~= true then return i, t.errors end end
        return 0, t.errors[1], #t.warnings
        """
    )
    assert res[0] == 0, res
    assert "TensorEQ(==) violation: max diff=1, tolerance=1e-16" in res[1]
    assert res[2] == 1


# --------------------------------------------------------------------------- Tester:run


def run_suite(rt: Runtime, body: str, call: str = "tester:run()") -> object:
    """Define tests in `body` (tester and tests exist) and run them."""
    return rt.execute(
        "tester = torch.Tester() tests = torch.TestSuite()\n" + body
        + "\ntester:add(tests)\nreturn " + call
    )


def test_run_all_pass(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """A clean run prints progress and the summary, and returns 0."""
    flushed(rt, capfd)
    result = run_suite(rt, """
        function tests.first() tester:asserteq(1, 1) tester:eq({1}, {1}) end
        function tests.second() tester:assert(true) end
    """)
    assert result == 0
    out = flushed(rt, capfd)
    assert out.startswith("Running 2 tests\n")
    assert "1/2 first " in out and "2/2 second " in out
    done = [line.split("\r")[-1] for line in out.splitlines() if "[PASS]" in line]
    assert done[0] == "1/2 first " + "." * 63 + " [PASS]"
    assert all(len(line) == 80 for line in done)
    assert "Completed 3 asserts in 2 tests with 0 failures and 0 errors\n" in out
    assert "-" * 80 not in out


def test_run_failures_raise(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """Failures and errors are reported with messages, then run() raises."""
    flushed(rt, capfd)
    with pytest.raises(LuaError, match="An error was found while running tests!"):
        run_suite(rt, """
            function tests.testA() tester:asserteq(10, 9, 'a == b') end
            function tests.testB() tester:assert(true) end
            function tests.testC()
               local function myfunc() return 'hello ' .. world end
               myfunc()
            end
        """)
    out = flushed(rt, capfd)
    assert "1/3 testA" in out and "[FAIL]" in out and "[PASS]" in out and "[ERROR]" in out
    assert "Completed 2 asserts in 3 tests with 1 failure and 1 error\n" in out
    assert "-" * 80 + "\ntestA\na == b\nEQ failed: 10 ~= 9\nstack traceback:\n\t" in out
    assert "testC\n Function call failed\n" in out
    assert "attempt to concatenate global 'world'" in out
    # The failure's traceback names the user's line, not the tester's internals.
    section = out.split("testA\na == b")[1].split("-" * 80)[0]
    assert "Tester.lua" not in section and "(command line):" in section


def test_run_selects_by_name_and_pattern(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """run(name) and run({patterns}) pick matching tests; an unmatched name errors."""
    body = """
        function tests.alpha() tester:assert(true) end
        function tests.beta() tester:assert(true) end
        function tests.gamma() error('should not run') end
    """
    assert run_suite(rt, body, "tester:run('alpha')") == 0
    assert "Running 1 test\n" in flushed(rt, capfd)
    assert rt.eval("tester:run({'^al', 'bet'})") == 0
    assert "Completed 2 asserts in 2 tests" in flushed(rt, capfd)
    with pytest.raises(LuaError, match="Couldn't find test 'delta'"):
        rt.execute("tester:run('delta')")


def test_run_disable_setup_teardown(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """Disabled tests show SKIP; _setUp/_tearDown wrap every test with its name."""
    flushed(rt, capfd)
    calls = run_suite(rt, """
        calls = {}
        tests._setUp = function(name) calls[#calls + 1] = 'up:' .. name end
        tests._tearDown = function(name) calls[#calls + 1] = 'down:' .. name end
        function tests.ok() tester:assert(true) end
        function tests.broken() error('broken') end
    """, "(function() tester:disable('broken'):run() return table.concat(calls, ' ') end)()")
    assert calls == "up:ok down:ok"
    out = flushed(rt, capfd)
    assert "[SKIP]" in out
    assert "Completed 1 assert in 2 tests with 0 failures and 0 errors and 1 disabled" in out
    with pytest.raises(LuaError, match="Unrecognized test 'nope'"):
        rt.execute("tester:disable('nope')")


def test_run_early_abort_and_summary_only(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """setEarlyAbort stops after the first failure; setSummaryOnly hides the details."""
    flushed(rt, capfd)
    with pytest.raises(LuaError, match="An error was found"):
        run_suite(rt, """
            function tests.a() tester:assert(false, 'first failure') end
            function tests.b() error('never reached') end
            tester:setEarlyAbort(true)
            tester:setSummaryOnly(true)
        """)
    out = flushed(rt, capfd)
    assert "Aborting on first error, not all tests have been executed" in out
    assert "2/2 b" not in out and "first failure" not in out
    assert "with 1 failure and 0 errors" in out


def test_run_rethrow(rt: Runtime) -> None:
    """setRethrowErrors lets both a failed assert and a Lua error escape the run."""
    with pytest.raises(LuaError, match="EQ failed: 1 ~= 2"):
        run_suite(rt, """
            function tests.a() tester:asserteq(1, 2) end
            tester:setRethrowErrors(true)
        """)
    with pytest.raises(LuaError, match="raw failure"):
        run_suite(rt, """
            function tests.a() error('raw failure') end
            tester:setRethrowErrors(true)
        """)


def test_add_rules(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """add() takes functions or tables, refuses duplicates and nesting, warns on plain tables."""
    rt.execute("tester = torch.Tester() tester:add(function() end, 'x')")
    with pytest.raises(LuaError, match="Test with name x already exists!"):
        rt.execute("tester:add(function() end, 'x')")
    with pytest.raises(LuaError, match="Nested sets of tests are not supported"):
        rt.execute("torch.Tester():add({inner = {}})")
    with pytest.raises(LuaError, match="Name parameter is forbidden"):
        rt.execute("torch.Tester():add({}, 'n')")
    with pytest.raises(LuaError, match="Only tables of functions and functions supported"):
        rt.execute("torch.Tester():add(3)")
    assert rt.eval("torch.Tester():add(function() end) ~= nil") is True
    flushed(rt, capfd)
    assert rt.execute(
        "local t = torch.Tester() t:add({b = function() t:assert(true) end, "
        "a = function() t:assert(true) end}) return t:run()"
    ) == 0
    out = flushed(rt, capfd)
    assert out.index("1/2 a") < out.index("2/2 b")
    assert "and 1 warning\n" in out and "Should use TestSuite rather than plain lua table" in out


def test_suite_keeps_definition_order(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """Tests from a TestSuite run in the order they were written."""
    flushed(rt, capfd)
    run_suite(rt, """
        function tests.zeta() end
        function tests.alpha() end
        function tests.mid() end
    """)
    out = flushed(rt, capfd)
    assert out.index("zeta") < out.index("alpha") < out.index("mid")


def test_python_error_in_test_is_reported(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    """An exception raised by a door function counts as a test error, with its message."""
    flushed(rt, capfd)
    with pytest.raises(LuaError, match="An error was found"):
        run_suite(rt, "function tests.py() torch._door.sys_sleep('not a number') end")
    out = flushed(rt, capfd)
    assert "[ERROR]" in out and "py\n Function call failed\n" in out
    assert "could not convert string to float" in out and "stack traceback:" in out
