-- nn.Container: holds child modules; errors inside a child name it ("In 3 module of ...").

local Container, parent = torch.class('nn.Container', 'nn.Module')

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

-- Run child i's method; on failure re-raise with the child's place in this container.
local function rethrow(self, i, err)
   if type(err) ~= 'string' then err = tostring(err) end
   -- the innermost container names the module; outer ones leave the message as it is
   if not err:find('^In %d+ module of ') then
      local pos, rest = err:match('^([^:]+:%d+): (.*)$')
      if pos and not pos:find('[\\/]nn[\\/]') and not pos:find('[\\/]torch[\\/]') then
         err = pos .. ': In ' .. i .. ' module of ' .. torch.type(self) .. ': ' .. rest
      else
         err = 'In ' .. i .. ' module of ' .. torch.type(self) .. ': ' .. err
      end
   end
   error(err, 0)
end

local xpcall, unpack, select = xpcall, unpack, select
local traceback = function(e) return e end

function Container:rethrowErrors(module, moduleIndex, funcName, ...)
   local args = {...}
   local n = select('#', ...)
   local results
   local ok, err = xpcall(function()
      results = {module[funcName](module, unpack(args, 1, n))}
   end, traceback)
   if not ok then rethrow(self, moduleIndex, err) end
   return unpack(results)
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
   local function tinsert(to, from)
      if type(from) == 'table' then
         for i = 1, #from do tinsert(to, from[i]) end
      else
         to[#to + 1] = from
      end
   end
   local w, gw = {}, {}
   for i = 1, #self.modules do
      local mw, mgw = self.modules[i]:parameters()
      if mw then
         tinsert(w, mw)
         tinsert(gw, mgw)
      end
   end
   return w, gw
end

function Container:clearState()
   if self._input then self._input = nil end
   parent.clearState(self)
   for _, m in ipairs(self.modules) do m:clearState() end
   return self
end
