-- cutorch: CUDA tensor types and the device API (1-based devices, as in Torch7).  The tensors
-- live on CuPy GPUs, or on virtual GPUs over NumPy (luatorch run --virtual-gpus N), where
-- the same rules hold: new tensors go to cutorch.getDevice(), :copy moves data between devices,
-- and an op mixing devices fails.

require 'torch'

-- As cutorch's own initialisation, no device means no package: scripts choose their backend
-- with pcall(require, 'cunn'), and nn's tests take their CUDA branch only when it succeeds.
torch._door.gpu_require()

cutorch = cutorch or {}
package.loaded.cutorch = cutorch

require 'cutorch.Tensor'
require 'cutorch.device'
require 'cutorch.graph'
require 'cutorch.host'

-- One process per GPU under mpiexec or srun: the local rank picks the default device, as
-- distributed Torch7 scripts did by hand (cutorch.setDevice(localRank % count + 1)); a script
-- that sets a device itself still decides.
local localRank = tonumber(os.getenv('OMPI_COMM_WORLD_LOCAL_RANK') or os.getenv('SLURM_LOCALID')
   or os.getenv('MPI_LOCALRANKID') or '')
if localRank and cutorch.getDeviceCount() > 1 then
   cutorch.setDevice(localRank % cutorch.getDeviceCount() + 1)
end

return cutorch
