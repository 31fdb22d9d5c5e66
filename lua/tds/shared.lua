-- Elements of tds structures shared between states (luatorch/packages/tds.py keeps them):
-- how an element goes to the door, how one coming back is wrapped in this state, and this
-- state's one handle per shared structure.
local tds = require 'tds'

local door = torch._door
local H = torch._H
local sptr = torch._strptr
local wrap, wrapstorage = torch._wrap, torch._wrapstorage
local tensor_mts, tensor_mt_by_name = torch._tensor_mts, torch._tensor_mt_by_name
local storage_mts = torch._storage_mts
local raw, box = door.tds_raw, door.tds_box
local find, type, next, getmetatable = string.find, type, next, getmetatable

local shared = {}

-- filled by Hash and Vec: their metatable's kind ('h', 'v'); by kind, share(x) -> the store
-- of handle x (moving its elements there the first time), and adopt(store, id) -> a handle
shared.kind_of, shared.share, shared.adopt = {}, {}, {}
local kind_of, share, adopt = shared.kind_of, shared.share, shared.adopt

-- this state's handle on each store, by the store's id: a structure read twice (or one that
-- holds itself) is one object here, as a key and for ==
shared.handles = setmetatable({}, {__mode = 'v'})
local handles = shared.handles

-- lupa decodes a Lua string given to Python as UTF-8, which fails on other bytes: a string
-- with bytes 128-255 goes as its address and length instead
local HIGH = '[\128-\255]'

--- The three constructors of one kind of structure (Hash, Vec), whose state per handle lives
--- in `contents` ({data = elements, n = count} while this state alone uses it, {store =, id
--- =} once shared): new() a handle of this state's own, adopt(store, id) a handle on a shared
--- store, and share(x) the store of x, made with newstore() and filled by fill(store, c) from
--- x's elements the first time.
function shared.constructors(contents, metatable, newstore, fill)
   local function new()
      local x = newproxy(false)
      debug.setmetatable(x, metatable())
      contents[x] = {data = {}, n = 0}
      return x
   end
   local function adopt(s, id)
      local x = newproxy(false)
      debug.setmetatable(x, metatable())
      contents[x] = {store = s, id = id}
      handles[id] = x
      return x
   end
   local function share(x)
      local c = contents[x]
      if c.store then return c.store, c.id end
      local s, id = newstore()
      -- the handle changes mode before its elements are encoded, so that a structure holding
      -- itself (or one holding it) finds it shared
      contents[x] = {store = s, id = id}
      handles[id] = x
      fill(s, c)
      return s, id
   end
   return new, adopt, share
end

--- An element (already checked) as the door takes it.
function shared.encode(x)
   local t = type(x)
   if t == 'string' then
      if find(x, HIGH) then return raw(sptr(x), #x) end
      return x
   end
   if t ~= 'userdata' then return x end
   local mt = getmetatable(x)
   local name = tensor_mts[mt]
   if name then return box(H[x], 't', name) end
   name = storage_mts[mt]
   if name then return box(H[x], 's', name) end
   local kind = kind_of[mt]
   if kind then return box(share[kind](x), kind) end
   return box(tds._counter(x), 'c')
end
local encode = shared.encode

--- An element the door gave (value, or object, kind and tag) as this state's object.
function shared.decode(v, kind, tag)
   if kind == nil or kind == 'b' then return v end
   if kind == 't' then return wrap(v, tensor_mt_by_name[tag]) end
   if kind == 's' then return wrapstorage(v, tag) end
   if kind == 'c' then return tds._wrapcounter(v) end
   return handles[tag] or adopt[kind](v, tag)
end

local function plain(x)
   local t = type(x)
   return t == 'number' or (t == 'string' and not find(x, HIGH))
end

--- A table of elements as the door takes it in one call: the pairs whose key and value are
--- plain (numbers, strings of bytes below 128; booleans are not, True being 1 to Python), and
--- the others encoded as a list k1, v1, k2, v2, ... with its length.
function shared.export(data)
   local special, ns
   for k, v in next, data do
      if not (plain(k) and (plain(v) or type(v) == 'boolean')) then
         special, ns = special or {}, ns or 0
         special[ns + 1], special[ns + 2] = encode(k), encode(v)
         ns = ns + 2
      end
   end
   if not special then return data, nil, 0 end
   local copy = {}
   for k, v in next, data do
      if plain(k) and (plain(v) or type(v) == 'boolean') then copy[k] = v end
   end
   return copy, special, ns
end

return shared
