-- nn.SpatialDilatedMaxPooling(kW, kH [, dW, dH, padW, padH, dilationW = 1, dilationH = 1]):
-- max pooling whose windows skip dilation - 1 pixels between taps ("atrous" pooling).  Output
-- sizes are op((size + 2 pad - (dilation (k - 1) + 1)) / d) + 1, op = floor, or ceil after
-- :ceil().  Same indices as nn.SpatialMaxPooling.

local SpatialDilatedMaxPooling, parent =
   torch.class('nn.SpatialDilatedMaxPooling', 'nn.SpatialMaxPooling')

function SpatialDilatedMaxPooling:__init(kW, kH, dW, dH, padW, padH, dilationW, dilationH)
   parent.__init(self, kW, kH, dW, dH, padW, padH)
   self.dilationW = dilationW or 1
   self.dilationH = dilationH or 1
end

function SpatialDilatedMaxPooling:__tostring__()
   return string.format('%s(%dx%d, %d,%d, %d,%d, %d,%d)', torch.type(self), self.kW, self.kH,
      self.dW, self.dH, self.padW, self.padH, self.dilationW, self.dilationH)
end
