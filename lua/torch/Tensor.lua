-- Tensor types: construction, geometry, views, element access and x[...] indexing.
-- A tensor is a userdata proxy (as in Torch7, so `type(x) == 'userdata'` and `#x` work) whose
-- Python handle lives in the weak-keyed table H; every method reaches Python through the door.

local torch = torch
local door = torch._door
local ffi = require 'ffi'

local type, select, error, rawget, getmetatable, tostring = type, select, error, rawget,
   getmetatable, tostring
local newproxy, setmetatable, unpack = newproxy, setmetatable, unpack

-- H[x] is the Python handle of tensor/storage x.  The handle lives in the proxy's own
-- environment table (a strong, per-object reference the collector traverses); a weak-keyed
-- side table was tried first and lost live handles under LuaJIT's collector.
local HKEY = {}
local getfenv_ud, setfenv_ud, rawget, rawset = debug.getfenv, debug.setfenv, rawget, rawset
local H = setmetatable({}, {
   __index = function(_, k)
      local tk = type(k)
      if tk == 'userdata' then
         return rawget(getfenv_ud(k), HKEY)
      elseif tk == 'table' then
         return rawget(k, HKEY)
      end
      return nil
   end,
   __newindex = function(_, k, v)
      local tk = type(k)
      if tk == 'userdata' then
         local env = getfenv_ud(k)
         if rawget(env, HKEY) ~= nil then
            rawset(env, HKEY, v)
         else
            -- a fresh proxy shares the default environment: give it a table of its own
            setfenv_ud(k, {[HKEY] = v})
         end
      elseif tk == 'table' then
         rawset(k, HKEY, v)
      else
         error('cannot attach a handle to a ' .. tk, 2)
      end
   end,
})
torch._H = H

local TYPES = {'Byte', 'Char', 'Short', 'Int', 'Long', 'Float', 'Half', 'Double'}
torch._tensortypes = TYPES
-- NOTE: LuaJIT's FFI has no half type: a Half pointer reads raw bits (as Torch7's THHalf*),
-- so element loops over Half tensors go through a Float copy instead.
local CTYPE = {Byte = 'uint8_t', Char = 'int8_t', Short = 'int16_t', Int = 'int32_t',
   Long = 'int64_t', Float = 'float', Half = 'uint16_t', Double = 'double'}
local ELEMSIZE = {Byte = 1, Char = 1, Short = 2, Int = 4, Long = 8, Float = 4, Half = 2,
   Double = 8}
torch._elemsize = ELEMSIZE
-- ELEM[tname]: the CPU type holding the same elements ('Cuda' -> 'Float'); HOST[tname]: for
-- types whose elements the FFI cannot reach in place (Half, GPU types), the CPU type that
-- element loops (apply, map, totable, table constructors) go through instead
local ELEM, HOST = {}, {Half = 'Float'}
for _, t in ipairs(TYPES) do ELEM[t] = t end
torch._elemtype, torch._hosttype = ELEM, HOST

-- metatables of tensor types: mt -> short type name ('Float'), and name -> mt
local tensor_mts = {}
local tensor_mt_by_name = {}
local storage_mts = {}
local storage_mt_by_name = {}
local proto_of = {}   -- mt -> prototype proxy (newproxy(proto) shares its metatable)
torch._tensor_mts = tensor_mts
torch._tensor_mt_by_name = tensor_mt_by_name
torch._storage_mts = storage_mts
torch._storage_mt_by_name = storage_mt_by_name

local t_new, t_new_size, t_new_view = door.t_new, door.t_new_size, door.t_new_view
local t_dim, t_numel, t_size_d, t_size_storage = door.t_dim, door.t_numel, door.t_size_d,
   door.t_size_storage
local t_stride_d, t_stride_storage = door.t_stride_d, door.t_stride_storage
local t_get1, t_set1, t_get, t_setv = door.t_get1, door.t_set1, door.t_get, door.t_setv
local t_narrow, t_select, t_sub, t_transpose = door.t_narrow, door.t_select, door.t_sub,
   door.t_transpose
local t_resize, t_resize_as, t_copy, t_fill, t_zero = door.t_resize, door.t_resize_as,
   door.t_copy, door.t_fill, door.t_zero
local t_typename = door.t_typename
local t_select_any, t_squeeze_any = door.t_select_any, door.t_squeeze_any

--- Wrap a Python tensor handle in a Lua tensor of metatable `mt`.
local function wrap(h, mt)
   local u = newproxy(proto_of[mt])
   H[u] = h
   return u
end
torch._wrap = wrap

--- Wrap a handle whose type is only known to Python.
local function wrapany(h)
   return wrap(h, tensor_mt_by_name[t_typename(h)])
end
torch._wrapany = wrapany

local function isTensor(x)
   return tensor_mts[getmetatable(x)] ~= nil
end
torch.isTensor = isTensor

local function isStorage(x)
   return storage_mts[getmetatable(x)] ~= nil
end
torch.isStorage = isStorage

--- The Python handle of a tensor or storage (for embedders and sibling Lua files).
function torch._handle(x)
   return H[x]
end

local function argerror(n, fname, msg)
   torch._error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg))
end
torch._argerror = argerror

local function typeof(v)
   return torch.typename(v) or type(v)
end
torch._typeof = typeof

--- The message of Torch7's generated wrappers when no form matches: each argument's type (the
--- package prefix dropped, 'DoubleTensor number ') and, on a second line, the accepted forms.
local function invalidmsg(expected, ...)
   local got = {}
   for i = 1, select('#', ...) do
      got[i] = typeof((select(i, ...))):gsub('^[%w_]+%.', '') .. ' '
   end
   return 'invalid arguments: ' .. table.concat(got) .. '\nexpected arguments: ' .. expected
end
torch._invalidmsg = invalidmsg

-------------------------------------------------------------------------------------------------
-- Argument dispatch shared by the math files: forms are declared as data, as in Torch7's cwrap.
-- A signature is a string of letters, one per argument:
--   T  tensor of the result's type       A  any tensor        B  ByteTensor     L  LongTensor
--   n  number                            b  boolean           s  string         S  LongStorage
-------------------------------------------------------------------------------------------------
local byte_mt, long_mt  -- filled in when the types exist
-- the index and mask types that go with a tensor type: LongTensor and ByteTensor, or on a GPU
-- CudaLongTensor and CudaByteTensor (cutorch fills LONG_OF and BYTE_OF)
local LONG_OF, BYTE_OF = {}, {}

local function argok(c, v, rmt)
   if c == 84 then return getmetatable(v) == rmt                 -- T
   elseif c == 110 then return type(v) == 'number'               -- n
   elseif c == 65 then return tensor_mts[getmetatable(v)] ~= nil -- A
   elseif c == 66 then return getmetatable(v) == byte_mt         -- B
   elseif c == 76 then return getmetatable(v) == long_mt         -- L
   elseif c == 98 then return type(v) == 'boolean'               -- b
   elseif c == 115 then return type(v) == 'string'               -- s
   elseif c == 83 then return getmetatable(v) == storage_mt_by_name.Long -- S
   end
   return false
end

local function matches(sig, rmt, n, a1, a2, a3, a4, a5)
   if #sig ~= n then return false end
   local byte = string.byte
   if n >= 1 and not argok(byte(sig, 1), a1, rmt) then return false end
   if n >= 2 and not argok(byte(sig, 2), a2, rmt) then return false end
   if n >= 3 and not argok(byte(sig, 3), a3, rmt) then return false end
   if n >= 4 and not argok(byte(sig, 4), a4, rmt) then return false end
   if n >= 5 and not argok(byte(sig, 5), a5, rmt) then return false end
   return true
end

local function hv(v)
   local h = H[v]
   if h ~= nil then return h end
   return v
end

local function callform(fn, r, n, a1, a2, a3, a4, a5)
   if n == 0 then return fn(H[r])
   elseif n == 1 then return fn(H[r], hv(a1))
   elseif n == 2 then return fn(H[r], hv(a1), hv(a2))
   elseif n == 3 then return fn(H[r], hv(a1), hv(a2), hv(a3))
   elseif n == 4 then return fn(H[r], hv(a1), hv(a2), hv(a3), hv(a4))
   end
   return fn(H[r], hv(a1), hv(a2), hv(a3), hv(a4), hv(a5))
end

local function describe(forms, tname)
   local parts = {}
   for i = 1, #forms do
      local sig = forms[i][1]
      local words = {'*' .. tname .. '*'}
      for j = 1, #sig do
         local c = sig:sub(j, j)
         words[#words + 1] = (c == 'T' and tname) or (c == 'n' and 'number')
            or (c == 'A' and 'Tensor') or (c == 'B' and 'ByteTensor') or (c == 'L' and 'LongTensor')
            or (c == 'b' and 'boolean') or (c == 's' and 'string') or 'LongStorage'
      end
      parts[#parts + 1] = table.concat(words, ' ')
   end
   return table.concat(parts, ' | ')
end

local function invalid(_, forms, rmt, _, ...)
   local tname = rmt and rawget(rmt, '__typename'):gsub('^torch%.', '') or 'Tensor'
   torch._error(invalidmsg(describe(forms, tname), ...))
end
torch._invalid = invalid

--- Build a method `x:fname(...)` and a function `torch.fname([res,] ...)` from forms
--- {sig, fn}: fn(resHandle, args...) writes the result into res.  The method's self is the
--- result, and also the first source when the arguments alone match no form (Torch7 rule).
function torch._resultop(fname, forms, opts)
   opts = opts or {}
   local nforms = #forms
   local retfn = opts.ret   -- optional: what to return instead of the result tensor
   local function method(self, ...)
      local n = select('#', ...)
      local a1, a2, a3, a4 = ...
      local rmt = getmetatable(self)
      for i = 1, nforms do
         local f = forms[i]
         if matches(f[1], rmt, n, a1, a2, a3, a4) then
            local v = callform(f[2], self, n, a1, a2, a3, a4)
            if retfn then return v end
            return self
         end
      end
      for i = 1, nforms do
         local f = forms[i]
         if matches(f[1], rmt, n + 1, self, a1, a2, a3, a4) then
            local v = callform(f[2], self, n + 1, self, a1, a2, a3, a4)
            if retfn then return v end
            return self
         end
      end
      invalid(fname, forms, rmt, 2, self, ...)
   end
   local function func(r, ...)
      local n = select('#', ...)
      local a1, a2, a3, a4 = ...
      local rmt = getmetatable(r)
      if tensor_mts[rmt] then
         for i = 1, nforms do
            local f = forms[i]
            if matches(f[1], rmt, n, a1, a2, a3, a4) then
               local v = callform(f[2], r, n, a1, a2, a3, a4)
               if retfn then return v end
               return r
            end
         end
      end
      -- no result given: the result is a new tensor of the first tensor argument's type
      local mt = rmt
      if not tensor_mts[mt] then
         for i = 1, n do
            local m = getmetatable((select(i, ...)))
            if tensor_mts[m] then mt = m break end
         end
      end
      if tensor_mts[mt] then
         for i = 1, nforms do
            local f = forms[i]
            if matches(f[1], mt, n + 1, r, a1, a2, a3, a4) then
               local res = wrap(t_new(tensor_mts[mt]), mt)
               local v = callform(f[2], res, n + 1, r, a1, a2, a3, a4)
               if retfn then return v end
               return res
            end
         end
      end
      invalid(fname, forms, mt, 2, r, ...)
   end
   return method, func
end

-------------------------------------------------------------------------------------------------
-- Methods shared by every tensor type (installed into each metatable below)
-------------------------------------------------------------------------------------------------
local Tensor = {}
torch._TensorMethods = Tensor

local function sizes_from_args(fname, ...)
   -- accepts (n1, n2, ...) or (LongStorage) or (table of numbers)
   local a1 = ...
   if getmetatable(a1) == storage_mt_by_name.Long then
      return {door.s_values(H[a1])}
   elseif type(a1) == 'table' and not isTensor(a1) then
      return a1
   end
   local t = {...}
   for i = 1, #t do
      if type(t[i]) ~= 'number' then
         argerror(i, fname, 'number expected, got ' .. typeof(t[i]))
      end
   end
   return t
end
torch._sizes_from_args = sizes_from_args

function Tensor.dim(self) return t_dim(H[self]) end
Tensor.nDimension = Tensor.dim
function Tensor.nElement(self) return t_numel(H[self]) end
Tensor.numel = Tensor.nElement

function Tensor.size(self, d)
   if d ~= nil then
      if type(d) ~= 'number' then argerror(1, 'size', 'number expected, got ' .. typeof(d)) end
      return t_size_d(H[self], d)
   end
   return torch._wrapstorage(t_size_storage(H[self]), 'Long')
end

function Tensor.stride(self, d)
   if d ~= nil then return t_stride_d(H[self], d) end
   return torch._wrapstorage(t_stride_storage(H[self]), 'Long')
end

function Tensor.storage(self)
   local h = H[self]
   if t_dim(h) == 0 and t_numel(h) == 0 and door.s_size(door.t_storage(h)) == 0 then
      return nil
   end
   return torch._wrapstorage(door.t_storage(h), tensor_mts[getmetatable(self)])
end

function Tensor.storageOffset(self) return door.t_offset(H[self]) end
function Tensor.isContiguous(self) return door.t_is_contiguous(H[self]) end
function Tensor.isSameSizeAs(self, other) return door.t_is_same_size(H[self], H[other]) end
function Tensor.isSize(self, s) return door.t_is_size(H[self], H[s]) end
function Tensor.isSetTo(self, other)
   local a, b = H[self], H[other]
   return door.t_same_storage(a, b) and door.t_offset(a) == door.t_offset(b)
      and door.t_is_same_size(a, b) and Tensor.stride(self):totable()[1] ==
      Tensor.stride(other):totable()[1]
end

function Tensor.type(self, tname)
   local mt = getmetatable(self)
   -- torch.Tensor.type(v) of a non-tensor is nil, as Torch7's (cutorch's tests rely on it)
   local own = type(mt) == 'table' and rawget(mt, '__typename') or nil
   if tname == nil then return own end
   if tname == own then return self end
   local short = tname:match('^torch%.(%a+)Tensor$')
   local dst = short and tensor_mt_by_name[short]
   if not dst then
      local ctor = torch._typeconverters and torch._typeconverters[tname]
      if ctor then return ctor(self) end
      torch._error("bad argument #1 to 'type' (unknown tensor type " .. tostring(tname) .. ")")
   end
   return wrap(door.t_typeconv(H[self], short), dst)
end

function Tensor.typeAs(self, other) return Tensor.type(self, torch.typename(other)) end

function Tensor.resize(self, ...)
   local a1 = ...
   if getmetatable(a1) == storage_mt_by_name.Long then
      local a2 = select(2, ...)
      door.t_resize_storage(H[self], H[a1], a2 and H[a2] or nil)
   elseif type(a1) == 'table' and not isTensor(a1) then
      t_resize(H[self], unpack(a1))
   else
      local n = select('#', ...)
      for i = 1, n do
         if type((select(i, ...))) ~= 'number' then
            argerror(i, 'resize', 'number expected, got ' .. typeof((select(i, ...))))
         end
      end
      t_resize(H[self], ...)
   end
   return self
end

function Tensor.resizeAs(self, other)
   if not isTensor(other) then argerror(1, 'resizeAs', 'tensor expected, got ' .. typeof(other)) end
   t_resize_as(H[self], H[other])
   return self
end

function Tensor.set(self, src, offset, size, stride)
   if src == nil then
      door.t_set_empty(H[self])
   elseif isTensor(src) then
      door.t_set(H[self], H[src])
   elseif isStorage(src) then
      if type(size) == 'number' then
         local args = {size, stride}
         local tmp = torch._tensor_from_storage_args(getmetatable(self), src, offset or 1, args)
         door.t_set(H[self], H[tmp])
      else
         door.t_set_storage(H[self], H[src], offset or 1, size and H[size] or nil,
            stride and H[stride] or nil)
      end
   else
      argerror(1, 'set', 'tensor or storage expected, got ' .. typeof(src))
   end
   return self
end

function Tensor.copy(self, src)
   if not isTensor(src) then
      if isStorage(src) then
         src = torch._wrapany(door.s_as_tensor(H[src]))
      else
         argerror(1, 'copy', 'tensor expected, got ' .. typeof(src))
      end
   end
   t_copy(H[self], H[src])
   return self
end

function Tensor.fill(self, v)
   if type(v) ~= 'number' then
      if type(v) == 'boolean' then v = v and 1 or 0
      else argerror(1, 'fill', 'number expected, got ' .. typeof(v)) end
   end
   t_fill(H[self], v)
   return self
end

function Tensor.zero(self)
   t_zero(H[self])
   return self
end

function Tensor.clone(self)
   return wrap(door.t_clone(H[self]), getmetatable(self))
end

function Tensor.contiguous(self)
   local h = H[self]
   local c = door.t_contiguous(h)
   if c == h then return self end
   return wrap(c, getmetatable(self))
end

local function checkdim(self, fname, d, n)
   if type(d) ~= 'number' then argerror(n or 1, fname, 'number expected, got ' .. typeof(d)) end
end

function Tensor.narrow(self, d, start, len)
   checkdim(self, 'narrow', d)
   if type(start) ~= 'number' then
      argerror(2, 'narrow', 'number expected, got ' .. typeof(start))
   end
   if type(len) ~= 'number' then argerror(3, 'narrow', 'number expected, got ' .. typeof(len)) end
   local n = t_dim(H[self])
   if d < 1 or d > n then argerror(1, 'narrow', 'out of range') end
   return wrap(t_narrow(H[self], d, start, len), getmetatable(self))
end

function Tensor.sub(self, ...)
   return wrap(t_sub(H[self], ...), getmetatable(self))
end

function Tensor.select(self, d, i)
   checkdim(self, 'select', d)
   if type(i) ~= 'number' then argerror(2, 'select', 'number expected, got ' .. typeof(i)) end
   -- a vector's element comes back as a number (Torch7)
   local r = t_select_any(H[self], d, i)
   if type(r) == 'number' then return r end
   return wrap(r, getmetatable(self))
end

function Tensor.transpose(self, d1, d2)
   return wrap(t_transpose(H[self], d1, d2), getmetatable(self))
end

function Tensor.t(self)
   return wrap(door.t_t(H[self]), getmetatable(self))
end

function Tensor.permute(self, ...)
   return wrap(door.t_permute(H[self], ...), getmetatable(self))
end

function Tensor.unfold(self, d, size, step)
   return wrap(door.t_unfold(H[self], d, size, step), getmetatable(self))
end

-- view, expand and their As forms take Torch7's result-first shape: f(result, src, sizes...)
-- points result at the view of src; f(src, sizes...) returns a new view.
local function view_of(self, fname, ...)
   local a1 = ...
   if getmetatable(a1) == storage_mt_by_name.Long then
      return door.t_view_storage(H[self], H[a1])
   end
   return door.t_view(H[self], unpack(sizes_from_args(fname, ...)))
end

local function expand_of(self, ...)
   local a1 = ...
   if getmetatable(a1) == storage_mt_by_name.Long then
      return door.t_expand_storage(H[self], H[a1])
   end
   return door.t_expand(H[self], unpack(sizes_from_args('expand', ...)))
end

local function point(result, src, h)
   if getmetatable(result) ~= getmetatable(src) then
      argerror(1, 'set', 'expected ' .. typeof(src) .. ', got ' .. typeof(result))
   end
   door.t_set(H[result], h)
   return result
end

function Tensor.view(result, src, ...)
   if isTensor(src) then
      if select('#', ...) == 0 then
         -- NOTE: x:view(other) (luatorch's shorthand for x:viewAs(other)), kept for old callers
         return wrap(door.t_view_storage(H[result], H[Tensor.size(src)]), getmetatable(result))
      end
      return point(result, src, view_of(src, 'view', ...))
   end
   if not isTensor(result) then
      torch._error('torch.view, expected (torch.Tensor, torch.Tensor, number [, number ]*) or\n' ..
         ' (torch.Tensor, torch.Tensor, torch.LongStorage) or\n (torch.Tensor, ' ..
         'torch.LongStorage)\n or (torch.Tensor, number [, number ]*)')
   end
   return wrap(view_of(result, 'view', src, ...), getmetatable(result))
end

function Tensor.viewAs(result, src, template)
   if template ~= nil then
      if not isTensor(template) then
         torch._error('expecting (torch.Tensor, torch.Tensor, torch.LongStorage) or ' ..
            '(torch.Tensor, torch.LongStorage)')
      end
      return point(result, src, door.t_view_storage(H[src], H[Tensor.size(template)]))
   end
   if not isTensor(src) then
      torch._error('expecting (torch.Tensor, torch.Tensor, torch.LongStorage) or ' ..
         '(torch.Tensor, torch.LongStorage)')
   end
   return wrap(door.t_view_storage(H[result], H[Tensor.size(src)]), getmetatable(result))
end

function Tensor.expand(result, src, ...)
   if isTensor(src) then return point(result, src, expand_of(src, ...)) end
   return wrap(expand_of(result, src, ...), getmetatable(result))
end

function Tensor.expandAs(result, src, template)
   if template ~= nil then
      return point(result, src, door.t_expand_storage(H[src], H[Tensor.size(template)]))
   end
   return wrap(door.t_expand_storage(H[result], H[Tensor.size(src)]), getmetatable(result))
end

-- squeeze([res,] x [, d]): a one-element vector left over (from a vector, or from squeezing
-- every dimension) is returned as a number, as Torch7 does
function Tensor.squeeze(res, x, d)
   if not isTensor(x) then
      x, d = res, x
      res = nil
   end
   local s = t_squeeze_any(H[x], d)
   if type(s) == 'number' then
      if res then door.t_set(H[res], door.t_squeeze(H[x], d)) end
      return s
   end
   if res then
      door.t_set(H[res], s)
      return res
   end
   return wrap(s, getmetatable(x))
end

-- reshape([res,] x, sizes...): a copy of x's elements in a tensor of the given sizes
function Tensor.reshape(res, x, ...)
   if not isTensor(x) then
      return Tensor.reshape(wrap(t_new(tensor_mts[getmetatable(res)]), getmetatable(res)), res, x,
         ...)
   end
   local a1 = ...
   if getmetatable(a1) == storage_mt_by_name.Long then
      door.t_resize_storage(H[res], H[a1], nil)
   else
      t_resize(H[res], unpack(sizes_from_args('reshape', ...)))
   end
   if t_numel(H[res]) ~= t_numel(H[x]) then torch._error('inconsistent tensor size') end
   t_copy(H[res], H[x])
   return res
end

function Tensor.unsqueeze(self, d)
   return wrap(door.t_unsqueeze(H[self], d), getmetatable(self))
end

-- An FFI pointer does not keep its tensor alive: LuaJIT's collector cannot see it. Loops that
-- read through pointers while they allocate (tables, a user function's results) make a door
-- call on each tensor after the loop, so a temporary tensor (`f(x):totable()`) cannot be
-- collected, and its memory reused, while the loop still reads it.
local function keepalive(...)
   for i = 1, select('#', ...) do t_dim(H[(select(i, ...))]) end
end

function Tensor.totable(self)
   local h = H[self]
   local n = t_dim(h)
   if n == 0 then return {} end
   local host = HOST[tensor_mts[getmetatable(self)]]
   if host then return Tensor.totable(Tensor.type(self, 'torch.' .. host .. 'Tensor')) end
   local c = Tensor.contiguous(self)
   local p = Tensor.data(c)
   local long = tensor_mts[getmetatable(self)] == 'Long'
   local sizes = {door.t_size(h)}
   local pos = 0
   local function build(d)
      local out = {}
      if d == n then
         for i = 1, sizes[d] do
            local v = p[pos]
            out[i] = long and tonumber(v) or v
            pos = pos + 1
         end
      else
         for i = 1, sizes[d] do out[i] = build(d + 1) end
      end
      return out
   end
   local result = build(1)
   keepalive(c)
   return result
end

for _, short in ipairs(TYPES) do
   Tensor[short:lower()] = function(self)
      return Tensor.type(self, 'torch.' .. short .. 'Tensor')
   end
end

-- the default tensor type (Torch7 calls it real; HalfTensor's maths go through it)
function Tensor.real(self)
   return Tensor.type(self, torch.getdefaulttensortype())
end

function Tensor.elementSize(self)
   return ELEMSIZE[ELEM[tensor_mts[getmetatable(self)]]]
end

function Tensor.isTensor(self) return isTensor(self) end

-- LuaJIT FFI: direct element pointers for apply/map (no crossing per element)
function Tensor.data(self)
   local h = H[self]
   return ffi.cast(CTYPE[ELEM[tensor_mts[getmetatable(self)]]] .. '*', door.t_data_ptr(h))
end

local function strided_iter(self)
   -- returns pointer, and arrays of sizes/strides for row-major traversal
   local h = H[self]
   local n = t_dim(h)
   if n == 0 then return nil end
   local p = Tensor.data(self)
   return p, {door.t_size(h)}, {door.t_stride(h)}, n
end

local function foreach_offset(sizes, strides, n, fn)
   -- calls fn(offset) for each element in row-major order (offsets in elements)
   local idx = {}
   for d = 1, n do idx[d] = 0 end
   local off = 0
   local total = 1
   for d = 1, n do total = total * sizes[d] end
   for _ = 1, total do
      fn(off)
      local d = n
      while d >= 1 do
         idx[d] = idx[d] + 1
         off = off + strides[d]
         if idx[d] < sizes[d] then break end
         off = off - strides[d] * sizes[d]
         idx[d] = 0
         d = d - 1
      end
   end
end

local function is_long(self) return tensor_mts[getmetatable(self)] == 'Long' end

local function is_half(t) return HOST[tensor_mts[getmetatable(t)]] ~= nil end

-- apply/map/map2 on Half and GPU tensors: run on CPU copies, then store the result back
local function floatof(t)
   local host = HOST[tensor_mts[getmetatable(t)]]
   if host then return Tensor.type(t, 'torch.' .. host .. 'Tensor') end
   return t
end

local function via_float(self, f, ...)
   local s = floatof(self)
   f(s, ...)
   if s ~= self then t_copy(H[self], H[s]) end
   return self
end

function Tensor.apply(self, fn)
   if is_half(self) then return via_float(self, Tensor.apply, fn) end
   local p, sizes, strides, n = strided_iter(self)
   if not p then return self end
   local long = is_long(self)
   foreach_offset(sizes, strides, n, function(off)
      local v = p[off]
      if long then v = tonumber(v) end
      local r = fn(v)
      if r ~= nil then p[off] = r end
   end)
   return self
end

function Tensor.map(self, other, fn)
   if is_half(self) or is_half(other) then
      return via_float(self, Tensor.map, floatof(other), fn)
   end
   if t_numel(H[self]) ~= t_numel(H[other]) then
      torch._error('inconsistent tensor size')
   end
   local p, sizes, strides, n = strided_iter(self)
   if not p then return self end
   local q, qs, qst, qn = strided_iter(other)
   local qoffs, k = {}, 0
   foreach_offset(qs, qst, qn, function(off) k = k + 1; qoffs[k] = off end)
   local long1, long2 = is_long(self), is_long(other)
   k = 0
   foreach_offset(sizes, strides, n, function(off)
      k = k + 1
      local a, b = p[off], q[qoffs[k]]
      if long1 then a = tonumber(a) end
      if long2 then b = tonumber(b) end
      local r = fn(a, b)
      if r ~= nil then p[off] = r end
   end)
   keepalive(other)
   return self
end

function Tensor.map2(self, t1, t2, fn)
   if is_half(self) or is_half(t1) or is_half(t2) then
      return via_float(self, Tensor.map2, floatof(t1), floatof(t2), fn)
   end
   local n0 = t_numel(H[self])
   if n0 ~= t_numel(H[t1]) or n0 ~= t_numel(H[t2]) then
      torch._error('inconsistent tensor size')
   end
   local p, sizes, strides, n = strided_iter(self)
   if not p then return self end
   local function offsets(t)
      local _, s, st, nn = strided_iter(t)
      local offs, k = {}, 0
      foreach_offset(s, st, nn, function(off) k = k + 1; offs[k] = off end)
      return offs
   end
   local q, r = Tensor.data(t1), Tensor.data(t2)
   local qo, ro = offsets(t1), offsets(t2)
   local l0, l1, l2 = is_long(self), is_long(t1), is_long(t2)
   local k = 0
   foreach_offset(sizes, strides, n, function(off)
      k = k + 1
      local a, b, c = p[off], q[qo[k]], r[ro[k]]
      if l0 then a = tonumber(a) end
      if l1 then b = tonumber(b) end
      if l2 then c = tonumber(c) end
      local v = fn(a, b, c)
      if v ~= nil then p[off] = v end
   end)
   keepalive(t1, t2)
   return self
end

-- split([tbl,] x, size [, d]) and chunk([tbl,] x, n [, d]): the pieces go into tbl (emptied
-- first) when it is given
function Tensor.split(out, self, size, d)
   if type(out) ~= 'table' or isTensor(out) then
      out, self, size, d = {}, out, self, size
   else
      for k in pairs(out) do out[k] = nil end
   end
   d = d or 1
   local n = Tensor.size(self, d)
   local start = 1
   while start <= n do
      local len = math.min(size, n - start + 1)
      out[#out + 1] = Tensor.narrow(self, d, start, len)
      start = start + len
   end
   return out
end

function Tensor.chunk(out, self, nchunks, d)
   if type(out) ~= 'table' or isTensor(out) then
      out, self, nchunks, d = {}, out, self, nchunks
   end
   d = d or 1
   local n = Tensor.size(self, d)
   return Tensor.split(out, self, math.ceil(n / nchunks), d)
end

-- the function forms torch.f(...) of Torch7's Tensor.lua
for _, name in ipairs({'expand', 'expandAs', 'view', 'viewAs', 'split', 'chunk', 'squeeze',
   'reshape', 'permute'}) do
   torch[name] = Tensor[name]
end

function torch.totable(obj)
   if isTensor(obj) or isStorage(obj) then return obj:totable() end
   error('obj must be a Storage or a Tensor', 2)
end

-------------------------------------------------------------------------------------------------
-- x[...] and x[...] = v
-------------------------------------------------------------------------------------------------
-- Resolve a table index {i, {a,b}, {}, ...} into a view and whether it names one element.
-- x[i] and x[{..., i, ...}] count a negative i from the end (select itself does not); a
-- fraction is cut toward zero first, as luaL_checklong did
local function fromend(h, d, v)
   if v < 0 then
      local n = t_dim(h)
      if d <= n then return math.ceil(v) + t_size_d(h, d) + 1 end
   end
   return v
end

local function index_table(self, k, fname)
   local h = H[self]
   local n = t_dim(h)
   if #k > n then
      torch._error(string.format('too many indices provided: %d for a %dD tensor', #k, n))
   end
   local allnum = #k == n and n > 0
   for i = 1, #k do
      if type(k[i]) ~= 'number' then allnum = false break end
   end
   if allnum then return nil, true end
   local cur = h
   local d = 1
   for i = 1, #k do
      local v = k[i]
      if type(v) == 'number' then
         v = fromend(cur, d, v)
         if t_dim(cur) == 1 then
            -- selecting the last dimension leaves a one-element narrow (Torch7 does the same)
            cur = t_narrow(cur, d, v, 1)
            d = d + 1
         else
            cur = t_select(cur, d, v)
         end
      elseif type(v) == 'table' then
         local s, e = v[1], v[2]
         local sz = t_size_d(cur, d)
         if s == nil then s = 1 end
         if e == nil then e = (v[1] ~= nil) and s or sz end
         if s < 0 then s = s + sz + 1 end
         if e < 0 then e = e + sz + 1 end
         if s < 1 or s > sz or e < s or e > sz then
            torch._error(string.format('index out of range: {%s, %s} on dimension %d of size %d',
               tostring(v[1]), tostring(v[2]), d, sz))
         end
         cur = t_narrow(cur, d, s, e - s + 1)
         d = d + 1
      else
         torch._error('invalid index: expected number or table, got ' .. typeof(v))
      end
   end
   return cur, false
end

local function tensor_index(self, k)
   local tk = type(k)
   if tk == 'number' then
      local h = H[self]
      local n = t_dim(h)
      if n == 1 then return t_get1(h, k) end
      if n == 0 then torch._error('index out of bound: indexing an empty tensor') end
      return wrap(t_select(h, 1, fromend(h, 1, k)), getmetatable(self))
   elseif tk == 'table' then
      local view, elem = index_table(self, k, '[]')
      if elem then return t_get(H[self], unpack(k)) end
      return wrap(view, getmetatable(self))
   end
   local kmt = getmetatable(k)
   if kmt == byte_mt or (kmt ~= nil and kmt == BYTE_OF[getmetatable(self)]) then
      return self:maskedSelect(k)
   elseif kmt == long_mt or (kmt ~= nil and kmt == LONG_OF[getmetatable(self)]) then
      return self:index(1, k)
   elseif kmt == storage_mt_by_name.Long then
      return door.t_get_storage_idx(H[self], H[k])
   end
   return nil
end

local function tensor_newindex(self, k, v)
   local tk = type(k)
   local h = H[self]
   if tk == 'number' then
      if t_dim(h) == 1 then
         if type(v) ~= 'number' then
            if isTensor(v) then
               t_copy(t_narrow(h, 1, k, 1), H[v])
               return
            end
            torch._error('value expected to be a number, got ' .. typeof(v))
         end
         t_set1(h, k, v)
         return
      end
      local view = t_select(h, 1, fromend(h, 1, k))
      if type(v) == 'number' then t_fill(view, v) else t_copy(view, H[v]) end
      return
   elseif tk == 'table' then
      local view, elem = index_table(self, k, '[]=')
      if elem then
         if type(v) ~= 'number' then
            torch._error('value expected to be a number, got ' .. typeof(v))
         end
         t_setv(h, v, unpack(k))
         return
      end
      if type(v) == 'number' then t_fill(view, v)
      elseif isTensor(v) then t_copy(view, H[v])
      else torch._error('value expected to be a number or tensor, got ' .. typeof(v)) end
      return
   end
   local kmt = getmetatable(k)
   if kmt == byte_mt or (kmt ~= nil and kmt == BYTE_OF[getmetatable(self)]) then
      if type(v) == 'number' then self:maskedFill(k, v) else self:maskedCopy(k, v) end
      return
   elseif kmt == long_mt or (kmt ~= nil and kmt == LONG_OF[getmetatable(self)]) then
      if type(v) == 'number' then self:indexFill(1, k, v) else self:indexCopy(1, k, v) end
      return
   elseif kmt == storage_mt_by_name.Long then
      t_setv(h, v, door.s_values(H[k]))
      return
   end
   torch._error('invalid tensor index: ' .. typeof(k))
end

-------------------------------------------------------------------------------------------------
-- Constructors
-------------------------------------------------------------------------------------------------
local function flatten_table(t, sizes, flat, depth)
   local n = #t
   if sizes[depth] == nil then sizes[depth] = n
   elseif sizes[depth] ~= n then
      torch._error('inconsistent tensor size in table constructor')
   end
   for i = 1, n do
      local v = t[i]
      local leaf = type(v) == 'number'
      if not leaf and type(v) ~= 'table' then
         torch._error('invalid argument in table constructor: number expected, got ' .. typeof(v))
      end
      -- every number must sit at the same depth, or the table is not a box of numbers
      if sizes.leaf == nil then sizes.leaf = leaf and depth or nil end
      if leaf and sizes.leaf ~= depth or (not leaf and sizes.leaf == depth) then
         torch._error('inconsistent tensor size in table constructor')
      end
      if leaf then flat[#flat + 1] = v else flatten_table(v, sizes, flat, depth + 1) end
   end
end

local function from_table(mt, tname, t)
   local sizes, flat = {}, {}
   flatten_table(t, sizes, flat, 1)
   if #flat == 0 then return wrap(t_new(tname), mt) end
   local h = t_new_size(tname, nil, unpack(sizes))
   local u = wrap(h, mt)
   if tname == 'Long' or HOST[tname] then
      -- int64 and half through the FFI needs an explicit conversion; go through Python instead
      local ht = door.t_from_flat(tname, flat, unpack(sizes))
      H[u] = ht
      return u
   end
   local p = Tensor.data(u)
   for i = 1, #flat do p[i - 1] = flat[i] end
   return u
end

function torch._tensor_from_storage_args(mt, st, offset, args)
   return wrap(door.t_new_from_storage_args(tensor_mts[mt], H[st], offset, unpack(args, 1, 8)),
      mt)
end

local function construct(mt, tname, ...)
   local n = select('#', ...)
   local a1 = ...
   if n == 0 then return wrap(t_new(tname), mt) end
   local ta1 = type(a1)
   if ta1 == 'number' then
      for i = 1, n do
         local v = select(i, ...)
         if type(v) ~= 'number' then
            argerror(i, tname .. 'Tensor', 'number expected, got ' .. typeof(v))
         end
      end
      return wrap(t_new_size(tname, nil, ...), mt)
   end
   local amt = getmetatable(a1)
   if amt == storage_mt_by_name.Long and select(2, ...) == nil then
      return wrap(t_new_size(tname, nil, door.s_values(H[a1])), mt)
   elseif amt == storage_mt_by_name.Long and isStorage(select(2, ...)) then
      local t = wrap(t_new(tname), mt)
      door.t_resize_storage(H[t], H[a1], H[(select(2, ...))])
      return t
   elseif storage_mts[amt] then
      if storage_mts[amt] ~= tname then
         argerror(1, tname .. 'Tensor', 'expected torch.' .. tname .. 'Storage, got ' ..
            typeof(a1))
      end
      local offset, a3, a4 = select(2, ...)
      offset = offset or 1
      if a3 == nil or isStorage(a3) then
         return wrap(door.t_new_from_storage(tname, H[a1], offset, a3 and H[a3] or nil,
            a4 and H[a4] or nil), mt)
      end
      return torch._tensor_from_storage_args(mt, a1, offset, {select(3, ...)})
   elseif tensor_mts[amt] then
      if amt ~= mt then
         argerror(1, tname .. 'Tensor', 'expected torch.' .. tname .. 'Tensor, got ' ..
            typeof(a1))
      end
      return wrap(t_new_view(H[a1]), mt)
   elseif ta1 == 'table' then
      return from_table(mt, tname, a1)
   end
   argerror(1, tname .. 'Tensor', 'expecting number or torch.' .. tname .. 'Tensor or torch.' ..
      tname .. 'Storage')
end

--- Make tensor type `torch.<tname>Tensor` (e.g. 'Float', or cutorch's 'Cuda') with every
--- method installed so far; `elem` names the CPU type of its elements, `host` (optional) the CPU
--- type its element loops go through.  Methods installed later reach it through _installmethod.
function torch._newtensortype(tname, elem, host)
   ELEM[tname] = elem or tname
   HOST[tname] = host or HOST[tname]
   local proto = newproxy(true)
   local mt = getmetatable(proto)
   local name = 'torch.' .. tname .. 'Tensor'
   torch._newclass(name, nil, function(...) return construct(mt, tname, ...) end, nil, mt)
   proto_of[mt] = proto
   tensor_mts[mt] = tname
   tensor_mt_by_name[tname] = mt
   mt.__index = function(self, k)
      local m = mt[k]
      if m ~= nil then return m end
      return tensor_index(self, k)
   end
   mt.__newindex = tensor_newindex
   mt.__len = function(self) return Tensor.size(self) end
   mt.__tostring = function(self) return self:__tostring__() end
   mt.__call = nil
   -- x.new() is an empty tensor of x's type; x:new() shares x's storage, as in Torch7
   mt.new = function(...) return construct(mt, tname, ...) end
   for k, fn in pairs(Tensor) do
      if k ~= 'new' then rawset(mt, k, fn) end
   end
   return mt
end

for _, tname in ipairs(TYPES) do torch._newtensortype(tname) end
byte_mt, long_mt = tensor_mt_by_name.Byte, tensor_mt_by_name.Long

torch._long_of, torch._byte_of = LONG_OF, BYTE_OF
function torch._longmt(mt) return LONG_OF[mt] or long_mt end
function torch._bytemt(mt) return BYTE_OF[mt] or byte_mt end

--- Install `fn` as method `name` in every tensor type (one implementation, all types).
function torch._installmethod(name, fn)
   Tensor[name] = fn
   for mt in pairs(tensor_mts) do rawset(mt, name, fn) end
end

for k, fn in pairs(Tensor) do
   if k ~= 'new' then torch._installmethod(k, fn) end
end

-------------------------------------------------------------------------------------------------
-- Default tensor type
-------------------------------------------------------------------------------------------------
local default_type = 'torch.DoubleTensor'

function torch.setdefaulttensortype(tname)
   if type(tname) ~= 'string' then torch._error('string expected') end
   local short = tname:match('^torch%.(%a+)Tensor$')
   if not short or not tensor_mt_by_name[short] then
      torch._error(string.format('<%s> is not a string describing a torch object', tname))
   end
   default_type = tname
   torch.Tensor = torch[short .. 'Tensor']
   torch.Storage = torch[short .. 'Storage']
end

function torch.getdefaulttensortype()
   return default_type
end

function torch._defaultmt()
   return tensor_mt_by_name[default_type:match('^torch%.(%a+)Tensor$')]
end

torch.Tensor = torch.DoubleTensor

return Tensor
