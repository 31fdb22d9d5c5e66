-- nn.Linear: y = W x + b for a sample (1-D input) or a batch (2-D input, one sample per row).
-- Each method is one fused door call (luatorch/kernels/linear.py).

local Linear, parent = torch.class('nn.Linear', 'nn.Module')

local H = torch._H
local door = torch._door
local k_forward, k_grad_input, k_acc_grad = door.lin_forward, door.lin_grad_input,
   door.lin_acc_grad

function Linear:__init(inputSize, outputSize, bias)
   parent.__init(self)
   if bias == nil then bias = true end
   self.weight = torch.Tensor(outputSize, inputSize)
   self.gradWeight = torch.Tensor(outputSize, inputSize)
   if bias then
      self.bias = torch.Tensor(outputSize)
      self.gradBias = torch.Tensor(outputSize)
   end
   self:reset()
end

function Linear:noBias()
   self.bias = nil
   self.gradBias = nil
   return self
end

function Linear:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.weight:size(2))
   end
   if nn.oldSeed then
      -- the old draw order: row by row, then the bias element by element
      for i = 1, self.weight:size(1) do
         self.weight:select(1, i):apply(function() return torch.uniform(-stdv, stdv) end)
      end
      if self.bias then
         for i = 1, self.bias:nElement() do self.bias[i] = torch.uniform(-stdv, stdv) end
      end
   else
      self.weight:uniform(-stdv, stdv)
      if self.bias then self.bias:uniform(-stdv, stdv) end
   end
   return self
end

function Linear:updateOutput(input)
   local bias = self.bias
   k_forward(H[self.output], H[input] or input, H[self.weight], bias and H[bias])
   return self.output
end

function Linear:updateGradInput(input, gradOutput)
   if self.gradInput then
      k_grad_input(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput,
         H[self.weight])
      return self.gradInput
   end
end

function Linear:accGradParameters(input, gradOutput, scale)
   local gradBias = self.gradBias
   k_acc_grad(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], scale or 1)
end

-- sharing needs no accumulation buffer: the update goes straight into the shared weights
Linear.sharedAccUpdateGradParameters = nn.Module.defaultAccUpdateGradParameters

function Linear:clearState()
   if self.addBuffer then self.addBuffer:set() end
   return parent.clearState(self)
end

function Linear:__tostring__()
   return torch.type(self) ..
      string.format('(%d -> %d)', self.weight:size(2), self.weight:size(1)) ..
      (self.bias == nil and ' without bias' or '')
end
