-- nn.DataParallelTable(dim [, flattenParams, useNCCL]) (cunn): one module replicated on several
-- GPUs.  The input is split along dim (unevenly when it must), each replica runs its part on its
-- own device, outputs are joined on the first GPU, and replica gradients are summed onto the
-- first replica (the criterion already averages over the whole batch).  Parameters are copied
-- from the first replica to the others lazily: after an update, before the next forward.
-- NOTE: one Lua state issues every replica's work in turn, each replica on a stream of its own
-- and nothing waiting on the host in between, so that on real GPUs the replicas run at once (the
-- job cunn's :threads() did; here :threads(initFunc) only runs initFunc).  Gradients are reduced
-- and parameters broadcast by NCCL when useNCCL asks for it and it can run (real GPUs, flat
-- parameters, CuPy's NCCL), else by device-to-device copies: :route() says which, and why.

local parallel = require 'cunn.parallel'

local torch = torch
local cutorch = cutorch
local ipairs, pairs, type, error, select = ipairs, pairs, type, error, select
local unpack = unpack or table.unpack
local slice, scatter, gather, hasData = parallel.slice, parallel.scatter, parallel.gather,
   parallel.hasData

local H = torch._H
local door = torch._door
local dpt_group, dpt_route, dpt_enter, dpt_use, dpt_leave, dpt_reduce, dpt_broadcast =
   door.dpt_group, door.dpt_route, door.dpt_enter, door.dpt_use, door.dpt_leave, door.dpt_reduce,
   door.dpt_broadcast

local DataParallelTable, parent = torch.class('nn.DataParallelTable', 'nn.Container')

-- cunn's serialization version: gpuAssignments, then the fields
DataParallelTable.__version = 3

-- cunn's checkpoints hold its dispatcher (the `impl` field): its classes exist so that they load;
-- the field is then dropped
local Impls = {}
torch.class('nn.DataParallelTable.Basic', Impls)
torch.class('nn.DataParallelTable.Threads', Impls)

-- fields that hold per-device work and never go to a file
local TRANSIENT = {replicas = true, buffer = true, impl = true, comm = true, commKey = true,
   _active = true, warnedNCCL = true}
local PER_GPU = {inputGpu = true, gradOutputGpu = true, outputGpu = true, gradInputGpu = true}

local function cudaTypes(typeStr)
   return typeStr == 'torch.CudaTensor' or typeStr == 'torch.CudaDoubleTensor'
      or typeStr == 'torch.CudaHalfTensor'
end

function DataParallelTable:__init(dimension, flattenParams, useNCCL)
   parent.__init(self)
   if not dimension then error('must specify a dimension!', 2) end
   if useNCCL and not flattenParams then error('cannot use nccl without flattenParams', 2) end
   self.typeStr = 'torch.CudaTensor'
   self.dimension = dimension
   self.gpuAssignments = {}
   self.inputGpu, self.gradOutputGpu, self.outputGpu, self.gradInputGpu = {}, {}, {}, {}
   self.flattenParams = flattenParams or false
   -- what was asked; usenccl (cunn's field) says whether NCCL is in use, once the GPUs are known
   self.wantNCCL = useNCCL and true or false
   self.usenccl = false
   self.needsSync = false
end

-- the replicas' group (their streams and reduction route), made again when the GPUs or the
-- flattening change
function DataParallelTable:_comm()
   local key = table.concat(self.gpuAssignments, ',') .. (self.flattenedParams and '+flat' or '')
   if not self.comm or self.commKey ~= key then
      self.comm = dpt_group(self.wantNCCL or false, self.flattenedParams ~= nil,
         unpack(self.gpuAssignments))
      self.commKey = key
      local route, why, real = dpt_route(self.comm)
      self.usenccl = route == 'nccl'
      if self.wantNCCL and not self.usenccl and real and not self.warnedNCCL then
         self.warnedNCCL = true
         print('warning: NCCL not used (' .. why .. '), falling back to device copies')
      end
   end
   return self.comm
end

--- The route of gradient reductions and parameter broadcasts ('nccl' or 'copy'), why it was
--- chosen, and whether replicas run on streams of their own (real GPUs).  A luatorch addition.
function DataParallelTable:route()
   return dpt_route(self:_comm())
end

-- f() with each replica's work on its own stream (dpt_use in _exec and _distribute): the
-- replicas start after the callers' queued work, and the callers' next work waits for them all
function DataParallelTable:_concurrently(f)
   local comm = self:_comm()
   dpt_enter(comm)
   self._active = comm
   local ok, err = pcall(f)
   self._active = nil
   dpt_leave(comm)
   if not ok then error(err, 0) end
end

--- :add(module, {gpus}) replicates module on those GPUs; :add(module, gpu) once per GPU keeps the
--- first module and adds the GPU.
function DataParallelTable:add(module, gpus)
   if type(gpus) == 'number' then
      if #self.modules == 0 then self.modules[1] = module end
      self.gpuAssignments[#self.gpuAssignments + 1] = gpus
   else
      if type(gpus) ~= 'table' or #gpus < 1 then error('table of GPU IDs required', 2) end
      if #self.modules ~= 0 then
         error('add should only be called once with a table of GPU assignments', 2)
      end
      self.modules[1] = module
      self.gpuAssignments = gpus
   end
   self.replicas = nil
   return self
end

function DataParallelTable:threads(initFunc)
   if initFunc then initFunc() end
   return self
end

function DataParallelTable:__tostring()
   return 'DataParallelTable: ' .. #self.gpuAssignments .. ' x ' .. tostring(self.modules[1])
end

function DataParallelTable:get(index)
   return self.modules[index]
end

-- the replicas, made on first use: the first module, then a clone of it on each other GPU
function DataParallelTable:_replicas()
   local reps = self.replicas
   if reps and #reps == #self.gpuAssignments and reps[1] == self.modules[1] then return reps end
   reps = {self.modules[1]}
   for i = 2, #self.gpuAssignments do
      reps[i] = cutorch.withDevice(self.gpuAssignments[i], function()
         return self.modules[1]:clone()
      end)
   end
   self.replicas = reps
   return reps
end

--- f(replica, i) on each replica's device (the first n only, when n is given); results by index.
function DataParallelTable:_exec(f, n)
   local comm = self._active
   if comm then
      local g = f
      f = function(m, i)
         dpt_use(comm, i)
         return g(m, i)
      end
   end
   return parallel.exec(self.gpuAssignments, self:_replicas(), f, n)
end

function DataParallelTable:applyToModules(f)
   self:_exec(f)
end

-- one flat {params, gradParams} per replica; the first reuses a layout already flat (after the
-- caller's own getParameters) so the caller's flat tensors stay the parameters
local function flatten(module, ctor)
   local p, g = module:parameters()
   if not p or #p == 0 then return {ctor(), ctor()} end
   local function span(list)
      local st = list[1]:storage()
      local lo, hi = math.huge, 0
      for _, t in ipairs(list) do
         if t:storage() ~= st or not t:isContiguous() then return nil end
         lo = math.min(lo, t:storageOffset())
         hi = math.max(hi, t:storageOffset() + t:nElement() - 1)
      end
      local n = 0
      for _, t in ipairs(list) do n = n + t:nElement() end
      if hi - lo + 1 ~= n then return nil end
      return ctor(st, lo, n)
   end
   local fp, fg = span(p), span(g)
   if fp and fg then return {fp, fg} end
   return {module:getParameters()}
end

function DataParallelTable:flattenParameters()
   local ctor = torch[self.typeStr:match('torch%.(%a+)')]
   self.flattenedParams = self:_exec(function(m) return flatten(m, ctor) end)
   self.flattenParams = true
end

function DataParallelTable:getParameters()
   self:flattenParameters()
   return unpack(self.flattenedParams[1])
end

-- whether the flat tensors still cover every replica and the first module's parameters
function DataParallelTable:_isFlat()
   local fp = self.flattenedParams
   if not fp or #fp ~= #self.gpuAssignments or not self.replicas then return false end
   for _, p in ipairs(self.modules[1]:parameters() or {}) do
      if p:storage() ~= fp[1][1]:storage() then return false end
   end
   return true
end

function DataParallelTable:training()
   self:_exec(function(m) m:training() end)
   nn.Module.training(self)
end

function DataParallelTable:evaluate()
   self:_exec(function(m) m:evaluate() end)
   nn.Module.evaluate(self)
end

function DataParallelTable:clearState()
   self:_exec(function(m) m:clearState() end)
   self.inputGpu, self.gradOutputGpu, self.outputGpu, self.gradInputGpu = {}, {}, {}, {}
   self.buffer = nil
   return parent.clearState(self)
end

-- src split along the dimension into dst[i] on each GPU; the number of GPUs given data
function DataParallelTable:_distribute(dst, src)
   local n = #self.gpuAssignments
   local comm = self._active
   for i, gpu in ipairs(self.gpuAssignments) do
      cutorch.setDevice(gpu)
      if comm then dpt_use(comm, i) end
      dst[i] = scatter(dst[i], src, self.dimension, i, n, self.typeStr)
      if not hasData(dst[i]) then return i - 1 end
   end
   return n
end

function DataParallelTable:_gather(dst, parts)
   cutorch.setDevice(self.gpuAssignments[1])
   return gather(dst, parts, self.dimension, self.typeStr)
end

function DataParallelTable:updateOutput(input)
   if self.flattenParams and not self:_isFlat() then self:flattenParameters() end
   if self.needsSync then self:syncParameters() end
   local prev = cutorch.getDevice()
   local inputGpu = self.inputGpu
   self:_concurrently(function()
      self.maxUsedGpu = self:_distribute(inputGpu, input)
      self.outputGpu = self:_exec(function(m, i) return m:updateOutput(inputGpu[i]) end,
         self.maxUsedGpu)
   end)
   self.output = self:_gather(self.output, self.outputGpu)
   cutorch.setDevice(prev)
   return self.output
end

--- {params, gradParams} lists of each replica.
function DataParallelTable:moduleParameters()
   if self.flattenedParams then
      local res = {}
      for i, fp in ipairs(self.flattenedParams) do res[i] = {{fp[1]}, {fp[2]}} end
      return res
   end
   return self:_exec(function(m) return {m:parameters()} end)
end

-- each replica's flat tensor number k (1: parameters, 2: gradients), as door handles
local function flatHandles(self, k)
   local hs = {}
   for i, fp in ipairs(self.flattenedParams) do hs[i] = H[fp[k]] end
   return unpack(hs)
end

-- every replica's gradients added onto the first's, then zeroed where they were
function DataParallelTable:_reduce()
   local params = self:moduleParameters()
   local prev = cutorch.getDevice()
   cutorch.setDevice(self.gpuAssignments[1])
   if self.usenccl and self.flattenedParams then
      dpt_reduce(self:_comm(), flatHandles(self, 2))
   else
      self.buffer = self.buffer or torch[self.typeStr:match('torch%.(%a+)')]()
      local first = params[1][2] or {}
      for i = 2, #params do
         for j, g in ipairs(params[i][2] or {}) do
            first[j]:add(self.buffer:resize(g:size()):copy(g))
         end
      end
   end
   for i = 2, #params do
      cutorch.setDevice(self.gpuAssignments[i])
      for _, g in ipairs(params[i][2] or {}) do g:zero() end
   end
   cutorch.setDevice(prev)
   self.needsSync = true
end

function DataParallelTable:_backward(method, input, gradOutput, scale)
   local prev = cutorch.getDevice()
   local inputGpu, gradOutputGpu = self.inputGpu, self.gradOutputGpu
   if method ~= 'accGradParameters' then
      self:_concurrently(function()
         self:_distribute(gradOutputGpu, gradOutput)
         self.gradInputGpu = self:_exec(function(m, i)
            return m[method](m, inputGpu[i], gradOutputGpu[i], scale)
         end, self.maxUsedGpu)
      end)
      if self.gradInput then self.gradInput = self:_gather(self.gradInput, self.gradInputGpu) end
   else
      self:_concurrently(function()
         self:_exec(function(m, i) m:accGradParameters(inputGpu[i], gradOutputGpu[i], scale) end,
            self.maxUsedGpu)
      end)
   end
   if method ~= 'updateGradInput' then self:_reduce() end
   cutorch.setDevice(prev)
   return self.gradInput
end

function DataParallelTable:backward(input, gradOutput, scale)
   return self:_backward('backward', input, gradOutput, scale)
end

function DataParallelTable:updateGradInput(input, gradOutput)
   return self:_backward('updateGradInput', input, gradOutput)
end

function DataParallelTable:accGradParameters(input, gradOutput, scale)
   self:_backward('accGradParameters', input, gradOutput, scale)
end

function DataParallelTable:accUpdateGradParameters()
   error('accUpdateGradParameters not supported for DataParallelTable.', 2)
end

--- Copies the first replica's parameters to every other replica.
function DataParallelTable:syncParameters()
   local prev = cutorch.getDevice()
   -- the route is decided once the replicas' GPUs are known; copies need none of it
   if self.wantNCCL and self.flattenedParams then self:_comm() end
   if self.usenccl and self.flattenedParams then
      dpt_broadcast(self:_comm(), flatHandles(self, 1))
   else
      local params = self:moduleParameters()
      for i = 2, #params do
         cutorch.setDevice(self.gpuAssignments[i])
         for j, p in ipairs(params[i][1] or {}) do p:copy(params[1][1][j]) end
      end
   end
   cutorch.setDevice(prev)
   self.needsSync = false
end

function DataParallelTable:zeroGradParameters()
   if self.flattenedParams then
      local prev = cutorch.getDevice()
      for i, fp in ipairs(self.flattenedParams) do
         cutorch.setDevice(self.gpuAssignments[i])
         fp[2]:zero()
      end
      cutorch.setDevice(prev)
   else
      self:_exec(function(m) m:zeroGradParameters() end)
   end
end

function DataParallelTable:updateParameters(learningRate)
   cutorch.withDevice(self.gpuAssignments[1], function()
      self.modules[1]:updateParameters(learningRate)
   end)
   self:syncParameters()
end

function DataParallelTable:parameters()
   return self.modules[1]:parameters()
end

function DataParallelTable:share()
   error('Share not supported for DataParallelTable', 2)
end

-- a copy holds what a file would (nn's clone copies onto the current device, where the other
-- replicas do not belong): the first module on the first GPU, replicas made again on use
function DataParallelTable:clone(...)
   if select('#', ...) > 0 then error('Sharing not supported for DataParallelTable', 2) end
   local saved = {}
   for k in pairs(TRANSIENT) do saved[k] = self[k]; self[k] = nil end
   for k in pairs(PER_GPU) do saved[k] = self[k]; self[k] = {} end
   local fp = self.flattenedParams
   if fp then self.flattenedParams = {fp[1]} end
   local ok, copy = pcall(cutorch.withDevice, self.gpuAssignments[1] or cutorch.getDevice(),
      function() return parent.clone(self) end)
   for k, v in pairs(saved) do self[k] = v end
   self.flattenedParams = fp
   if not ok then error(copy, 0) end
   return copy
end

function DataParallelTable:reset(stdv)
   cutorch.withDevice(self.gpuAssignments[1], function() self.modules[1]:reset(stdv) end)
   self:syncParameters()
end

function DataParallelTable:type(typeStr, cache)
   if not typeStr then return self.typeStr end
   if not cudaTypes(typeStr) then
      error('DataParallelTable supports only torch.CudaHalfTensor or torch.CudaDoubleTensor ' ..
         'or torch.CudaTensor types', 2)
   end
   local gpu = self.gpuAssignments[1] or cutorch.getDevice()
   cutorch.withDevice(gpu, function()
      for _, m in ipairs(self.modules) do m:type(typeStr, cache) end
   end)
   self.typeStr = typeStr
   self._type = typeStr
   -- the flat tensors and the replicas were of the old type: made again on next use
   self.flattenedParams = nil
   self.replicas = nil
   self.buffer = nil
   self.comm = nil
   return self
end

-- the other replicas cloned again from the first, and flattened again when they were
function DataParallelTable:_refresh()
   self.replicas = nil
   if self.flattenedParams then
      local first = self.flattenedParams[1]
      self.flattenedParams = self:_exec(function(m, i)
         if i == 1 then return first end
         return {m:getParameters()}
      end)
   end
end

function DataParallelTable:apply(callback)
   parent.apply(self, callback)
   if self.replicas then self:_refresh() end
end

function DataParallelTable:__write(file)
   file:writeObject(self.gpuAssignments)
   local t = {}
   for k, v in pairs(self) do
      if k == 'flattenedParams' then
         t[k] = {v[1]}
      elseif PER_GPU[k] then
         t[k] = {}
      elseif not TRANSIENT[k] then
         t[k] = v
      end
   end
   file:writeObject(t)
end

-- DataParallelTable.deserializeNGPUs = n loads every model on GPUs 1..n instead of the GPUs it
-- was saved with
function DataParallelTable:__read(file, version)
   if version < 2 then
      for k, v in pairs(file:readObject()) do self[k] = v end
      self.impl = nil
      return
   end
   local gpus = file:readObject()
   local want = DataParallelTable.deserializeNGPUs
   local count = cutorch.getDeviceCount()
   if want then
      if want > count then
         error('Deserialization requested on too many GPUs: ' .. want .. ' vs ' .. count ..
            ' available', 0)
      end
      gpus = {}
      for i = 1, want do gpus[i] = i end
   end
   local most = math.max(unpack(gpus))
   if most > count then
      error('Model was serialized on ' .. most .. ' nGPUs, but you are running on ' .. count ..
         ': set DataParallelTable.deserializeNGPUs to ignore its GPU assignments', 0)
   end
   -- CUDA records load on the current GPU: the first replica's
   local var = cutorch.withDevice(gpus[1], function() return file:readObject() end)
   for k, v in pairs(var) do
      if not TRANSIENT[k] then self[k] = v end
   end
   self.gpuAssignments = gpus
   for k in pairs(PER_GPU) do self[k] = self[k] or {} end
   -- cunn's checkpoints say only whether NCCL was in use: asked for, then; decided again here
   if self.wantNCCL == nil then self.wantNCCL = self.usenccl and true or false end
   self.usenccl = false
end

return DataParallelTable
