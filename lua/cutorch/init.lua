-- cutorch: CUDA tensor types and the device API (1-based devices, as in Torch7).  The tensors
-- live on CuPy GPUs, or on virtual GPUs over NumPy (luatorch run --virtual-gpus N), where
-- the same rules hold: new tensors go to cutorch.getDevice(), :copy moves data between devices,
-- and an op mixing devices fails.

require 'torch'

cutorch = cutorch or {}
package.loaded.cutorch = cutorch

require 'cutorch.Tensor'
require 'cutorch.device'

return cutorch
