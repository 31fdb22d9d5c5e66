-- nn.TemporalMaxPooling(kW, [dW = kW]): max over windows of kW frames, stepping dW frames, for
-- 2D (nInputFrame x frameSize) or 3D (batch) inputs. self.indices (LongTensor) holds each
-- maximum's offset inside its window (0-based, as THNN). One door call per method.

local TemporalMaxPooling, parent = torch.class('nn.TemporalMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.conv_tmaxpool_fwd, door.conv_tmaxpool_bwd

function TemporalMaxPooling:__init(kW, dW)
   parent.__init(self)
   self.kW = kW
   self.dW = dW or kW
   self.indices = torch.LongTensor()
end

function TemporalMaxPooling:updateOutput(input)
   self.indices = self.indices or torch.LongTensor()
   if torch.type(self.indices) ~= 'torch.LongTensor' then
      self.indices = self.indices:long()
   end
   k_fwd(H[self.output], H[self.indices], H[input] or input, self.kW, self.dW)
   return self.output
end

function TemporalMaxPooling:updateGradInput(input, gradOutput)
   if self.gradInput then
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.indices],
         self.kW, self.dW)
      return self.gradInput
   end
end

function TemporalMaxPooling:empty()
   self:clearState()
end

function TemporalMaxPooling:clearState()
   nn.utils.clear(self, 'indices')
   return parent.clearState(self)
end
