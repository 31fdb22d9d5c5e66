-- nn.L1Penalty(l1weight [, sizeAverage, provideOutput]): y = x; records the loss
-- l1weight * |x|_1 in self.loss and adds its gradient to the incoming one.

local L1Penalty, parent = torch.class('nn.L1Penalty', 'nn.Module')

function L1Penalty:__init(l1weight, sizeAverage, provideOutput)
   parent.__init(self)
   self.l1weight = l1weight
   self.sizeAverage = sizeAverage or false
   if provideOutput == nil then
      self.provideOutput = true
   else
      self.provideOutput = provideOutput
   end
end

local function weight(self, input)
   local m = self.l1weight
   if self.sizeAverage == true then m = m / input:nElement() end
   return m
end

function L1Penalty:updateOutput(input)
   self.loss = weight(self, input) * input:norm(1)
   self.output = input
   return self.output
end

function L1Penalty:updateGradInput(input, gradOutput)
   self.gradInput:resizeAs(input):copy(input):sign():mul(weight(self, input))
   if self.provideOutput == true then self.gradInput:add(gradOutput) end
   return self.gradInput
end

-- output is the caller's input: let it be
L1Penalty.clearState = nn.Identity.clearState
