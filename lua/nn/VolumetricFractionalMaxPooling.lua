-- nn.VolumetricFractionalMaxPooling(poolSizeT, poolSizeW, poolSizeH, outT, outW, outH) or
-- (..., ratioT, ratioW, ratioH): nn.SpatialFractionalMaxPooling with a third pooled axis. The
-- input is planes x height x width x time (time last, as in Torch7), or a batch of those; one
-- triple of uniform samples (time, width, height) per (batch element, plane) places the
-- windows, drawn again at every forward unless :fixPoolingRegions() was called.

local VolumetricFractionalMaxPooling, parent =
   torch.class('nn.VolumetricFractionalMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_fmp3d_fwd, door.pool_fmp3d_bwd
local indices = nn.utils.longIndices

function VolumetricFractionalMaxPooling:__init(poolSizeT, poolSizeW, poolSizeH, arg1, arg2,
                                               arg3)
   parent.__init(self)
   assert(poolSizeT >= 2)
   assert(poolSizeW >= 2)
   assert(poolSizeH >= 2)
   self.poolSizeT = poolSizeT
   self.poolSizeW = poolSizeW
   self.poolSizeH = poolSizeH
   self.indices = torch.LongTensor()
   self.randomSamples = nil
   self.newRandomPool = false
   if arg1 >= 1 and arg2 >= 1 and arg3 >= 1 then
      self.outT, self.outW, self.outH = arg1, arg2, arg3
   else
      self.ratioT, self.ratioW, self.ratioH = arg1, arg2, arg3
      assert(self.ratioT > 0 and self.ratioT < 1)
      assert(self.ratioW > 0 and self.ratioW < 1)
      assert(self.ratioH > 0 and self.ratioH < 1)
   end
end

function VolumetricFractionalMaxPooling:getBufferSize_(input)
   if input:nDimension() == 4 then
      return torch.LongStorage({1, input:size(1), 3})
   elseif input:nDimension() == 5 then
      return torch.LongStorage({input:size(1), input:size(2), 3})
   end
   error('input must be dim 4 or 5')
end

-- The samples' buffer (drawn again at each forward, kept after :fixPoolingRegions()) and its
-- clearing work as in 2D; only the buffer's size (getBufferSize_) differs.
local spatial = nn.SpatialFractionalMaxPooling
VolumetricFractionalMaxPooling.initSampleBuffer_ = spatial.initSampleBuffer_
VolumetricFractionalMaxPooling.fixPoolingRegions = spatial.fixPoolingRegions
VolumetricFractionalMaxPooling.empty = spatial.empty
VolumetricFractionalMaxPooling.clearState = spatial.clearState

function VolumetricFractionalMaxPooling:getOutputSizes_(input)
   local outT, outW, outH = self.outT, self.outW, self.outH
   if self.ratioT ~= nil then
      local d = input:nDimension()
      if d ~= 4 and d ~= 5 then error('input must be dim 4 or 5') end
      outT = math.floor(input:size(d) * self.ratioT)
      outW = math.floor(input:size(d - 1) * self.ratioW)
      outH = math.floor(input:size(d - 2) * self.ratioH)
      assert(outT > 0, 'reduction ratio or input time too small')
      assert(outW > 0, 'reduction ratio or input width too small')
      assert(outH > 0, 'reduction ratio or input height too small')
   else
      assert(outT ~= nil and outW ~= nil and outH ~= nil)
   end
   return outT, outW, outH
end

-- self.indices stays a LongTensor through :type()
VolumetricFractionalMaxPooling.type = nn.utils.typeKeepingIndices

function VolumetricFractionalMaxPooling:updateOutput(input)
   if not torch.isTensor(input) then
      torch._error('input: tensor expected, got ' .. torch.type(input))
   end
   self:initSampleBuffer_(input)
   local outT, outW, outH = self:getOutputSizes_(input)
   k_fwd(H[self.output], H[indices(self)], H[input], H[self.randomSamples], outT, outW, outH,
      self.poolSizeT, self.poolSizeW, self.poolSizeH)
   return self.output
end

function VolumetricFractionalMaxPooling:updateGradInput(input, gradOutput)
   assert(self.randomSamples ~= nil, 'must call updateOutput/forward first')
   local outT, outW, outH = self:getOutputSizes_(input)
   k_bwd(H[self.gradInput], H[input], H[gradOutput] or gradOutput, H[indices(self)], outT, outW,
      outH)
   return self.gradInput
end

function VolumetricFractionalMaxPooling:__tostring__()
   return string.format('%s(%dx%dx%d, %d,%d,%d)', torch.type(self),
      self.outT or self.ratioT, self.outW or self.ratioW, self.outH or self.ratioH,
      self.poolSizeT, self.poolSizeW, self.poolSizeH)
end
