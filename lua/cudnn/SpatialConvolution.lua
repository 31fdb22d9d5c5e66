-- cudnn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH [, dW = 1] [, dH = 1]
-- [, padW = 0] [, padH = 0] [, groups = 1]): nn.SpatialConvolution with cuDNN's grouped form.
-- With groups > 1 the planes are split into `groups` independent convolutions and the weight is
-- nOutputPlane x (nInputPlane / groups) x kH x kW.  The weights are drawn once, as nn does.

local SpatialConvolution, parent =
   torch.class('cudnn.SpatialConvolution', 'nn.SpatialConvolution')

function SpatialConvolution:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, groups)
   groups = groups or 1
   if nInputPlane % groups ~= 0 then
      torch._error('nInputPlane should be divisible by nGroups')
   end
   if nOutputPlane % groups ~= 0 then
      torch._error('nOutputPlane should be divisible by nGroups')
   end
   -- let the parent build the module without drawing weights: they are drawn once, below
   self.reset = function() end
   parent.__init(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
   self.reset = nil
   self.padW = padW or 0
   self.padH = padH or 0
   self.groups = groups
   if groups ~= 1 then
      self.weight = torch.Tensor(nOutputPlane, nInputPlane / groups, kH, kW)
      self.gradWeight = torch.Tensor(nOutputPlane, nInputPlane / groups, kH, kW)
   end
   self:reset()
end

-- one plain nn.SpatialConvolution per group, its tensors views of ours (made afresh each call:
-- getParameters() or type() may have moved ours)
local function groupModules(self, input)
   local g = self.groups
   local nIn, nOut = self.nInputPlane / g, self.nOutputPlane / g
   local mods = self._groups
   if not mods or #mods ~= g then
      -- building them must not consume the random stream (their weights are replaced)
      local rng = torch.getRNGState()
      mods = {}
      for i = 1, g do
         mods[i] = nn.SpatialConvolution(nIn, nOut, self.kW, self.kH, self.dW, self.dH,
            self.padW, self.padH)
      end
      torch.setRNGState(rng)
      self._groups = mods
   end
   local cdim = input:dim() == 4 and 2 or 1
   local ttype = torch.type(self.weight)
   for i, m in ipairs(mods) do
      if torch.type(m.output) ~= ttype then m:type(ttype) end
      m.weight = self.weight:narrow(1, (i - 1) * nOut + 1, nOut)
      m.gradWeight = self.gradWeight and self.gradWeight:narrow(1, (i - 1) * nOut + 1, nOut)
      m.bias = self.bias and self.bias:narrow(1, (i - 1) * nOut + 1, nOut)
      m.gradBias = self.gradBias and self.gradBias:narrow(1, (i - 1) * nOut + 1, nOut)
      m.dW, m.dH, m.padW, m.padH, m.kW, m.kH = self.dW, self.dH, self.padW, self.padH,
         self.kW, self.kH
   end
   return mods, cdim, nIn, nOut
end

local function checkGroupedInput(self, input)
   local nd = input:dim()
   if nd ~= 3 and nd ~= 4 then
      torch._error('3D or 4D (batch mode) tensor expected for input')
   end
   local c = input:size(nd - 2)
   if c ~= self.nInputPlane then
      torch._error(string.format('Given input size: (%s). Expected %d input channels',
         table.concat(input:size():totable(), 'x'), self.nInputPlane))
   end
end

function SpatialConvolution:updateOutput(input)
   if (self.groups or 1) == 1 then return parent.updateOutput(self, input) end
   checkGroupedInput(self, input)
   local mods, cdim, nIn, nOut = groupModules(self, input)
   for i, m in ipairs(mods) do
      local o = m:updateOutput(input:narrow(cdim, (i - 1) * nIn + 1, nIn))
      if i == 1 then
         local sz = o:size()
         sz[cdim] = self.nOutputPlane
         self.output:resize(sz)
      end
      self.output:narrow(cdim, (i - 1) * nOut + 1, nOut):copy(o)
   end
   return self.output
end

function SpatialConvolution:updateGradInput(input, gradOutput)
   if (self.groups or 1) == 1 then return parent.updateGradInput(self, input, gradOutput) end
   if not self.gradInput then return end
   local mods, cdim, nIn, nOut = groupModules(self, input)
   self.gradInput:resizeAs(input)
   for i, m in ipairs(mods) do
      local gi = m:updateGradInput(input:narrow(cdim, (i - 1) * nIn + 1, nIn),
         gradOutput:narrow(cdim, (i - 1) * nOut + 1, nOut))
      self.gradInput:narrow(cdim, (i - 1) * nIn + 1, nIn):copy(gi)
   end
   return self.gradInput
end

function SpatialConvolution:accGradParameters(input, gradOutput, scale)
   if (self.groups or 1) == 1 then
      return parent.accGradParameters(self, input, gradOutput, scale)
   end
   local mods, cdim, nIn, nOut = groupModules(self, input)
   for i, m in ipairs(mods) do
      m:accGradParameters(input:narrow(cdim, (i - 1) * nIn + 1, nIn),
         gradOutput:narrow(cdim, (i - 1) * nOut + 1, nOut), scale)
   end
end

function SpatialConvolution:clearState()
   self._groups = nil
   return parent.clearState(self)
end

function SpatialConvolution:__tostring__()
   local s = parent.__tostring__(self)
   if (self.groups or 1) ~= 1 then
      s = s .. ' groups: ' .. self.groups
   end
   return s
end
