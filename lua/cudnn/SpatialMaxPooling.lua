-- cudnn.SpatialMaxPooling(kW, kH [, dW = kW] [, dH = kH] [, padW = 0] [, padH = 0]):
-- nn.SpatialMaxPooling (with :ceil() / :floor()).

local SpatialMaxPooling, parent =
   torch.class('cudnn.SpatialMaxPooling', 'nn.SpatialMaxPooling')

function SpatialMaxPooling:__init(kW, kH, dW, dH, padW, padH)
   parent.__init(self, kW, kH, dW or kW, dH or kH, padW or 0, padH or 0)
end
