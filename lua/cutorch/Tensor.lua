-- The CUDA tensor and storage types, made by torch's own type machinery (every tensor method
-- works on them), and the conversions between CPU and CUDA types.

local torch = torch
local cutorch = cutorch
local door = torch._door
local H = torch._H

-- {tname, CPU element type, conversion method}: torch.CudaTensor holds floats, as in Torch7
local CUDA_TYPES = {
   {'Cuda', 'Float', 'cuda'},
   {'CudaDouble', 'Double', 'cudaDouble'},
   {'CudaByte', 'Byte', 'cudaByte'},
   {'CudaChar', 'Char', 'cudaChar'},
   {'CudaShort', 'Short', 'cudaShort'},
   {'CudaInt', 'Int', 'cudaInt'},
   {'CudaLong', 'Long', 'cudaLong'},
   {'CudaHalf', 'Half', 'cudaHalf'},
}
cutorch._types = CUDA_TYPES
cutorch.hasHalf = true

local cuda_mts = {}
cutorch._mts = cuda_mts

for _, t in ipairs(CUDA_TYPES) do
   local tname, elem = t[1], t[2]
   if not torch._tensor_mt_by_name[tname] then
      -- element loops go through the CPU type of the same elements (Half: through Float)
      torch._newstoragetype(tname)
      cuda_mts[torch._newtensortype(tname, elem, elem == 'Half' and 'Float' or elem)] = tname
   end
end

-- index and mask types of GPU tensors live on the GPU too
local by_name = torch._tensor_mt_by_name
for mt in pairs(cuda_mts) do
   torch._long_of[mt] = by_name.CudaLong
   torch._byte_of[mt] = by_name.CudaByte
end

for _, t in ipairs(CUDA_TYPES) do
   local name = 'torch.' .. t[1] .. 'Tensor'
   torch._installmethod(t[3], function(self) return self:type(name) end)
end

-- what torch.File gave the CPU types when it loaded: factories (an empty object of the type,
-- for torch.factory) and the storages' read and write methods
local float_storage_mt = torch._storage_mt_by_name.Float
for mt in pairs(cuda_mts) do
   mt.__factory = function() return mt.new() end
end
for _, t in ipairs(CUDA_TYPES) do
   local smt = torch._storage_mt_by_name[t[1]]
   smt.write, smt.read = float_storage_mt.write, float_storage_mt.read
   smt.__factory = function() return smt.new() end
end

-- tensor:getDevice() and storage:getDevice(): the 1-based GPU holding it
local gpu_of = door.gpu_of
local function getDevice(self) return gpu_of(H[self]) end
for mt in pairs(cuda_mts) do rawset(mt, 'getDevice', getDevice) end
for _, t in ipairs(CUDA_TYPES) do
   rawset(torch._storage_mt_by_name[t[1]], 'getDevice', getDevice)
end

return cutorch
