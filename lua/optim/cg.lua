-- optim.cg: nonlinear conjugate gradients (Polak-Ribiere directions) with a line search by
-- cubic interpolation/extrapolation under the Wolfe-Powell conditions, following Carl E.
-- Rasmussen's minimize.m.  Only the number of function evaluations is limited.
--
--    x, fs, nEval = optim.cg(opfunc, x [, config] [, state])
--
-- fs[1] is f at the starting x, then one value per successful line search; fs[#fs] is f at
-- the returned x.  nEval counts the evaluations of opfunc.
--
-- config keys (default):
--    rho      0.01            sufficient-decrease constant (Wolfe-Powell)
--    sig      0.5             curvature constant (Wolfe-Powell)
--    int      0.1             do not re-evaluate within int of the bracket's ends
--    ext      3.0             extrapolate at most ext times the current step
--    maxIter  20              evaluations per line search
--    ratio    100             largest ratio between consecutive initial slopes
--    maxEval  maxIter * 1.25  evaluations per call
-- state (config itself when not given), tensors kept between calls:
--    df0, df1, df2, df3   gradients (at the saved point, point 1, point 2; df3 unused)
--    s                    search direction
--    x0                   x before the current line search

local optim = optim
local abs, min, max, sqrt, huge = math.abs, math.min, math.max, math.sqrt, math.huge

local function bad(z)
   return z ~= z or z == huge or z == -huge
end

function optim.cg(opfunc, x, config, state)
   -- 1. read the settings and set up buffers
   config = config or {}
   state = state or config
   local rho = config.rho or 0.01
   local sig = config.sig or 0.5
   local int = config.int or 0.1
   local ext = config.ext or 3.0
   local maxIter = config.maxIter or 20
   local ratio = config.ratio or 100
   local maxEval = config.maxEval or maxIter * 1.25
   local red = 1

   local df0 = state.df0 or x.new()
   local df1 = state.df1 or x.new()
   local df2 = state.df2 or x.new()
   local df3 = state.df3 or x.new()
   local s = state.s or x.new()
   local x0 = state.x0 or x.new()
   df0:resizeAs(x); df1:resizeAs(x); df2:resizeAs(x); df3:resizeAs(x)
   s:resizeAs(x); x0:resizeAs(x)

   local fx = {}
   local i = 0            -- evaluations so far
   local z1, z2, z3 = 0, 0, 0
   local d1, d2, d3 = 0, 0, 0
   local f1, f2, f3 = 0, 0, 0
   local f0 = 0
   local tdf

   -- 2. evaluate at the starting point; first direction is steepest descent
   f1, tdf = opfunc(x)
   fx[#fx + 1] = f1
   df1:copy(tdf)
   i = i + 1
   s:copy(df1):mul(-1)
   d1 = -s:dot(s)          -- slope along s
   z1 = red / (1 - d1)     -- first step length

   while i < abs(maxEval) do
      -- 3. save the current point, then take the trial step
      x0:copy(x)
      f0 = f1
      df0:copy(df1)
      x:add(z1, s)
      f2, tdf = opfunc(x)
      df2:copy(tdf)
      i = i + 1
      d2 = df2:dot(s)
      f3, d3, z3 = f1, d1, -z1   -- point 3 starts equal to point 1
      local m = min(maxIter, maxEval - i)
      local success = false
      local limit = -1

      -- 4. line search
      while true do
         -- 4a. while the step is too long (or the slope too positive), interpolate back
         while (f2 > f1 + z1 * rho * d1 or d2 > -sig * d1) and m > 0 do
            limit = z1
            if f2 > f1 then
               z2 = z3 - (0.5 * d3 * z3 * z3) / (d3 * z3 + f2 - f3)      -- quadratic fit
            else
               local A = 6 * (f2 - f3) / z3 + 3 * (d2 + d3)            -- cubic fit
               local B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
               z2 = (sqrt(B * B - A * d2 * z3 * z3) - B) / A
            end
            if bad(z2) then z2 = z3 / 2 end
            z2 = max(min(z2, int * z3), (1 - int) * z3)
            z1 = z1 + z2
            x:add(z2, s)
            f2, tdf = opfunc(x)
            df2:copy(tdf)
            i = i + 1
            m = m - 1
            d2 = df2:dot(s)
            z3 = z3 - z2
         end

         -- 4b. stop on failure, on success (Wolfe-Powell met), or out of evaluations
         if f2 > f1 + z1 * rho * d1 or d2 > -sig * d1 then
            break
         elseif d2 > sig * d1 then
            success = true
            break
         elseif m == 0 then
            break
         end

         -- 4c. extrapolate with a cubic, kept within the limits
         local A = 6 * (f2 - f3) / z3 + 3 * (d2 + d3)
         local B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
         z2 = -d2 * z3 * z3 / (B + sqrt(B * B - A * d2 * z3 * z3))
         if bad(z2) or z2 < 0 then
            if limit < -0.5 then
               z2 = z1 * (ext - 1)
            else
               z2 = (limit - z1) / 2
            end
         elseif limit > -0.5 and z2 + z1 > limit then
            z2 = (limit - z1) / 2
         elseif limit < -0.5 and z2 + z1 > z1 * ext then
            z2 = z1 * (ext - 1)
         elseif z2 < -z3 * int then
            z2 = -z3 * int
         elseif limit > -0.5 and z2 < (limit - z1) * (1 - int) then
            z2 = (limit - z1) * (1 - int)
         end
         f3 = f2; d3 = d2; z3 = -z2
         z1 = z1 + z2
         x:add(z2, s)
         f2, tdf = opfunc(x)
         df2:copy(tdf)
         i = i + 1
         m = m - 1
         d2 = df2:dot(s)
      end

      if success then
         -- 5. accept the point; new direction by Polak-Ribiere
         f1 = f2
         fx[#fx + 1] = f1
         local ss = (df2:dot(df2) - df2:dot(df1)) / df1:dot(df1)
         s:mul(ss):add(-1, df2)
         df1, df2 = df2, df1          -- swap the gradient buffers
         d2 = df1:dot(s)
         if d2 > 0 then               -- not a descent direction: restart along -gradient
            s:copy(df1):mul(-1)
            d2 = -s:dot(s)
         end
         z1 = z1 * min(ratio, d1 / (d2 - 1e-320))
         d1 = d2
      else
         -- 6. failure: go back to the saved point and stop.  minimize.m retries once along
         -- steepest descent, but in Torch7 its `ls_failed` test is always true (a number), so
         -- the first failed line search ends the call; that is what is reproduced here.
         x:copy(x0)
         f1 = f0
         df1:copy(df0)
         break
      end
   end

   -- 7. keep the buffers for the next call
   state.df0, state.df1, state.df2, state.df3 = df0, df1, df2, df3
   state.x0, state.s = x0, s
   return x, fx, i
end
