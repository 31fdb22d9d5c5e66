-- nn.TemporalConvolution(inputFrameSize, outputFrameSize, kW, [dW]): a 1D convolution over
-- sequences of frames, 2D (nInputFrame x inputFrameSize) or 3D (batch) inputs:
-- output[t] = bias + weight * (frames dW*(t-1)+1 .. dW*(t-1)+kW, concatenated).
-- weight: outputFrameSize x (kW*inputFrameSize); bias: outputFrameSize.
-- Each method is one door call (luatorch/kernels/conv.py: frames unfolded into self.finput).

local TemporalConvolution, parent = torch.class('nn.TemporalConvolution', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_temporal_fwd, door.conv_temporal_bwd,
   door.conv_temporal_acc

function TemporalConvolution:__init(inputFrameSize, outputFrameSize, kW, dW)
   parent.__init(self)
   self.inputFrameSize = inputFrameSize
   self.outputFrameSize = outputFrameSize
   self.kW = kW
   self.dW = dW or 1
   self.weight = torch.Tensor(outputFrameSize, inputFrameSize * kW)
   self.bias = torch.Tensor(outputFrameSize)
   self.gradWeight = torch.Tensor(outputFrameSize, inputFrameSize * kW)
   self.gradBias = torch.Tensor(outputFrameSize)
   self:reset()
end

function TemporalConvolution:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.inputFrameSize, true)
end

local function buffers(self)
   local finput, fgrad = self.finput, self.fgradInput
   if not (finput and fgrad) then
      finput = finput or self.weight.new()
      fgrad = fgrad or self.weight.new()
      self.finput, self.fgradInput = finput, fgrad
   end
   return H[finput], H[fgrad]
end

function TemporalConvolution:updateOutput(input)
   local finput = buffers(self)
   local bias = self.bias
   k_fwd(H[self.output], H[input] or input, H[self.weight], bias and H[bias], finput, self.kW,
      self.dW, self.inputFrameSize, self.outputFrameSize)
   return self.output
end

function TemporalConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         fgrad, self.kW, self.dW)
      return self.gradInput
   end
end

function TemporalConvolution:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = buffers(self)
   local gradBias = self.gradBias
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], finput, fgrad, self.kW, self.dW, scale or 1)
end

-- sharing needs no accumulation buffer: the update goes straight into the shared weights
TemporalConvolution.sharedAccUpdateGradParameters = nn.Module.defaultAccUpdateGradParameters

function TemporalConvolution:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function TemporalConvolution:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput')
   return parent.clearState(self)
end
