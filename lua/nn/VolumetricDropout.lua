-- nn.VolumetricDropout(p = 0.5 [, stochasticInference]): SpatialDropout for volumes, zeroing
-- whole feature volumes of C x T x H x W or N x C x T x H x W inputs.

local VolumetricDropout, parent = torch.class('nn.VolumetricDropout', 'nn.Module')

local spatial = nn.SpatialDropout
VolumetricDropout.__init = spatial.__init
VolumetricDropout.updateOutput = spatial.updateOutput
VolumetricDropout.updateGradInput = spatial.updateGradInput
VolumetricDropout.setp = spatial.setp
VolumetricDropout.__tostring__ = spatial.__tostring__
VolumetricDropout.clearState = spatial.clearState

function VolumetricDropout:_noiseShape(input)
   local nd = input:dim()
   if nd == 5 then
      return self.noise:resize(input:size(1), input:size(2), 1, 1, 1)
   elseif nd == 4 then
      return self.noise:resize(input:size(1), 1, 1, 1)
   end
   torch._error('Input must be 5D (nbatch, nfeat, t, h, w) or 4D (nfeat, t, h, w)')
end
