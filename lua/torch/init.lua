-- The torch package: class system, tensor types, and the ordered list of its parts.
-- The runtime leaves the door (a table of Python functions) in the registry slot below.

local door = package.loaded['luatorch.door']
package.loaded['luatorch.door'] = nil

torch = torch or {}
local torch = torch
torch._door = door
package.loaded.torch = torch

-- Torch7's init gave LuaJIT 5.2's table.unpack and table.pack; scripts and nn's tests use them.
table.unpack = table.unpack or unpack
string.gfind = string.gfind or string.gmatch
table.pack = table.pack or function(...)
   return {n = select('#', ...), ...}
end

local rawget, rawset, setmetatable, getmetatable = rawget, rawset, setmetatable, getmetatable
local rawequal = rawequal
local type, error, pairs, tostring = type, error, pairs, tostring

-- Library errors are reported at the user's line: the innermost frame outside lua/ (tail
-- calls make fixed error levels unreliable, so the stack is walked instead).
local libroot = (debug.getinfo(1, 'S').source:match('^@(.*)[/\\]torch[/\\]init%.lua$')) or ''

function torch._userpos()
   local level = 3
   while true do
      local info = debug.getinfo(level, 'Sl')
      if not info then return nil end
      local src = info.source or ''
      if info.currentline and info.currentline > 0 and src ~= '=[luatorch]'
         and (src:sub(1, 1) ~= '@' or src:sub(2, #libroot + 1) ~= libroot) then
         return info.short_src .. ':' .. info.currentline
      end
      level = level + 1
   end
end

function torch._error(msg)
   local pos = torch._userpos()
   error(pos and (pos .. ': ' .. msg) or msg, 0)
end

-- metatables by class name; reverse lookup from metatable to name
local registry = {}
torch._registry = registry

-- metamethods delegated to the class's __xxx__ methods, as luaT does
local delegated = {
   __add = '__add__', __sub = '__sub__', __mul = '__mul__', __div = '__div__',
   __mod = '__mod__', __pow = '__pow__', __unm = '__unm__', __concat = '__concat__',
   __eq = '__eq__', __lt = '__lt__', __le = '__le__', __len = '__len__',
}

-- Returning through `pass` keeps the caller's frame: luaT's __call handlers were C functions,
-- each one a stack level, and code such as nngraph counts levels with debug.getinfo.
local function pass(...) return ... end

local function install_metamethods(mt)
   for mm, hook in pairs(delegated) do
      mt[mm] = function(a, b)
         local m = getmetatable(a)
         local f = m and m[hook]
         if f == nil then
            m = getmetatable(b)
            f = m and m[hook]
         end
         if f == nil then
            -- luaT's fallback: objects without __eq__ are equal only to themselves
            -- (two wrappers of one tensor or storage count as one object, as luaT's pointers)
            if mm == '__eq' then return torch._same(a, b) end
            error('attempt to perform ' .. mm:sub(3) .. ' on a ' .. torch.type(a), 2)
         end
         return f(a, b)
      end
   end
   mt.__tostring = function(self)
      local f = getmetatable(self).__tostring__
      if f then return f(self) end
      return rawget(getmetatable(self), '__typename') or 'torch object'
   end
   mt.__call = function(self, ...)
      local f = getmetatable(self).__call__
      if f then return pass(f(self, ...)) end
      error('attempt to call a ' .. torch.type(self) .. ' value', 2)
   end
end

local function split_name(name)
   local pkg, cls = name:match('^(.*)%.([^%.]+)$')
   return pkg, cls or name
end

--- Create (or fetch) the metatable of class `name` inheriting from `parentName`; `mt`, when
--- given, becomes that metatable (tensor and storage types bring their proxies' own).
local function newclass(name, parentName, constructor, module, mt)
   if registry[name] then return registry[name], registry[parentName] end
   mt = mt or {}
   mt.__typename = name
   mt.__index = mt
   mt.__version = 1
   install_metamethods(mt)
   local parent
   if parentName then
      parent = registry[parentName]
      if not parent then
         error('parent class <' .. tostring(parentName) .. '> does not exist', 3)
      end
      setmetatable(mt, {__index = parent})
   end
   registry[name] = mt
   constructor = constructor or function(...)
      local obj = setmetatable({}, mt)
      if obj.__init then obj:__init(...) end
      return obj
   end
   mt.__factory = function() return setmetatable({}, mt) end
   -- luaT keeps the constructor in the metatable too (nngraph, graph and nn's Copy call it)
   mt.new = constructor
   -- the constructor table: calling it builds an object, indexing it reaches the methods
   local ctor = setmetatable({}, {
      __call = function(_, ...) return pass(constructor(...)) end,
      __index = mt,
      __newindex = mt,
      __tostring = function() return name end,
      __metatable = mt,
   })
   mt.__constructor = ctor
   local pkg, cls = split_name(name)
   local owner = module
   if not owner then
      if pkg then
         owner = _G
         for part in pkg:gmatch('[^%.]+') do
            owner[part] = owner[part] or {}
            owner = owner[part]
         end
      else
         owner = _G
      end
   end
   owner[cls] = ctor
   return mt, parent
end
torch._newclass = newclass

--- luaT's torch.newmetatable(name, parentName, constructor, destructor, factory, module).
function torch.newmetatable(name, parentName, constructor, destructor, factory, module)
   local exists = registry[name] ~= nil
   local mt, parent = newclass(name, parentName, constructor, module)
   if not exists and factory ~= nil then mt.__factory = factory end
   return mt, parent
end

--- torch.class(name [, parentName] [, module]): returns the class metatable and its parent's.
function torch.class(name, parentName, module)
   if type(name) ~= 'string' then
      error('bad argument #1 to \'class\' (string expected, got ' .. type(name) .. ')', 2)
   end
   if type(parentName) == 'table' then
      module, parentName = parentName, nil
   end
   if registry[name] then
      error('class ' .. name .. ' has been already assigned', 2)
   end
   return newclass(name, parentName, nil, module)
end

function torch.getmetatable(name)
   return registry[name]
end

--- The table a class is called through (torch.FloatTensor for 'torch.FloatTensor'), as luaT.
function torch.getconstructortable(name)
   local mt = registry[name]
   return mt and rawget(mt, '__constructor')
end

function torch.factory(name)
   local mt = registry[name]
   return mt and mt.__factory
end

function torch.typename(obj)
   local mt = getmetatable(obj)
   if type(mt) == 'table' then
      local n = rawget(mt, '__typename')
      if type(n) == 'string' then return n end
   end
   return nil
end

function torch.type(obj)
   return torch.typename(obj) or type(obj)
end

--- torch.isTypeOf(obj, spec): spec is a type name, a pattern, or a class's constructor.  As
--- in Torch7, a name matches only whole ('torch.Long' is not torch.LongTensor) and a pattern
--- matches anywhere, against the object's type and its parents'.
function torch.isTypeOf(obj, spec)
   if type(spec) ~= 'string' then
      local smt = getmetatable(spec)
      spec = type(smt) == 'table' and rawget(smt, '__typename') or nil
      if type(spec) ~= 'string' then
         error('type must be provided as [regexp] string, or factory', 2)
      end
   end
   local mt = getmetatable(obj)
   while type(mt) == 'table' do
      local n = rawget(mt, '__typename')
      if type(n) == 'string' then
         local m = n:match(spec)
         if m and (m ~= spec or m == n) then return true end
      end
      local pm = getmetatable(mt)
      mt = pm and rawget(pm, '__index')
   end
   return false
end

--- torch.setmetatable(tbl, classname): make tbl an object of the class, as luaT does.
function torch.setmetatable(tbl, tname)
   if type(tname) ~= 'string' then
      error("bad argument #2 to 'setmetatable' (string expected, got " .. type(tname) .. ')', 2)
   end
   if type(tbl) ~= 'table' then
      error("bad argument #1 to 'setmetatable' (table expected, got " .. type(tbl) .. ')', 2)
   end
   local mt = registry[tname]
   if not mt then error('unknown typename ' .. tname .. '\n', 2) end
   return setmetatable(tbl, mt)
end

function torch.isclass(obj)
   return type(obj) == 'table' and rawget(obj, '__typename') ~= nil
end

function torch.include(pkg, file)
   return dofile(package.searchpath and package.searchpath(pkg .. '.' .. file:gsub('%.lua$', ''),
      package.path) or file)
end

-- Torch7 ran the Lua collector when C allocations grew (heap tracking); luatorch always does
-- (tensor.GC_EVERY), so the flag is only reported back, as Torch7 reports it
function torch.setheaptracking(enabled)
   if type(enabled) ~= 'boolean' then
      error("bad argument #1 to 'setheaptracking' (boolean expected, got " .. type(enabled) ..
         ')', 2)
   end
   torch._heaptracking = enabled
end
torch.setheaptracking(true)

-- Torch7 re-armed its C error and GC handlers when a Lua state moved to another thread; the
-- handlers here live in the runtime, so only the heap-tracking flag is carried over
function torch.updateerrorhandlers() end

function torch.updatethreadlocals()
   torch.setheaptracking(torch._heaptracking == true)
end

--- torch.data(x [, asnumber]): x:data(), the FFI pointer to the first element (FFInterface).
function torch.data(obj, asnumber)
   if not obj then return nil end
   local p = obj:data()
   if asnumber then return require('ffi').cast('intptr_t', p) end
   return p
end

function torch.packageLuaPath(name)
   local p = package.searchpath and package.searchpath(name, package.path)
   return p and p:match('^(.*)[/\\]') or nil
end

require 'torch.Tensor'
require 'torch.Storage'
require 'torch.TensorMath'
require 'torch.TensorIndex'
require 'torch.TensorReduce'
require 'torch.TensorLinalg'
require 'torch.random'
require 'torch.TensorPrint'
require 'torch.File'
require 'torch.Timer'
require 'torch.CmdLine'
require 'torch.Tester'
require 'torch.TestSuite'
require 'torch.utility'
-- paths is a global after require 'torch', as in Torch7
require 'paths'

return torch
