-- nn.SparseLinear(inputSize, outputSize [, doGradInput]): a Linear layer on sparse input, one
-- sample being an nnz x 2 tensor of (index, value) rows; a batch is a table of such tensors (or
-- a batch x nnz x 2 tensor).

local SparseLinear, parent = torch.class('nn.SparseLinear', 'nn.Module')

function SparseLinear:__init(inputSize, outputSize, doGradInput)
   parent.__init(self)
   self.weightDecay = 0
   self.doGradInput = doGradInput or false
   assert(type(self.doGradInput) == 'boolean', 'doGradInput must be a boolean')
   self.weight = torch.Tensor(outputSize, inputSize):zero()
   self.bias = torch.Tensor(outputSize):zero()
   self.gradWeight = torch.Tensor(outputSize, inputSize):zero()
   self.gradBias = torch.Tensor(outputSize):zero()
   self.gradInput = {}
   self.output:resize(outputSize)
   self:reset()
end

function SparseLinear:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.weight:size(2))
   end
   self.weight:uniform(-stdv, stdv)
   self.bias:uniform(-stdv, stdv):mul(0.000001)
end

-- The samples as a list of nnz x 2 tensors, and whether the input was a batch.
local function samples(input)
   if type(input) == 'table' then return input, true end
   if input:dim() == 3 then
      local list = {}
      for i = 1, input:size(1) do list[i] = input[i] end
      return list, true
   end
   assert(input:dim() == 2 and input:size(2) == 2, 'input must be an nnz x 2 tensor')
   return {input}, false
end

local function split(self, sample)
   local idx = sample:select(2, 1):long()
   local val = sample:select(2, 2)
   if torch.type(val) ~= torch.type(self.weight) then val = val:typeAs(self.weight) end
   return idx, val
end

function SparseLinear:updateOutput(input)
   local list, batch = samples(input)
   local nout = self.weight:size(1)
   if batch then
      self.output:resize(#list, nout)
   else
      self.output:resize(nout)
   end
   for i, sample in ipairs(list) do
      local out = batch and self.output[i] or self.output
      out:copy(self.bias)
      if sample:nElement() > 0 then
         local idx, val = split(self, sample)
         out:addmv(1, self.weight:index(2, idx), val)
      end
   end
   return self.output
end

function SparseLinear:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local list, batch = samples(input)
   for i, sample in ipairs(list) do
      local go = batch and gradOutput[i] or gradOutput
      if sample:nElement() > 0 then
         local idx, val = split(self, sample)
         local cols = torch.ger(go, val):mul(scale)
         self.gradWeight:indexAdd(2, idx, cols)
      end
      self.gradBias:add(scale, go)
   end
   if self.weightDecay ~= 0 then self.gradWeight:add(self.weightDecay, self.weight) end
end

-- The gradient is dense, in Torch7's format: per sample an inputSize x 2 tensor of (index,
-- value) rows, in a table (a one-sample table for one sample), or batch x inputSize x 2 for a
-- 3-D (legacy) input.
function SparseLinear:updateGradInput(input, gradOutput)
   local legacy = torch.isTensor(input) and input:dim() == 3
   if legacy then
      if torch.type(self.gradInput) ~= torch.type(gradOutput) then
         self.gradInput = gradOutput.new()
      end
      self.gradInput:resizeAs(input)
   else
      self.gradInput = {}
   end
   if not self.doGradInput then return self.gradInput end
   local gi
   if gradOutput:dim() == 1 then
      gi = torch.mv(self.weight:t(), gradOutput):view(1, -1)
   else
      gi = torch.mm(gradOutput, self.weight)
   end
   local nin = self.weight:size(2)
   local indices = torch.range(1, nin):typeAs(gradOutput)
   if legacy then
      self.gradInput:resize(gi:size(1), nin, 2)
      self.gradInput:select(3, 1):copy(indices:view(1, nin):expand(gi:size(1), nin))
      self.gradInput:select(3, 2):copy(gi)
   else
      for i = 1, gi:size(1) do
         local g = gradOutput.new(nin, 2)
         g:select(2, 1):copy(indices)
         g:select(2, 2):copy(gi[i])
         self.gradInput[i] = g
      end
   end
   return self.gradInput
end

function SparseLinear:zeroGradParameters()
   self.gradWeight:zero()
   self.gradBias:zero()
end

function SparseLinear:clearState()
   self.gradInput = {}
   return parent.clearState(self)
end
