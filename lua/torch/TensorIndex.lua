-- Index and mask operations (Torch7's index, indexCopy, indexAdd, indexFill, gather, scatter,
-- maskedSelect, maskedCopy, maskedFill, nonzero).  Indices are 1-based LongTensors, masks are
-- ByteTensors; the work is done by `ix_*` door functions (luatorch/kernels/indexing.py).
-- Each is a method and a function of the same arguments: torch.index(x, 1, i) == x:index(1, i).

local torch = torch
local door = torch._door

local type, getmetatable = type, getmetatable

local H = torch._H
local wrap = torch._wrap
local tensor_mts = torch._tensor_mts
local mt_by_name = torch._tensor_mt_by_name
local install = torch._installmethod
local invalid = torch._invalid
local t_new = door.t_new
local long_mt, byte_mt = mt_by_name.Long, mt_by_name.Byte

-- index and mask tensors: Long and Byte, or for GPU tensors also CudaLong and CudaByte (cutorch
-- took both: its _long and Byte forms) and a tensor of their own type (cutorch's older forms,
-- which old GPU scripts use: x:index(1, idx:cuda()))
local function isindex(v, mt)
   local vmt = getmetatable(v)
   if vmt == long_mt then return true end
   local gpu = torch._long_of[mt]
   return gpu ~= nil and vmt ~= nil and (vmt == gpu or vmt == mt)
end
local function ismask(v, mt)
   local vmt = getmetatable(v)
   if vmt == byte_mt then return true end
   local gpu = torch._byte_of[mt]
   return gpu ~= nil and vmt ~= nil and (vmt == gpu or vmt == mt)
end

local function newof(mt)
   return wrap(t_new(tensor_mts[mt]), mt)
end

local function define(name, fn)
   install(name, fn)
   torch[name] = fn
end

--- A tensor's metatable when `x` is a tensor, else nil (for error messages).
local function tmt(x)
   local mt = getmetatable(x)
   if tensor_mts[mt] then return mt end
   return nil
end

-- x:index(dim, idx) / torch.index(x, dim, idx): new tensor; res:index(x, dim, idx): into res
local k_index = door.ix_index
local INDEX_FORMS = {{'nL'}, {'TnL'}}
define('index', function(...)
   local a1, a2, a3, a4 = ...
   local res, src, dim, idx
   if a4 ~= nil then
      res, src, dim, idx = a1, a2, a3, a4
   else
      src, dim, idx = a1, a2, a3
   end
   local mt = getmetatable(src)
   if not tensor_mts[mt] or type(dim) ~= 'number' or not isindex(idx, mt)
         or (res ~= nil and getmetatable(res) ~= mt) then
      invalid('index', INDEX_FORMS, tmt(a1), 2, ...)
   end
   res = res or newof(mt)
   k_index(H[res], H[src], dim, H[idx])
   return res
end)

-- x:indexCopy(dim, idx, src), x:indexAdd(dim, idx, src): in place
for _, name in ipairs({'indexCopy', 'indexAdd'}) do
   local k = door[name == 'indexCopy' and 'ix_index_copy' or 'ix_index_add']
   local forms = {{'nLT'}}
   define(name, function(...)
      local self, dim, idx, src = ...
      local mt = getmetatable(self)
      if not tensor_mts[mt] or type(dim) ~= 'number' or not isindex(idx, mt)
            or getmetatable(src) ~= mt then
         invalid(name, forms, tmt(self), 2, ...)
      end
      k(H[self], dim, H[idx], H[src])
      return self
   end)
end

-- x:indexFill(dim, idx, value): in place
local k_index_fill = door.ix_index_fill
define('indexFill', function(...)
   local self, dim, idx, v = ...
   if not tensor_mts[getmetatable(self)] or type(dim) ~= 'number'
         or not isindex(idx, getmetatable(self)) or type(v) ~= 'number' then
      invalid('indexFill', {{'nLn'}}, tmt(self), 2, ...)
   end
   k_index_fill(H[self], dim, H[idx], v)
   return self
end)

-- x:gather(dim, idx) / torch.gather(x, dim, idx): new tensor; torch.gather(res, x, dim, idx)
local k_gather = door.ix_gather
define('gather', function(...)
   local a1, a2, a3, a4 = ...
   local res, src, dim, idx
   if a4 ~= nil then
      res, src, dim, idx = a1, a2, a3, a4
   else
      src, dim, idx = a1, a2, a3
   end
   local mt = getmetatable(src)
   if not tensor_mts[mt] or type(dim) ~= 'number' or not isindex(idx, mt)
         or (res ~= nil and getmetatable(res) ~= mt) then
      invalid('gather', {{'nL'}, {'TnL'}}, tmt(a1), 2, ...)
   end
   res = res or newof(mt)
   k_gather(H[res], H[src], dim, H[idx])
   return res
end)

-- x:scatter(dim, idx, src | value): in place
local k_scatter, k_scatter_fill = door.ix_scatter, door.ix_scatter_fill
define('scatter', function(...)
   local self, dim, idx, src = ...
   local mt = getmetatable(self)
   if tensor_mts[mt] and type(dim) == 'number' and isindex(idx, mt) then
      if getmetatable(src) == mt then
         k_scatter(H[self], dim, H[idx], H[src])
         return self
      elseif type(src) == 'number' then
         k_scatter_fill(H[self], dim, H[idx], src)
         return self
      end
   end
   invalid('scatter', {{'nLT'}, {'nLn'}}, tmt(self), 2, ...)
end)

-- x:maskedSelect(mask) / torch.maskedSelect(x, mask): new 1-D tensor; res:maskedSelect(x, mask)
local k_masked_select = door.ix_masked_select
define('maskedSelect', function(...)
   local a1, a2, a3 = ...
   local res, src, mask
   if a3 ~= nil then
      res, src, mask = a1, a2, a3
   else
      src, mask = a1, a2
   end
   local mt = getmetatable(src)
   if not tensor_mts[mt] or not ismask(mask, mt)
         or (res ~= nil and getmetatable(res) ~= mt) then
      invalid('maskedSelect', {{'B'}, {'TB'}}, tmt(a1), 2, ...)
   end
   res = res or newof(mt)
   k_masked_select(H[res], H[src], H[mask])
   return res
end)

-- x:maskedCopy(mask, src), x:maskedFill(mask, value): in place
local k_masked_copy, k_masked_fill = door.ix_masked_copy, door.ix_masked_fill
define('maskedCopy', function(...)
   local self, mask, src = ...
   local mt = getmetatable(self)
   if not tensor_mts[mt] or not ismask(mask, mt) or getmetatable(src) ~= mt then
      invalid('maskedCopy', {{'BT'}}, tmt(self), 2, ...)
   end
   k_masked_copy(H[self], H[mask], H[src])
   return self
end)

define('maskedFill', function(...)
   local self, mask, v = ...
   if not tensor_mts[getmetatable(self)] or not ismask(mask, getmetatable(self))
         or type(v) ~= 'number' then
      invalid('maskedFill', {{'Bn'}}, tmt(self), 2, ...)
   end
   k_masked_fill(H[self], H[mask], v)
   return self
end)

-- x:nonzero() / torch.nonzero(x): new N x dim LongTensor; torch.nonzero(res, x): into res
local k_nonzero = door.ix_nonzero
define('nonzero', function(...)
   local a1, a2 = ...
   local res, src = nil, a1
   if a2 ~= nil then res, src = a1, a2 end
   local lmt = torch._longmt(getmetatable(src))
   if not tensor_mts[getmetatable(src)] or (res ~= nil and getmetatable(res) ~= lmt) then
      invalid('nonzero', {{''}, {'A'}}, tmt(a1), 2, ...)
   end
   res = res or newof(lmt)
   k_nonzero(H[res], H[src])
   return res
end)

return torch
