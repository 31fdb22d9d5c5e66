-- unsup.LinearFistaL1(inputSize, outputSize, lambda [, params]): the sparse code z of an input
-- x on a dictionary D (an nn.Linear(outputSize, inputSize) with zero bias), minimising
--    ||D z - x||^2 + lambda ||z||_1
-- with optim.FistaLS (always the FISTA update).  params are FistaLS's, with the defaults
-- L 0.1, Lstep 1.5, maxiter 50, maxline 20, errthres 1e-4.
--
--    fval, history = m:updateOutput(x)   the code is m.code, the reconstruction m.D.output
-- After each call that did not have to grow L, params.L is halved (a longer first step next
-- time).  accGradParameters(x) accumulates the reconstruction error's gradient in D's weight
-- (the bias stays 0); normalize() scales each dictionary column to unit norm.
local LinearFistaL1, parent = torch.class('unsup.LinearFistaL1', 'unsup.UnsupModule')

function LinearFistaL1:__init(inputSize, outputSize, lambda, params)
   parent.__init(self)
   self.lambda = lambda
   self.D = nn.Linear(outputSize, inputSize)
   self.Fcost = nn.MSECriterion()
   self.Fcost.sizeAverage = false
   self.Gcost = nn.L1Cost()
   self.code = torch.Tensor(outputSize):zero()

   -- FistaLS's three functions: the smooth reconstruction error, the L1 penalty, shrinkage
   self.f = function(z, mode)
      local rec = self.D:updateOutput(z)
      local fval = self.Fcost:updateOutput(rec, self.input)
      if mode and mode:match('dx') then
         local gradRec = self.Fcost:updateGradInput(rec, self.input)
         return fval, self.D:updateGradInput(z, gradRec)
      end
      return fval
   end
   self.g = function(z)
      return self.lambda * self.Gcost:updateOutput(z)
   end
   self.pl = function(z, L)
      z:shrinkage(self.lambda / L)
   end

   local p = params or {}
   p.L = p.L or 0.1
   p.Lstep = p.Lstep or 1.5
   p.maxiter = p.maxiter or 50
   p.maxline = p.maxline or 20
   p.errthres = p.errthres or 1e-4
   p.doFistaUpdate = true
   self.params = p

   -- no gradient flows to the input of an unsupervised module
   self.gradInput = nil
   self:reset()
end

function LinearFistaL1:reset(stdv)
   self.D:reset(stdv)
   self.D.bias:zero()
end

function LinearFistaL1:parameters()
   return self.D:parameters()
end

function LinearFistaL1:updateOutput(input)
   self.input = input
   self.code:zero()
   local oldL = self.params.L
   local _, h = optim.FistaLS(self.f, self.g, self.pl, self.code, self.params)
   if oldL == self.params.L then
      self.params.L = self.params.L / 2
   end
   return h[#h].F, h
end

function LinearFistaL1:updateGradInput(input)
   return self.gradInput
end

function LinearFistaL1:zeroGradParameters()
   self.D:zeroGradParameters()
end

function LinearFistaL1:accGradParameters(input)
   self.D:updateOutput(self.code)
   self.Fcost:updateGradInput(self.D.output, input)
   self.D:accGradParameters(self.code, self.Fcost.gradInput)
   self.D.gradBias:zero()
end

function LinearFistaL1:updateParameters(learningRate)
   self.D:updateParameters(learningRate)
   self.D.bias:zero()
end

function LinearFistaL1:normalize()
   local w = self.D.weight
   for i = 1, w:size(2) do
      local col = w:select(2, i)
      col:div(col:norm() + 1e-12)
   end
end
