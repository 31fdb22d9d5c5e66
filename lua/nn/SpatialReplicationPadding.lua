-- nn.SpatialReplicationPadding(padLeft [, padRight, padTop, padBottom], defaulting to
-- padLeft): every plane of a 3D (planes x height x width) or 4D (batch) input is padded with
-- copies of its border rows and columns; negative pads crop.

local SpatialReplicationPadding = torch.class('nn.SpatialReplicationPadding', 'nn.Module')

nn.utils.spatialPadding(SpatialReplicationPadding, 'replicate')
