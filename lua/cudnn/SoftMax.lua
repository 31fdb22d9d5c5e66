-- cudnn.SoftMax(fastMode = false) and cudnn.LogSoftMax(): cuDNN's per-instance softmax: over
-- the vector (1-D), each row (2-D) -- as nn -- and over all the C x H x W values of each sample
-- for 3-D / 4-D inputs.  cudnn.SpatialSoftMax(fastMode) and cudnn.SpatialLogSoftMax(): over the
-- feature maps at each location, as nn.SpatialSoftMax / nn.SpatialLogSoftMax.
-- (fastMode picks a cuDNN algorithm; the CPU always computes the accurate form.)

local H = torch._H
local door = torch._door

local function instanceSoftMax(name, nnName, k_fwd, k_bwd)
   local cls, parent = torch.class('cudnn.' .. name, 'nn.' .. nnName)

   function cls:__init(fastMode)
      parent.__init(self)
      self.fastMode = fastMode or false
   end

   -- 3-D and 4-D tensors seen as one row per sample (nil for 1-D and 2-D: nn's rows already)
   local function rows(t, ref)
      local nd = ref:dim()
      if nd == 3 then return t:contiguous():view(1, t:nElement()) end
      if nd == 4 then return t:contiguous():view(ref:size(1), -1) end
      return nil
   end

   function cls:updateOutput(input)
      local x = rows(input, input)
      if not x then return parent.updateOutput(self, input) end
      k_fwd(H[self.output], H[x])
      self.output:resize(input:size())
      return self.output
   end

   function cls:updateGradInput(input, gradOutput)
      local y = rows(self.output, input)
      if not y then return parent.updateGradInput(self, input, gradOutput) end
      k_bwd(H[self.gradInput], H[rows(gradOutput, input)], H[y])
      self.gradInput:resize(input:size())
      return self.gradInput
   end

   return cls
end

local sm_fwd, sm_bwd = door.act_softmax_fwd, door.act_softmax_bwd
local lsm_fwd, lsm_bwd = door.act_logsoftmax_fwd, door.act_logsoftmax_bwd

instanceSoftMax('SoftMax', 'SoftMax',
   function(o, x) sm_fwd(o, x, false) end,
   function(gi, g, y) sm_bwd(gi, g, y, false) end)
instanceSoftMax('LogSoftMax', 'LogSoftMax', lsm_fwd, lsm_bwd)

local SpatialSoftMax, SSMparent = torch.class('cudnn.SpatialSoftMax', 'nn.SpatialSoftMax')

function SpatialSoftMax:__init(fastMode)
   SSMparent.__init(self)
   self.fastMode = fastMode or false
end

torch.class('cudnn.SpatialLogSoftMax', 'nn.SpatialLogSoftMax')
