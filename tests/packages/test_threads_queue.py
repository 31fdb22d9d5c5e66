"""threads.Queue: a bounded job queue that the main state and worker states share (threads'
README: Queue(N), addjob(callback, ...), dojob())."""

from __future__ import annotations

import textwrap

import pytest

from luatorch.runtime import LuaError, Runtime


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    r.execute("threads = require 'threads'")
    r.execute("pool = threads.Threads(2, function() require 'torch' end)")
    yield r
    r.execute("pool:terminate()")


def test_producer_consumer_across_workers(rt: Runtime) -> None:
    out = rt.execute(textwrap.dedent("""
        local Queue = require 'threads.queue'
        local work, back = threads.Queue(3), Queue(50)
        local counts = {}
        for i = 1, 2 do
           pool:addjob(function()
              local n = 0
              while true do
                 local v = work:dojob()            -- the queue crossed as an upvalue
                 if v == nil then return n end
                 back:addjob(function(x) return x end, v * v)
                 n = n + 1
              end
           end, function(n) counts[#counts + 1] = n end)
        end
        for i = 1, 20 do work:addjob(function(x) return x end, i) end   -- waits when full
        for i = 1, 2 do work:addjob(function() return nil end) end
        local sum = 0
        for i = 1, 20 do sum = sum + back:dojob() end
        pool:synchronize()
        return sum, counts[1] + counts[2], work:isempty(), back:isempty(), work:size(),
           torch.type(work), Queue == threads.Queue
    """))
    assert out == (sum(i * i for i in range(1, 21)), 20, True, True, 3, "threads.Queue", True)


def test_fifo_order_through_a_full_queue(rt: Runtime) -> None:
    # a worker fills a one-slot queue; the main state takes the jobs one by one, in order
    got = rt.execute(textwrap.dedent("""
        local q = threads.Queue(1)
        pool:addjob(function()
           for i = 1, 6 do q:addjob(function(k, t) return k, t end, i, __threadid) end
        end)
        local order = {}
        for i = 1, 6 do
           local k, tid = q:dojob()
           order[i] = k
           assert(q:size() == 1 and tid >= 1)
        end
        pool:synchronize()
        return table.concat(order, ',')
    """))
    assert got == "1,2,3,4,5,6"


def test_shared_serialization_shares_tensors(rt: Runtime) -> None:
    total = rt.execute(textwrap.dedent("""
        local q = threads.Queue(4, 'threads.sharedserialize')
        local x = torch.zeros(5)
        q:addjob(function(t) t:fill(7) end, x)
        pool:addjob(function() q:dojob() end)
        pool:synchronize()
        return x:sum()
    """))
    assert total == 35


def test_errors(rt: Runtime) -> None:
    with pytest.raises(LuaError, match=r"\(command line\):1: threads.Queue: queue size"):
        rt.execute("threads.Queue(0)")
    with pytest.raises(LuaError, match=r"\(command line\):1: function callback expected"):
        rt.execute("threads.Queue(2):addjob(42)")
    with pytest.raises(LuaError, match="job failed here"):
        rt.execute("local q = threads.Queue(2) q:addjob(function() error('job failed here') end)"
                   " q:dojob()")
