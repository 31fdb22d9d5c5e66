-- nn.Kmeans(k, dim [, scale]): online (hard) k-means. The centres are the weight (k x dim); the
-- forward gives each sample's nearest centre and keeps the within-cluster squared error in
-- self.loss; gradWeight is minus the mean pull of each centre's samples, times scale, so that a
-- gradient step (weight - lr * gradWeight) moves the centres towards their samples.

local Kmeans, parent = torch.class('nn.Kmeans', 'nn.Module')

function Kmeans:__init(k, dim, scale)
   parent.__init(self)
   assert(k > 0, "Clusters cannot be 0 or negative.")
   assert(dim > 0, "Dimensionality cannot be 0 or negative.")
   self.k = k
   self.dim = dim
   self.scale = scale
   self.weight = torch.Tensor(k, dim)
   self.gradWeight = torch.Tensor(k, dim)
   self.loss = 0
   self.clusterSampleCount = torch.Tensor(k)
   self:reset()
end

function Kmeans:reset(stdev)
   stdev = stdev or 1
   self.weight:uniform(-stdev, stdev)
   return self
end

local function checkInput(self, input)
   assert(input:nDimension() == 2, "Incorrect input dimensionality. Expecting 2D.")
   assert(input:size(2) == self.dim, "Dimensionality of input and weight don't match.")
end

--- Centres set to k samples of the input drawn at random (with replacement).
function Kmeans:initRandom(input)
   checkInput(self, input)
   local n = input:size(1)
   assert(n >= self.k, "Need atleast k samples for initialization.")
   for i = 1, self.k do
      self.weight[i]:copy(input[torch.random(1, n)])
   end
end

-- Squared distances of every sample to centre j, into dist (n).
local function distancesTo(self, input, j, diff, dist)
   diff:resizeAs(input):copy(input)
   diff:add(-1, self.weight[{{j}}]:expandAs(input))
   diff:cmul(diff)
   dist:sum(diff, 2)
   return dist:resize(input:size(1))
end

--- k-means++ seeding: each new centre is drawn among the (1 - p) fraction of samples farthest
--- from the centres chosen so far (p defaults to 0.95).
function Kmeans:initKmeansPlus(input, p)
   self.p = p or self.p or 0.95
   assert(self.p >= 0 and self.p <= 1, "P value should be between 0-1.")
   checkInput(self, input)
   local n = input:size(1)
   local pcount = math.max(math.ceil((1 - self.p) * n), 1)
   self.weight[1]:copy(input[torch.random(n)])
   local nearest = self.weight.new(n):fill(math.huge)
   local diff, dist = self.weight.new(), self.weight.new()
   for j = 2, self.k do
      nearest:cmin(distancesTo(self, input, j - 1, diff, dist))
      local _, order = nearest:sort(1, true)
      self.weight[j]:copy(input[order[torch.random(pcount)]])
   end
end

function Kmeans:updateOutput(input)
   checkInput(self, input)
   assert(input:isContiguous(), "Input is not contiguous.")
   local n = input:size(1)
   self._distances = self._distances or self.weight.new()
   self._diff = self._diff or self.weight.new()
   self._dist = self._dist or self.weight.new()
   self._distances:resize(self.k, n)
   for j = 1, self.k do
      self._distances[j]:copy(distancesTo(self, input, j, self._diff, self._dist))
   end
   self._minScore = self._minScore or self.weight.new()
   if not self._minIndx then
      local cuda = torch.type(input):find('Cuda') and torch.CudaLongTensor
      self._minIndx = cuda and torch.CudaLongTensor() or torch.LongTensor()
   end
   self._minScore:min(self._minIndx, self._distances, 1)
   self._minIndx:resize(n)
   self.output:resize(n):copy(self._minIndx)
   self.loss = self._minScore:sum()
   return self.output
end

-- the layer trains by its own rule, not by the gradient of a criterion
function Kmeans:updateGradInput(input, gradOutput)
   self.gradInput:resize(input:size()):zero()
   return self.gradInput
end

function Kmeans:accGradParameters(input, gradOutput, scale)
   scale = self.scale or scale or 1
   assert(scale > 0, " Scale has to be positive.")
   local n = input:size(1)
   self._ones = self._ones or self.weight.new()
   self._ones:resize(n):fill(1)
   self.clusterSampleCount:zero():indexAdd(1, self._minIndx, self._ones)
   -- -scale * (x - c) for each sample and its centre, summed per centre
   self._pull = self._pull or self.weight.new()
   self._pull:index(self.weight, 1, self._minIndx):add(-1, input):mul(scale)
   self._sum = self._sum or self.weight.new()
   self._sum:resizeAs(self.gradWeight):zero():indexAdd(1, self._minIndx, self._pull)
   -- a tiny count keeps an empty cluster's division finite
   self._counts = self._counts or self.weight.new()
   self._counts:resize(self.k):copy(self.clusterSampleCount):add(1e-7)
   self._sum:cdiv(self._counts:view(self.k, 1):expandAs(self._sum))
   self.gradWeight:add(self._sum)
end

local function clearBuffers(self)
   self._distances = nil
   self._diff = nil
   self._dist = nil
   self._minScore = nil
   self._minIndx = nil
   self._ones = nil
   self._pull = nil
   self._sum = nil
   self._counts = nil
end

function Kmeans:clearState()
   clearBuffers(self)
   return parent.clearState(self)
end

-- the buffers are remade in the new type; output is left to parent.type, as Torch7 does
function Kmeans:type(type, tensorCache)
   clearBuffers(self)
   return parent.type(self, type, tensorCache)
end
