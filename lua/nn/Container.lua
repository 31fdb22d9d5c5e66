-- nn.Container: holds child modules; errors inside a child name it, on one line at the user's
-- line: "script.lua:12: In 3 module of nn.Sequential: <message>".

local Container, parent = torch.class('nn.Container', 'nn.Module')

local type, tostring, error, ipairs = type, tostring, error, ipairs
-- the runtime's pcall turns a Python exception into Torch7's text at the point of failure
local pcall = pcall

function Container:__init(...)
   parent.__init(self, ...)
   self.modules = {}
end

function Container:add(module)
   table.insert(self.modules, module)
   return self
end

function Container:get(index)
   return self.modules[index]
end

function Container:size()
   return #self.modules
end

-- Re-raise `err` from child `i`, naming it: "userpos: In i module of nn.X:\nmessage".  A
-- message already placed at the user's line (Torch7 errors, inner containers) loses that prefix
-- first; any other position (a fault inside a layer) stays in the message.
local function rethrow(self, i, err)
   if type(err) ~= 'string' then err = tostring(err) end
   local user = torch._userpos()
   local pos, rest = err:match('^([^\n]-:%d+): (.*)$')
   if pos and pos == user then err = rest end
   err = 'In ' .. i .. ' module of ' .. torch.type(self) .. ':\n' .. err
   if user then err = user .. ': ' .. err end
   error(err, 0)
end

local function finish(self, i, ok, ...)
   if ok then return ... end
   rethrow(self, i, (...))
end

--- Call module[funcName](module, ...) and name the module (index moduleIndex) in any error.
function Container:rethrowErrors(module, moduleIndex, funcName, ...)
   return finish(self, moduleIndex, pcall(module[funcName], module, ...))
end

function Container:applyToModules(func)
   for _, module in ipairs(self.modules) do func(module) end
end

function Container:zeroGradParameters()
   self:applyToModules(function(module) module:zeroGradParameters() end)
end

function Container:updateParameters(learningRate)
   self:applyToModules(function(module) module:updateParameters(learningRate) end)
end

function Container:training()
   self:applyToModules(function(module) module:training() end)
   parent.training(self)
end

function Container:evaluate()
   self:applyToModules(function(module) module:evaluate() end)
   parent.evaluate(self)
end

function Container:share(mlp, ...)
   for i = 1, #self.modules do
      self.modules[i]:share(mlp.modules[i], ...)
   end
   return self
end

function Container:reset(stdv)
   self:applyToModules(function(module) module:reset(stdv) end)
end

function Container:parameters()
   local append = nn.utils.appendFlat
   local w, gw = {}, {}
   for i = 1, #self.modules do
      local mw, mgw = self.modules[i]:parameters()
      if mw then
         append(w, mw)
         append(gw, mgw)
      end
   end
   return w, gw
end

function Container:clearState()
   -- fresh tensors rather than set(): output/gradInput may be a child's own buffers
   local function clear(f)
      local v = self[f]
      if v ~= nil then
         if torch.isTensor(v) then
            self[f] = v.new()
         elseif type(v) == 'table' then
            self[f] = {}
         else
            self[f] = nil
         end
      end
   end
   clear('output')
   clear('gradInput')
   for _, m in ipairs(self.modules) do m:clearState() end
   return self
end

--- The branch layout Torch7 prints for Concat, ConcatTable, Parallel and ParallelTable.
function Container:_branchString()
   local tab = '  '
   local line = '\n'
   local next = '  |`-> '
   local lastNext = '   `-> '
   local ext = '  |    '
   local extlast = '       '
   local last = '   ... -> '
   local parts = {torch.type(self), ' {', line, tab, 'input'}
   local n = #self.modules
   for i = 1, n do
      local body = tostring(self.modules[i])
      if i == n then
         body = body:gsub(line, line .. tab .. extlast)
         parts[#parts + 1] = line .. tab .. lastNext .. '(' .. i .. '): ' .. body
      else
         body = body:gsub(line, line .. tab .. ext)
         parts[#parts + 1] = line .. tab .. next .. '(' .. i .. '): ' .. body
      end
   end
   parts[#parts + 1] = line .. tab .. last .. 'output' .. line .. '}'
   return table.concat(parts)
end
