-- nn.NaN(module [, id]): decorates a module and raises an error naming it as soon as its output,
-- gradInput or gradient parameters hold a NaN (and says whether the NaN came in from outside).

local NaN, parent = torch.class('nn.NaN', 'nn.Decorator')

local idseq = 0

--- The next id of the sequence that numbers NaN modules made without one.
function NaN.newId()
   idseq = idseq + 1
   return idseq
end

function NaN:__init(module, id)
   parent.__init(self, module)
   self.id = id or NaN.newId()
end

--- True when the tensor, or any tensor of a nested table, holds a NaN.
function NaN:recursiveIsNaN(tensor)
   if torch.type(tensor) == 'table' then
      for _, v in pairs(tensor) do
         if self:recursiveIsNaN(v) then return true end
      end
      return false
   end
   -- a sum is NaN whenever one of its terms is
   local s = tensor:sum()
   return s ~= s
end

function NaN:updateOutput(input)
   self.output = self.modules[1]:updateOutput(input)
   if self:recursiveIsNaN(self.output) then
      if self:recursiveIsNaN(input) then
         error(string.format("NaN found in input of module :\n%s", self:__tostring__()))
      elseif self:recursiveIsNaN(self:parameters() or {}) then
         error(string.format("NaN found in parameters of module :\n%s", self:__tostring__()))
      end
      error(string.format("NaN found in output of module :\n%s", self:__tostring__()))
   end
   return self.output
end

function NaN:updateGradInput(input, gradOutput)
   self.gradInput = self.modules[1]:updateGradInput(input, gradOutput)
   if self:recursiveIsNaN(self.gradInput) then
      if self:recursiveIsNaN(gradOutput) then
         error(string.format("NaN found in gradOutput of module :\n%s", self:__tostring__()))
      end
      error(string.format("NaN found in gradInput of module :\n%s", self:__tostring__()))
   end
   return self.gradInput
end

function NaN:accGradParameters(input, gradOutput, scale)
   self.modules[1]:accGradParameters(input, gradOutput, scale)
   local _, gradParams = self:parameters()
   if gradParams and self:recursiveIsNaN(gradParams) then
      error(string.format("NaN found in gradParameters of module :\n%s", self:__tostring__()))
   end
end

function NaN:__tostring__()
   local selfstring = torch.type(self) .. '(' .. self.id .. ')'
   if self.modules[1].__tostring__ then
      return selfstring .. ' @ ' .. self.modules[1]:__tostring__()
   end
   return selfstring .. ' @ ' .. torch.type(self.modules[1])
end
