-- nn.PReLU: y = x > 0 ? x : a * x with a learnt slope, shared (nOutputPlane 0) or one per
-- plane (the feature dimension: 1 for 1-D/3-D inputs, 2 for batches).

local PReLU, parent = torch.class('nn.PReLU', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.act_prelu_fwd, door.act_prelu_bwd, door.act_prelu_acc

function PReLU:__init(nOutputPlane)
   parent.__init(self)
   self.nOutputPlane = nOutputPlane or 0
   self.weight = torch.Tensor(nOutputPlane or 1):fill(0.25)
   self.gradWeight = torch.Tensor(nOutputPlane or 1):zero()
end

function PReLU:updateOutput(input)
   if H[input] == nil then
      torch._error("bad argument #1 to 'forward' (tensor expected, got " ..
         (torch.typename(input) or type(input)) .. ')')
   end
   k_fwd(H[self.output], H[input] or input, H[self.weight], self.nOutputPlane)
   return self.output
end

function PReLU:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
      self.nOutputPlane)
   return self.gradInput
end

function PReLU:accGradParameters(input, gradOutput, scale)
   k_acc(H[self.gradWeight], H[input] or input, H[gradOutput] or gradOutput, self.nOutputPlane,
      scale or 1)
   return self.gradWeight
end
