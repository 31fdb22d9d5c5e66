-- What the multi-GPU containers share: splitting a batch across devices, joining the parts on
-- one device, and summing or copying parameter lists between replicas.

local torch = torch
local cutorch = cutorch
local ipairs, pairs, type, error = ipairs, pairs, type, error
local floor = math.floor

local parallel = {}

--- Part i of n elements cut into `parts`: start and size; the first n % parts parts get one more.
function parallel.slice(n, i, parts)
   local base = floor(n / parts)
   local extra = n - base * parts
   if i <= extra then
      return (i - 1) * (base + 1) + 1, base + 1
   end
   return extra * (base + 1) + (i - 1 - extra) * base + 1, base
end

--- f(modules[i], i) with gpus[i] current, for each replica in turn (the first n only, when n is
--- given); results by index; the caller's device is current again afterwards, error or not.
function parallel.exec(gpus, modules, f, n)
   local res = {}
   for i, gpu in ipairs(gpus) do
      if n and i > n then break end
      res[i] = cutorch.withDevice(gpu, function() return f(modules[i], i) end)
   end
   return res
end

--- Whether a tensor or a (nested) table of tensors holds any element.
function parallel.hasData(x)
   if torch.isTensor(x) then return x:nElement() > 0 end
   for _, v in ipairs(x) do
      if parallel.hasData(v) then return true end
   end
   return false
end

local function ctor(typeStr)
   return torch[typeStr:match('torch%.(%a+)')]
end

--- Part i of `parts` of src (a tensor or a table of them) along dim, copied into dst, a tensor of
--- typeStr on the current device (reused when it is one).
function parallel.scatter(dst, src, dim, i, parts, typeStr)
   if type(src) == 'table' and not torch.isTensor(src) then
      if type(dst) ~= 'table' or torch.isTensor(dst) or #dst ~= #src then dst = {} end
      for k, s in ipairs(src) do
         dst[k] = parallel.scatter(dst[k], s, dim, i, parts, typeStr)
      end
      return dst
   end
   if not torch.isTensor(src) then
      error('input must be a tensor or table of tensors', 0)
   end
   dst = parallel.onDevice(dst, typeStr)
   local n = src:dim() > 0 and src:size(dim) or 0
   local start, size = parallel.slice(n, i, parts)
   if size == 0 then
      dst:resize(0)
   else
      local part = src:narrow(dim, start, size)
      dst:resize(part:size()):copy(part)
   end
   return dst
end

--- dst when it is a tensor of typeStr on the current device, else a new empty one there.
function parallel.onDevice(dst, typeStr)
   if torch.type(dst) == typeStr and (dst:nElement() == 0 or
         dst:getDevice() == cutorch.getDevice()) then
      return dst
   end
   return ctor(typeStr)()
end

--- src (a tensor or a table of tensors) whole on the current device: itself when already there.
function parallel.copyHere(dst, src, typeStr)
   if type(src) == 'table' and not torch.isTensor(src) then
      if type(dst) ~= 'table' or torch.isTensor(dst) then dst = {} end
      for k, s in ipairs(src) do dst[k] = parallel.copyHere(dst[k], s, typeStr) end
      for k = #src + 1, #dst do dst[k] = nil end
      return dst
   end
   if torch.type(src) == typeStr and (src:nElement() == 0 or
         src:getDevice() == cutorch.getDevice()) then
      return src
   end
   dst = parallel.onDevice(dst, typeStr)
   return dst:resize(src:size()):copy(src)
end

--- The parts in `parts` (tensors, or tables of tensors alike) joined along dim into dst on the
--- current device; empty parts are skipped.
function parallel.gather(dst, parts, dim, typeStr)
   if type(parts[1]) == 'table' and not torch.isTensor(parts[1]) then
      if type(dst) ~= 'table' or torch.isTensor(dst) or #dst ~= #parts[1] then dst = {} end
      for k = 1, #parts[1] do
         local column = {}
         for i, p in ipairs(parts) do column[i] = p[k] end
         dst[k] = parallel.gather(dst[k], column, dim, typeStr)
      end
      return dst
   end
   dst = parallel.onDevice(dst, typeStr)
   local size
   for _, p in ipairs(parts) do
      if p:nElement() > 0 then
         if size then
            size[dim] = size[dim] + p:size(dim)
         else
            size = p:size()
         end
      end
   end
   if not size then return dst end
   dst:resize(size)
   local start = 1
   for _, p in ipairs(parts) do
      if p:nElement() > 0 then
         dst:narrow(dim, start, p:size(dim)):copy(p)
         start = start + p:size(dim)
      end
   end
   return dst
end

--- The device of a module's first parameter or buffer (0 when it has none on a GPU).
function parallel.moduleDevice(module)
   local params = module:parameters()
   if params and params[1] and params[1].getDevice then return params[1]:getDevice() end
   return 0
end

--- Every CUDA tensor in obj (a module, table or tensor) moved to `device`, as nn.GPU does it
--- (an inner nn.GPU keeps its own device).
function parallel.toDevice(obj, device, seen)
   if torch.isTensor(obj) then
      local at = obj.getDevice and obj:getDevice() or 0
      if at == 0 or at == device then return obj end
      -- new + resize + copy, not clone (ours stays on the source's device): allocated on device
      return cutorch.withDevice(device, function()
         local t = obj.new()
         if obj:nElement() > 0 then t:resize(obj:size()):copy(obj) end
         return t
      end)
   end
   seen = seen or {}
   if type(obj) == 'table' and not seen[obj] and not obj.__noGPU__
         and not torch.isTypeOf(obj, 'nn.GPU') then
      seen[obj] = true
      for k, v in pairs(obj) do obj[k] = parallel.toDevice(v, device, seen) end
   end
   return obj
end

return parallel
