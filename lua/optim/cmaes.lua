-- optim.cmaes: the covariance matrix adaptation evolution strategy (Hansen's CMA-ES, as in his
-- barecmaes2 reference: weighted recombination, cumulative step-size adaptation, rank-one and
-- rank-mu updates of the covariance).  Derivative-free: only the first value that opfunc
-- returns is used, and it receives each candidate in x's shape.
--
--    xbest, fs, nEval = optim.cmaes(opfunc, x [, config] [, state])
--
-- x is the mean of the first search distribution and is left unchanged.  fs[1] is f(x), then
-- the best value of each generation, and fs[#fs] is f at xbest, the best point seen (in x's
-- shape).  nEval counts the evaluations of the candidates (f(x) not included).
-- Settings are read from state, which is config when not given (Torch7 ignores config when a
-- state is passed).  Float and Double tensors only (symeig).
--
-- state keys (default):
--    sigma           required    initial step size (standard deviation in each coordinate)
--    maxEval         1e3 * N^2   evaluations; N = #x
--    ftarget         nil         stop once the best value of a generation is <= ftarget
--    popsize         4 + floor(3 log N)   candidates per generation (lambda)
--    verb_disp       0           print progress every verb_disp generations; 0: never
--    min_iterations  1           generations to run before any stopping test counts
-- Other stops: the covariance's condition number passes 1e14 (max D > 1e7 min D), a
-- generation's values all lie within 1e-12, or sigma * max D falls under 1e-11.

local optim = optim
local exp, log, floor, min, sqrt = math.exp, math.log, math.floor, math.min, math.sqrt

function optim.cmaes(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local ttype = torch.type(x)
   if ttype ~= 'torch.DoubleTensor' and ttype ~= 'torch.FloatTensor' then
      error('Unsupported Tensor ' .. ttype .. ' please use Float- or DoubleTensor for x', 2)
   end
   local xmean = x:clone():view(-1)
   local N = xmean:size(1)
   local sigma = state.sigma
   if type(sigma) ~= 'number' then
      error('optim.cmaes: state.sigma (the initial step size) is required', 2)
   end
   local maxEval = tonumber(state.maxEval) or 1e3 * N * N
   local ftarget = state.ftarget
   local verb = state.verb_disp or 0
   local minIter = state.min_iterations or 1
   local lambda = state.popsize or 4 + floor(3 * log(N))
   if lambda < 2 then
      error('optim.cmaes: popsize must be at least 2 (mu = floor(popsize / 2) parents)', 2)
   end

   -- 2. selection and adaptation constants (Hansen's defaults)
   local mu = floor(lambda / 2)
   local weights = torch.DoubleTensor(mu)
   for i = 1, mu do weights[i] = log(mu + 0.5) - log(i) end
   weights:div(weights:sum())
   local mueff = 1 / weights:dot(weights)
   weights = weights:typeAs(x)
   local cc = (4 + mueff / N) / (N + 4 + 2 * mueff / N)
   local cs = (mueff + 2) / (N + mueff + 5)
   local c1 = 2 / ((N + 1.3) ^ 2 + mueff)
   local cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((N + 2) ^ 2 + mueff))
   local damps = 2 * mueff / lambda + 0.3 + cs

   -- 3. the distribution: mean xmean, step sigma, covariance C = B diag(D)^2 B'
   local pc, ps = x.new(N):zero(), x.new(N):zero()
   local B, D, C = torch.eye(N):typeAs(x), x.new(N):fill(1), torch.eye(N):typeAs(x)
   local invsqrtC = torch.eye(N):typeAs(x)
   local candidates = x.new(lambda, N)
   local fitvals = torch.DoubleTensor(lambda)
   local eigeneval, counteval, iteration = 0, 0, 0
   local fs = {(opfunc(x))}
   local bestx, bestf, bestIter = nil, nil, 0

   local function ask()
      -- the eigendecomposition costs O(N^3): redo it only every few generations
      if counteval - eigeneval > lambda / (c1 + cmu) / N / 10 then
         eigeneval = counteval
         C = torch.triu(C) + torch.triu(C, 1):t()
         D, B = torch.symeig(C, 'V')
         D:sqrt()
         invsqrtC = B * torch.diag(torch.pow(D, -1)) * B:t()
      end
      -- rows: xmean + sigma * B * (D .* z), z ~ N(0, I)
      local z = x.new(lambda, N):normal(0, 1)
      z:cmul(D:view(1, N):expandAs(z))
      candidates:mm(z, B:t()):mul(sigma):add(xmean:view(1, N):expandAs(candidates))
   end

   local function tell()
      counteval = counteval + lambda
      local xold = xmean:clone()
      local sorted, order = torch.sort(fitvals)
      fitvals = sorted
      local arx = candidates:index(1, order:narrow(1, 1, mu))
      fs[#fs + 1] = fitvals[1]
      if bestf == nil or fitvals[1] < bestf then
         bestf, bestx, bestIter = fitvals[1], arx[1]:clone(), iteration
      end

      -- recombination, then the evolution paths (ps in the whitened space C^-1/2)
      xmean:mv(arx:t(), weights)
      local y = xmean - xold
      ps:mul(1 - cs):add(sqrt(cs * (2 - cs) * mueff) / sigma, invsqrtC * y)
      local psnorm2 = ps:dot(ps)
      -- hsig stalls pc while ps is long, so that C does not grow too fast right after the start
      local hsig = psnorm2 / (1 - (1 - cs) ^ (2 * counteval / lambda)) / N < 2 + 4 / (N + 1)
      hsig = hsig and 1 or 0
      pc:mul(1 - cc):add(hsig * sqrt(cc * (2 - cc) * mueff) / sigma, y)

      -- covariance: decay, rank-one update along pc, rank-mu update from the selected steps
      local c1a = c1 - (1 - hsig * hsig) * c1 * cc * (2 - cc)
      local steps = arx - xold:view(1, N):expandAs(arx)
      local wsteps = torch.cmul(steps, weights:view(mu, 1):expandAs(steps))
      C:mul(1 - c1a - cmu)
      C:addr(c1, pc, pc)
      C:addmm(cmu / (sigma * sigma), wsteps:t(), steps)

      -- step size: longer when ps is longer than expected under random selection
      sigma = sigma * exp(min(0.6, (cs / damps) * (psnorm2 / N - 1) / 2))
   end

   local function stop()
      local why = {}
      if counteval > 0 then
         if counteval >= maxEval then why.evals = maxEval end
         if ftarget ~= nil and fitvals[1] <= ftarget then why.ftarget = ftarget end
         if D:max() > 1e7 * D:min() then why.condition = 1e7 end
         if fitvals[lambda] - fitvals[1] < 1e-12 then why.tolfun = 1e-12 end
         if sigma * D:max() < 1e-11 then why.tolx = 1e-11 end
      end
      return why
   end

   local function display()
      local gen = counteval / lambda
      if gen == 1 or gen % (10 * verb) == 0 then
         print('evals:\t ax-ratio max(std)   f-value')
      end
      if gen <= 2 or gen % verb == 0 then
         print(tostring(counteval) .. ': ' ..
               string.format(' %6.1f %8.1e ', D:max() / D:min(),
                             sigma * sqrt(torch.diag(C):max())) .. tostring(fitvals[1]))
      end
   end

   -- 4. generations: sample, evaluate, update, until a stopping test holds
   while next(stop()) == nil or iteration < minIter do
      iteration = iteration + 1
      ask()
      for i = 1, lambda do
         fitvals[i] = opfunc(candidates[i]:viewAs(x))
      end
      tell()
      if verb > 0 then display() end
   end

   if verb > 0 then
      for k, v in pairs(stop()) do print('termination by', k, '=', v) end
      print('best f-value =', bestf)
      print('solution = ')
      print(bestx)
      print('best found at iteration: ', bestIter, ' , total iterations: ', iteration)
   end
   fs[#fs + 1] = bestf
   return bestx:viewAs(x), fs, counteval
end
