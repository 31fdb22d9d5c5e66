-- cudnn.BatchNormalization, cudnn.SpatialBatchNormalization and
-- cudnn.VolumetricBatchNormalization(nFeature [, eps = 1e-5] [, momentum = 0.1]
-- [, affine = true]): the nn layers of the same names (2-D, 4-D and 5-D inputs).

torch.class('cudnn.BatchNormalization', 'nn.BatchNormalization')
torch.class('cudnn.SpatialBatchNormalization', 'nn.SpatialBatchNormalization')
torch.class('cudnn.VolumetricBatchNormalization', 'nn.VolumetricBatchNormalization')
