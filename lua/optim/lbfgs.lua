-- optim.lbfgs: limited-memory BFGS (after Mark Schmidt's minFunc).  Steps along the L-BFGS
-- direction are either of fixed size (learningRate) or chosen by a line search function such
-- as optim.lswolfe; the learning rate scales the initial step in both cases.
--
--    x, fs, nEval = optim.lbfgs(opfunc, x [, config] [, state])
--
-- fs[1] is f at the starting x, then one value per iteration; fs[#fs] is f at the returned x
-- (except when the last fixed step was not re-evaluated).  nEval counts opfunc evaluations.
--
-- config keys (default):
--    maxIter            20              iterations per call
--    maxEval            maxIter * 1.25  evaluations per call
--    tolFun             1e-5            stop when sum |gradient| <= tolFun
--    tolX               1e-9            stop when the step, the change of f, or the slope
--                                       along the direction is this small
--    nCorrection        100             number of (s, y) pairs kept
--    lineSearch         nil             function(opfunc, x, t, d, f, g, gtd, options)
--                                       returning f, g, x, t, nEval
--    lineSearchOptions  nil             passed to lineSearch
--    learningRate       1               step size (or initial step for the line search)
--    verbose            false
-- state (config itself when not given):
--    funcEval, nIter    0               totals over all calls
--    d, t               last direction and step length
--    old_dirs, old_stps the kept pairs (lists of tensors)
--    dir_bufs, stp_bufs free buffers for new pairs
--    Hdiag              scale of the initial inverse Hessian
--    g_old, f_old       previous gradient and value
--    tmp1               scratch; ro, al   per-pair scalars (default-type tensors, nCorrection)

local optim = optim
local abs, min = math.abs, math.min
local tremove, tinsert = table.remove, table.insert

function optim.lbfgs(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local maxIter = tonumber(config.maxIter) or 20
   local maxEval = tonumber(config.maxEval) or maxIter * 1.25
   local tolFun = config.tolFun or 1e-5
   local tolX = config.tolX or 1e-9
   local nCorrection = config.nCorrection or 100
   local lineSearch = config.lineSearch
   local lineSearchOpts = config.lineSearchOptions
   local learningRate = config.learningRate or 1
   local verbose = function() end
   if config.verbose then
      verbose = function(...) print('<optim.lbfgs> ', ...) end
   end
   state.funcEval = state.funcEval or 0
   state.nIter = state.nIter or 0

   -- 2. evaluate at the starting point; stop at once if it is already optimal
   local f, g = opfunc(x)
   local f_hist = {f}
   local currentFuncEval = 1
   state.funcEval = state.funcEval + 1
   local p = g:size(1)
   local tmp1 = state.tmp1
   if not tmp1 then
      tmp1 = g.new(g:size()):zero()
      state.tmp1 = tmp1
   end
   if tmp1:copy(g):abs():sum() <= tolFun then
      verbose('optimality condition below tolFun')
      return x, f_hist
   end

   -- 3. buffers for the (s, y) pairs, made once
   if not state.dir_bufs then
      verbose('creating recyclable direction/step/history buffers')
      local dirs, stps = {}, {}
      local dmat, smat = g.new(nCorrection + 1, p), g.new(nCorrection + 1, p)
      for k = 1, nCorrection + 1 do
         dirs[k] = dmat:select(1, k)
         stps[k] = smat:select(1, k)
      end
      state.dir_bufs, state.stp_bufs = dirs, stps
   end

   local d, t = state.d, state.t
   local old_dirs, old_stps = state.old_dirs, state.old_stps
   local Hdiag = state.Hdiag
   local g_old, f_old = state.g_old, state.f_old

   local nIter = 0
   while nIter < maxIter do
      nIter = nIter + 1
      state.nIter = state.nIter + 1

      -- 4. descent direction: -g on the very first iteration, else the L-BFGS direction
      if state.nIter == 1 then
         d = g:clone():mul(-1)
         old_dirs, old_stps = {}, {}
         Hdiag = 1
      else
         -- 4a. new pair y = g - g_old, s = d * t; kept only when the curvature y.s is positive
         local y = tremove(state.dir_bufs)
         local s = tremove(state.stp_bufs)
         y:add(g, -1, g_old)
         s:mul(d, t)
         local ys = y:dot(s)
         if ys > 1e-10 then
            if #old_dirs == nCorrection then
               -- memory full: recycle the oldest pair's buffers
               tinsert(state.dir_bufs, tremove(old_dirs, 1))
               tinsert(state.stp_bufs, tremove(old_stps, 1))
            end
            -- (old_dirs holds the s's and old_stps the y's, as in Torch7)
            tinsert(old_dirs, s)
            tinsert(old_stps, y)
            Hdiag = ys / y:dot(y)
         else
            tinsert(state.dir_bufs, y)
            tinsert(state.stp_bufs, s)
         end

         -- 4b. two-loop recursion: d = -H * g
         local k = #old_dirs
         local ro = state.ro
         if not ro then
            ro = torch.Tensor(nCorrection)
            state.ro = ro
         end
         for j = 1, k do
            ro[j] = 1 / old_stps[j]:dot(old_dirs[j])
         end
         local al = state.al
         if not al then
            al = torch.Tensor(nCorrection):zero()
            state.al = al
         end
         local q = tmp1
         q:mul(g, -1)
         for j = k, 1, -1 do
            al[j] = old_dirs[j]:dot(q) * ro[j]
            q:add(-al[j], old_stps[j])
         end
         d:mul(q, Hdiag)
         for j = 1, k do
            local be = old_stps[j]:dot(d) * ro[j]
            d:add(al[j] - be, old_dirs[j])
         end
      end
      if not g_old then g_old = g:clone() end
      g_old:copy(g)
      f_old = f

      -- 5. slope along d; stop when no descent is possible
      local gtd = g:dot(d)
      if gtd > -tolX then break end

      -- 6. initial step length
      if state.nIter == 1 then
         t = min(1, 1 / tmp1:copy(g):abs():sum()) * learningRate
      else
         t = learningRate
      end

      -- 7. move: line search, or a fixed step (re-evaluated unless it is the last one)
      local lsFuncEval = 0
      if lineSearch and type(lineSearch) == 'function' then
         f, g, x, t, lsFuncEval = lineSearch(opfunc, x, t, d, f, g, gtd, lineSearchOpts)
         tinsert(f_hist, f)
      else
         x:add(t, d)
         if nIter ~= maxIter then
            f, g = opfunc(x)
            lsFuncEval = 1
            tinsert(f_hist, f)
         end
      end
      currentFuncEval = currentFuncEval + lsFuncEval
      state.funcEval = state.funcEval + lsFuncEval

      -- 8. stopping tests
      if nIter == maxIter then
         verbose('reached max number of iterations')
         break
      end
      if currentFuncEval >= maxEval then
         verbose('max nb of function evals')
         break
      end
      if tmp1:copy(g):abs():sum() <= tolFun then
         verbose('optimality condition below tolFun')
         break
      end
      if tmp1:copy(d):mul(t):abs():sum() <= tolX then
         verbose('step size below tolX')
         break
      end
      if abs(f - f_old) < tolX then
         verbose('function value changing less than tolX')
         break
      end
   end

   -- 9. keep the state for the next call
   state.old_dirs, state.old_stps = old_dirs, old_stps
   state.Hdiag = Hdiag
   state.g_old, state.f_old = g_old, f_old
   state.t, state.d = t, d

   return x, f_hist, currentFuncEval
end
