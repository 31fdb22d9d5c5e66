-- nn.Abs: y = |x| (the gradient at 0 is that of x >= 0).

local Abs, parent = torch.class('nn.Abs', 'nn.Module')

function Abs:updateOutput(input)
   self.output:abs(input)
   return self.output
end

function Abs:updateGradInput(input, gradOutput)
   self.gradInput:resizeAs(input):fill(1)
   self.gradInput:maskedFill(torch.lt(input, 0), -1)
   self.gradInput:cmul(gradOutput)
   return self.gradInput
end
