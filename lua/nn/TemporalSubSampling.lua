-- nn.TemporalSubSampling(inputFrameSize, kW, [dW]): per feature i,
-- output[t][i] = bias[i] + weight[i] * sum_{k=1..kW} input[dW*(t-1)+k][i].
-- weight, bias: inputFrameSize. Each method is one door call (luatorch/kernels/conv.py).

local TemporalSubSampling, parent = torch.class('nn.TemporalSubSampling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_subsample1d_fwd, door.conv_subsample1d_bwd,
   door.conv_subsample1d_acc

function TemporalSubSampling:__init(inputFrameSize, kW, dW)
   parent.__init(self)
   self.inputFrameSize = inputFrameSize
   self.kW = kW
   self.dW = dW or 1
   self.weight = torch.Tensor(inputFrameSize)
   self.bias = torch.Tensor(inputFrameSize)
   self.gradWeight = torch.Tensor(inputFrameSize)
   self.gradBias = torch.Tensor(inputFrameSize)
   self:reset()
end

function TemporalSubSampling:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW, true)
end

function TemporalSubSampling:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, H[self.weight], H[self.bias], self.kW, self.dW,
      self.inputFrameSize)
   return self.output
end

function TemporalSubSampling:updateGradInput(input, gradOutput)
   if self.gradInput then
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         self.kW, self.dW)
      return self.gradInput
   end
end

function TemporalSubSampling:accGradParameters(input, gradOutput, scale)
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight], H[self.gradBias],
      self.kW, self.dW, scale or 1)
end
