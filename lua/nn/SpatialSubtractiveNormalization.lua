-- nn.SpatialSubtractiveNormalization(nInputPlane = 1 [, kernel = 9x9 ones]): subtracts from
-- every pixel the weighted mean of its neighbourhood across all planes.  The mean is
-- estimated, as in Torch7, by a zero-padded convolution with the normalised kernel (a 1-D
-- kernel is applied separably), replicated over the planes, and divided by the same estimate
-- of a field of ones so the borders are not darkened.  C x H x W or N x C x H x W inputs.

local SSN, parent = torch.class('nn.SpatialSubtractiveNormalization', 'nn.Module')

local unpack = unpack or table.unpack

--- The zero-padded convolutional estimator of a weighted local sum over all planes (shared with
--- nn.SpatialDivisiveNormalization); also returns the index of its first convolution.
function nn._localSumEstimator(name, nInputPlane, kernel, prefix)
   local kdim = kernel:nDimension()
   if kdim ~= 2 and kdim ~= 1 then
      torch._error('<' .. name .. '> averaging kernel must be 2D or 1D')
   end
   if (kernel:size(1) % 2) == 0 or (kdim == 2 and (kernel:size(2) % 2) == 0) then
      torch._error('<' .. name .. '> averaging kernel must have ODD dimensions')
   end
   local padH = math.floor(kernel:size(1) / 2)
   local padW = kdim == 2 and math.floor(kernel:size(2) / 2) or padH
   local seq = nn.Sequential()
   if prefix then seq:add(prefix) end
   local first = #seq.modules + 2
   seq:add(nn.SpatialZeroPadding(padW, padW, padH, padH))
   if kdim == 2 then
      seq:add(nn.SpatialConvolution(nInputPlane, 1, kernel:size(2), kernel:size(1)))
   else
      seq:add(nn.SpatialConvolutionMap(nn.tables.oneToOne(nInputPlane), kernel:size(1), 1))
      seq:add(nn.SpatialConvolution(nInputPlane, 1, 1, kernel:size(1)))
   end
   seq:add(nn.Replicate(nInputPlane, 1, 3))
   return seq, first, kdim
end

--- Load the (already normalised) kernel into an estimator made by nn._localSumEstimator.
function nn._loadLocalSumKernel(seq, first, kdim, nInputPlane, kernel)
   if kdim == 2 then
      local conv = seq.modules[first]
      for i = 1, nInputPlane do conv.weight[1][i]:copy(kernel) end
      conv.bias:zero()
   else
      local hconv, vconv = seq.modules[first], seq.modules[first + 1]
      for i = 1, nInputPlane do
         hconv.weight[i]:copy(kernel)
         vconv.weight[1][i]:copy(kernel)
      end
      hconv.bias:zero()
      vconv.bias:zero()
   end
end

--- The estimator's answer on a field of ones shaped like one sample of `input`, expanded over
--- the batch: the border correction (cached on `self` until the input size changes).
function nn._localSumCoef(self, estimator, input)
   local sz = input:size():totable()
   local key = table.concat(sz, 'x')
   if self._coefKey == key and self.coef then return self.coef end
   self.ones = self.ones or input.new()
   self._coef = self._coef or input.new()
   local batch = input:dim() == 4
   self.ones:resizeAs(batch and input[1] or input):fill(1)
   local coef = estimator:updateOutput(self.ones)
   self._coef:resizeAs(coef):copy(coef)
   if batch then
      local csz = self._coef:size():totable()
      local full = {input:size(1)}
      for i = 1, #csz do full[i + 1] = csz[i] end
      self.coef = self._coef:view(1, unpack(csz)):expand(unpack(full))
   else
      self.coef = self._coef
   end
   self._coefKey = key
   return self.coef
end

function SSN:__init(nInputPlane, kernel)
   parent.__init(self)
   self.nInputPlane = nInputPlane or 1
   self.kernel = kernel or torch.Tensor(9, 9):fill(1)
   local name = 'SpatialSubtractiveNormalization'
   local seq, first, kdim = nn._localSumEstimator(name, self.nInputPlane, self.kernel)
   self.kernel:div(self.kernel:sum() * self.nInputPlane)
   nn._loadLocalSumKernel(seq, first, kdim, self.nInputPlane, self.kernel)
   self.meanestimator = seq
   self.subtractor = nn.CSubTable()
   self.divider = nn.CDivTable()
   self.coef = torch.Tensor(1, 1, 1)
end

local function checkInput(input)
   if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
      torch._error('3D or 4D (batch mode) tensor expected for input')
   end
end

function SSN:updateOutput(input)
   checkInput(input)
   local coef = nn._localSumCoef(self, self.meanestimator, input)
   self.localsums = self.meanestimator:updateOutput(input)
   self.adjustedsums = self.divider:updateOutput{self.localsums, coef}
   self.output = self.subtractor:updateOutput{input, self.adjustedsums}
   return self.output
end

function SSN:updateGradInput(input, gradOutput)
   self.gradInput:resizeAs(input):zero()
   local gradsub = self.subtractor:updateGradInput({input, self.adjustedsums}, gradOutput)
   local graddiv = self.divider:updateGradInput({self.localsums, self.coef}, gradsub[2])
   self.gradInput:add(self.meanestimator:updateGradInput(input, graddiv[1]))
   self.gradInput:add(gradsub[1])
   return self.gradInput
end

function SSN:clearState()
   if self.ones then self.ones:set() end
   if self._coef then self._coef:set() end
   self._coefKey = nil
   self.meanestimator:clearState()
   return parent.clearState(self)
end
