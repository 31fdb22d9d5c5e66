-- optim.lswolfe: a line search meeting the strong Wolfe conditions (after minFunc): bracket a
-- step length along d, then zoom into the bracket with cubic interpolation.
--
--    f, g, x, t, nEval = optim.lswolfe(opfunc, x, t, d, f, g, gtd [, options])
--
-- x: the starting point (moved in place to x + t * d); t: the initial step length;
-- d: the descent direction; f, g: value and gradient at x; gtd: g . d.
-- Returns the value and gradient at the new x, x itself, the step length, and the number of
-- opfunc evaluations.
--
-- options keys (default):
--    c1       1e-4    sufficient decrease constant
--    c2       0.9     curvature constant
--    tolX     1e-9    smallest bracket width (times the slope) worth refining
--    maxIter  20      evaluations in all
--    verbose  false

local optim = optim
local abs, min, max = math.abs, math.min, math.max

function optim.lswolfe(opfunc, x, t, d, f, g, gtd, options)
   -- 1. read the options
   options = options or {}
   local c1 = options.c1 or 1e-4
   local c2 = options.c2 or 0.9
   local tolX = options.tolX or 1e-9
   local maxIter = options.maxIter or 20
   local isverbose = options.verbose or false
   local function verbose(...)
      if isverbose then print('<optim.lswolfe> ', ...) end
   end

   -- 2. evaluate at the first trial step
   local x_init = x:clone()
   x:add(t, d)
   local f_new, g_new = opfunc(x)
   local lsFuncEval = 1
   local gtd_new = g_new:dot(d)

   -- bracket: step lengths B, values F and gradients G (tensors owned here, because opfunc
   -- may hand back the same gradient tensor at every call)
   local B, F = {}, {}
   local G = {g.new():resizeAs(g), g.new():resizeAs(g)}
   local function setpoint(k, tk, fk, gk)
      B[k], F[k] = tk, fk
      G[k]:copy(gk)
   end

   -- 3. bracketing phase: grow the step until the interval [t_prev, t] holds a Wolfe point
   local LSiter, t_prev, done = 0, 0, false
   local f_prev, gtd_prev = f, gtd
   local g_prev = g:clone()
   while LSiter < maxIter do
      if f_new > f + c1 * t * gtd or (LSiter > 1 and f_new >= f_prev) then
         setpoint(1, t_prev, f_prev, g_prev)
         setpoint(2, t, f_new, g_new)
         break
      elseif abs(gtd_new) <= -c2 * gtd then
         setpoint(1, t, f_new, g_new)
         done = true
         break
      elseif gtd_new >= 0 then
         setpoint(1, t_prev, f_prev, g_prev)
         setpoint(2, t, f_new, g_new)
         break
      end

      -- 3a. next trial: cubic extrapolation within [t + 0.01 (t - t_prev), 10 t]
      local tmp = t_prev
      t_prev = t
      local minStep = t + 0.01 * (t - tmp)
      local maxStep = t * 10
      t = optim.polyinterp({{tmp, f_prev, gtd_prev}, {t, f_new, gtd_new}}, minStep, maxStep)

      -- 3b. evaluate there
      f_prev = f_new
      g_prev:copy(g_new)
      gtd_prev = gtd_new
      x:copy(x_init):add(t, d)
      f_new, g_new = opfunc(x)
      lsFuncEval = lsFuncEval + 1
      gtd_new = g_new:dot(d)
      LSiter = LSiter + 1
   end

   -- 4. out of iterations: bracket between the start and the last step
   if LSiter == maxIter then
      setpoint(1, 0, f, g)
      setpoint(2, t, f_new, g_new)
   end

   -- 5. zoom phase: shrink the bracket until a point meets the Wolfe conditions
   local insufProgress = false
   while not done and LSiter < maxIter do
      -- 5a. low and high ends of the bracket (the first on ties)
      local LOpos = 1
      if not (F[2] >= F[1]) then LOpos = 2 end
      local HIpos = 3 - LOpos
      local f_LO = F[LOpos]

      -- 5b. cubic minimiser in the bracket, pulled away from its ends when progress stalls
      t = optim.polyinterp({{B[1], F[1], G[1]:dot(d)}, {B[2], F[2], G[2]:dot(d)}})
      local bmax, bmin = max(B[1], B[2]), min(B[1], B[2])
      if min(bmax - t, t - bmin) / (bmax - bmin) < 0.1 then
         if insufProgress or t >= bmax or t <= bmin then
            if abs(t - bmax) < abs(t - bmin) then
               t = bmax - 0.1 * (bmax - bmin)
            else
               t = bmin + 0.1 * (bmax - bmin)
            end
            insufProgress = false
         else
            insufProgress = true
         end
      else
         insufProgress = false
      end

      -- 5c. evaluate the new point
      x:copy(x_init):add(t, d)
      f_new, g_new = opfunc(x)
      lsFuncEval = lsFuncEval + 1
      gtd_new = g_new:dot(d)
      LSiter = LSiter + 1

      -- 5d. it replaces one end of the bracket
      if f_new > f + c1 * t * gtd or f_new >= f_LO then
         -- not a sufficient decrease, or not below the low end: new high end
         setpoint(HIpos, t, f_new, g_new)
      else
         if abs(gtd_new) <= -c2 * gtd then
            done = true
         elseif gtd_new * (B[HIpos] - B[LOpos]) >= 0 then
            -- the old low end becomes the high end
            setpoint(HIpos, B[LOpos], F[LOpos], G[LOpos])
         end
         setpoint(LOpos, t, f_new, g_new)
      end

      -- 5e. bracket too narrow to matter
      if not done and abs((B[1] - B[2]) * gtd_new) < tolX then break end
   end
   if LSiter == maxIter then verbose('reached max number of iterations') end

   -- 6. return the best point of the bracket, and move x there
   local LOpos = 1
   if F[2] ~= nil and not (F[2] >= F[1]) then LOpos = 2 end
   t = B[LOpos]
   x:copy(x_init):add(t, d)
   return F[LOpos], G[LOpos], x, t, lsFuncEval
end
