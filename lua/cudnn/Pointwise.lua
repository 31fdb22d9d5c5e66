-- cudnn's element-wise layers: cudnn.ReLU(inplace = false), cudnn.Tanh(inplace = false),
-- cudnn.Sigmoid(inplace = false) and cudnn.ClippedReLU(ceiling, inplace = false), on top of
-- nn.ReLU, nn.Tanh, nn.Sigmoid and nn.HardTanh(0, ceiling).  In place, the output overwrites
-- the input and the gradient overwrites gradOutput.

local ReLU, ReLUparent = torch.class('cudnn.ReLU', 'nn.ReLU')

function ReLU:__init(inplace)
   ReLUparent.__init(self, inplace or false)
end

local ClippedReLU, CRparent = torch.class('cudnn.ClippedReLU', 'nn.HardTanh')

function ClippedReLU:__init(ceiling, inplace)
   CRparent.__init(self, 0, ceiling, inplace or false)
   self.ceiling = ceiling
end

-- Tanh and Sigmoid: nn computes out of place; in place we compute into a private buffer and
-- copy the result over the caller's tensor, which becomes the output (as cuDNN leaves it).
local function inplaceLayer(name)
   local cls, parent = torch.class('cudnn.' .. name, 'nn.' .. name)

   function cls:__init(inplace)
      parent.__init(self)
      self.inplace = inplace or false
   end

   function cls:updateOutput(input)
      if not self.inplace then
         -- a former in-place run left the caller's tensor here: never write into it
         if rawequal(self.output, self._aliasedOutput) then self.output = input.new() end
         self._aliasedOutput = nil
         return parent.updateOutput(self, input)
      end
      self._outbuf = self._outbuf or input.new()
      self.output = self._outbuf
      parent.updateOutput(self, input)
      input:copy(self._outbuf)
      self.output = input
      self._aliasedOutput = input
      return input
   end

   function cls:updateGradInput(input, gradOutput)
      if not self.inplace then
         if rawequal(self.gradInput, self._aliasedGrad) then self.gradInput = input.new() end
         self._aliasedGrad = nil
         return parent.updateGradInput(self, input, gradOutput)
      end
      -- the derivative reads self.output, which is where the result went (the input)
      self._gradbuf = self._gradbuf or input.new()
      self.gradInput = self._gradbuf
      parent.updateGradInput(self, input, gradOutput)
      gradOutput:copy(self._gradbuf)
      self.gradInput = gradOutput
      self._aliasedGrad = gradOutput
      return gradOutput
   end

   function cls:clearState()
      nn.utils.clear(self, '_outbuf', '_gradbuf')
      if rawequal(self.output, self._aliasedOutput) then self.output = self.output.new() end
      if rawequal(self.gradInput, self._aliasedGrad) then self.gradInput = self.gradInput.new() end
      self._aliasedOutput, self._aliasedGrad = nil, nil
      return parent.clearState(self)
   end

   return cls
end

inplaceLayer('Tanh')
inplaceLayer('Sigmoid')
