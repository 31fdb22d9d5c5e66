-- nn.SpatialReflectionPadding(padLeft [, padRight, padTop, padBottom], defaulting to padLeft):
-- every plane of a 3D (planes x height x width) or 4D (batch) input is padded with its mirror
-- image at the border (the border row or column itself is not repeated); pads must be smaller
-- than the input, negative pads crop.

local SpatialReflectionPadding = torch.class('nn.SpatialReflectionPadding', 'nn.Module')

nn.utils.spatialPadding(SpatialReflectionPadding, 'reflect')
