-- nn.Sqrt: y = sqrt(x); the gradient is 0 where y is 0.

local Sqrt, parent = torch.class('nn.Sqrt', 'nn.Module')

function Sqrt:__init(b)
   parent.__init(self)
   self.eps = b or 0
end

function Sqrt:updateOutput(input)
   self.output:sqrt(input)
   return self.output
end

function Sqrt:updateGradInput(input, gradOutput)
   -- gradOutput / (2 y), with 0 / 0 read as 0
   self.gradInput:cdiv(gradOutput, self.output):mul(0.5)
   self.gradInput:maskedFill(torch.eq(self.output, 0), 0)
   return self.gradInput
end
