-- nn.Identity: output = input, gradInput = gradOutput (tensors or tables, passed through).

local Identity, parent = torch.class('nn.Identity', 'nn.Module')

function Identity:updateOutput(input)
   self.output = input
   return self.output
end

function Identity:updateGradInput(input, gradOutput)
   self.gradInput = gradOutput
   return self.gradInput
end

function Identity:clearState()
   -- fresh buffers rather than set(): output/gradInput are the caller's tensors
   local function clear(f)
      local v = self[f]
      if v ~= nil then
         if torch.isTensor(v) then self[f] = v.new()
         elseif type(v) == 'table' then self[f] = {}
         else self[f] = nil end
      end
   end
   clear('output')
   clear('gradInput')
   return self
end
