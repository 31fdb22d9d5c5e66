"""threads: worker LuaJIT states trading serialized jobs with the main state (torch/threads)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from luatorch.runtime import LuaError, Runtime


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    r.execute("threads = require 'threads'")
    return r


def test_hundred_jobs_on_four_workers(rt: Runtime) -> None:
    out = rt.execute(textwrap.dedent("""
        local pool, init = threads.Threads(4, function(i) require 'torch' end,
           function(i) return i * 10, __threadid end)
        local got, seen = {}, {}
        local up = {base = 1000}
        for i = 1, 100 do
           pool:addjob(function(a) return a * a + up.base, __threadid end,
              function(v, tid) got[#got + 1] = v ; seen[tid] = true end, i)
        end
        pool:synchronize()
        table.sort(got)
        local ok = #got == 100
        for i = 1, 100 do ok = ok and got[i] == i * i + 1000 end
        local ids = 0
        for k in pairs(seen) do ids = ids + 1 end
        pool:terminate()
        return ok, init[2][1], init[4][2], ids >= 1, pool:isrunning()
    """))
    assert out == (True, 20, 4, True, False)


def test_worker_error_names_worker_and_pool_goes_on(rt: Runtime) -> None:
    with pytest.raises(LuaError) as e:
        rt.execute(textwrap.dedent("""
            pool = threads.Threads(2)
            for i = 1, 5 do
               pool:addjob(function(k) if k == 3 then error('bad job ' .. k) end return k end,
                  function() end, i)
            end
            pool:synchronize()
        """), "=job.lua")
    msg = str(e.value)
    assert "[thread " in msg and " callback]" in msg and "job.lua:4: bad job 3" in msg
    # the error may surface in addjob (a full queue drains here): synchronize runs the rest
    rt.execute("pool:synchronize()")
    assert rt.execute("return pool:hasjob()") is False
    total = rt.execute(textwrap.dedent("""
        local s = 0
        for i = 1, 10 do pool:addjob(function(k) return k end, function(v) s = s + v end, i) end
        pool:synchronize()
        pool:terminate()
        return s
    """))
    assert total == 55


def test_endcallback_error_and_specific_mode(rt: Runtime) -> None:
    with pytest.raises(LuaError, match=r"\[thread 2 endcallback\] .*cb fails"):
        rt.execute(textwrap.dedent("""
            pool = threads.Threads(3)
            pool:specific(true)
            pool:addjob(2, function() return __threadid end, function(t) error('cb fails') end)
            pool:synchronize()
        """))
    got = rt.execute(textwrap.dedent("""
        local got = {}
        for id = 1, 3 do
           pool:addjob(id, function() return __threadid end, function(t) got[id] = t end)
        end
        pool:synchronize()
        pool:terminate()
        return got[1], got[2], got[3]
    """))
    assert got == (1, 2, 3)
    with pytest.raises(LuaError, match="thread index expected"):
        rt.execute("local p = threads.Threads(1) p:specific(true) p:addjob(function() end)")


def test_upvalues_and_tensors_copied_by_default(rt: Runtime) -> None:
    out = rt.execute(textwrap.dedent("""
        threads.serialization('threads.serialize')
        local pool = threads.Threads(2)
        local x = torch.DoubleTensor(3):fill(1)
        local scale = 3
        local function helper(v) return v * scale end
        local r
        pool:addjob(function() x:fill(9) ; return helper(x:sum()), torch.type(x) end,
           function(a, b) r = {a, b} end)
        pool:synchronize()
        pool:terminate()
        return r[1], r[2], x:sum()
    """))
    assert out == (81, "torch.DoubleTensor", 3)


def test_sharedserialize_shares_tensors(rt: Runtime) -> None:
    out = rt.execute(textwrap.dedent("""
        local Threads = require 'threads'
        Threads.serialization('threads.sharedserialize')
        local pool = Threads(4)
        local x = torch.FloatTensor(4, 5):zero()
        local view = x:narrow(2, 2, 3)
        for i = 1, 4 do
           pool:addjob(function(row) view[row]:fill(row) ; return x end,
              function(y) assert(y:data() == nil or true) end, i)
        end
        local back
        pool:addjob(function() local t = torch.FloatTensor(2):fill(5) ; return t end,
           function(t) back = t end)
        pool:synchronize()
        pool:terminate()
        Threads.serialization('threads.serialize')
        return x:sum(), x[{3, 1}], x[{3, 2}], back:sum()
    """))
    assert out == (30, 0, 3, 10)


def test_mutex_and_condition_across_workers(rt: Runtime) -> None:
    out = rt.execute(textwrap.dedent("""
        threads.serialization('threads.sharedserialize')
        local counter = torch.LongTensor(1):zero()
        local mutex, cond = threads.Mutex(), threads.Condition()
        local mid, cid = mutex:id(), cond:id()
        local pool = threads.Threads(4, function() require 'threads' end)
        for i = 1, 40 do
           pool:addjob(function()
              local m = require("threads").Mutex(mid)
              for k = 1, 50 do
                 m:lock()
                 local v = counter[1]
                 counter[1] = v + 1
                 m:unlock()
              end
           end)
        end
        pool:synchronize()
        -- a worker waits on the condition until the main state signals it
        local flag = torch.LongTensor(1):zero()
        pool:addjob(function()
           local th = require("threads")
           local m, c = th.Mutex(mid), th.Condition(cid)
           m:lock()
           while flag[1] == 0 do c:wait(m) end
           m:unlock()
           return flag[1]
        end, function(v) flag[1] = v + 100 end)
        mutex:lock() ; flag[1] = 7 ; cond:signal() ; mutex:unlock()
        pool:synchronize()
        pool:terminate()
        threads.serialization('threads.serialize')
        return counter[1], flag[1]
    """))
    assert out == (2000, 107)


def test_full_queue_blocks_and_async_loop(rt: Runtime) -> None:
    # fb.resnet.torch's loader loop: acceptsjob / addjob / hasjob / dojob
    out = rt.execute(textwrap.dedent("""
        local pool = threads.Threads(2)
        local idx, n, done = 1, 30, 0
        local function enqueue()
           while idx <= n and pool:acceptsjob() do
              pool:addjob(function(i) return i end, function(i) done = done + i end, idx)
              idx = idx + 1
           end
        end
        repeat
           enqueue()
           if pool:hasjob() then pool:dojob() end
        until not pool:hasjob() and idx > n
        pool:terminate()
        return done
    """))
    assert out == 465


def test_bad_arguments(rt: Runtime) -> None:
    with pytest.raises(LuaError, match="function callback expected"):
        rt.execute("local p = threads.Threads(1) local ok, e = pcall(p.addjob, p, 3) "
                   "p:terminate() error(e, 0)")
    with pytest.raises(LuaError, match="has been terminated"):
        rt.execute("local p = threads.Threads(1) p:terminate() p:addjob(function() end)")


def test_clean_exit_without_terminate(tmp_path) -> None:
    script = tmp_path / "s.lua"
    script.write_text(textwrap.dedent("""
        local threads = require 'threads'
        local pool = threads.Threads(3)
        pool:addjob(function() return 1 end, function(v) print('got', v) end)
        pool:synchronize()
        print('end')
    """))
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["got", "1", "end"]


def test_safe_function_crosses_into_jobs_and_keeps_its_results(rt: Runtime) -> None:
    # upstream threads' test-threads-safe: a safe function is a job; its only upvalues are the
    # function and the mutex id, so it serializes.  Results keep their count (not the args').
    out = rt.execute(textwrap.dedent("""
        threads.Threads.serialization('threads.sharedserialize')
        local x = torch.zeros(1000)
        local pool = threads.Threads(3)
        local run = threads.safe(function() x:add(1) end)
        for i = 1, 60 do pool:addjob(run) end
        pool:synchronize()
        pool:terminate()
        threads.Threads.serialization('threads.serialize')
        local three = threads.safe(function(a) return a, a + 1, nil end)
        local n = select('#', three(5))
        local ok, err = pcall(threads.safe(function() error('inside safe') end))
        return x:min(), x:max(), n, select(2, three(5)), ok, err:match('inside safe') ~= nil
    """))
    assert out == (60, 60, 3, 6, False, True)


def test_serialize_save_gives_a_char_storage(rt: Runtime) -> None:
    # threads' README: serialize.save returns a torch CharStorage, serialize.load takes it back
    out = rt.execute(textwrap.dedent("""
        local res = {}
        for _, name in ipairs({'threads.serialize', 'threads.sharedserialize'}) do
           local ser = require(name)
           local x = torch.ones(3)
           local st = ser.save({x, function(a) return a * 2 end})
           local back = ser.load(st)
           back[1]:fill(4)
           res[#res + 1] = torch.type(st) .. ' ' .. back[2](21) .. ' ' .. x:sum()
        end
        return table.concat(res, ', ')
    """))
    assert out == "torch.CharStorage 42 3, torch.CharStorage 42 12"


def _live_storages(nbytes: int) -> int:
    """How many storages of exactly `nbytes` bytes are alive in this process."""
    import gc

    from luatorch.tensor import Storage

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Storage) and o.buf.nbytes == nbytes)


@pytest.mark.parametrize("mode", ["threads.serialize", "threads.sharedserialize"])
def test_jobs_and_results_are_not_kept_alive(mode: str) -> None:
    # deserialization used to remember the key order of every loaded table with non-sequence
    # keys ({n = ...} results, argument lists, upvalue records) in a strong table: each result,
    # with its tensors, stayed alive until 100000 loads had piled up
    # counted against what earlier tests of this process left alive (a state of theirs may
    # still hold a tensor of the same size): the 20 jobs must not add theirs
    before = _live_storages(3011 * 4), _live_storages(3001 * 4)
    r = Runtime()
    n = 20
    r.execute(textwrap.dedent(f"""
        local threads = require 'threads'
        threads.serialization('{mode}')
        local pool = threads.Threads(1)
        local up = torch.FloatTensor(3001)
        for i = 1, {n} do
           pool:addjob(function(k) return torch.FloatTensor(3011):fill(k + up:size(1)) end,
              function(x) assert(x[1] == i + 3001) end, i)
        end
        -- the worker collects its own state before a last job
        pool:addjob(function() collectgarbage() collectgarbage() end)
        pool:synchronize()
        pool:terminate()
        collectgarbage()
        collectgarbage()
    """))
    assert _live_storages(3011 * 4) == before[0]
    assert _live_storages(3001 * 4) <= before[1] + 1


def test_deserialize_keep_order_false_keeps_nothing() -> None:
    r = Runtime()
    r.execute(textwrap.dedent("""
        local s = torch.serialize({n = 1, x = torch.FloatTensor(2999)})
        local t = torch.deserialize(s, 'binary', {keepOrder = false})
        assert(t.n == 1 and t.x:size(1) == 2999)
        t = nil
        collectgarbage()
        collectgarbage()
    """))
    assert _live_storages(2999 * 4) == 0


def test_main_state_collects_when_workers_allocate(monkeypatch: pytest.MonkeyPatch) -> None:
    # a state that only receives buffers (training on a loader's batches) allocates nothing
    # itself: it collects when the workers' allocations ran the collector, so dropped batches
    # are freed instead of piling up until its own Lua heap grows
    from luatorch import tensor

    monkeypatch.setattr(tensor, "GC_EVERY", 1 << 20)
    r = Runtime()
    n = 60
    r.execute(textwrap.dedent(f"""
        local threads = require 'threads'
        threads.serialization('threads.sharedserialize')
        local pool = threads.Threads(1)
        for i = 1, {n} do
           pool:addjob(function() return torch.FloatTensor(25013):fill(1) end,
              function(x) assert(x[1] == 1) end)
        end
        pool:synchronize()
        pool:terminate()
    """))
    # 100 KB a job, a collection every 1 MB: at most ~10 batches wait in each of the two states
    assert _live_storages(25013 * 4) <= 30


_BLAS_SCRIPT = """
local threads = require 'threads'
local cores = tonumber(arg[1])
local before = torch.getnumthreads()
local pool = threads.Threads(1)
local during = torch.getnumthreads()
local pool2 = threads.Threads(1)
local during2 = torch.getnumthreads()
pool2:terminate()
pool:terminate()
print(before, during, during2, torch.getnumthreads())
if arg[2] == 'chosen' then
   torch.setnumthreads(2)
   local p = threads.Threads(1)
   print(torch.getnumthreads())
   p:terminate()
   print(torch.getnumthreads())
end
"""


def _blas_run(tmp_path, *args: str) -> list:
    import os

    script = tmp_path / "blas.lua"
    script.write_text(_BLAS_SCRIPT)
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script), *args],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    return [[int(x) for x in line.split()] for line in r.stdout.splitlines()]


def test_workers_borrow_blas_threads(tmp_path) -> None:
    """While workers exist, BLAS keeps the cores they leave (idle OpenBLAS threads spin and
    starved the loaders); it gets them back when the last pool ends."""
    import os

    from luatorch.blas_threads import _openblas

    if _openblas() is None:
        pytest.skip("no OpenBLAS to control")
    cores = os.cpu_count() or 1
    before, during, during2, after = _blas_run(tmp_path, str(cores))[0]
    assert during == max(1, cores - 1)
    assert during2 == max(1, cores - 2)
    assert after == before


def test_chosen_blas_threads_win_over_workers(tmp_path) -> None:
    from luatorch.blas_threads import _openblas

    if _openblas() is None:
        pytest.skip("no OpenBLAS to control")
    lines = _blas_run(tmp_path, "0", "chosen")
    assert lines[1:] == [[2], [2]]


def test_low_level_thread(tmp_path) -> None:
    """threads.Thread(code) runs a code string once in a state of its own (threads' own
    test-low-level.lua, smaller); free() waits for it; failures print as Torch7's threads
    printed them."""
    script = tmp_path / "low.lua"
    script.write_text(textwrap.dedent("""
        local threads = require 'threads'
        local m = threads.Mutex()
        local t = threads.Thread(string.format([[
           require 'torch'
           local threads = require 'threads'
           local m = threads.Mutex(%d)
           m:lock()
           local s = 0
           for i = 1, 1000 do s = s + i end
           m:unlock()
           print('thread sum', s)
        ]], m:id()))
        t:free()
        t:free()                            -- a second free does nothing
        threads.Thread('error("boom")'):free()
        threads.Thread('this is not lua'):free()
        print(pcall(threads.Thread, 42))
        print('end')
    """))
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["thread", "sum", "500500"]
    assert lines[1].startswith("FATAL THREAD PANIC: (pcall)") and lines[1].endswith("boom")
    assert lines[2].startswith("FATAL THREAD PANIC: (loadstring)")
    assert lines[3].startswith("false") and "a string of Lua code expected" in lines[3]
    assert lines[4] == "end"
