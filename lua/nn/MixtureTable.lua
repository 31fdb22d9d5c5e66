-- nn.MixtureTable([dim]): {gater, experts} -> sum_i gater_i * expert_i, the experts a table of
-- tensors or one tensor with the experts along dim (a mixture of experts).

local MixtureTable, parent = torch.class('nn.MixtureTable', 'nn.Module')

function MixtureTable:__init(dim)
   parent.__init(self)
   self.dim = dim
   self.size = torch.LongStorage()
   self.batchSize = 0
   self.size2 = torch.LongStorage()
   self.backwardSetup = false
   self.gradInput = {}
end

function MixtureTable:updateOutput(input)
   local gaterInput, expertInputs = input[1], input[2]
   self._gaterView = self._gaterView or input[1].new()
   self._expert = self._expert or input[1].new()
   self._expertView = self._expertView or input[1].new()

   self.dimG = 2
   local batchSize = gaterInput:size(1)
   if gaterInput:dim() < 2 then
      self.dimG = 1
      self.dim = self.dim or 1
      batchSize = 1
   end
   self.dim = self.dim or 2

   if self.table or torch.type(expertInputs) == 'table' then
      self.table = true
      if gaterInput:size(self.dimG) ~= #expertInputs then
         torch._error('Should be one gater output per expert')
      end
      local expertInput = expertInputs[1]
      if self.batchSize ~= batchSize then
         self.size:resize(expertInput:dim() + 1):fill(1)
         if self.dimG > 1 then self.size[1] = gaterInput:size(1) end
         self.size[self.dim] = gaterInput:size(self.dimG)
         self.output:resizeAs(expertInput)
         self.backwardSetup = false
         self.batchSize = batchSize
      end
      self._gaterView:set(gaterInput:view(self.size))
      self.output:resizeAs(expertInput):zero()
      -- each expert weighted by its gate, accumulated
      for i, e in ipairs(expertInputs) do
         local gate = self._gaterView:select(self.dim, i):expandAs(e)
         self.output:addcmul(e, gate)
      end
   else
      if self.batchSize ~= batchSize then
         self.size:resize(expertInputs:dim()):fill(1)
         if self.dimG > 1 then self.size[1] = gaterInput:size(1) end
         self.size[self.dim] = gaterInput:size(self.dimG)
         self.batchSize = batchSize
         self.backwardSetup = false
      end
      self._gaterView:set(gaterInput:view(self.size))
      self._expert:cmul(self._gaterView:expandAs(expertInputs), expertInputs)
      self.output:sum(self._expert, self.dim)
      self.output:resizeAs(expertInputs:select(self.dim, 1))
   end
   return self.output
end

function MixtureTable:updateGradInput(input, gradOutput)
   local gaterInput, expertInputs = input[1], input[2]
   nn.utils.recursiveResizeAs(self.gradInput, input)
   local gaterGradInput, expertGradInputs = self.gradInput[1], self.gradInput[2]
   self._sum = self._sum or input[1].new()
   self._expertView2 = self._expertView2 or input[1].new()
   self._expert2 = self._expert2 or input[1].new()

   if self.table then
      for i, e in ipairs(expertInputs) do
         local expertGradInput = expertGradInputs[i] or e:clone()
         expertGradInput:resizeAs(e)
         expertGradInputs[i] = expertGradInput
      end
      gaterGradInput:resizeAs(gaterInput)
      for i, expertGradInput in ipairs(expertGradInputs) do
         -- gate i: sum over the expert's elements of gradOutput .* expert_i
         self._expert:cmul(gradOutput, expertInputs[i])
         if self.dimG == 1 then
            self._expertView:set(self._expert:view(-1))
         else
            self._expertView:set(self._expert:view(gradOutput:size(1), -1))
         end
         self._sum:sum(self._expertView, self.dimG)
         if self.dimG == 1 then
            gaterGradInput[i] = self._sum[1]
         else
            gaterGradInput:select(self.dimG, i):copy(self._sum:select(self.dimG, 1))
         end
         -- expert i: gradOutput scaled by its gate
         local gate = self._gaterView:select(self.dim, i):expandAs(expertGradInput)
         expertGradInput:cmul(gate, gradOutput)
      end
   else
      self.size2:resize(expertInputs:dim()):copy(expertInputs:size())
      self.size2[self.dim] = 1
      gaterGradInput:resizeAs(gaterInput)
      -- gates: gradOutput spread over the experts, times the experts, summed per expert
      self._expertView:set(gradOutput:contiguous():view(self.size2))
      local go = self._expertView:expandAs(expertInputs)
      self._expert:cmul(go, expertInputs)
      local expert = self._expert:transpose(self.dim, self.dimG)
      if not expert:isContiguous() then
         self._expert2:resizeAs(expert):copy(expert)
         expert = self._expert2
      end
      if self.dimG == 1 then
         self._expertView2:set(expert:view(gaterInput:size(1), -1))
      else
         self._expertView2:set(expert:view(gaterInput:size(1), gaterInput:size(2), -1))
      end
      gaterGradInput:sum(self._expertView2, self.dimG + 1)
      gaterGradInput:resizeAs(gaterInput)
      -- experts: gradOutput scaled by the gates
      expertGradInputs:cmul(self._gaterView:expandAs(expertInputs), go)
   end
   return self.gradInput
end

function MixtureTable:type(type, tensorCache)
   self._gaterView = nil
   self._expert = nil
   self._expertView = nil
   self._sum = nil
   self._expert2 = nil
   self._expertView2 = nil
   return parent.type(self, type, tensorCache)
end

function MixtureTable:clearState()
   nn.utils.clear(self, {'_gaterView', '_expert', '_expertView', '_sum', '_expert2',
      '_expertView2'})
   return parent.clearState(self)
end
