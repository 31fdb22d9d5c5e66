-- optim.polyinterp: the minimum of the polynomial that interpolates function values and
-- derivatives at a few points (after minFunc's polyinterp), used by optim.lswolfe.
--
--    minPos [, fmin] = optim.polyinterp(points [, xminBound] [, xmaxBound])
--
-- points: N rows {x, f(x), f'(x)} (a Nx3 tensor or a Lua table of rows).
-- Two points and no bounds: the closed-form minimiser of the cubic through them, clamped to
-- [x1, x2] (their mean when the cubic has no real minimiser); only minPos is returned.
-- Otherwise: the polynomial of degree 2N-1 is fitted, and of the bounds, the points and the
-- real critical points inside [xminBound, xmaxBound] the one with the lowest value is returned
-- with that value (the middle of the bounds when none qualifies).
--
-- There are no config keys; the bounds default to the smallest and largest x of the points.

local optim = optim
local abs, sqrt, min, max, huge = math.abs, math.sqrt, math.min, math.max, math.huge

-- rows of `points` as a Lua table of {x, f, g}
local function rowsof(points)
   if torch.isTensor(points) then return points:totable() end
   return points
end

-- solve the square system A c = b (Lua tables) by Gaussian elimination with partial pivoting
local function solve(A, b)
   local n = #b
   local M = {}
   for i = 1, n do
      local row = {}
      for j = 1, n do row[j] = A[i][j] end
      row[n + 1] = b[i]
      M[i] = row
   end
   for col = 1, n do
      -- 1. pick the largest pivot of this column and move its row up
      local piv = col
      for r = col + 1, n do
         if abs(M[r][col]) > abs(M[piv][col]) then piv = r end
      end
      M[col], M[piv] = M[piv], M[col]
      -- 2. eliminate the column below the pivot
      local pr = M[col]
      for r = col + 1, n do
         local row = M[r]
         local fct = row[col] / pr[col]
         if fct ~= 0 then
            for j = col, n + 1 do row[j] = row[j] - fct * pr[j] end
         end
      end
   end
   -- 3. back-substitute
   local c = {}
   for i = n, 1, -1 do
      local row = M[i]
      local acc = row[n + 1]
      for j = i + 1, n do acc = acc - row[j] * c[j] end
      c[i] = acc / row[i]
   end
   return c
end

-- roots of the polynomial with coefficients c (highest power first) as {re, im} pairs
local function roots(coef)
   local c = {}
   for i = 1, #coef do
      local v = coef[i]
      if abs(v) < 1e-12 then v = 0 end
      c[i] = v
   end
   -- 1. drop leading zeros; a polynomial that is all zeros has no roots to offer
   local first = nil
   for i = 1, #c do
      if c[i] ~= 0 then first = i break end
   end
   if not first then return {} end
   -- 2. trailing zeros are roots at 0
   local last = #c
   local nz = 0
   while c[last] == 0 do
      last = last - 1
      nz = nz + 1
   end
   local p = {}
   for i = first, last do p[#p + 1] = c[i] end
   local deg = #p - 1
   local out = {}
   -- 3. the remaining polynomial's roots
   if deg == 1 then
      out[1] = {-p[2] / p[1], 0}
   elseif deg == 2 then
      local a, b, cc = p[1], p[2], p[3]
      local disc = b * b - 4 * a * cc
      if disc >= 0 then
         local s = sqrt(disc)
         out[1] = {(-b + s) / (2 * a), 0}
         out[2] = {(-b - s) / (2 * a), 0}
      else
         local s = sqrt(-disc)
         out[1] = {-b / (2 * a), s / (2 * a)}
         out[2] = {-b / (2 * a), -s / (2 * a)}
      end
   elseif deg > 2 then
      -- eigenvalues of the companion matrix
      local C = torch.zeros(deg, deg)
      for j = 1, deg do C[1][j] = -p[j + 1] / p[1] end
      for i = 2, deg do C[i][i - 1] = 1 end
      local e = torch.eig(C, 'N'):totable()
      for i = 1, #e do out[#out + 1] = {e[i][1], e[i][2]} end
   end
   for _ = 1, nz do out[#out + 1] = {0, 0} end
   return out
end

-- value of the polynomial with coefficients c (highest power first) at x
local function polyval(c, x)
   local pwr = #c
   local val = 0
   for i = 1, #c do
      pwr = pwr - 1
      val = val + c[i] * x ^ pwr
   end
   return val
end

function optim.polyinterp(points, xminBound, xmaxBound)
   -- 1. read the points
   local P = rowsof(points)
   local nPoints = #P
   local order = nPoints * 2 - 1

   -- 2. common case: cubic through two points, no bounds
   if nPoints == 2 and xminBound == nil and xmaxBound == nil then
      local lo = 1
      if not (P[2][1] >= P[1][1]) then lo = 2 end
      local hi = 3 - lo
      local xl, fl, gl = P[lo][1], P[lo][2], P[lo][3]
      local xh, fh, gh = P[hi][1], P[hi][2], P[hi][3]
      local d1 = gl + gh - 3 * (fl - fh) / (xl - xh)
      local d2 = sqrt(d1 ^ 2 - gl * gh)
      if d2 == d2 then
         local t = xh - (xh - xl) * ((gh + d2 - d1) / (gh - gl + 2 * d2))
         return min(max(t, xl), xh)
      end
      return (P[1][1] + P[2][1]) / 2
   end

   -- 3. bounds of the search
   local xmin, xmax = huge, -huge
   for i = 1, nPoints do
      xmin = min(xmin, P[i][1])
      xmax = max(xmax, P[i][1])
   end
   xminBound = xminBound or xmin
   xmaxBound = xmaxBound or xmax

   -- 4. fit the polynomial to the values (rows 1..N) and the derivatives (rows N+1..2N)
   local A, b = {}, {}
   for i = 1, nPoints do
      local xi = P[i][1]
      local row = {}
      for j = order, 0, -1 do row[order - j + 1] = xi ^ j end
      A[i] = row
      b[i] = P[i][2]
   end
   for i = 1, nPoints do
      local xi = P[i][1]
      local row = {}
      for j = 1, order do row[j] = (order - j + 1) * xi ^ (order - j) end
      row[order + 1] = 0
      A[nPoints + i] = row
      b[nPoints + i] = P[i][3]
   end
   local params = solve(A, b)
   for i = 1, #params do
      if abs(params[i]) <= 1e-12 then params[i] = 0 end
   end

   -- 5. coefficients of the derivative
   local dParams = {}
   local nans = false
   for i = 1, order do
      local v = params[i] * (order - i + 1)
      dParams[i] = v
      if v ~= v or v == huge then nans = true end
   end

   -- 6. candidates: the bounds, the points, and (when the fit is finite) the critical points
   local cand = {{xminBound, 0}, {xmaxBound, 0}}
   for i = 1, nPoints do cand[#cand + 1] = {P[i][1], 0} end
   if not nans then
      local r = roots(dParams)
      for i = 1, #r do cand[#cand + 1] = r[i] end
   end

   -- 7. lowest real candidate inside the bounds; bisection when there is none
   local fmin = huge
   local minPos = (xminBound + xmaxBound) / 2
   for i = 1, #cand do
      local re, im = cand[i][1], cand[i][2]
      if im == 0 and re >= xminBound and re <= xmaxBound then
         local fCP = polyval(params, re)
         if fCP < fmin then
            minPos = re
            fmin = fCP
         end
      end
   end
   return minPos, fmin
end
