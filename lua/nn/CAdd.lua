-- nn.CAdd(sizes): y = x + b with a learnt tensor b of the given sizes; dimensions of size 1
-- spread over the input, and an input with an extra leading dimension is a batch.

local CAdd, parent = torch.class('nn.CAdd', 'nn.Module')

function CAdd:__init(...)
   parent.__init(self)
   local arg = {...}
   self.size = torch.LongStorage()
   local n = #arg
   if n == 1 and torch.type(arg[1]) == 'torch.LongStorage' then
      self.size:resize(#arg[1]):copy(arg[1])
   else
      self.size:resize(n)
      for i = 1, n do self.size[i] = arg[i] end
   end
   self.bias = torch.Tensor(self.size)
   self.gradBias = torch.Tensor(self.size)
   self.output:resize(self.size)
   self:reset()
end

function CAdd:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.bias:nElement())
   end
   self.bias:uniform(-stdv, stdv)
end

function CAdd:updateOutput(input)
   local b, x = nn.CMul._shapes(self, self.bias, input)
   self.output:resizeAs(input)
   local out = self.output:view(x:size())
   out:add(x, b)
   return self.output
end

function CAdd:updateGradInput(input, gradOutput)
   self.gradInput:resizeAs(gradOutput):copy(gradOutput)
   return self.gradInput
end

function CAdd:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local _, x, like = nn.CMul._shapes(self, self.bias, input)
   nn.CMul._accumulateInto(self, self.gradBias, gradOutput:contiguous():view(x:size()), scale,
      like)
end
