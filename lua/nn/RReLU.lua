-- nn.RReLU: in training, negative inputs are scaled by a slope drawn from U(lower, upper)
-- (kept in self.noise for backward); in evaluation the slope is (lower + upper) / 2.

local RReLU, parent = torch.class('nn.RReLU', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_rrelu_fwd, door.act_rrelu_bwd

function RReLU:__init(l, u, ip)
   parent.__init(self)
   self.lower = l or 1 / 8
   self.upper = u or 1 / 3
   if not (self.lower <= self.upper and self.lower >= 0 and self.upper >= 0) then
      torch._error('nn.RReLU: expects 0 <= lower <= upper')
   end
   self.noise = torch.Tensor()
   self.train = true
   self.inplace = ip or false
end

function RReLU:updateOutput(input)
   k_fwd(H[self.output], H[self.noise], H[input] or input, self.lower, self.upper,
      self.train ~= false, self.inplace)
   return self.output
end

function RReLU:updateGradInput(input, gradOutput)
   local x = self.inplace and self.output or input
   k_bwd(H[self.gradInput], H[x] or x, H[gradOutput] or gradOutput, H[self.noise], self.lower,
      self.upper, self.train ~= false, self.inplace)
   return self.gradInput
end

function RReLU:__tostring__()
   return string.format('%s (l:%f, u:%f)', torch.type(self), self.lower, self.upper)
end

function RReLU:clearState()
   if self.noise then self.noise:set() end
   return parent.clearState(self)
end
