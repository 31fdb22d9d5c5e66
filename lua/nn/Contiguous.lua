-- nn.Contiguous: passes contiguous tensors through, copies the others.

local Contiguous, parent = torch.class('nn.Contiguous', 'nn.Module')

-- out:set(x) when x is contiguous, else out:set(a contiguous copy kept in self[buf]); the copy
-- never lands in a storage borrowed from an earlier input.
local function contiguousInto(self, out, buf, x)
   if x:isContiguous() then
      out:set(x)
   else
      local b = self[buf] or x.new()
      self[buf] = b
      b:resizeAs(x):copy(x)
      out:set(b)
   end
   return out
end

function Contiguous:updateOutput(input)
   return contiguousInto(self, self.output, '_output', input)
end

function Contiguous:updateGradInput(input, gradOutput)
   return contiguousInto(self, self.gradInput, '_gradInput', gradOutput)
end

function Contiguous:clearState()
   nn.utils.clear(self, '_output', '_gradInput')
   return nn.Module.clearState(self)
end
