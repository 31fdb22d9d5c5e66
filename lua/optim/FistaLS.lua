-- optim.FistaLS: FISTA (Beck and Teboulle, SIAM J. Imaging Sciences 2(1), 2009) with a
-- backtracking line search on L, for min_x f(x) + g(x) with f smooth and g not.
--
--    x, history = optim.FistaLS(f, g, pl, xinit [, params])
--
--    f(x [, 'dx'])  the smooth part: f(x), and df/dx when mode matches 'dx'
--    g(x)           the non-smooth part: g(x)
--    pl(x, L)       in place, argmin_z Q(z, x): the proximal step of g with step 1/L
--                   (soft shrinkage by lambda / L for g = lambda ||z||_1)
-- xinit is the starting point and receives the solution.  The returned x is params.y (reused by
-- the next call with the same params).  history[k] holds, for iteration k: nline (line-search
-- trials), L, F = f(y) + g(y) at the new y, Fply = f(y), Gply = g(y), Q (the quadratic model at
-- the accepted point), and with verbose also xk and y (copies).
--
-- params keys (default):
--    L              0.1      1 / step size at the start; the last L is written back
--    Lstep          1.5      L is multiplied by this while the step is too long
--    maxiter        50       iterations
--    maxline        20       extra line-search trials per iteration
--    errthres       1e-4     stop when F changes by at most this between iterations
--    doFistaUpdate  true     false: plain ISTA (y is the last iterate, no momentum)
--    verbose        false    print each trial and iteration, keep xk and y in history
-- params also keeps the buffers xkm (previous iterate), y (FISTA point) and ply (trial point).

local optim = optim
local sqrt, abs = math.sqrt, math.abs

function optim.FistaLS(f, g, pl, xinit, params)
   -- 1. read the settings and set up buffers
   params = params or {}
   local L = params.L or 0.1
   local Lstep = params.Lstep or 1.5
   local maxiter = params.maxiter or 50
   local maxline = params.maxline or 20
   local errthres = params.errthres or 1e-4
   local doFista = params.doFistaUpdate ~= false
   local verbose = params.verbose

   params.xkm = params.xkm or xinit.new()
   params.y = params.y or xinit.new()
   params.ply = params.ply or xinit.new()
   local xk, xkm, y, ply = xinit, params.xkm, params.y, params.ply
   xkm:resizeAs(xk):copy(xk)
   y:resizeAs(xk):copy(xk)
   ply:resizeAs(xk)

   local history = {}
   local tk = 1
   local niter = 0
   while niter < maxiter do
      -- 2. model f around y: value and gradient there
      local fy, gfy = f(y, 'dx')

      -- 3. backtracking: grow L until f at the proximal step lies under the quadratic model
      --    Q = f(y) + <p - y, grad f(y)> + L/2 ||p - y||^2
      local nline, fply, Q = 0, 0, 0
      while true do
         ply:copy(y):add(-1 / L, gfy)
         pl(ply, L)
         xk:copy(ply)
         fply = f(ply)
         ply:add(-1, y)
         local lin, quad = gfy:dot(ply), L / 2 * ply:dot(ply)
         Q = fy + lin + quad
         if verbose then
            print(string.format('nline=%d L=%g fply=%g Q=%g fy=%g Q2=%g Q3=%g',
                                nline, L, fply, Q, fy, lin, quad))
         end
         nline = nline + 1
         if fply <= Q then
            break
         elseif nline > maxline then
            -- no step was short enough: stay at the previous iterate
            xk:copy(xkm)
            break
         end
         L = L * Lstep
      end

      -- 4. next point: FISTA extrapolates along xk - xkm with weight (tk - 1) / tk+1
      if doFista then
         local tkp = (1 + sqrt(1 + 4 * tk * tk)) / 2
         xkm:mul(-1):add(xk)
         y:copy(xk):add((tk - 1) / tkp, xkm)
         xkm:copy(xk)
         tk = tkp
      else
         y:copy(xk)
      end

      -- 5. record F at the new y, and stop when it no longer moves
      local fnew, gnew = f(y), g(y)
      niter = niter + 1
      if verbose then
         local fold = niter > 1 and history[niter - 1].F or math.huge
         print(string.format('iter=%d eold=%g enew=%g', niter - 1, fold, fnew + gnew))
      end
      local h = {nline = nline, L = L, F = fnew + gnew, Fply = fnew, Gply = gnew, Q = Q}
      if verbose then
         h.xk = xk:clone()
         h.y = y:clone()
      end
      history[niter] = h
      params.L = L
      if niter > 1 and abs(h.F - history[niter - 1].F) <= errthres then
         break
      end
   end
   xinit:copy(y)
   return y, history
end
