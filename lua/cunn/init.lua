-- cunn: nn on CUDA tensors.  nn's modules are written once against the tensor API and the
-- kernels against `xp`, so `model:cuda()` (nn's Module:type) is all it takes; this package
-- loads cutorch and nn together, as Torch7's cunn did.

require 'cutorch'
require 'nn'

cunn = cunn or {}
package.loaded.cunn = cunn

-- cunn's other conversions of a module (Module:cuda() is nn's own)
local Module = torch.getmetatable('nn.Module')
for name, tname in pairs({cudaDouble = 'torch.CudaDoubleTensor',
   cudaHalf = 'torch.CudaHalfTensor'}) do
   rawset(Module, name, function(self, ...) return self:type(tname, ...) end)
end

-- the multi-GPU containers
require 'cunn.DataParallelTable'
require 'cunn.DataParallel'
require 'cunn.ModelParallel'
require 'cunn.GPU'

return cunn
