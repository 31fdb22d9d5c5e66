"""Objective functions for the optim tests, in Lua (as Torch7's optim tests define them)."""

from __future__ import annotations

from luatorch.runtime import Runtime

LUA_FUNCS = r"""
require 'optim'

-- Torch7's test objective: the D-dimensional Rosenbrock function, with tensor operations
function rosenbrock(x)
   local d = x:size(1)
   local x1 = x.new(d - 1):copy(x:narrow(1, 1, d - 1))
   x1:cmul(x1):mul(-1):add(x:narrow(1, 2, d - 1))
   x1:cmul(x1):mul(100)
   local x0 = x.new(d - 1):copy(x:narrow(1, 1, d - 1))
   x0:mul(-1):add(1)
   x0:cmul(x0)
   x1:add(x0)
   local fout = x1:sum()
   local dxout = x.new():resizeAs(x):zero()
   x1:copy(x:narrow(1, 1, d - 1))
   x1:cmul(x1):mul(-1):add(x:narrow(1, 2, d - 1)):cmul(x:narrow(1, 1, d - 1)):mul(-400)
   x0:copy(x:narrow(1, 1, d - 1)):mul(-1):add(1):mul(-2)
   x1:add(x0)
   dxout:narrow(1, 1, d - 1):copy(x1)
   x0:copy(x:narrow(1, 1, d - 1))
   x0:cmul(x0):mul(-1):add(x:narrow(1, 2, d - 1)):mul(200)
   dxout:narrow(1, 2, d - 1):add(x0)
   return fout, dxout
end

-- the same function in two dimensions with scalar arithmetic (fast enough for long runs); the
-- gradient comes back in one buffer per tensor type, as nn's gradParameters would
local rosen_bufs = {}
function rosen2(x)
   local a, b = x[1], x[2]
   local g = rosen_bufs[x:type()]
   if not g then
      g = x.new(2)
      rosen_bufs[x:type()] = g
   end
   local r = b - a * a
   g[1] = -400 * a * r - 2 * (1 - a)
   g[2] = 200 * r
   return 100 * r * r + (1 - a) ^ 2, g
end

-- f(x) = 1/2 sum_i a_i (x_i - c_i)^2, minimum 0 at c
function quadratic(a, c)
   local A, C = a, c
   local r, g = A.new():resizeAs(A), A.new():resizeAs(A)
   return function(x)
      r:copy(x):add(-1, C)
      g:copy(r):cmul(A)
      return 0.5 * r:dot(g), g
   end
end

QA = {1, 2, 4, 6, 10}
QC = {1, -2, 3, 0.5, -1}

-- run optim[name] n times from x; returns x as a table, the last f table, and f at x
function minimise(name, config, f, x, n)
   local fs
   for _ = 1, n do x, fs = optim[name](f, x, config) end
   return x:totable(), fs, (f(x))
end
"""


def runtime() -> Runtime:
    """A runtime with optim loaded and the objective functions defined."""
    r = Runtime()
    r.execute(LUA_FUNCS)
    return r
