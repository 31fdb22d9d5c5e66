-- Wraps its input in a one-element table: x -> {x}.
local JustTable = torch.class('nngraph.JustTable', 'nn.Module')

function JustTable:__init()
   self.output = {}
end

function JustTable:updateOutput(input)
   self.output[1] = input
   return self.output
end

function JustTable:updateGradInput(_, gradOutput)
   self.gradInput = gradOutput[1]
   return self.gradInput
end
