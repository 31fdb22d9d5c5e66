-- nn.CReLU: concatenated ReLU, y = [max(0, x), max(0, -x)] joined along the feature
-- dimension (dimension 1, or 2 for a batch: input:dim() == nInputDims + 1), which doubles.

local CReLU, parent = torch.class('nn.CReLU', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_crelu_fwd, door.act_crelu_bwd

function CReLU:__init(nInputDims, inplace)
   parent.__init(self)
   self.nInputDims = nInputDims
   self.inplace = inplace or false
end

local function batched(self, input)
   local nd = self.nInputDims
   if nd == nil then return input:dim() > 1 end
   return input:dim() == nd + 1
end

function CReLU:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, batched(self, input))
   return self.output
end

function CReLU:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput,
      batched(self, input))
   return self.gradInput
end

function CReLU:__tostring__()
   return 'CReLU()'
end
