-- nn.Normalize(p [, eps = 1e-10]): y = x / ||x||_p per sample (a vector, or each row of a
-- batch), with ||x||_p = (sum |x|^p + eps)^(1/p), or max |x| + eps for p = math.huge.

local Normalize, parent = torch.class('nn.Normalize', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.norm_normalize_fwd, door.norm_normalize_bwd

function Normalize:__init(p, eps)
   parent.__init(self)
   if not p then torch._error('p-norm not provided') end
   if not (p > 0) then torch._error(p .. '-norm not supported') end
   self.p = p
   self.eps = eps or 1e-10
end

function Normalize:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.p, self.eps)
   return self.output
end

function Normalize:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.p, self.eps)
   return self.gradInput
end

function Normalize:__tostring__()
   if self.p % 1 == 0 then
      return string.format('%s(%d)', torch.type(self), self.p)
   end
   return string.format('%s(%f)', torch.type(self), self.p)
end
