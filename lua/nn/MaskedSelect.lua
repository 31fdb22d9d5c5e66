-- nn.MaskedSelect: {input, mask} -> input:maskedSelect(mask); the mask gets a zero gradient.

local MaskedSelect, parent = torch.class('nn.MaskedSelect', 'nn.Module')

function MaskedSelect:__init()
   parent.__init(self)
   self._gradBuffer = torch.Tensor()
   self._gradMask = torch.ByteTensor()
end

function MaskedSelect:updateOutput(input)
   local x, mask = input[1], input[2]
   self.output:maskedSelect(x, mask)
   return self.output
end

function MaskedSelect:updateGradInput(input, gradOutput)
   local x, mask = input[1], input[2]
   self._gradBuffer = self._gradBuffer:typeAs(x)
   self._gradBuffer:resizeAs(x):zero()
   self._gradBuffer:maskedCopy(mask, gradOutput)
   self.gradInput = {self._gradBuffer, self._gradMask:resize(mask:size()):fill(0)}
   return self.gradInput
end

function MaskedSelect:type(type, tensorCache)
   local gradMask = self._gradMask
   self._gradMask = nil
   parent.type(self, type, tensorCache)
   -- the mask gradient stays a ByteTensor, like the mask
   self._gradMask = gradMask
   return self
end

function MaskedSelect:clearState()
   self._gradBuffer:set()
   self._gradMask:set()
   return parent.clearState(self)
end
