-- nn.Sequential: feeds each module's output to the next.

local Sequential, parent = torch.class('nn.Sequential', 'nn.Container')

function Sequential:__len()
   return #self.modules
end

function Sequential:add(module)
   if #self.modules == 0 then self.gradInput = module.gradInput end
   table.insert(self.modules, module)
   self.output = module.output
   return self
end

function Sequential:insert(module, index)
   index = index or (#self.modules + 1)
   if index > #self.modules + 1 or index < 1 then
      torch._error('index should be contiguous to existing modules')
   end
   table.insert(self.modules, index, module)
   self.output = self.modules[#self.modules].output
   self.gradInput = self.modules[1].gradInput
end

function Sequential:remove(index)
   index = index or #self.modules
   if index > #self.modules or index < 1 then
      torch._error('index out of range')
   end
   table.remove(self.modules, index)
   if #self.modules > 0 then
      self.output = self.modules[#self.modules].output
      self.gradInput = self.modules[1].gradInput
   else
      self.output = torch.Tensor()
      self.gradInput = torch.Tensor()
   end
end

function Sequential:updateOutput(input)
   local current = input
   for i = 1, #self.modules do
      current = self:rethrowErrors(self.modules[i], i, 'updateOutput', current)
   end
   self.output = current
   return current
end

function Sequential:updateGradInput(input, gradOutput)
   local current = gradOutput
   local modules = self.modules
   for i = #modules, 2, -1 do
      current = self:rethrowErrors(modules[i], i, 'updateGradInput', modules[i - 1].output,
         current)
   end
   current = self:rethrowErrors(modules[1], 1, 'updateGradInput', input, current)
   self.gradInput = current
   return current
end

function Sequential:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local current = gradOutput
   local modules = self.modules
   for i = #modules, 2, -1 do
      self:rethrowErrors(modules[i], i, 'accGradParameters', modules[i - 1].output, current,
         scale)
      current = modules[i].gradInput
   end
   self:rethrowErrors(modules[1], 1, 'accGradParameters', input, current, scale)
end

function Sequential:backward(input, gradOutput, scale)
   scale = scale or 1
   local current = gradOutput
   local modules = self.modules
   for i = #modules, 2, -1 do
      current = self:rethrowErrors(modules[i], i, 'backward', modules[i - 1].output, current,
         scale)
   end
   current = self:rethrowErrors(modules[1], 1, 'backward', input, current, scale)
   self.gradInput = current
   return current
end

function Sequential:accUpdateGradParameters(input, gradOutput, lr)
   local current = gradOutput
   local modules = self.modules
   for i = #modules, 2, -1 do
      self:rethrowErrors(modules[i], i, 'accUpdateGradParameters', modules[i - 1].output,
         current, lr)
      current = modules[i].gradInput
   end
   self:rethrowErrors(modules[1], 1, 'accUpdateGradParameters', input, current, lr)
end

function Sequential:__tostring__()
   local tab = '  '
   local line = '\n'
   local next = ' -> '
   local str = 'nn.Sequential'
   str = str .. ' {' .. line .. tab .. '[input'
   for i = 1, #self.modules do str = str .. next .. '(' .. i .. ')' end
   str = str .. next .. 'output]'
   for i = 1, #self.modules do
      str = str .. line .. tab .. '(' .. i .. '): ' ..
         tostring(self.modules[i]):gsub(line, line .. tab)
   end
   str = str .. line .. '}'
   return str
end
