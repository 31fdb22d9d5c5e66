-- nn.LookupTable(nIndex, nOutput [, paddingValue, maxNorm, normType]): indices (1-D, or 2-D for a
-- batch) -> the matching rows of an nIndex x nOutput weight.

local LookupTable, parent = torch.class('nn.LookupTable', 'nn.Module')

LookupTable.__version = 4

function LookupTable:__init(nIndex, nOutput, paddingValue, maxNorm, normType)
   parent.__init(self)
   self.weight = torch.Tensor(nIndex, nOutput)
   self.gradWeight = torch.Tensor(nIndex, nOutput):zero()
   self.paddingValue = paddingValue or 0
   self.maxNorm = maxNorm or nil
   self.normType = normType or nil
   self:reset()
end

function LookupTable:backCompatibility()
   self._input = self._input or torch.LongTensor()
   if not self.shouldScaleGradByFreq then self.shouldScaleGradByFreq = false end
end

function LookupTable:accUpdateOnly()
   self.gradWeight = nil
   return self
end

function LookupTable:setPadding(paddingValue)
   self.paddingValue = paddingValue
   return self
end

function LookupTable:setMaxNorm(maxNorm)
   self.maxNorm = maxNorm
   return self
end

function LookupTable:setNormType(normType)
   self.normType = normType
   return self
end

function LookupTable:scaleGradByFreq()
   self.shouldScaleGradByFreq = true
   return self
end

function LookupTable:reset(stdv)
   stdv = stdv or 1
   self.weight:normal(0, stdv)
end

-- The indices as a contiguous LongTensor.
function LookupTable:makeInputContiguous(input)
   if (not input:isContiguous()) or torch.type(input) ~= torch.type(self._input) then
      self.copiedInput = true
      self._input:resize(input:size()):copy(input)
      return self._input
   end
   self.copiedInput = false
   return input
end

local function flatIndices(input)
   if input:dim() == 2 then return input:view(-1) end
   if input:dim() ~= 1 then torch._error('input must be a vector or matrix') end
   return input
end

function LookupTable:updateOutput(input)
   self:backCompatibility()
   self:renorm(input)
   input = self:makeInputContiguous(input)
   local rows = self.output:index(self.weight, 1, flatIndices(input))
   if input:dim() == 2 then
      self.output = rows:view(input:size(1), input:size(2), self.weight:size(2))
   end
   return self.output
end

function LookupTable:updateGradInput(input, gradOutput)
   -- the indices get a zero gradient, of their own type
   if torch.type(self.gradInput) ~= torch.type(input) then self.gradInput = input.new() end
   if not self.gradInput:isSameSizeAs(input) then self.gradInput:resizeAs(input):zero() end
   return self.gradInput
end

function LookupTable:accGradParameters(input, gradOutput, scale)
   self:backCompatibility()
   scale = scale or 1
   input = self.copiedInput and self._input or self:makeInputContiguous(input)
   local idx = flatIndices(input)
   local nOutput = self.weight:size(2)
   local rows = gradOutput:contiguous():view(-1, nOutput)
   local skipPadding = self.paddingValue and self.paddingValue > 0
   if scale ~= 1 or skipPadding or self.shouldScaleGradByFreq then
      self._gradRows = self._gradRows or rows.new()
      self._gradRows:resizeAs(rows):copy(rows)
      rows = self._gradRows
      if scale ~= 1 then rows:mul(scale) end
      if skipPadding then
         local pad = torch.eq(idx, self.paddingValue)
         if pad:sum() > 0 then
            rows:indexFill(1, torch.range(1, idx:size(1)):long()[pad], 0)
         end
      end
      if self.shouldScaleGradByFreq then
         -- each row divided by how often its index occurs in this input
         local count = torch.zeros(self.weight:size(1))
         count:indexAdd(1, idx, torch.ones(idx:size(1)))
         local freq = count:index(1, idx):typeAs(rows)
         rows:cdiv(freq:view(-1, 1):expandAs(rows))
      end
   end
   self.gradWeight:indexAdd(1, idx, rows)
end

-- Rows of the weight that the input uses are rescaled to norm maxNorm when above it.
function LookupTable:renorm(input)
   if not self.maxNorm then return end
   self._input:resize(input:size()):copy(input)
   local idx = flatIndices(self._input)
   local p = self.normType or 2
   local rows = self.weight:index(1, idx)
   local norms = rows:norm(p, 2)
   local maxNorm = self.maxNorm
   local done = {}
   for i = 1, idx:size(1) do
      local r = idx[i]
      -- a row met twice is rescaled once (its norm was read before any rescaling)
      if not done[r] then
         done[r] = true
         local n = norms[i][1]
         if n > maxNorm then self.weight[r]:mul(maxNorm / (n + 1e-7)) end
      end
   end
end

function LookupTable:type(type, tensorCache)
   parent.type(self, type, tensorCache)
   -- the indices stay LongTensors
   self._input = torch.LongTensor()
   return self
end

function LookupTable:clearState()
   nn.utils.clear(self, '_input', '_gradRows')
   return parent.clearState(self)
end

LookupTable.sharedAccUpdateGradParameters = nn.Module.defaultAccUpdateGradParameters
