-- nn.Square: y = x^2.

local Square, parent = torch.class('nn.Square', 'nn.Module')

function Square:updateOutput(input)
   self.output:cmul(input, input)
   return self.output
end

function Square:updateGradInput(input, gradOutput)
   self.gradInput:cmul(input, gradOutput):mul(2)
   return self.gradInput
end
