-- nn.LayerNormalization(nOutput [, bias = 0] [, eps = 1e-10] [, affine = true]): each sample
-- (a vector, or each row of a batch) is centred and scaled to norm sqrt(nOutput):
-- y = sqrt(n) (x - mean) / sqrt(||x - mean||^2 + eps), then y * weight + bias.  Torch7 builds
-- it from ConcatTable/Mean/Replicate/CSubTable/Normalize/MulConstant/CMul/Add; this is the
-- same computation in one module (parameters: weight = the CMul gain, bias = the Add bias).

local LayerNormalization, parent = torch.class('nn.LayerNormalization', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.norm_ln_fwd, door.norm_ln_bwd

function LayerNormalization:__init(nOutput, bias, eps, affine)
   parent.__init(self)
   if type(nOutput) ~= 'number' then
      torch._error('nn.LayerNormalization(nOutput [, bias, eps, affine]): nOutput expected')
   end
   self.nOutput = nOutput
   self.eps = eps or 1e-10
   if affine == nil then affine = true end
   self.affine = affine
   if affine then
      local stdv = 1 / math.sqrt(nOutput)
      -- Torch7 creates (and so randomly initialises) the Add bias, then the CMul gain
      self.bias = torch.Tensor(nOutput):uniform(-stdv, stdv):fill(bias or 0)
      self.weight = torch.Tensor(nOutput):uniform(-stdv, stdv):fill(1)
      self.gradWeight = torch.Tensor(nOutput):zero()
      self.gradBias = torch.Tensor(nOutput):zero()
   end
end

function LayerNormalization:parameters()
   if self.weight then
      return {self.weight, self.bias}, {self.gradWeight, self.gradBias}
   end
end

function LayerNormalization:updateOutput(input)
   local w, b = self.weight, self.bias
   k_fwd(H[self.output], H[input] or input, w and H[w], b and H[b], self.eps)
   return self.output
end

function LayerNormalization:updateGradInput(input, gradOutput)
   local w = self.weight
   k_bwd(H[self.gradInput], nil, nil, H[input] or input, H[gradOutput] or gradOutput,
      w and H[w], self.eps, 1)
   return self.gradInput
end

function LayerNormalization:accGradParameters(input, gradOutput, scale)
   if not self.weight then return end
   k_bwd(nil, H[self.gradWeight], H[self.gradBias], H[input] or input,
      H[gradOutput] or gradOutput, H[self.weight], self.eps, scale or 1)
end

function LayerNormalization:__tostring__()
   return string.format('%s (%d)', torch.type(self), self.nOutput)
end
