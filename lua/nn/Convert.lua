-- nn.Convert([inputShape [, outputShape]]): converts between data layouts named by letters
-- ('bchw' -> 'chwb', 'bchw' -> 'bf', 'chw' -> 'f', ...; b is the batch axis, added at the front
-- when absent, and an input of fewer dimensions is taken as one sample) and casts the input to
-- the module's own type. nn.Convert() only casts.

local _ = require 'moses'
local Convert, parent = torch.class('nn.Convert', 'nn.Container')

function Convert:__init(inputShape, outputShape)
   if outputShape and not inputShape then
      error("Expecting non-nil arg 1 when arg 2 is provided")
   end
   inputShape = inputShape or 'b*'
   outputShape = outputShape or inputShape
   self.inputShape = inputShape:find('b') and inputShape or ('b' .. inputShape)
   self.outputShape = outputShape:find('b') and outputShape or ('b' .. outputShape)
   self.inputBatchDim = self.inputShape:find('b')
   self.outputBatchDim = self.outputShape:find('b')
   if self.inputShape == 'b*' or self.outputShape == 'b*' then
      assert(self.inputShape == 'b*' and self.outputShape == 'b*',
             'Both or neither shapes must be b*')
      self.nInputDim = -1
      self.nOutputDim = -1
      self.transposition = true
   else
      self.nInputDim = #self.inputShape
      self.nOutputDim = #self.outputShape
      -- the same letters in another order: a permutation of the axes
      if self.nInputDim == self.nOutputDim then
         self.transposition = true
         for i = 1, self.nInputDim do
            if not self.outputShape:find(self.inputShape:sub(i, i)) then
               self.transposition = false
               break
            end
         end
      end
   end
   parent.__init(self)
end

-- The inner module, made at the first forward (some conversions need the input's sizes).
function Convert:buildConverter(input)
   if self.transposition then
      self.converter = self:transpose(self.outputShape)
   else
      if torch.type(self[self.outputShape]) ~= 'function' then
         error(string.format("Unrecognized conversion of shape %s to %s",
                             self.inputShape, self.outputShape))
      end
      self.converter = self[self.outputShape](self, input)
   end
   assert(torch.isTensor(self.output), "Expecting Tensor output")
   self.converter:type(torch.type(self.output))
   self.modules[1] = self.converter
end

function Convert:updateOutput(input)
   assert(torch.isTensor(input), "expecting Tensor")
   if torch.type(input) ~= torch.type(self.output) then
      self._input = self._input or self.output.new()
      self._input:resize(input:size()):copy(input)
      input = self._input
   end
   self.batchMode = true
   if input:dim() < self.nInputDim then
      local size = input:size():totable()
      table.insert(size, self.inputBatchDim, 1)
      self.__input = self.__input or input.new()
      self.__input:set(input):resize(unpack(size))
      input = self.__input
      self.batchMode = false
   end
   if not self.converter then
      self:buildConverter(input)
   end
   self.output = self.converter:updateOutput(input)
   if not self.batchMode then
      local size = self.output:size():totable()
      table.remove(size, self.outputBatchDim)
      self.__output = self.__output or self.output.new()
      self.__output:set(self.output):resize(unpack(size))
      self.output = self.__output
   end
   return self.output
end

function Convert:updateGradInput(input, gradOutput)
   local original = input
   input = self._input or input
   if not self.batchMode then
      input = self.__input
      self.__gradOutput = self.__gradOutput or gradOutput.new()
      self.__gradOutput:set(gradOutput):resize(self.converter.output:size())
      gradOutput = self.__gradOutput
   end
   local gradInput = self.converter:updateGradInput(input, gradOutput)
   if not self.batchMode then
      self.__gradInput = self.__gradInput or gradInput.new()
      self.__gradInput:set(gradInput):resize(original:size())
      gradInput = self.__gradInput
   end
   if self._input then
      -- back in the caller's type
      self._gradInput = self._gradInput or original.new()
      self._gradInput:resize(original:size()):copy(gradInput)
      self.gradInput = self._gradInput
   else
      self.gradInput = gradInput
   end
   return self.gradInput
end

-- The input and gradOutput the converter saw.
function Convert:innerArgs(input, gradOutput)
   if self.batchMode then
      return self._input or input, gradOutput
   end
   return self.__input, self.__gradOutput
end

function Convert:accGradParameters(input, gradOutput, scale)
   input, gradOutput = self:innerArgs(input, gradOutput)
   self.converter:accGradParameters(input, gradOutput, scale)
end

function Convert:accUpdateGradParameters(input, gradOutput, lr)
   input, gradOutput = self:innerArgs(input, gradOutput)
   self.converter:accUpdateGradParameters(input, gradOutput, lr)
end

--- To batch x features: the batch axis first, the rest flattened.
function Convert:bf(input)
   if self.inputShape == 'bt' then
      error("Conversion of shape bt to bf not supported: open an issue on github")
   end
   local dim = #self.inputShape
   if dim == 1 then
      return nn.Reshape(1)
   end
   local bpos = self:findAxis('b', self.inputShape)
   local transpose = bpos ~= 1 and nn.Transpose({1, bpos}) or nil
   if dim == 2 then
      return transpose or nn.Identity()
   end
   local reshape = nn.Reshape(input:select(bpos, 1):nElement())
   if transpose then
      return nn.Sequential():add(transpose):add(reshape)
   end
   return reshape
end

--- To one scalar per example: the first target or the only feature.
function Convert:b(input)
   if self.inputShape == 'bt' or self.inputShape == 'tb' then
      return nn.Select(self:findAxis('t'), 1)
   elseif self.inputShape == 'bf' or self.inputShape == 'fb' then
      local fpos = self:findAxis('f')
      if input:size(fpos) > 1 then
         error("Cannot convert shape " .. self.inputShape .. " to b when feature > 1")
      end
      return nn.Select(fpos, 1)
   end
   error("Cannot convert shape " .. self.inputShape .. " to shape b")
end

function Convert:default()
   return nn.Identity()
end

--- To batch x targets, from a batch of scalars.
function Convert:bt()
   if self.inputShape == 'b' then
      return nn.Reshape(1)
   end
   error("cannot convert shape '" .. self.inputShape .. "' to bt")
end

--- The nn.Transpose that permutes the input's axes into newShape's order.
function Convert:transpose(newShape)
   if newShape == self.inputShape then
      return nn.Identity()
   end
   local axes = {}
   for i = 1, #self.inputShape do
      axes[i] = self.inputShape:sub(i, i)
   end
   local swaps = {}
   for i = 1, #newShape do
      local j = _.indexOf(axes, newShape:sub(i, i))
      if i ~= j then
         axes[i], axes[j] = axes[j], axes[i]
         swaps[#swaps + 1] = {j, i}
      end
   end
   return nn.Transpose(unpack(swaps))
end

--- The position of the axis letter in shape (the input's by default).
function Convert:findAxis(axis, shape, silent)
   shape = shape or self.inputShape
   local pos = shape:find(axis)
   if not silent and not pos then
      error("Provided shape '" .. shape .. "' has no axis '" .. axis .. "'", 2)
   end
   return pos
end

local function clearBuffers(self)
   self._input = nil
   self._gradInput = nil
   self.__input = nil
   self.__output = nil
   self.__gradInput = nil
   self.__gradOutput = nil
end

function Convert:clearState()
   clearBuffers(self)
   return parent.clearState(self)
end

-- the buffers are remade in the new type; output is left to parent.type, as Torch7 does
function Convert:type(type, tensorCache)
   clearBuffers(self)
   return parent.type(self, type, tensorCache)
end
