-- nn.ConcatTable: every module gets the same input; the output is the table of their outputs.

local ConcatTable, parent = torch.class('nn.ConcatTable', 'nn.Container')

function ConcatTable:__init()
   parent.__init(self)
   self.modules = {}
   self.output = {}
end

function ConcatTable:updateOutput(input)
   for i = 1, #self.modules do
      self.output[i] = self:rethrowErrors(self.modules[i], i, 'updateOutput', input)
   end
   for i = #self.modules + 1, #self.output do self.output[i] = nil end
   return self.output
end

local function backward(self, method, input, gradOutput, scale)
   local isTable = torch.type(input) == 'table'
   local wasTable = torch.type(self.gradInput) == 'table'
   local retable = nn.utils._retable
   if isTable then
      for i, module in ipairs(self.modules) do
         local currentGradInput = self:rethrowErrors(module, i, method, input, gradOutput[i],
            scale)
         if torch.type(currentGradInput) ~= 'table' then
            torch._error('currentGradInput is not a table!')
         end
         if #input ~= #currentGradInput then
            torch._error('table size mismatch: ' .. #input .. ' ~= ' .. #currentGradInput)
         end
         if i == 1 then
            self.gradInput = wasTable and self.gradInput or {}
            retable(self.gradInput, currentGradInput, function(t, k, v)
               t[k] = t[k] or v:clone()
               t[k]:resizeAs(v):copy(v)
            end)
         else
            retable(self.gradInput, currentGradInput, function(t, k, v)
               if t[k] then t[k]:add(v) else t[k] = v:clone() end
            end)
         end
      end
   else
      self.gradInput = (not wasTable) and self.gradInput or input:clone()
      for i, module in ipairs(self.modules) do
         local currentGradInput = self:rethrowErrors(module, i, method, input, gradOutput[i],
            scale)
         if i == 1 then
            self.gradInput:resizeAs(currentGradInput):copy(currentGradInput)
         else
            self.gradInput:add(currentGradInput)
         end
      end
   end
   return self.gradInput
end

function ConcatTable:updateGradInput(input, gradOutput)
   return backward(self, 'updateGradInput', input, gradOutput)
end

function ConcatTable:backward(input, gradOutput, scale)
   return backward(self, 'backward', input, gradOutput, scale or 1)
end

function ConcatTable:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   for i, module in ipairs(self.modules) do
      self:rethrowErrors(module, i, 'accGradParameters', input, gradOutput[i], scale)
   end
end

function ConcatTable:accUpdateGradParameters(input, gradOutput, lr)
   for i, module in ipairs(self.modules) do
      self:rethrowErrors(module, i, 'accUpdateGradParameters', input, gradOutput[i], lr)
   end
end

function ConcatTable:__tostring__()
   return self:_branchString()
end
