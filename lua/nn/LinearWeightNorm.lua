-- nn.LinearWeightNorm(inputSize, outputSize [, bias = true] [, eps = 1e-16]): nn.Linear whose
-- weight rows are reparametrized as w_i = g_i * v_i / ||v_i|| (Salimans & Kingma, 2016); the
-- parameters are v, g (outputSize x 1) and the bias. self.weight is the derived matrix, remade
-- at each forward in training mode.

local LinearWeightNorm, parent = torch.class('nn.LinearWeightNorm', 'nn.Linear')

function LinearWeightNorm:__init(inputSize, outputSize, bias, eps)
   nn.Module.__init(self)
   if bias == nil then bias = true end
   self.eps = eps or 1e-16
   self.inputSize = inputSize
   self.outputSize = outputSize
   self.v = torch.Tensor(outputSize, inputSize)
   self.gradV = torch.Tensor(outputSize, inputSize)
   self.weight = torch.Tensor(outputSize, inputSize)
   self.g = torch.Tensor(outputSize, 1)
   self.gradG = torch.Tensor(outputSize, 1)
   self.norm = torch.Tensor(outputSize, 1)
   self.scale = torch.Tensor(outputSize, 1)
   if bias then
      self.bias = torch.Tensor(outputSize)
      self.gradBias = torch.Tensor(outputSize)
   end
   self:reset()
end

function LinearWeightNorm:parameters()
   if self.bias then
      return {self.v, self.g, self.bias}, {self.gradV, self.gradG, self.gradBias}
   end
   return {self.v, self.g}, {self.gradV, self.gradG}
end

function LinearWeightNorm:reset(stdv)
   stdv = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(self.inputSize)
   self.weight:uniform(-stdv, stdv)
   self:initFromWeight()
   if self.bias then self.bias:uniform(-stdv, stdv) end
   return self
end

--- v and g set so that the derived weight is `weight` (default self.weight).
function LinearWeightNorm:initFromWeight(weight)
   weight = weight or self.weight
   self.g:norm(weight, 2, 2):clamp(self.eps, math.huge)
   self.v:copy(weight)
   return self
end

--- A LinearWeightNorm computing what the nn.Linear computes.
function LinearWeightNorm.fromLinear(linear)
   local module = nn.LinearWeightNorm(linear.weight:size(2), linear.weight:size(1),
                                      torch.isTensor(linear.bias))
   module.weight:copy(linear.weight)
   module:initFromWeight()
   if linear.bias then module.bias:copy(linear.bias) end
   return module
end

--- The nn.Linear with the current derived weight.
function LinearWeightNorm:toLinear()
   self:updateWeightMatrix()
   local module = nn.Linear(self.inputSize, self.outputSize, torch.isTensor(self.bias))
   module.weight:copy(self.weight)
   if self.bias then module.bias:copy(self.bias) end
   return module
end

--- weight = v * (g / ||v||), row by row (the norm kept for the backward).
function LinearWeightNorm:updateWeightMatrix()
   if self.norm:dim() == 0 then self.norm:resizeAs(self.g) end
   if self.scale:dim() == 0 then self.scale:resizeAs(self.g) end
   self.weight:resizeAs(self.v)
   self.norm:norm(self.v, 2, 2):clamp(self.eps, math.huge)
   self.scale:cdiv(self.g, self.norm)
   self.weight:cmul(self.v, self.scale:expandAs(self.v))
end

function LinearWeightNorm:evaluate()
   if self.train ~= false then self:updateWeightMatrix() end
   return parent.evaluate(self)
end

function LinearWeightNorm:updateOutput(input)
   if self.train ~= false then self:updateWeightMatrix() end
   return parent.updateOutput(self, input)
end

-- Adds scale * (the gradient of v and of g) into gradV and gradG, from the derived weight's
-- gradient G: dg_i = <G_i, v_i> / ||v_i||, dv_i = (g_i / ||v_i||) (G_i - dg_i v_i / ||v_i||).
function LinearWeightNorm:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   self._gradWeight = self._gradWeight or self.v.new()
   local G = self._gradWeight:resizeAs(self.v):zero()
   local gradWeight = self.gradWeight
   self.gradWeight = G
   parent.accGradParameters(self, input, gradOutput, scale)
   self.gradWeight = gradWeight

   local norm = self.norm:expandAs(self.v)
   self._vhat = self._vhat or self.v.new()
   local vhat = self._vhat:resizeAs(self.v):cdiv(self.v, norm)
   self._dg = self._dg or self.g.new()
   local dg = self._dg:resizeAs(self.g)
   self._prod = self._prod or self.v.new()
   dg:sum(self._prod:resizeAs(G):cmul(G, vhat), 2)
   -- G - dg * vhat, then times g / ||v||
   G:addcmul(-1, vhat, dg:expandAs(G)):cmul(self.scale:expandAs(G))
   self.gradV:add(G)
   self.gradG:add(dg)
end

-- v, g and bias updated in place: the gradients are computed whole before any is added.
function LinearWeightNorm:defaultAccUpdateGradParameters(input, gradOutput, lr)
   local gradV, gradG, gradBias = self.gradV, self.gradG, self.gradBias
   self.gradV, self.gradG, self.gradBias = self.v, self.g, self.bias
   self:accGradParameters(input, gradOutput, -lr)
   self.gradV, self.gradG, self.gradBias = gradV, gradG, gradBias
end
LinearWeightNorm.accUpdateGradParameters = nn.Module.accUpdateGradParameters
LinearWeightNorm.sharedAccUpdateGradParameters = nn.Module.sharedAccUpdateGradParameters

function LinearWeightNorm:clearState()
   nn.utils.clear(self, 'weight', 'norm', 'scale', '_gradWeight', '_vhat', '_dg', '_prod')
   return parent.clearState(self)
end

function LinearWeightNorm:__tostring__()
   return torch.type(self) .. string.format('(%d -> %d)', self.inputSize, self.outputSize) ..
      (self.bias == nil and ' without bias' or '')
end
