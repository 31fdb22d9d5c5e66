-- nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH) or (..., ratioW, ratioH):
-- Graham's fractional max pooling in its "pseudorandom" mode: overlapping poolSizeW x poolSizeH
-- windows at pseudorandom steps chosen so that the output is outH x outW (or
-- floor(inH ratioH) x floor(inW ratioW), ratios in (0, 1)).  One pair of uniform samples per
-- (batch element, plane), drawn from torch's generator at every forward unless
-- :fixPoolingRegions() was called.

local SpatialFractionalMaxPooling, parent =
   torch.class('nn.SpatialFractionalMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_fmp_fwd, door.pool_fmp_bwd
local indices = nn.utils.longIndices

function SpatialFractionalMaxPooling:__init(poolSizeW, poolSizeH, arg1, arg2)
   parent.__init(self)
   assert(poolSizeW >= 2)
   assert(poolSizeH >= 2)
   -- pool size (how wide the pooling for each output unit is)
   self.poolSizeW = poolSizeW
   self.poolSizeH = poolSizeH
   self.indices = torch.LongTensor()
   -- the samples that place the windows, [batch x planes x 2] (width, height); drawn again at
   -- every updateOutput unless :fixPoolingRegions()
   self.randomSamples = nil
   self.newRandomPool = false
   if arg1 >= 1 and arg2 >= 1 then
      -- the output size is given; the input decides the reduction ratio
      self.outW = arg1
      self.outH = arg2
   else
      -- the reduction ratio is given
      self.ratioW = arg1
      self.ratioH = arg2
      assert(self.ratioW > 0 and self.ratioW < 1)
      assert(self.ratioH > 0 and self.ratioH < 1)
   end
end

function SpatialFractionalMaxPooling:getBufferSize_(input)
   local batchSize, planeSize
   if input:nDimension() == 3 then
      batchSize = 1
      planeSize = input:size(1)
   elseif input:nDimension() == 4 then
      batchSize = input:size(1)
      planeSize = input:size(2)
   else
      error('input must be dim 3 or 4')
   end
   return torch.LongStorage({batchSize, planeSize, 2})
end

function SpatialFractionalMaxPooling:initSampleBuffer_(input)
   local sampleBufferSize = self:getBufferSize_(input)
   if self.randomSamples == nil then
      self.randomSamples = input.new():resize(sampleBufferSize):uniform()
   elseif self.randomSamples:size(1) ~= sampleBufferSize[1] or
          self.randomSamples:size(2) ~= sampleBufferSize[2] then
      self.randomSamples:resize(sampleBufferSize):uniform()
   elseif not self.newRandomPool then
      -- new pooling windows for this call
      self.randomSamples:uniform()
   end
end

function SpatialFractionalMaxPooling:getOutputSizes_(input)
   local outW, outH = self.outW, self.outH
   if self.ratioW ~= nil and self.ratioH ~= nil then
      if input:nDimension() == 4 then
         outW = math.floor(input:size(4) * self.ratioW)
         outH = math.floor(input:size(3) * self.ratioH)
      elseif input:nDimension() == 3 then
         outW = math.floor(input:size(3) * self.ratioW)
         outH = math.floor(input:size(2) * self.ratioH)
      else
         error('input must be dim 3 or 4')
      end
      -- neither can be smaller than 1
      assert(outW > 0, 'reduction ratio or input width too small')
      assert(outH > 0, 'reduction ratio or input height too small')
   else
      assert(outW ~= nil and outH ~= nil)
   end
   return outW, outH
end

--- Stop (val true or nil) or restart (false) drawing new pooling regions at every forward.
function SpatialFractionalMaxPooling:fixPoolingRegions(val)
   if val == nil then val = true end
   self.newRandomPool = val
   return self
end

-- self.indices stays a LongTensor through :type()
SpatialFractionalMaxPooling.type = nn.utils.typeKeepingIndices

function SpatialFractionalMaxPooling:updateOutput(input)
   if not torch.isTensor(input) then
      torch._error('input: tensor expected, got ' .. torch.type(input))
   end
   self:initSampleBuffer_(input)
   local outW, outH = self:getOutputSizes_(input)
   k_fwd(H[self.output], H[indices(self)], H[input], H[self.randomSamples], outW, outH,
      self.poolSizeW, self.poolSizeH)
   return self.output
end

function SpatialFractionalMaxPooling:updateGradInput(input, gradOutput)
   assert(self.randomSamples ~= nil, 'must call updateOutput/forward first')
   local outW, outH = self:getOutputSizes_(input)
   k_bwd(H[self.gradInput], H[input], H[gradOutput] or gradOutput, H[indices(self)], outW, outH)
   return self.gradInput
end

-- for backward compatibility
function SpatialFractionalMaxPooling:empty()
   self:clearState()
end

function SpatialFractionalMaxPooling:clearState()
   nn.utils.clear(self, 'indices', 'randomSamples')
   return parent.clearState(self)
end

function SpatialFractionalMaxPooling:__tostring__()
   return string.format('%s(%s,%s,%d,%d)', torch.type(self), tostring(self.outW or self.ratioW),
      tostring(self.outH or self.ratioH), self.poolSizeW, self.poolSizeH)
end
