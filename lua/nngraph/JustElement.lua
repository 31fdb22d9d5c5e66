-- Unwraps a one-element table: {x} -> x (what `node:split(1)` stands for).
local JustElement = torch.class('nngraph.JustElement', 'nn.Module')

function JustElement:__init()
   self.gradInput = {}
end

function JustElement:updateOutput(input)
   if #input ~= 1 then torch._error('expecting one element') end
   self.output = input[1]
   return self.output
end

function JustElement:updateGradInput(_, gradOutput)
   self.gradInput[1] = gradOutput
   return self.gradInput
end
