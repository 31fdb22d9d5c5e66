-- nn.Clamp(min, max): y = x clamped to [min, max]; the gradient passes where min < x < max.

local Clamp, parent = torch.class('nn.Clamp', 'nn.Module')

function Clamp:__init(min_value, max_value)
   parent.__init(self)
   self.min_val = min_value or -1
   self.max_val = max_value or 1
   assert(self.max_val > self.min_val, 'max_value must be larger than min_value')
end

function Clamp:updateOutput(input)
   self.output:clamp(input, self.min_val, self.max_val)
   return self.output
end

function Clamp:updateGradInput(input, gradOutput)
   self.gradInput:resizeAs(gradOutput):copy(gradOutput)
   self.gradInput:maskedFill(torch.le(input, self.min_val), 0)
   self.gradInput:maskedFill(torch.ge(input, self.max_val), 0)
   return self.gradInput
end
