-- nn.Jacobian: finite-difference checks of a module's derivatives (doc/testing.md).
-- A Jacobian here is (number of independent variables) x (number of outputs).

nn.Jacobian = {}
local Jacobian = nn.Jacobian

--- The Jacobian by backpropagation: with respect to the input, or to `param` (gradient dparam).
function Jacobian.backward(module, input, param, dparam)
   local doparam = param ~= nil
   param = param or input
   module:forward(input)
   local dout = module.output.new():resizeAs(module.output)
   local sdout = module.output.new(dout:storage(), 1, dout:nElement())
   local jacobian = torch.Tensor(param:nElement(), dout:nElement()):zero()
   for i = 1, sdout:nElement() do
      dout:zero()
      sdout[i] = 1
      module:zeroGradParameters()
      local din = module:updateGradInput(input, dout)
      module:accGradParameters(input, dout)
      if doparam then
         jacobian:select(2, i):copy(dparam)
      else
         jacobian:select(2, i):copy(din)
      end
   end
   return jacobian
end

--- The change of `param` made by accUpdateGradParameters(lr = 1) for each unit output gradient.
function Jacobian.backwardUpdate(module, input, param)
   module:forward(input)
   local dout = module.output.new():resizeAs(module.output)
   local sdout = module.output.new(dout:storage(), 1, dout:nElement())
   local jacobian = torch.Tensor(param:nElement(), dout:nElement()):zero()
   local params = module:parameters()
   local origparams = {}
   for j = 1, #params do origparams[j] = params[j]:clone() end
   for i = 1, sdout:nElement() do
      for j = 1, #params do params[j]:copy(origparams[j]) end
      dout:zero()
      sdout[i] = 1
      module:updateGradInput(input, dout)
      module:accUpdateGradParameters(input, dout, 1)
      jacobian:select(2, i):copy(param)
   end
   for j = 1, #params do params[j]:copy(origparams[j]) end
   return jacobian
end

--- The Jacobian by central finite differences of the outputs with respect to `param`
--- (the input when param is nil).
function Jacobian.forward(module, input, param, perturbation)
   param = param or input
   perturbation = perturbation or 1e-6
   -- a flat view of the independent variables
   local sin = param.new(param):resize(param:nElement())
   local jacobian = torch.Tensor():resize(param:nElement(), module:forward(input):nElement())
   local outa = torch.Tensor(jacobian:size(2))
   local outb = torch.Tensor(jacobian:size(2))
   for i = 1, sin:nElement() do
      local orig = sin[i]
      sin[i] = orig - perturbation
      outa:copy(module:forward(input))
      sin[i] = orig + perturbation
      outb:copy(module:forward(input))
      sin[i] = orig
      outb:add(-1, outa):div(2 * perturbation)
      jacobian:select(1, i):copy(outb)
   end
   return jacobian
end

--- What accUpdateGradParameters should leave in `param`, by finite differences.
function Jacobian.forwardUpdate(module, input, param, perturbation)
   perturbation = perturbation or 1e-6
   local sin = param.new(param):resize(param:nElement())
   local jacobian = torch.Tensor():resize(param:nElement(), module:forward(input):nElement())
   local outa = torch.Tensor(jacobian:size(2))
   local outb = torch.Tensor(jacobian:size(2))
   for i = 1, sin:nElement() do
      local orig = sin[i]
      sin[i] = orig - perturbation
      outa:copy(module:forward(input))
      sin[i] = orig + perturbation
      outb:copy(module:forward(input))
      sin[i] = orig
      outb:add(-1, outa):div(2 * perturbation)
      jacobian:select(1, i):copy(outb)
      jacobian:select(1, i):mul(-1)
      jacobian:select(1, i):add(sin[i])
   end
   return jacobian
end

-- x filled with uniform values in [minval, maxval).
local function randomize(x, minval, maxval)
   x:copy(torch.rand(x:nElement()):mul(maxval - minval):add(minval))
end

--- Largest difference between the input Jacobians by backpropagation and finite differences,
--- at a random input in [minval, maxval] (default [-2, 2]).
function Jacobian.testJacobian(module, input, minval, maxval, perturbation)
   minval = minval or -2
   maxval = maxval or 2
   randomize(input, minval, maxval)
   local jac_fprop = Jacobian.forward(module, input, input, perturbation)
   local jac_bprop = Jacobian.backward(module, input)
   return (jac_fprop - jac_bprop):abs():max()
end

--- Same with respect to the parameters `param` (gradient `dparam`), both made random.
function Jacobian.testJacobianParameters(module, input, param, dparam, minval, maxval,
                                         perturbation)
   minval = minval or -2
   maxval = maxval or 2
   randomize(input, minval, maxval)
   randomize(param, minval, maxval)
   local jac_bprop = Jacobian.backward(module, input, param, dparam)
   local jac_fprop = Jacobian.forward(module, input, param, perturbation)
   return (jac_fprop - jac_bprop):abs():max()
end

--- Largest difference between the parameter update by accUpdateGradParameters and by finite
--- differences.
function Jacobian.testJacobianUpdateParameters(module, input, param, minval, maxval,
                                               perturbation)
   minval = minval or -2
   maxval = maxval or 2
   randomize(input, minval, maxval)
   randomize(param, minval, maxval)
   local params_bprop = Jacobian.backwardUpdate(module, input, param)
   local params_fprop = Jacobian.forwardUpdate(module, input, param, perturbation)
   return (params_fprop - params_bprop):abs():max()
end

-- A copy of `module` as written and read back (serialization when it is there).
local function roundTrip(module)
   if torch.DiskFile then
      local filename = os.tmpname()
      local f = torch.DiskFile(filename, 'w'):binary()
      f:writeObject(module)
      f:close()
      local m = torch.DiskFile(filename):binary():readObject()
      os.remove(filename)
      return m
   elseif torch.serialize and torch.deserialize then
      return torch.deserialize(torch.serialize(module))
   end
   return module:clone()
end

--- Largest differences of output and gradInput between a module and its written-and-read copy.
function Jacobian.testIO(module, input, minval, maxval)
   minval = minval or -2
   maxval = maxval or 2
   module:forward(input)
   local go = module.output:clone()
   randomize(go, minval, maxval)
   module:zeroGradParameters()
   module:updateGradInput(input, go)
   module:accGradParameters(input, go)
   local fo = module.output:clone()
   local bo = module.gradInput:clone()

   local m = roundTrip(module)
   m:forward(input)
   m:zeroGradParameters()
   m:updateGradInput(input, go)
   m:accGradParameters(input, go)
   local fo2 = m.output:clone()
   local bo2 = m.gradInput:clone()
   return (fo - fo2):abs():max(), (bo - bo2):abs():max()
end

--- Norms of the differences between the ways of updating parameter `weight` (with gradient
--- `gradWeight`): accGradParameters + updateParameters, accUpdateGradParameters, and both with
--- shared parameters.
function Jacobian.testAllUpdate(module, input, weight, gradWeight)
   local gradOutput
   local lr = torch.uniform(0.1, 1)
   local errors = {}

   local maccgp = module:clone()
   local weightc = maccgp[weight]:clone()
   maccgp:forward(input)
   gradOutput = torch.rand(maccgp.output:size()):typeAs(maccgp.output)
   maccgp:zeroGradParameters()
   maccgp:updateGradInput(input, gradOutput)
   maccgp:accGradParameters(input, gradOutput)
   maccgp:updateParameters(lr)
   errors['accGradParameters'] = (weightc - maccgp[gradWeight] * lr - maccgp[weight]):norm()

   local maccugp = module:clone()
   maccugp:forward(input)
   maccugp:updateGradInput(input, gradOutput)
   maccugp:accUpdateGradParameters(input, gradOutput, lr)
   errors['accUpdateGradParameters'] = (maccugp[weight] - maccgp[weight]):norm()

   local macsh1 = module:clone()
   local macsh2 = module:clone()
   macsh2:share(macsh1, weight)
   macsh1:forward(input)
   macsh2:forward(input)
   macsh1:zeroGradParameters()
   macsh2:zeroGradParameters()
   macsh1:updateGradInput(input, gradOutput)
   macsh2:updateGradInput(input, gradOutput)
   macsh1:accGradParameters(input, gradOutput)
   macsh2:accGradParameters(input, gradOutput)
   macsh1:updateParameters(lr)
   macsh2:updateParameters(lr)
   local err = (weightc - maccgp[gradWeight] * (lr * 2) - macsh1[weight]):norm()
   err = err + (weightc - maccgp[gradWeight] * (lr * 2) - macsh2[weight]):norm()
   errors['accGradParameters [shared]'] = err

   local macshu1 = module:clone()
   local macshu2 = module:clone()
   macshu2:share(macshu1, weight)
   macshu1:forward(input)
   macshu2:forward(input)
   macshu1:updateGradInput(input, gradOutput)
   macshu2:updateGradInput(input, gradOutput)
   macshu1:accUpdateGradParameters(input, gradOutput, lr)
   macshu2:accUpdateGradParameters(input, gradOutput, lr)
   err = (weightc - maccgp[gradWeight] * (lr * 2) - macshu1[weight]):norm()
   err = err + (weightc - maccgp[gradWeight] * (lr * 2) - macshu2[weight]):norm()
   errors['accUpdateGradParameters [shared]'] = err

   return errors
end

--- The diagonal Hessian of F = sum(output^2) / 2 with respect to the input or a parameter
--- (diagHessianParamName), by the module's updateDiagHessianInput/accDiagHessianParameters
--- with a unit diagHessianOutput (d2F/dy2 = 1).
function Jacobian.backwardDiagHessian(module, input, diagHessianParamName)
   module:forward(input)
   local ones = module.output.new():resizeAs(module.output):fill(1)
   module.diagHessianWeight:zero()
   if module.diagHessianBias then module.diagHessianBias:zero() end
   module:updateDiagHessianInput(input, ones)
   module:accDiagHessianParameters(input, ones)
   return module[diagHessianParamName]
end

--- The same diagonal for a module linear in its input and parameters, from first derivatives:
--- d2F/dx_i^2 = sum_k (dy_k/dx_i)^2, one backward per output element.
function Jacobian.linearModuleDiagHessian(module, input, gradParamName)
   module:forward(input)
   local gradOutput = module.output.new():resizeAs(module.output)
   local flat = gradOutput:view(gradOutput:nElement())
   local diag
   for i = 1, flat:nElement() do
      flat:zero()
      flat[i] = 1
      module.gradWeight:zero()
      if module.bias then module.gradBias:zero() end
      module:updateGradInput(input, gradOutput)
      module:accGradParameters(input, gradOutput)
      -- looked up after the backward: gradInput is sized (or replaced) by updateGradInput
      local g = module[gradParamName]:contiguous():view(-1)
      diag = diag or g.new(g:nElement()):zero()
      diag:addcmul(g, g)
   end
   return diag
end

--- Largest difference between the two ways of computing a diagonal Hessian, at a random input
--- in [minval, maxval] (default [-2, 2]).
function Jacobian.testDiagHessian(module, input, gradParamName, diagHessianParamName,
                                  minval, maxval)
   minval = minval or -2
   maxval = maxval or 2
   randomize(input, minval, maxval)
   module:initDiagHessianParameters()
   local h_bprop = Jacobian.backwardDiagHessian(module, input, diagHessianParamName)
   local h_linear = Jacobian.linearModuleDiagHessian(module, input, gradParamName)
   return (h_bprop:contiguous():view(-1) - h_linear:contiguous():view(-1)):abs():max()
end

function Jacobian.testDiagHessianInput(module, input, minval, maxval)
   return Jacobian.testDiagHessian(module, input, 'gradInput', 'diagHessianInput', minval,
                                   maxval)
end

function Jacobian.testDiagHessianWeight(module, input, minval, maxval)
   return Jacobian.testDiagHessian(module, input, 'gradWeight', 'diagHessianWeight', minval,
                                   maxval)
end

function Jacobian.testDiagHessianBias(module, input, minval, maxval)
   return Jacobian.testDiagHessian(module, input, 'gradBias', 'diagHessianBias', minval, maxval)
end

return Jacobian
