-- nn.Select(dim, index): input:select(dim, index), copied (negative dim/index count from the end).

local Select, parent = torch.class('nn.Select', 'nn.Module')

function Select:__init(dimension, index)
   parent.__init(self)
   self.dimension = dimension
   self.index = index
end

local function place(self, input)
   local dim = self.dimension < 0 and input:dim() + self.dimension + 1 or self.dimension
   local index = self.index < 0 and input:size(dim) + self.index + 1 or self.index
   return dim, index
end

function Select:updateOutput(input)
   local dim, index = place(self, input)
   local output = input:select(dim, index)
   self.output:resizeAs(output):copy(output)
   return self.output
end

function Select:updateGradInput(input, gradOutput)
   local dim, index = place(self, input)
   self.gradInput:resizeAs(input):zero()
   self.gradInput:select(dim, index):copy(gradOutput)
   return self.gradInput
end
