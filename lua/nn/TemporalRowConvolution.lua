-- nn.TemporalRowConvolution(inputFrameSize, kW, [dW], [featFirst]): a row-oriented 1D
-- convolution, each feature with its own kernel:
-- output[t][i] = bias[i] + sum_{k=1..kW} weight[i][1][k] * input[dW*(t-1)+k][i].
-- Inputs nInputFrame x inputFrameSize (or batch x ...); with featFirst, inputFrameSize x
-- nInputFrame (and the output likewise). weight: inputFrameSize x 1 x kW; bias: inputFrameSize.

local TemporalRowConvolution, parent = torch.class('nn.TemporalRowConvolution', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_rowconv_fwd, door.conv_rowconv_bwd,
   door.conv_rowconv_acc

function TemporalRowConvolution:__init(inputFrameSize, kW, dW, featFirst)
   parent.__init(self)
   self.inputFrameSize = inputFrameSize
   self.kW = kW
   self.dW = dW or 1
   self.weight = torch.Tensor(inputFrameSize, 1, kW)
   self.bias = torch.Tensor(inputFrameSize)
   self.gradWeight = torch.Tensor(inputFrameSize, 1, kW)
   self.gradBias = torch.Tensor(inputFrameSize)
   self.featFirst = featFirst and true or false
   self:reset()
end

function TemporalRowConvolution:noBias()
   self.bias = nil
   self.gradBias = nil
   return self
end

function TemporalRowConvolution:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.inputFrameSize)
end

function TemporalRowConvolution:updateOutput(input)
   local bias = self.bias
   k_fwd(H[self.output], H[input] or input, H[self.weight], bias and H[bias], self.kW, self.dW,
      self.featFirst)
   return self.output
end

function TemporalRowConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         self.kW, self.dW, self.featFirst)
      return self.gradInput
   end
end

function TemporalRowConvolution:accGradParameters(input, gradOutput, scale)
   local gradBias = self.gradBias
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], self.kW, self.dW, self.featFirst, scale or 1)
end

function TemporalRowConvolution:__tostring__()
   local s = string.format('%s(%d, %d', torch.type(self), self.inputFrameSize, self.kW)
   if self.dW ~= 1 then
      s = s .. string.format(', %d', self.dW)
   end
   if self.bias then
      return s .. ')'
   end
   return s .. ') without bias'
end

function TemporalRowConvolution:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput')
   return parent.clearState(self)
end
