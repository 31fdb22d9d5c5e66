-- optim.de: differential evolution (Storn and Price, 1997), the DE/best/1/bin scheme: each
-- child is the best point plus scaleFactor times the difference of two random members, mixed
-- with its parent by binomial crossover, and replaces the parent when it is no worse.
-- Derivative-free: only the first value that opfunc returns is used.
--
--    xbest, fx = optim.de(opfunc, x [, config])
--
-- x gives the dimension and tensor type only: the population starts uniform in
-- [minRegion, maxRegion] in every coordinate, and x itself is left unchanged.  fx is a tensor
-- of every evaluation in order (the initial population first); xbest has x's shape.
-- NOTE: the population is drawn from a private generator seeded with 1, as Torch7's optim.de
-- did, so a run is reproducible and leaves torch's global random stream alone.
--
-- config keys (default):
--    popsize        10 * #x    population size (at least 3)
--    scaleFactor    0.5        F, weight of the difference vector (usually 0.4 to 1)
--    crossoverRate  0.9        CR, chance to take each coordinate from the mutant
--    maxFEs         1000 * #x  function evaluations (maxEval is accepted too); the initial
--                              population is always evaluated in full
--    minRegion      -30        lower bound of the initial population
--    maxRegion      30         upper bound of the initial population

local optim = optim

function optim.de(opfunc, x, config)
   -- 1. read the settings
   config = config or {}
   local n = x:nElement()
   local popsize = config.popsize or 10 * n
   local F = config.scaleFactor or 0.5
   local CR = config.crossoverRate or 0.9
   local maxFEs = tonumber(config.maxFEs or config.maxEval) or 1000 * n
   local minRegion = config.minRegion or -30
   local maxRegion = config.maxRegion or 30
   if popsize < 3 then
      error('optim.de: popsize must be at least 3 (two distinct partners per member)', 2)
   end

   local gen = torch.Generator()
   torch.manualSeed(gen, 1)
   local pop = x.new(popsize, n):uniform(gen, minRegion, maxRegion)
   local children = x.new(popsize, n)
   local fitness = torch.DoubleTensor(popsize)
   local childFitness = torch.DoubleTensor(popsize)
   local fx = x.new(math.max(maxFEs, popsize))
   local fes = 0
   local function evaluate(point)
      local f = opfunc(point:viewAs(x))
      fes = fes + 1
      fx[fes] = f
      return f
   end

   -- 2. evaluate the initial population and find its best member
   for i = 1, popsize do
      fitness[i] = evaluate(pop[i])
   end
   local bestFitness, ibest = fitness:min(1)
   bestFitness = bestFitness[1]
   local best = pop[ibest[1]]:clone()

   -- 3. generations until the evaluation budget is spent
   while fes < maxFEs do
      local nchildren = math.min(popsize, maxFEs - fes)
      for i = 1, nchildren do
         local r1, r2
         repeat r1 = torch.random(gen, 1, popsize) until r1 ~= i
         repeat r2 = torch.random(gen, 1, popsize) until r2 ~= i and r2 ~= r1
         -- one coordinate always comes from the mutant, so a child never equals its parent
         local jrand = torch.random(gen, 1, n)
         local child, parent, a, b = children[i], pop[i], pop[r1], pop[r2]
         for j = 1, n do
            if j == jrand or torch.uniform(gen, 0, 1) < CR then
               child[j] = best[j] + F * (a[j] - b[j])
            else
               child[j] = parent[j]
            end
         end
         childFitness[i] = evaluate(child)
      end

      -- 4. selection: a child replaces its parent when no worse
      for i = 1, nchildren do
         if childFitness[i] <= fitness[i] then
            pop[i]:copy(children[i])
            fitness[i] = childFitness[i]
            if fitness[i] < bestFitness then
               bestFitness = fitness[i]
               best:copy(children[i])
            end
         end
      end
   end
   return best:viewAs(x), fx
end
