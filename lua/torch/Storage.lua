-- Storage types: 1-based resizable arrays shared by tensors (userdata proxies, like tensors).

local torch = torch
local door = torch._door

local type, select, error, getmetatable, newproxy = type, select, error, getmetatable, newproxy

local H = torch._H
local storage_mts = torch._storage_mts
local storage_mt_by_name = torch._storage_mt_by_name
local proto_of = {}
local typeof = torch._typeof
local argerror = torch._argerror

local s_new, s_size, s_get, s_set = door.s_new, door.s_size, door.s_get, door.s_set

local function wrapstorage(h, tname)
   local mt = storage_mt_by_name[tname]
   local u = newproxy(proto_of[mt])
   H[u] = h
   return u
end
torch._wrapstorage = wrapstorage

local Storage = {}

function Storage.size(self) return s_size(H[self]) end

function Storage.resize(self, n)
   if type(n) ~= 'number' or n < 0 then
      argerror(1, 'resize', 'non-negative number expected, got ' .. typeof(n))
   end
   door.s_resize(H[self], n)
   return self
end

function Storage.fill(self, v)
   door.s_fill(H[self], v)
   return self
end

function Storage.copy(self, src)
   if not (torch.isStorage(src) or torch.isTensor(src)) then
      argerror(1, 'copy', 'storage expected, got ' .. typeof(src))
   end
   door.s_copy(H[self], H[src])
   return self
end

function Storage.totable(self)
   local n = s_size(H[self])
   local out = {}
   if n == 0 then return out end
   local kind = storage_mts[getmetatable(self)]
   local host = torch._hosttype[kind]
   if host then return Storage.totable(Storage.type(self, 'torch.' .. host .. 'Storage')) end
   local p = Storage.data(self)
   if kind == 'Long' then
      for i = 1, n do out[i] = tonumber(p[i - 1]) end
   else
      for i = 1, n do out[i] = p[i - 1] end
   end
   return out
end

function Storage.type(self, tname)
   local own = torch.typename(self)
   if tname == nil then return own end
   if tname == own then return self end
   local short = tname:match('^torch%.(%a+)Storage$')
   if not short or not storage_mt_by_name[short] then
      torch._error("bad argument #1 to 'type' (unknown storage type " .. tostring(tname) .. ')')
   end
   local out = torch[short .. 'Storage'](s_size(H[self]))
   door.s_copy(H[out], H[self])
   return out
end

function Storage.string(self, str)
   if str ~= nil then
      door.s_from_string(H[self], str)
      return self
   end
   return door.s_bytes(H[self])
end

local ffi = require 'ffi'
local CT = {Byte = 'uint8_t*', Char = 'int8_t*', Short = 'int16_t*', Int = 'int32_t*',
   Long = 'int64_t*', Float = 'float*', Half = 'uint16_t*', Double = 'double*'}

function Storage.data(self)
   return ffi.cast(CT[torch._elemtype[storage_mts[getmetatable(self)]]], door.s_data_ptr(H[self]))
end

function Storage.__tostring__(self)
   return door.fmt_storage(H[self], torch.typename(self))
end

function Storage.elementSize(self)
   return torch._elemsize[torch._elemtype[storage_mts[getmetatable(self)]]]
end

for _, fname in ipairs({'byte', 'char', 'short', 'int', 'long', 'float', 'half', 'double'}) do
   local short = fname:sub(1, 1):upper() .. fname:sub(2)
   Storage[fname] = function(self) return Storage.type(self, 'torch.' .. short .. 'Storage') end
end

local function construct(mt, tname, ...)
   local n = select('#', ...)
   local a1 = ...
   if n == 0 then return wrapstorage(s_new(tname, 0), tname) end
   if type(a1) == 'number' then
      local s = wrapstorage(s_new(tname, a1), tname)
      local v = select(2, ...)
      if type(v) == 'number' then door.s_fill(H[s], v) end
      return s
   elseif type(a1) == 'string' then
      -- (filename [, shared [, size [, sharedMem]]]): a storage over a mapped file
      local shared, size, shm = select(2, ...)
      return wrapstorage(door.s_new_mapped(tname, a1, shared == true, size or 0, shm == true),
         tname)
   elseif type(a1) == 'table' and not torch.isTensor(a1) then
      for i = 1, #a1 do
         if type(a1[i]) ~= 'number' then
            torch._error(string.format('element at index %d is not a number', i))
         end
      end
      return wrapstorage(door.s_from_table(tname, a1, #a1), tname)
   elseif getmetatable(a1) == mt then
      local offset, size = select(2, ...)
      offset = offset or 1
      size = size or (s_size(H[a1]) - offset + 1)
      return wrapstorage(door.s_view(H[a1], offset, size), tname)
   end
   argerror(1, tname .. 'Storage', 'number, table or storage expected, got ' .. typeof(a1))
end

--- Make storage type `torch.<tname>Storage` (the tensor type of the same name is made by
--- torch._newtensortype, which records its element type first).
function torch._newstoragetype(tname)
   local proto = newproxy(true)
   local mt = getmetatable(proto)
   torch._newclass('torch.' .. tname .. 'Storage', nil,
      function(...) return construct(mt, tname, ...) end, nil, mt)
   proto_of[mt] = proto
   storage_mts[mt] = tname
   storage_mt_by_name[tname] = mt
   for k, fn in pairs(Storage) do mt[k] = fn end
   mt.__index = function(self, k)
      local m = mt[k]
      if m ~= nil then return m end
      if type(k) == 'number' then return s_get(H[self], k) end
      return nil
   end
   mt.__newindex = function(self, k, v)
      if type(k) == 'number' then
         if type(v) ~= 'number' then
            torch._error('value expected to be a number, got ' .. typeof(v))
         end
         s_set(H[self], k, v)
         return
      end
      torch._error('cannot set field ' .. tostring(k) .. ' of a storage')
   end
   mt.__len = function(self) return s_size(H[self]) end
   mt.__tostring = function(self) return Storage.__tostring__(self) end
   mt.new = function(...) return construct(mt, tname, ...) end
   return mt
end

for _, tname in ipairs(torch._tensortypes) do torch._newstoragetype(tname) end

torch.Storage = torch.DoubleStorage

return Storage
