-- nn.SpatialMaxPooling(kW, kH [, dW = kW, dH = kH, padW = 0, padH = 0]): the maximum over kW x kH
-- windows of every plane of a 3D (planes x height x width) or 4D (batch) input, moved by dW, dH.
-- Output sizes are floor((size + 2 pad - k) / d) + 1, or ceil(...) after :ceil().  self.indices
-- (a LongTensor shaped like the output) keeps the 1-based flat position of every maximum inside
-- its plane, as Torch7 does, for the backward pass and nn.SpatialMaxUnpooling.

local SpatialMaxPooling, parent = torch.class('nn.SpatialMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_max2d_fwd, door.pool_max2d_bwd
local handle = nn.utils.handle
local indices = nn.utils.longIndices

function SpatialMaxPooling:__init(kW, kH, dW, dH, padW, padH)
   parent.__init(self)
   dW = dW or kW
   dH = dH or kH
   self.kW = kW
   self.kH = kH
   self.dW = dW
   self.dH = dH
   self.padW = padW or 0
   self.padH = padH or 0
   self.ceil_mode = false
   self.indices = torch.LongTensor()
end

function SpatialMaxPooling:ceil()
   self.ceil_mode = true
   return self
end

function SpatialMaxPooling:floor()
   self.ceil_mode = false
   return self
end

-- self.indices stays a LongTensor through :type()
SpatialMaxPooling.type = nn.utils.typeKeepingIndices

function SpatialMaxPooling:updateOutput(input)
   local ind = indices(self)
   self.iheight, self.iwidth = k_fwd(H[self.output], H[ind], handle(input, 'input'),
      self.kW, self.kH, self.dW, self.dH, self.padW or 0, self.padH or 0,
      self.dilationW or 1, self.dilationH or 1, self.ceil_mode or false)
   return self.output
end

function SpatialMaxPooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[indices(self)], self.kW, self.kH, self.dW, self.dH, self.padW or 0, self.padH or 0,
      self.dilationW or 1, self.dilationH or 1, self.ceil_mode or false)
   return self.gradInput
end

-- for backward compatibility
function SpatialMaxPooling:empty()
   self:clearState()
end

function SpatialMaxPooling:__tostring__()
   local s = string.format('%s(%dx%d, %d,%d', torch.type(self), self.kW, self.kH, self.dW,
      self.dH)
   if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padW .. ',' .. self.padH
   end
   return s .. ')'
end

function SpatialMaxPooling:clearState()
   if self.indices then self.indices:set() end
   return parent.clearState(self)
end
