-- The rest of cutorch's documented API: pinned host tensors, the allocator switches, peer
-- access and the stream calls scripts make once at start-up.

-- NOTE: host tensors here are ordinary CPU tensors. Pinning only speeds up host-to-GPU copies
-- (CuPy copies from pageable memory as well); the values and the API are the same.
cutorch.CudaHostAllocator = setmetatable({}, {__tostring = function()
   return 'cutorch.CudaHostAllocator'
end})

local function sizeOf(fname, ...)
   local first = ...
   if first == nil then return torch.LongStorage{0} end
   if torch.isStorage(first) then return first end
   local dims = {...}
   for i, d in ipairs(dims) do
      if type(d) ~= 'number' then
         torch._argerror(i, fname, 'number expected, got ' .. torch._typeof(d))
      end
   end
   return torch.LongStorage(dims)
end

local hostTypes = {'Float', 'Double', 'Int', 'Long', 'Byte', 'Half'}
for _, ty in ipairs(hostTypes) do
   local fname = 'createCudaHost' .. ty .. 'Tensor'
   cutorch[fname] = function(...)
      return torch[ty .. 'Tensor'](sizeOf(fname, ...))
   end
end
cutorch.createCudaHostTensor = cutorch.createCudaHostFloatTensor

--- CuPy's memory pool keeps freed blocks for reuse, as cutorch's caching allocator did.
function cutorch.isCachingAllocatorEnabled() return true end

function cutorch.setDefaultStream() cutorch.setStream(0) end
function cutorch.streamBarrierMultiDevice() end

local function device(fname, n, i)
   if type(i) ~= 'number' then
      torch._argerror(n, fname, 'number expected, got ' .. torch._typeof(i))
   end
   if i < 1 or i > cutorch.getDeviceCount() then
      torch._error(string.format('cuda runtime error (10) : invalid device ordinal (device %d; '
         .. 'there are %d GPUs)', i, cutorch.getDeviceCount()))
   end
   return i
end

-- peer access between pairs of devices: on by default, as cutorch enables it where possible
local peerOff, kernelPeer = {}, false
function cutorch.setPeerToPeerAccess(dev, other, on)
   dev = device('setPeerToPeerAccess', 1, dev)
   other = device('setPeerToPeerAccess', 2, other)
   peerOff[dev .. ':' .. other] = not on or nil
end
function cutorch.getPeerToPeerAccess(dev, other)
   dev = device('getPeerToPeerAccess', 1, dev)
   other = device('getPeerToPeerAccess', 2, other)
   return not peerOff[dev .. ':' .. other]
end
function cutorch.setKernelPeerToPeerAccess(on) kernelPeer = on and true or false end
function cutorch.getKernelPeerToPeerAccess() return kernelPeer end

--- cutorch's global state: not for users; scripts only pass it on (to cudnn or nccl bindings).
local state = setmetatable({}, {__tostring = function() return 'cutorch.State' end})
function cutorch.getState() return state end
