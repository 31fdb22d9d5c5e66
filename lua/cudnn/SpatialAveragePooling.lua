-- cudnn.SpatialAveragePooling(kW, kH [, dW = kW] [, dH = kH] [, padW = 0] [, padH = 0]):
-- nn.SpatialAveragePooling counting the padding in each window's size (cuDNN's
-- COUNT_INCLUDE_PADDING mode); note cuDNN's strides default to the kernel size.

local SpatialAveragePooling, parent =
   torch.class('cudnn.SpatialAveragePooling', 'nn.SpatialAveragePooling')

function SpatialAveragePooling:__init(kW, kH, dW, dH, padW, padH)
   parent.__init(self, kW, kH, dW or kW, dH or kH, padW or 0, padH or 0)
   self.count_include_pad = true
   self.divide = true
end
