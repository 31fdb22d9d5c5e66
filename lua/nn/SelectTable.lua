-- nn.SelectTable(index): a table -> its element `index` (negative counts from the end).

local SelectTable, parent = torch.class('nn.SelectTable', 'nn.Module')

function SelectTable:__init(index)
   parent.__init(self)
   self.index = index
   self.gradInput = {}
end

local function position(self, input)
   local index = self.index
   if type(index) == 'number' and index < 0 then index = #input + index + 1 end
   return index
end

function SelectTable:updateOutput(input)
   local index = position(self, input)
   assert(input[index], 'index does not exist in the input table')
   self.output = input[index]
   return self.output
end

-- t1 made a zero-filled copy of the structure of t2 (tensors and nested tables).
local function zeroTableCopy(t1, t2)
   for k, v in pairs(t2) do
      if torch.type(v) == 'table' then
         t1[k] = zeroTableCopy(t1[k] or {}, t2[k])
      elseif torch.isTensor(v) then
         if not t1[k] then
            t1[k] = v:clone():zero()
         else
            t1[k]:resizeAs(v):zero()
         end
      else
         t1[k] = nil
      end
   end
   for k, _ in pairs(t1) do
      if not t2[k] then t1[k] = nil end
   end
   return t1
end

function SelectTable:updateGradInput(input, gradOutput)
   zeroTableCopy(self.gradInput, input)
   local index = position(self, input)
   assert(self.gradInput[index])
   nn.utils.recursiveCopy(self.gradInput[index], gradOutput)
   return self.gradInput
end

function SelectTable:type(type, tensorCache)
   self.gradInput = {}
   self.output = {}
   return parent.type(self, type, tensorCache)
end

function SelectTable:__tostring__()
   return torch.type(self) .. '(' .. self.index .. ')'
end

SelectTable.clearState = nn.Identity.clearState
