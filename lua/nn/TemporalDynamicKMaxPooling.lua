-- nn.TemporalDynamicKMaxPooling(minK [, factor = 0]): the k largest values of each feature
-- along the sequence (dimension 1 of a 2D input, 2 of a 3D batch), kept in sequence order, with
-- k = max(minK, ceil(factor * length)) (Kalchbrenner et al., 2014).

local TemporalDynamicKMaxPooling, parent =
   torch.class('nn.TemporalDynamicKMaxPooling', 'nn.Module')

function TemporalDynamicKMaxPooling:__init(minK, factor)
   parent.__init(self)
   self.minK = minK
   self.factor = factor or 0
end

function TemporalDynamicKMaxPooling:updateOutput(input)
   assert(input:dim() == 2 or input:dim() == 3, 'Only 2D or 3D(batch mode) accepted')
   local dim = input:dim() - 1
   local len = input:size(dim)
   local k = math.max(self.minK, math.ceil(self.factor * len))
   assert(len >= k, 'Input sequence length (' .. len .. ') too small for desired k value ('
          .. k .. ')')
   local _, order = input:sort(dim, true)
   -- the top k positions, back in sequence order
   self.indices = order:narrow(dim, 1, k):sort(dim)
   self.output = self.output or input.new()
   self.output:gather(input, dim, self.indices)
   return self.output
end

function TemporalDynamicKMaxPooling:updateGradInput(input, gradOutput)
   if self.gradInput then
      local dim = input:dim() - 1
      self.gradInput:resizeAs(input):zero()
      -- the positions are distinct along the sequence: a scatter places each gradient
      self.gradInput:scatter(dim, self.indices, gradOutput)
      return self.gradInput
   end
end

function TemporalDynamicKMaxPooling:clearState()
   nn.utils.clear(self, 'indices')
   return parent.clearState(self)
end
