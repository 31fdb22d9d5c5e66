-- nn.hessian: estimates of the diagonal of the Hessian (LeCun's "Efficient BackProp"), used to
-- condition learning rates one parameter at a time. Off by default, as in Torch7:
-- nn.hessian.enable() adds updateDiagHessianInput, accDiagHessianParameters and
-- initDiagHessianParameters to the modules that support them, and makes parameters() and
-- getParameters() also return the diagonal Hessian buffers.
--
-- A layer linear in its input and weights gets its diagonal Hessian from its own backward run
-- on squared quantities: the input's from updateGradInput with squared weights, the weights'
-- from accGradParameters on the squared input. A pointwise layer's is f'(x)^2 times the output's.

nn.hessian = {}
local hessian = nn.hessian

-- Swaps module[a[i]] and module[b[i]] for every i.
local function swap(module, a, b)
   for i = 1, #a do
      module[a[i]], module[b[i]] = module[b[i]], module[a[i]]
   end
end

--- Accumulates into the fields named by hw (the Hessian of the fields gw) the gradient the
--- module gives for the squared input and diagHessianOutput.
function hessian.accDiagHessianParameters(module, input, diagHessianOutput, gw, hw)
   if #gw ~= #hw then
      error('Number of gradients is nto equal to number of hessians')
   end
   module.inputSq = module.inputSq or input.new()
   torch.cmul(module.inputSq:resizeAs(input), input, input)
   for i = 1, #gw do
      if module[hw[i]] == nil then
         module[hw[i]] = module[gw[i]].new():resizeAs(module[gw[i]])
      end
   end
   -- the gradient buffers stand in for the Hessian ones during one forward/backward
   swap(module, gw, hw)
   local output = module.output
   module.output = output.new():resizeAs(output)
   module:forward(module.inputSq)
   module:accGradParameters(module.inputSq, diagHessianOutput, 1)
   module.output = output
   swap(module, gw, hw)
end

--- Sets module.diagHessianInput to what updateGradInput gives for diagHessianOutput with the
--- weights named by w squared (into the fields named by wsq).
function hessian.updateDiagHessianInput(module, input, diagHessianOutput, w, wsq)
   if #w ~= #wsq then
      error('Number of weights is not equal to number of weights squares')
   end
   module.diagHessianInput = module.diagHessianInput or input.new()
   module.diagHessianInput:resizeAs(input):zero()
   for i = 1, #w do
      local wval = module[w[i]]
      module[wsq[i]] = module[wsq[i]] or wval.new()
      torch.cmul(module[wsq[i]]:resizeAs(wval), wval, wval)
   end
   local gradInput = module.gradInput
   module.gradInput = module.diagHessianInput
   swap(module, w, wsq)
   module:updateGradInput(input, diagHessianOutput)
   swap(module, w, wsq)
   module.gradInput = gradInput
end

--- For a pointwise module: diagHessianInput = f'(input)^2 * diagHessianOutput.
function hessian.updateDiagHessianInputPointWise(module, input, diagHessianOutput)
   local ones = diagHessianOutput.new():resizeAs(diagHessianOutput):fill(1)
   hessian.updateDiagHessianInput(module, input, ones, {}, {})
   module.diagHessianInput:cmul(module.diagHessianInput):cmul(diagHessianOutput)
end

--- Makes the Hessian buffers named by hw, shaped as the gradients named by gw.
function hessian.initDiagHessianParameters(module, gw, hw)
   module.diagHessianInput = module.diagHessianInput or module.gradInput.new()
   for i = 1, #gw do
      module[hw[i]] = module[hw[i]] or module[gw[i]].new():resizeAs(module[gw[i]])
   end
end

local GRADS = {'gradWeight', 'gradBias'}
local HESSIANS = {'diagHessianWeight', 'diagHessianBias'}

-- The three methods of a layer linear in its input and in the parameters named by `squared`.
local function linearLayer(class, squared, squares)
   if not class then return end
   function class:updateDiagHessianInput(input, diagHessianOutput)
      hessian.updateDiagHessianInput(self, input, diagHessianOutput, squared, squares)
      return self.diagHessianInput
   end
   function class:accDiagHessianParameters(input, diagHessianOutput)
      hessian.accDiagHessianParameters(self, input, diagHessianOutput, GRADS, HESSIANS)
   end
   function class:initDiagHessianParameters()
      hessian.initDiagHessianParameters(self, GRADS, HESSIANS)
   end
end

local function pointwise(class)
   function class:updateDiagHessianInput(input, diagHessianOutput)
      hessian.updateDiagHessianInputPointWise(self, input, diagHessianOutput)
      return self.diagHessianInput
   end
end

local enabled = false

--- Installs the Hessian methods (once; later calls do nothing).
function hessian.enable()
   if enabled then return end
   enabled = true
   local Module, Sequential = nn.Module, nn.Sequential

   function Module:updateDiagHessianInput(input, diagHessianOutput)
      error(torch.typename(self) .. ':updateDiagHessianInput() is undefined')
   end
   function Module:accDiagHessianParameters(input, diagHessianOutput) end
   function Module:initDiagHessianParameters() end

   function Sequential:initDiagHessianParameters()
      for i = 1, #self.modules do
         self.modules[i]:initDiagHessianParameters()
      end
   end

   function Sequential:updateDiagHessianInput(input, diagHessianOutput)
      local h = diagHessianOutput
      for i = #self.modules, 2, -1 do
         h = self.modules[i]:updateDiagHessianInput(self.modules[i - 1].output, h)
      end
      h = self.modules[1]:updateDiagHessianInput(input, h)
      self.diagHessianInput = h
      return h
   end

   function Sequential:accDiagHessianParameters(input, diagHessianOutput)
      local h = diagHessianOutput
      for i = #self.modules, 2, -1 do
         local m = self.modules[i]
         m:accDiagHessianParameters(self.modules[i - 1].output, h)
         h = m.diagHessianInput
      end
      self.modules[1]:accDiagHessianParameters(input, h)
   end

   function nn.Criterion:updateDiagHessianInput(input, diagHessianOutput)
      error(torch.typename(self) .. ':updateDiagHessianInput() is undefined')
   end

   -- (x - t)^2 has second derivative 2
   function nn.MSECriterion:updateDiagHessianInput(input, target)
      self.diagHessianInput = self.diagHessianInput or input.new()
      local val = self.sizeAverage and 2 / input:nElement() or 2
      self.diagHessianInput:resizeAs(input):fill(val)
      return self.diagHessianInput
   end
   nn.WeightedMSECriterion.updateDiagHessianInput = nn.MSECriterion.updateDiagHessianInput

   function nn.L1Cost:updateDiagHessianInput(input)
      self.diagHessianInput = self.diagHessianInput or input.new()
      self.diagHessianInput:resizeAs(input):fill(1)
      self.diagHessianInput[torch.eq(input, 0)] = 0
      return self.diagHessianInput
   end

   local weight, weightSq = {'weight'}, {'weightSq'}
   linearLayer(nn.Linear, weight, weightSq)
   linearLayer(nn.SpatialConvolution, weight, weightSq)
   linearLayer(nn.SpatialConvolutionLocal, weight, weightSq)
   linearLayer(nn.SpatialFullConvolution, weight, weightSq)
   linearLayer(nn.SpatialConvolutionMap, {'weight', 'bias'}, {'weightSq', 'biasSq'})
   linearLayer(nn.SpatialFullConvolutionMap, weight, weightSq)

   pointwise(nn.Tanh)
   pointwise(nn.Square)
   pointwise(nn.Sqrt)
   -- NOTE: Torch7 added diagHessianOutput to tanh's term here; f'(x)^2 = tanh(x)^4 is the value
   pointwise(nn.TanhShrink)

   function nn.Reshape:updateDiagHessianInput(input, diagHessianOutput)
      self.diagHessianInput = self.diagHessianInput or input.new()
      self.diagHessianInput:set(diagHessianOutput:contiguous()):resizeAs(input)
      return self.diagHessianInput
   end

   -- parameters() gains a third result: the Hessian buffers beside the gradients
   local parameters = Module.parameters
   function Module:parameters()
      local w, gw = parameters(self)
      if w == nil then return end
      local h = {}
      if self.weight then h[#h + 1] = self.diagHessianWeight end
      if self.bias then h[#h + 1] = self.diagHessianBias end
      return w, gw, h
   end

   function Sequential:parameters()
      local append = nn.utils.appendFlat
      local w, gw, h = {}, {}, {}
      for i = 1, #self.modules do
         local mw, mgw, mh = self.modules[i]:parameters()
         if mw then
            append(w, mw)
            append(gw, mgw)
            append(h, mh)
         end
      end
      return w, gw, h
   end

   local getParameters = Module.getParameters
   function Module:getParameters()
      local p, g = getParameters(self)
      local _, _, h = self:parameters()
      if h and h[1] then
         return p, g, Module.flatten(h)
      end
      return p, g
   end
end

return hessian
