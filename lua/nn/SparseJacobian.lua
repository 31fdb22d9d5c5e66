-- nn.SparseJacobian: nn.Jacobian's checks for modules whose input is sparse, a matrix of
-- (index, value) rows: only the values (column 2) are independent variables, so the Jacobian
-- with respect to the input has one row per input row.

nn.SparseJacobian = {}
local SparseJacobian = nn.SparseJacobian

local PERTURBATION = 1e-6

-- x filled with uniform values in [minval, maxval).
local function randomize(x, minval, maxval)
   x:copy(torch.rand(x:nElement()):mul(maxval - minval):add(minval))
end

-- The output gradient buffer and a flat view of it, for one unit gradient per output element.
local function unitGradOutput(module)
   local dout = module.output.new():resizeAs(module.output)
   return dout, module.output.new(dout:storage(), 1, dout:nElement())
end

-- With respect to a parameter the input's format does not matter: nn.Jacobian's checks serve.
-- With respect to the input only its values (column 2) vary, a strided view, which
-- nn.Jacobian's flat view of its variables (made by a resize) does not follow.

--- The Jacobian by backpropagation, with respect to the input's values or to `param`.
function SparseJacobian.backward(module, input, param, dparam)
   if param then return nn.Jacobian.backward(module, input, param, dparam) end
   module:forward(input)
   local dout, flat = unitGradOutput(module)
   local jacobian = torch.Tensor(input:size(1), dout:nElement()):zero()
   for i = 1, flat:nElement() do
      dout:zero()
      flat[i] = 1
      module:zeroGradParameters()
      local din = module:updateGradInput(input, dout)
      module:accGradParameters(input, dout)
      jacobian:select(2, i):copy(din:select(2, 2))
   end
   return jacobian
end

--- The change of `param` made by accUpdateGradParameters(lr = 1) for each unit output gradient
--- (gradients zeroed before each, as Torch7's SparseJacobian does and nn.Jacobian does not).
function SparseJacobian.backwardUpdate(module, input, param)
   module:forward(input)
   local dout, flat = unitGradOutput(module)
   local jacobian = torch.Tensor(param:nElement(), dout:nElement()):zero()
   local params = module:parameters()
   local saved = {}
   for j = 1, #params do saved[j] = params[j]:clone() end
   for i = 1, flat:nElement() do
      for j = 1, #params do params[j]:copy(saved[j]) end
      dout:zero()
      flat[i] = 1
      module:zeroGradParameters()
      module:updateGradInput(input, dout)
      module:accUpdateGradParameters(input, dout, 1)
      jacobian:select(2, i):copy(param)
   end
   for j = 1, #params do params[j]:copy(saved[j]) end
   return jacobian
end

--- The Jacobian by central finite differences, with respect to the input's values or to
--- `param`.
function SparseJacobian.forward(module, input, param)
   if param then return nn.Jacobian.forward(module, input, param) end
   local vars = input:select(2, 2)
   local jacobian = torch.Tensor(vars:nElement(), module:forward(input):nElement())
   local outa = torch.Tensor(jacobian:size(2))
   local outb = torch.Tensor(jacobian:size(2))
   for i = 1, vars:nElement() do
      local orig = vars[i]
      vars[i] = orig - PERTURBATION
      outa:copy(module:forward(input))
      vars[i] = orig + PERTURBATION
      outb:copy(module:forward(input))
      vars[i] = orig
      outb:add(-1, outa):div(2 * PERTURBATION)
      jacobian:select(1, i):copy(outb)
   end
   return jacobian
end

--- What accUpdateGradParameters should leave in `param`, by finite differences.
function SparseJacobian.forwardUpdate(module, input, param)
   return nn.Jacobian.forwardUpdate(module, input, param)
end

function SparseJacobian.testJacobian(module, input, minval, maxval)
   minval, maxval = minval or -2, maxval or 2
   randomize(input:select(2, 2), minval, maxval)
   local jac_fprop = SparseJacobian.forward(module, input)
   local jac_bprop = SparseJacobian.backward(module, input)
   return (jac_fprop - jac_bprop):abs():max()
end

function SparseJacobian.testJacobianParameters(module, input, param, dparam, minval, maxval)
   minval, maxval = minval or -2, maxval or 2
   randomize(input:select(2, 2), minval, maxval)
   randomize(param, minval, maxval)
   local jac_bprop = SparseJacobian.backward(module, input, param, dparam)
   local jac_fprop = SparseJacobian.forward(module, input, param)
   return (jac_fprop - jac_bprop):abs():max()
end

function SparseJacobian.testJacobianUpdateParameters(module, input, param, minval, maxval)
   minval, maxval = minval or -2, maxval or 2
   randomize(input:select(2, 2), minval, maxval)
   randomize(param, minval, maxval)
   local params_bprop = SparseJacobian.backwardUpdate(module, input, param)
   local params_fprop = SparseJacobian.forwardUpdate(module, input, param)
   return (params_fprop - params_bprop):abs():max()
end

-- Serialization and the update paths do not depend on the input's format.
SparseJacobian.testIO = nn.Jacobian.testIO
SparseJacobian.testAllUpdate = nn.Jacobian.testAllUpdate

return SparseJacobian
