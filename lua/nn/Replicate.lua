-- nn.Replicate(nFeature [, dim [, ndim]]): the input repeated nFeature times along a new
-- dimension dim, without copying (stride 0).

local Replicate, parent = torch.class('nn.Replicate', 'nn.Module')

function Replicate:__init(nf, dim, ndim)
   parent.__init(self)
   self.nfeatures = nf
   self.dim = dim or 1
   self.ndim = ndim
   assert(self.dim > 0, 'Can only replicate across positive integer dimensions.')
end

local function repdim(self, input)
   assert(self.dim <= input:dim() + 1,
      'Not enough input dimensions to replicate along dimension ' .. tostring(self.dim) .. '.')
   local batchOffset = (self.ndim and input:dim() > self.ndim) and 1 or 0
   return self.dim + batchOffset
end

function Replicate:updateOutput(input)
   local rdim = repdim(self, input)
   local sz, st = {}, {}
   local isz, ist = input:size():totable(), input:stride():totable()
   for i = 1, #isz do
      local j = i >= rdim and i + 1 or i
      sz[j], st[j] = isz[i], ist[i]
   end
   sz[rdim], st[rdim] = self.nfeatures, 0
   self.output:set(input:storage(), input:storageOffset(), torch.LongStorage(sz),
      torch.LongStorage(st))
   return self.output
end

function Replicate:updateGradInput(input, gradOutput)
   local rdim = repdim(self, input)
   self.gradInput:sum(gradOutput, rdim)
   self.gradInput:resizeAs(input)
   return self.gradInput
end
