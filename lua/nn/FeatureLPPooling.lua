-- nn.FeatureLPPooling(width, stride, power [, batch_mode]): Lp pooling across features, y_k =
-- (sum of x_i^p over the width features from (k - 1) * stride + 1)^(1/p). The feature axis is
-- the first (the second in batch mode), followed by up to two more dimensions.

local FeatureLPPooling, parent = torch.class('nn.FeatureLPPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.flp_fwd, door.flp_bwd

function FeatureLPPooling:__init(width, stride, power, batch_mode)
   parent.__init(self)
   if width < 2 or width > 16 then
      error('width must be within 2 to 16')
   end
   if stride < 1 or stride > 4 then
      error('stride must be within 1 to 4')
   end
   self.width = width
   self.stride = stride
   self.power = power
   self.batch_mode = batch_mode
end

function FeatureLPPooling:updateOutput(input)
   k_fwd(H[self.output], H[input], self.power, self.width, self.stride, self.batch_mode or false)
   return self.output
end

function FeatureLPPooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input], H[self.output], H[gradOutput], self.power, self.width,
         self.stride, self.batch_mode or false)
   return self.gradInput
end

function FeatureLPPooling:__tostring__()
   return string.format('%s(w%d s%d power %d batch %d)', torch.type(self), self.width,
                        self.stride, self.power, self.batch_mode and 1 or 0)
end
