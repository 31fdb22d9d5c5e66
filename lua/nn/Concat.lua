-- nn.Concat(dim): every module gets the same input; their outputs are concatenated along dim.

local Concat, parent = torch.class('nn.Concat', 'nn.Container')

function Concat:__init(dimension)
   parent.__init(self)
   self.outputSize = torch.LongStorage()
   self.dimension = dimension
end

function Concat:updateOutput(input)
   self.outputSize = self.outputSize or torch.LongStorage()
   local dim = self.dimension
   local outs = {}
   for i = 1, #self.modules do
      local currentOutput = self:rethrowErrors(self.modules[i], i, 'updateOutput', input)
      outs[i] = currentOutput
      if i == 1 then
         self.outputSize:resize(currentOutput:dim()):copy(currentOutput:size())
      else
         self.outputSize[dim] = self.outputSize[dim] + currentOutput:size(dim)
      end
   end
   self.output:resize(self.outputSize)
   local offset = 1
   for i = 1, #self.modules do
      local currentOutput = outs[i]
      local n = currentOutput:size(dim)
      self.output:narrow(dim, offset, n):copy(currentOutput)
      offset = offset + n
   end
   return self.output
end

-- t1 made to hold the same nested structure as t2, f(t1, k, v) filling each tensor slot.
local function retable(t1, t2, f)
   for k, v in ipairs(t2) do
      if torch.type(v) == 'table' then
         t1[k] = retable(t1[k] or {}, t2[k], f)
      else
         f(t1, k, v)
      end
   end
   for i = #t2 + 1, #t1 do t1[i] = nil end
   return t1
end
nn.utils._retable = retable

-- The gradient of module i's slice of gradOutput (self:_window for the slice).
function Concat:_window(gradOutput, module, offset)
   return gradOutput:narrow(self.dimension, offset, module.output:size(self.dimension))
end

local function backward(self, method, input, gradOutput, scale)
   local isTable = torch.type(input) == 'table'
   local wasTable = torch.type(self.gradInput) == 'table'
   local offset = 1
   if isTable then
      for i, module in ipairs(self.modules) do
         local currentGradInput = self:rethrowErrors(module, i, method, input,
            self:_window(gradOutput, module, offset), scale)
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
         offset = offset + module.output:size(self.dimension)
      end
   else
      self.gradInput = (not wasTable) and self.gradInput or input:clone()
      self.gradInput:resizeAs(input)
      for i, module in ipairs(self.modules) do
         local currentGradInput = self:rethrowErrors(module, i, method, input,
            self:_window(gradOutput, module, offset), scale)
         -- a module may give no gradInput (e.g. a first layer): skip it
         if currentGradInput then
            if i == 1 then
               self.gradInput:copy(currentGradInput)
            else
               self.gradInput:add(currentGradInput)
            end
         end
         offset = offset + module.output:size(self.dimension)
      end
   end
   return self.gradInput
end

function Concat:updateGradInput(input, gradOutput)
   return backward(self, 'updateGradInput', input, gradOutput)
end

function Concat:backward(input, gradOutput, scale)
   return backward(self, 'backward', input, gradOutput, scale or 1)
end

function Concat:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local offset = 1
   for i, module in ipairs(self.modules) do
      self:rethrowErrors(module, i, 'accGradParameters', input,
         self:_window(gradOutput, module, offset), scale)
      offset = offset + module.output:size(self.dimension)
   end
end

function Concat:accUpdateGradParameters(input, gradOutput, lr)
   local offset = 1
   for i, module in ipairs(self.modules) do
      self:rethrowErrors(module, i, 'accUpdateGradParameters', input,
         self:_window(gradOutput, module, offset), lr)
      offset = offset + module.output:size(self.dimension)
   end
end

function Concat:__tostring__()
   return self:_branchString()
end
