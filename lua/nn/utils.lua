-- nn.utils: helpers on tensors and tables of tensors, shared by all modules.

nn.utils = nn.utils or {}
local utils = nn.utils

--- Convert tensors inside `param` (recursively) to `typename`, keeping shared storages shared
--- (and one tensor met twice one tensor).
function utils.recursiveType(param, typename, tensorCache)
   tensorCache = tensorCache or {}
   if type(param) == 'table' then
      if torch.isTypeOf(param, 'nn.Module') or torch.isTypeOf(param, 'nn.Criterion') then
         param:type(typename, tensorCache)
      else
         for k, v in pairs(param) do
            param[k] = utils.recursiveType(v, typename, tensorCache)
         end
      end
   elseif torch.isTensor(param) then
      if torch.typename(param) ~= typename then
         local done = tensorCache[param]
         if done then return done end
         local mt = torch.getmetatable(typename)
         if not mt then torch._error('unknown tensor type ' .. tostring(typename)) end
         local ctor = mt.__constructor
         local newparam
         local st = param:storage()
         if st then
            local key = torch.pointer(st)
            local cached = tensorCache[key]
            if not cached then
               local flat = ctor(st:size())
               if st:size() > 0 then
                  -- set(), not the constructor: a LongStorage argument would be read as sizes
                  flat:copy(torch.getmetatable(torch.typename(param)).__constructor():set(st))
               end
               cached = flat:storage()
               tensorCache[key] = cached
               -- keep the old storage alive while the cache is in use: its address is the key
               tensorCache[st] = true
            end
            newparam = ctor(cached, param:storageOffset(), param:size(), param:stride())
         else
            newparam = ctor()
         end
         tensorCache[param] = newparam
         param = newparam
      end
   end
   return param
end

--- A deep copy that keeps tensors sharing storage sharing it in the copy (for clone()).
function utils.deepcopy(obj, seen, storages)
   seen = seen or {}
   storages = storages or {}
   if torch.isTensor(obj) then
      if seen[obj] then return seen[obj] end
      local st = obj:storage()
      local copy
      if not st then
         copy = obj.new()
      else
         local key = torch.pointer(st)
         local nst = storages[key]
         if not nst then
            nst = torch.getmetatable(torch.typename(st)).__constructor(st:size())
            if st:size() > 0 then nst:copy(st) end
            storages[key] = nst
         end
         copy = obj.new(nst, obj:storageOffset(), obj:size(), obj:stride())
      end
      seen[obj] = copy
      return copy
   elseif type(obj) == 'table' then
      if seen[obj] then return seen[obj] end
      local copy = {}
      seen[obj] = copy
      for k, v in pairs(obj) do
         copy[utils.deepcopy(k, seen, storages)] = utils.deepcopy(v, seen, storages)
      end
      setmetatable(copy, getmetatable(obj))
      return copy
   end
   return obj
end

function utils.recursiveResizeAs(t1, t2)
   if type(t2) == 'table' then
      t1 = (type(t1) == 'table') and t1 or {t1}
      for key, _ in pairs(t2) do
         t1[key], t2[key] = utils.recursiveResizeAs(t1[key], t2[key])
      end
      for key, _ in pairs(t1) do
         if not t2[key] then t1[key] = nil end
      end
   elseif torch.isTensor(t2) then
      t1 = torch.isTensor(t1) and t1 or t2.new()
      t1:resizeAs(t2)
   else
      torch._error('expecting nested tensors or tables. Got ' .. torch.type(t1) .. ' and ' ..
         torch.type(t2) .. ' instead')
   end
   return t1, t2
end

function utils.recursiveFill(t2, val)
   if type(t2) == 'table' then
      for key, _ in pairs(t2) do t2[key] = utils.recursiveFill(t2[key], val) end
   elseif torch.isTensor(t2) then
      t2:fill(val)
   else
      torch._error('expecting tensor or table thereof. Got ' .. torch.type(t2) .. ' instead')
   end
   return t2
end

function utils.recursiveAdd(t1, val, t2)
   if not t2 then
      t2 = val
      val = 1
   end
   if type(t2) == 'table' then
      t1 = (type(t1) == 'table') and t1 or {t1}
      for key, _ in pairs(t2) do
         t1[key], t2[key] = utils.recursiveAdd(t1[key], val, t2[key])
      end
   elseif torch.isTensor(t1) and torch.isTensor(t2) then
      t1:add(val, t2)
   else
      torch._error('expecting nested tensors or tables. Got ' .. torch.type(t1) .. ' and ' ..
         torch.type(t2) .. ' instead')
   end
   return t1, t2
end

function utils.recursiveCopy(t1, t2)
   if type(t2) == 'table' then
      t1 = (type(t1) == 'table') and t1 or {t1}
      for key, _ in pairs(t2) do
         t1[key], t2[key] = utils.recursiveCopy(t1[key], t2[key])
      end
   elseif torch.isTensor(t2) then
      t1 = torch.isTensor(t1) and t1 or t2.new()
      t1:resizeAs(t2):copy(t2)
   else
      torch._error('expecting nested tensors or tables. Got ' .. torch.type(t1) .. ' and ' ..
         torch.type(t2) .. ' instead')
   end
   return t1, t2
end

function utils.addSingletonDimension(...)
   local view, t, dim
   if select('#', ...) < 3 then
      t, dim = select(1, ...)
   else
      view, t, dim = select(1, ...)
      assert(torch.isTensor(view), 'output tensor expected, got ' .. type(view))
   end
   assert(torch.isTensor(t), 'input tensor expected')
   dim = dim or 1
   assert(dim > 0 and dim <= (t:dim() + 1), 'invalid dimension: ' .. dim)
   local size = t:size():totable()
   local stride = t:stride():totable()
   local sz, st = {}, {}
   for i = 1, dim - 1 do sz[i] = size[i]; st[i] = stride[i] end
   sz[dim] = 1
   st[dim] = (dim <= #size) and (size[dim] * stride[dim]) or 1
   for i = dim, #size do sz[i + 1] = size[i]; st[i + 1] = stride[i] end
   view = view or t.new()
   view:set(t:storage(), t:storageOffset(), torch.LongStorage(sz), torch.LongStorage(st))
   return view
end

function utils.contiguousView(output, input, ...)
   output = output or input.new()
   if input:isContiguous() then
      output:set(input:view(...))
   else
      output:resize(input:size())
      output:copy(input)
      output:set(output:view(...))
   end
   return output
end

--- Reset the named fields of `self` to empty tensors (or nil for non-tensors).
function utils.clear(self, ...)
   local arg = {...}
   if #arg > 0 and type(arg[1]) == 'table' then arg = arg[1] end
   local function clear(f)
      if self[f] then
         if torch.isTensor(self[f]) then
            self[f]:set()
         elseif type(self[f]) == 'table' then
            self[f] = {}
         else
            self[f] = nil
         end
      end
   end
   for _, v in ipairs(arg) do clear(v) end
   return self
end

-- Torch7's default draw of a layer's weight and bias (when it has one): uniform in [-s, s],
-- s = stdv * sqrt(3) when stdv is given, else 1 / sqrt(fanIn).  Under nn.oldSeed, layers that
-- had it (`elementwise`) draw element by element, the order of older Torch7 versions.
function utils.uniformInit(module, stdv, fanIn, elementwise)
   local s = stdv and stdv * math.sqrt(3) or 1 / math.sqrt(fanIn)
   for _, t in ipairs({module.weight, module.bias}) do
      if elementwise and nn.oldSeed then
         t:apply(function() return torch.uniform(-s, s) end)
      else
         t:uniform(-s, s)
      end
   end
end

function utils.tableSize(t)
   local n = 0
   for _ in pairs(t) do n = n + 1 end
   return n
end

--- Appends to the list `to` the leaves of `from`, in order, when it is a (nested) table, or
--- `from` itself otherwise: how containers gather their children's parameters() into one list.
local function appendFlat(to, from)
   if type(from) == 'table' then
      for i = 1, #from do appendFlat(to, from[i]) end
   else
      to[#to + 1] = from
   end
end
utils.appendFlat = appendFlat

local H = torch._H
local long_mt = torch._tensor_mt_by_name.Long

--- The Python handle of tensor `t` for a door call; anything else is an error naming `what`
--- (Torch7's wording, at the script's line) instead of a Python traceback.
function utils.handle(t, what)
   local h = H[t]
   if not h then torch._error(what .. ': tensor expected, got ' .. torch.type(t)) end
   return h
end

--- self.indices of a max-pooling module as the long type of its output's device (LongTensor on
--- the CPU, CudaLongTensor on a GPU, as cunn keeps them beside the data), made or converted in
--- place when it is not one (a module Torch7 converted with :type() and saved holds them in
--- another type).
function utils.longIndices(self)
   local lmt = torch.isTensor(self.output) and torch._longmt(getmetatable(self.output)) or long_mt
   local ind = self.indices
   if getmetatable(ind) ~= lmt then
      local tname = lmt.__typename
      ind = torch.isTensor(ind) and ind:type(tname) or torch.getconstructortable(tname)()
      self.indices = ind
   end
   return ind
end

--- The handles of self.finput and self.fgradInput, the convolution kernels' scratch buffers,
--- each made in the weight's type when absent.
function utils.unfoldBuffers(self)
   self.finput = self.finput or self.weight.new()
   self.fgradInput = self.fgradInput or self.weight.new()
   return H[self.finput], H[self.fgradInput]
end

--- :type() for a max-pooling module (an nn.Module subclass): every field is converted but
--- self.indices, which stays a LongTensor and keeps its values for an unpooling module.
function utils.typeKeepingIndices(self, type, tensorCache)
   if not type then return self._type end
   local ind = self.indices
   self.indices = nil
   nn.Module.type(self, type, tensorCache)
   self.indices = ind
   return self
end

--- Define `class` (an nn.Module subclass) as a spatial padding layer: the constructor
--- (padLeft [, padRight, padTop, padBottom]), one kernel call per method with `mode`
--- ('reflect' or 'replicate'), and Torch7's printing.
function utils.spatialPadding(class, mode)
   local k_fwd, k_bwd = torch._door.sp_pad_fwd, torch._door.sp_pad_bwd
   local parent = nn.Module
   local handle = utils.handle
   function class:__init(pad_l, pad_r, pad_t, pad_b)
      parent.__init(self)
      self.pad_l = pad_l
      self.pad_r = pad_r or self.pad_l
      self.pad_t = pad_t or self.pad_l
      self.pad_b = pad_b or self.pad_l
   end
   function class:updateOutput(input)
      k_fwd(H[self.output], handle(input, 'input'), mode, 2, self.pad_l, self.pad_r,
         self.pad_t, self.pad_b)
      return self.output
   end
   function class:updateGradInput(input, gradOutput)
      k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
         mode, 2, self.pad_l, self.pad_r, self.pad_t, self.pad_b)
      return self.gradInput
   end
   function class:__tostring__()
      return torch.type(self) .. string.format('(l=%d, r=%d, t=%d, b=%d)', self.pad_l,
         self.pad_r, self.pad_t, self.pad_b)
   end
end

return utils
