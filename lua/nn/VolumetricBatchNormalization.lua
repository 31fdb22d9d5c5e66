-- nn.VolumetricBatchNormalization(nFeature [, eps] [, momentum] [, affine]): BatchNormalization
-- of N x C x T x H x W inputs per feature volume (as nn.SpatialBatchNormalization, 5-D).

local BN, parent = torch.class('nn.VolumetricBatchNormalization', 'nn.BatchNormalization')

BN.__version = 2

-- expected dimension of the input
BN.nDim = 5

local spatial = nn.SpatialBatchNormalization
BN.checkInputDim = spatial.checkInputDim
BN.updateOutput = spatial.updateOutput
BN.backward = spatial.backward
BN.updateGradInput = spatial.updateGradInput
BN.accGradParameters = spatial.accGradParameters
