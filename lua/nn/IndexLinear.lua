-- nn.IndexLinear(inputSize, outputSize [, doGradInput, keysOffset, weight, bias, normalize]):
-- a linear layer over sparse inputs given as keys (1-based feature indices, plus keysOffset - 1)
-- and values, in three formats: {keys, values} (one sample), {{keys1, ...}, {values1, ...}}
-- (a batch) or {keys, values, sizes} (a batch concatenated, sizes entries each). The weight is
-- inputSize x outputSize (with normalize, 4 columns come first: each feature's largest |value|
-- seen in training, its inverse, an update scale and a per-feature bias; a value then enters as
-- value / max + bias). Gradients are kept per key seen (the `running` buffers, emptied by
-- zeroGradParameters), so updateParameters touches only those rows.

local IndexLinear, parent = torch.class('nn.IndexLinear', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_acc, k_update, k_acc_update = door.il_forward, door.il_acc_grad, door.il_update,
   door.il_acc_update

function IndexLinear:__init(inputSize, outputSize, doGradInput, keysOffset, weight, bias,
                            normalize)
   parent.__init(self)
   self.normalize = normalize and 4 or 0
   -- a weight can be shared as given: these can be very large
   self.weight = weight or torch.Tensor(inputSize, outputSize + self.normalize):zero()
   self.bias = bias or torch.Tensor(outputSize):zero()
   self.inputSize = self.weight:size(1)
   self.outputSize = self.weight:size(2) - self.normalize
   self.normalizedValues = torch.Tensor()
   -- no dense gradWeight: gradients live in self.running, one row per key seen
   self.gradWeight = torch.Tensor()
   self.gradBias = torch.Tensor(self.outputSize):zero()
   self.running = {cumSumSizes = {}, keys = {}, gradWeight = {}, counter = 1}
   self.weightDecay = 0
   self.doGradInput = doGradInput or false
   self.offset = keysOffset and keysOffset - 1 or -1
end

function IndexLinear:reset(stdv)
   stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.weight:size(2))
   self.weight:uniform(-stdv, stdv)
   self.bias:uniform(-stdv, stdv):mul(0.000001)
   if self.normalize > 0 then
      self.weight:narrow(2, 1, self.normalize):zero()
   end
   return self
end

--- The input as (keys, values[, sizes]) tables or tensors; sets isFlat and noBatch.
function IndexLinear:reshapeInput(input)
   assert(torch.type(input) == 'table')
   local n = #input
   assert(n == 2 or n == 3)
   if n == 3 then
      local keys, values = input[1], input[2]
      local sizes = torch.isTensor(input[3]) and input[3] or torch.LongTensor({input[3]})
      assert(keys:nElement() == values:nElement(), 'Keys and values should be of same size')
      assert(keys:dim() == 1, 'Keys and values should be 1D')
      self.isFlat = true
      self.noBatch = false
      return keys, values, sizes
   end
   local keys, values = input[1], input[2]
   local lkeys, lvalues
   if torch.type(keys) == 'table' and torch.type(values) == 'table' then
      lkeys, lvalues = keys, values
      self.noBatch = false
   elseif torch.isTensor(keys) and torch.isTensor(values) then
      lkeys, lvalues = {keys}, {values}
      self.noBatch = true
   else
      error('Wrong input format.')
   end
   self.isFlat = false
   for i = 1, #lkeys do
      assert(lvalues[i]:dim() == 1 and lkeys[i]:dim() == 1, "keys and values should be 1D")
   end
   return lkeys, lvalues
end

--- Concatenates the input into self.keys (kept in running.keys for the update), self.values
--- and self.sizes.
function IndexLinear:flattenInputs(input)
   local lkeys, lvalues, sizes = self:reshapeInput(input)
   local counter = self.running.counter
   self.running.keys[counter] = self.running.keys[counter] or torch.LongTensor()
   self.keys = self.running.keys[counter]
   self.values = self.values or self.weight.new()
   self.sizes = self.sizes or torch.LongTensor()
   if self.isFlat then
      self.keys:resize(lkeys:size()):copy(lkeys)
      self.values:resize(lvalues:size()):copy(lvalues)
      self.sizes:resize(sizes:nElement()):copy(sizes)
   else
      self.sizes:resize(#lkeys)
      for i = 1, #lkeys do self.sizes[i] = lkeys[i]:size(1) end
      if torch.type(lkeys[1]) == 'torch.LongTensor' then
         self.keys:cat(lkeys, 1)
      else
         -- keys of another type (cunn's CudaLongTensor keys): joined in their type, then kept
         -- as a LongTensor like every other key buffer
         if torch.type(self._catKeys) ~= torch.type(lkeys[1]) then
            self._catKeys = lkeys[1].new()
         end
         self._catKeys:cat(lkeys, 1)
         self.keys:resize(self._catKeys:size()):copy(self._catKeys)
      end
      -- the values in the module's type, whatever the input's
      self._catValues = self._catValues or lvalues[1].new()
      self._catValues:cat(lvalues, 1)
      self.values:resize(self._catValues:size()):copy(self._catValues)
   end
   self.cumSumSizes = self.cumSumSizes or torch.LongTensor()
   self.cumSumSizes:cumsum(self.sizes)
   self.running.cumSumSizes[counter] = self.cumSumSizes:clone()
end

function IndexLinear:updateOutput(input)
   self:flattenInputs(input)
   k_fwd(H[self.output], H[self.keys], H[self.values], H[self.sizes], H[self.weight],
      H[self.bias], self.offset, H[self.normalizedValues], self.train ~= false)
   if self.noBatch then
      self.output:resize(self.output:size(2))
   end
   return self.output
end

-- the values the weights saw: normalized ones in max-normalize mode
local function seenValues(self)
   return self.normalize > 0 and self.normalizedValues or self.values
end

function IndexLinear:accUpdateGradParameters(input, gradOutput, scale)
   k_acc_update(H[self.weight], H[self.bias], H[self.keys], H[seenValues(self)], H[self.sizes],
      H[gradOutput], scale or 1, self.weightDecay or 0, self.offset)
end

function IndexLinear:accGradParameters(input, gradOutput, scale)
   local counter = self.running.counter
   self.running.gradWeight[counter] = self.running.gradWeight[counter] or self.weight.new()
   k_acc(H[self.running.gradWeight[counter]], H[self.gradBias], H[self.keys],
      H[seenValues(self)], H[self.sizes], H[gradOutput], H[self.weight], scale or 1)
   -- the next backward before zeroGradParameters keeps its keys and gradients apart
   self.running.counter = counter + 1
end

-- gradInput (when doGradInput) is dense: every feature's index with gradOutput * weight^T,
-- in the input's format.
function IndexLinear:updateGradInput(input, gradOutput)
   self.gradInput = {}
   if not self.doGradInput then
      return self.gradInput
   end
   if self.normalize > 0 then
      error('updateGradInput is not implemented in max-normalize mode')
   end
   local ini = self.weight:size(1)
   local gi = gradOutput.new()
   if gradOutput:dim() == 1 then
      gi:resize(ini):mv(self.weight, gradOutput)
      gi:resize(1, ini)
   else
      gi:resize(gradOutput:size(1), ini):mm(gradOutput, self.weight:t())
   end
   local indices = torch.LongTensor(ini):range(1, ini)
   if self.isFlat then
      self.gradInput[1] = torch.repeatTensor(indices, gi:size(1), 1)
      self.gradInput[2] = gi
   else
      self.gradInput[1], self.gradInput[2] = {}, {}
      for i = 1, gi:size(1) do
         self.gradInput[1][i] = indices:clone()
         self.gradInput[2][i] = gi[i]:clone()
      end
   end
   if self.noBatch then
      if self.isFlat then
         self.gradInput = {self.gradInput[1]:resize(ini), self.gradInput[2]:resize(ini)}
      else
         self.gradInput = {self.gradInput[1][1], self.gradInput[2][1]}
      end
   end
   return self.gradInput
end

function IndexLinear:updateParameters(lr)
   local counter = self.running.counter
   if counter <= 1 then return end
   if not lr then error('You must specify a learning rate') end
   if counter == 2 then
      self.updateKeys = self.running.keys[1]
      self.gradWeight = self.running.gradWeight[1]
   else
      -- the keys and gradient rows of every backward since zeroGradParameters
      local keys, grads = {}, {}
      for i = 1, counter - 1 do
         keys[i] = self.running.keys[i]
         grads[i] = self.running.gradWeight[i]
      end
      self.updateKeysBuffer = self.updateKeysBuffer or torch.LongTensor()
      self.gradWeightBuffer = self.gradWeightBuffer or self.weight.new()
      self.updateKeys = self.updateKeysBuffer:cat(keys, 1)
      self.gradWeight = self.gradWeightBuffer:cat(grads, 1)
   end
   k_update(H[self.weight], H[self.bias], H[self.gradBias], H[self.updateKeys],
      H[self.gradWeight], lr, self.weightDecay or 0, self.offset)
end

function IndexLinear:zeroGradParameters()
   self.gradBias:zero()
   self.running.counter = 1
end

function IndexLinear:parameters()
   return {self.weight, self.bias}, {self.running, self.gradBias}
end

local function clearBuffers(self)
   self.running.keys = {}
   self.running.gradWeight = {}
   self.running.cumSumSizes = {}
   self.running.counter = 1
   self.keys = nil
   self.values = nil
   self.sizes = nil
   self.cumSumSizes = nil
   self.updateKeys = nil
   self.updateKeysBuffer = nil
   self.gradWeightBuffer = nil
   self._catValues = nil
   self._catKeys = nil
   self.gradWeight = self.weight.new()
   self.normalizedValues = self.weight.new()
end

function IndexLinear:clearState()
   clearBuffers(self)
   return parent.clearState(self)
end

function IndexLinear:type(type, tensorCache)
   -- the buffers (keys as LongTensors among them) are made again in the new type
   if type then clearBuffers(self) end
   return parent.type(self, type, tensorCache)
end
