-- nn.PixelShuffle(upscaleFactor): rearranges a [(batch x) C r^2 x H x W] input into
-- [(batch x) C x H r x W r] (sub-pixel convolution, Shi et al. 2016): output channel c at
-- (h r + i, w r + j) is input channel c r^2 + i r + j at (h, w).

local PixelShuffle, parent = torch.class('nn.PixelShuffle', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.sp_shuffle_fwd, door.sp_shuffle_bwd
local handle = nn.utils.handle

function PixelShuffle:__init(upscaleFactor)
   parent.__init(self)
   self.upscaleFactor = upscaleFactor
   self.upscaleFactorSquared = upscaleFactor * upscaleFactor
end

function PixelShuffle:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), self.upscaleFactor)
   return self.output
end

function PixelShuffle:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      self.upscaleFactor)
   return self.gradInput
end

function PixelShuffle:__tostring__()
   return torch.type(self) .. '(' .. self.upscaleFactor .. ')'
end
