-- tds.Vec([... | tbl]): a vector indexed from 1 whose size counts nil elements too, with
-- insert, remove, resize, sort, concat and concatstorage; `#d`, `ipairs(d)` and `pairs(d)`.
local tds = require 'tds'
local shared = require 'tds.shared'

local door = torch._door
local vnew, vassign, vget, vset, vlen, vinsert, vremove, vresize, vnext = door.tds_vec_new,
   door.tds_vec_assign, door.tds_vec_get, door.tds_vec_set, door.tds_vec_len,
   door.tds_vec_insert, door.tds_vec_remove, door.tds_vec_resize, door.tds_vec_next
local encode, decode = shared.encode, shared.decode

-- contents by handle: {data = elements, n = size} while this state alone uses the Vec; once
-- threads.sharedserialize has shared it, {store = s, id = id}: the elements live in Python,
-- where every state's handle on it reads and writes them
local contents = setmetatable({}, {__mode = 'k'})
local mt

local new, adopt, share = shared.constructors(contents, function() return mt end, vnew,
   function(s, c)
      local plain, special, ns = shared.export(c.data)
      vassign(s, plain, c.n, special, ns)
   end)

-- the elements as a Lua table, and the size
local function snapshot(v)
   local c = contents[v]
   local s = c.store
   if not s then return c.data, c.n end
   local data, i = {}, 0
   while true do
      local j, x, kind, tag = vnext(s, i)
      if j == nil then return data, i end
      data[j] = decode(x, kind, tag)
      i = j
   end
end

local function position(k, fname)
   if type(k) ~= 'number' or k < 1 or k ~= math.floor(k) then
      torch._error(string.format('tds.Vec%s: positive number expected as key', fname))
   end
   return k
end

local function element(x)
   if type(x) == 'table' then x = tds._convert(x) end
   if x ~= nil then tds._checkelem(x, 'value') end
   return x
end

local function construct(...)
   local v = new()
   local c = contents[v]
   local n = select('#', ...)
   local first = ...
   if n == 1 and type(first) == 'table' and not torch.typename(first) then
      for k, x in next, first do
         position(k, '')
         c.data[k] = element(x)
         if k > c.n then c.n = k end
      end
   else
      for i = 1, n do c.data[i] = element((select(i, ...))) end
      c.n = n
   end
   return v
end

mt = torch._newclass('tds.Vec', nil, function(...) return construct(...) end, tds)
mt.__version = 0
mt.__factory = new
local legacy = torch._newclass('tds_vec', nil, new, {})
legacy.__factory = new

local methods = {}

function methods:insert(...)
   local c = contents[self]
   local s = c.store
   local k, x
   local n = select('#', ...)
   if n == 1 then
      k, x = s and 1 or c.n + 1, ...
   elseif n == 2 then
      k, x = ...
   else
      torch._error('tds.Vec:insert: [key] value expected')
   end
   position(k, ':insert')
   x = element(x)
   if s then
      -- at the end: the size of the moment, which another state may be changing
      return vinsert(s, n == 2 and k or nil, encode(x))
   end
   if k > c.n then
      c.data[k] = x
      c.n = k
      return
   end
   for i = c.n, k, -1 do c.data[i + 1] = c.data[i] end
   c.data[k] = x
   c.n = c.n + 1
end

function methods:remove(k)
   local c = contents[self]
   local s = c.store
   if s then
      position(k or vlen(s), ':remove')
      return vremove(s, k)
   end
   k = position(k or c.n, ':remove')
   if k > c.n then return end
   for i = k, c.n - 1 do c.data[i] = c.data[i + 1] end
   c.data[c.n] = nil
   c.n = c.n - 1
end

function methods:resize(size)
   local c = contents[self]
   if type(size) ~= 'number' or size < 0 then
      torch._error('tds.Vec:resize: a size >= 0 expected')
   end
   if c.store then return vresize(c.store, size) end
   for i = size + 1, c.n do c.data[i] = nil end
   c.n = size
end

--- Sort in place with `compare(a, b)` (true when a comes first); the default is `<`.
function methods:sort(compare)
   if compare ~= nil and type(compare) ~= 'function' then
      torch._error('tds.Vec:sort: compare function must be a lua function')
   end
   local data, n = snapshot(self)
   local items = {}
   for i = 1, n do items[i] = data[i] end
   table.sort(items, compare)
   local s = contents[self].store
   if s then
      local plain, special, ns = shared.export(items)
      return vassign(s, plain, n, special, ns)
   end
   for i = 1, n do data[i] = items[i] end
end

local function joined(self, sep, i, j)
   local data, n = snapshot(self)
   sep, i, j = sep or '', i or 1, j or n
   local parts = {}
   for k = i, j do
      local x = data[k]
      local s = type(x) == 'string' and x or (type(x) == 'number' and tostring(x)) or nil
      if s == nil then
         torch._error(string.format('tds.Vec:concat: element %d (%s) is not a string or a ' ..
            'number', k, torch.type(x)))
      end
      parts[#parts + 1] = s
   end
   return table.concat(parts, sep)
end

function methods:concat(sep, i, j) return joined(self, sep, i, j) end

function methods:concatstorage(sep, i, j)
   return torch.CharStorage():string(joined(self, sep, i, j))
end

mt.__index = function(v, k)
   if type(k) == 'number' then
      position(k, '')
      local c = contents[v]
      local s = c.store
      if s then return decode(vget(s, k)) end
      return c.data[k]
   end
   local m = methods[k] or rawget(mt, k)
   if m == nil then torch._error('tds.Vec: invalid key (number) or method name') end
   return m
end
mt.__newindex = function(v, k, x)
   position(k, '')
   local c = contents[v]
   local s = c.store
   if s then return vset(s, k, encode(element(x))) end
   c.data[k] = element(x)
   if k > c.n then c.n = k end
end
mt.__len = function(v)
   local c = contents[v]
   local s = c.store
   if s then return vlen(s) end
   return c.n
end
mt.__ipairs = function(v)
   local c = contents[v]
   local s = c.store
   if s then
      return function(_, i)
         local j, x, kind, tag = vnext(s, i)
         if j ~= nil then return j, decode(x, kind, tag) end
      end, v, 0
   end
   return function(_, i)
      i = i + 1
      if i <= c.n then return i, c.data[i] end
   end, v, 0
end
mt.__pairs = mt.__ipairs

mt.__tostring__ = function(v)
   local data, n = snapshot(v)
   local width = #tostring(n)
   local lines = {string.format('tds.Vec[%d]{', n)}
   for i = 1, n do
      local name = tostring(i)
      lines[#lines + 1] = name .. string.rep(' ', width - #name) .. ' : ' ..
         tds._elemstring(data[i], string.rep(' ', width + 3))
   end
   lines[#lines + 1] = '}'
   return table.concat(lines, '\n')
end

-- Torch7's serialized form: the size as a long, then every element (nil ones too)
mt.write = function(v, f)
   local data, n = snapshot(v)
   f:writeLong(n)
   for i = 1, n do f:writeObject(data[i]) end
end
mt.read = function(v, f)
   local c = contents[v]
   local n = f:readLong()
   for i = 1, n do c.data[i] = f:readObject() end
   c.n = n
end

shared.kind_of[mt], shared.share.v, shared.adopt.v = 'v', share, adopt

return tds.Vec
