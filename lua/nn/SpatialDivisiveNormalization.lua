-- nn.SpatialDivisiveNormalization(nInputPlane = 1 [, kernel = 9x9 ones] [, threshold = 1e-4]
-- [, thresval = threshold]): divides every pixel by the weighted standard deviation of its
-- neighbourhood across all planes (sqrt of a convolution of x^2, border-corrected as in
-- nn.SpatialSubtractiveNormalization); deviations below `threshold` are replaced by
-- `thresval`.  C x H x W or N x C x H x W inputs.

local SDN, parent = torch.class('nn.SpatialDivisiveNormalization', 'nn.Module')

function SDN:__init(nInputPlane, kernel, threshold, thresval)
   parent.__init(self)
   self.nInputPlane = nInputPlane or 1
   self.kernel = kernel or torch.Tensor(9, 9):fill(1)
   self.threshold = threshold or 1e-4
   self.thresval = thresval or threshold or 1e-4
   local name = 'SpatialDivisiveNormalization'
   local n = self.nInputPlane
   local mseq, mfirst, kdim = nn._localSumEstimator(name, n, self.kernel)
   local sseq, sfirst = nn._localSumEstimator(name, n, self.kernel, nn.Square())
   sseq:add(nn.Sqrt())
   if kdim == 2 then
      self.kernel:div(self.kernel:sum() * n)
   else
      self.kernel:div(self.kernel:sum() * math.sqrt(n))
   end
   nn._loadLocalSumKernel(mseq, mfirst, kdim, n, self.kernel)
   nn._loadLocalSumKernel(sseq, sfirst, kdim, n, self.kernel)
   self.meanestimator = mseq
   self.stdestimator = sseq
   self.normalizer = nn.CDivTable()
   self.divider = nn.CDivTable()
   self.thresholder = nn.Threshold(self.threshold, self.thresval)
   self.coef = torch.Tensor(1, 1, 1)
end

function SDN:updateOutput(input)
   if not torch.isTensor(input) or (input:dim() ~= 3 and input:dim() ~= 4) then
      torch._error('3D or 4D (batch mode) tensor expected for input')
   end
   local coef = nn._localSumCoef(self, self.meanestimator, input)
   self.localstds = self.stdestimator:updateOutput(input)
   self.adjustedstds = self.divider:updateOutput{self.localstds, coef}
   self.thresholdedstds = self.thresholder:updateOutput(self.adjustedstds)
   self.output = self.normalizer:updateOutput{input, self.thresholdedstds}
   return self.output
end

function SDN:updateGradInput(input, gradOutput)
   self.gradInput:resizeAs(input):zero()
   local gradnorm = self.normalizer:updateGradInput({input, self.thresholdedstds}, gradOutput)
   local gradadj = self.thresholder:updateGradInput(self.adjustedstds, gradnorm[2])
   local graddiv = self.divider:updateGradInput({self.localstds, self.coef}, gradadj)
   self.gradInput:add(self.stdestimator:updateGradInput(input, graddiv[1]))
   self.gradInput:add(gradnorm[1])
   return self.gradInput
end

function SDN:clearState()
   if self.ones then self.ones:set() end
   if self._coef then self._coef:set() end
   self._coefKey = nil
   self.meanestimator:clearState()
   self.stdestimator:clearState()
   return parent.clearState(self)
end
