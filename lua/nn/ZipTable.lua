-- nn.ZipTable: {{a1, a2}, {b1, b2}, {c1, c2}} -> {{a1, b1, c1}, {a2, b2, c2}}.

local ZipTable, parent = torch.class('nn.ZipTable', 'nn.Module')

function ZipTable:__init()
   parent.__init(self)
   self.output = {}
   self.gradInput = {}
end

local function zip(tables)
   local out = {}
   for i, inner in ipairs(tables) do
      for j, v in ipairs(inner) do
         out[j] = out[j] or {}
         out[j][i] = v
      end
   end
   return out
end

function ZipTable:updateOutput(inputTable)
   self.output = zip(inputTable)
   return self.output
end

function ZipTable:updateGradInput(inputTable, gradOutputTable)
   self.gradInput = zip(gradOutputTable)
   return self.gradInput
end
