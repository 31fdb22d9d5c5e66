-- nn.SpatialAutoCropMSECriterion([sizeAverage = true]): nn.MSECriterion between a (batch of)
-- C x H x W input and the centre H x W crop of a target at least as large.

local SpatialAutoCropMSECriterion, parent =
   torch.class('nn.SpatialAutoCropMSECriterion', 'nn.MSECriterion')

function SpatialAutoCropMSECriterion:__init(sizeAverage)
   parent.__init(self, sizeAverage)
end

-- The centre crop of target to input's height and width, after checking the shapes agree.
local function cropTarget(input, target)
   assert(input:dim() == target:dim(),
          "input and target should have the same number of dimensions")
   assert(input:dim() == 4 or input:dim() == 3, "input and target must have 3 or 4 dimensions")
   local h = input:dim() - 1
   if input:dim() == 4 then
      assert(input:size(1) == target:size(1), "Target and input must have same batch size")
   end
   assert(input:size(h - 1) == target:size(h - 1),
          "Target and input must have same number of channels")
   local ih, iw = input:size(h), input:size(h + 1)
   local th, tw = target:size(h), target:size(h + 1)
   assert(ih <= th and iw <= tw, "Spatial resolution of input should be less than or equal "
          .. "to the spatial resolution of the target")
   local top = math.floor((th - ih) / 2)
   local left = math.floor((tw - iw) / 2)
   return target:narrow(h, top + 1, ih):narrow(h + 1, left + 1, iw)
end

function SpatialAutoCropMSECriterion:updateOutput(input, target)
   return parent.updateOutput(self, input, cropTarget(input, target))
end

-- NOTE: Torch7 takes the target here already cropped; a full-size target is cropped too.
function SpatialAutoCropMSECriterion:updateGradInput(input, target)
   return parent.updateGradInput(self, input, cropTarget(input, target))
end
