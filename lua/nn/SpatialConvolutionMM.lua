-- nn.SpatialConvolutionMM(nInputPlane, nOutputPlane, kW, kH, [dW], [dH], [padW], [padH]):
-- SpatialConvolution with its weight kept as the matrix nOutputPlane x (nInputPlane*kH*kW).
-- The kernels take either weight shape, so everything but the shape is inherited.

local SpatialConvolutionMM, parent = torch.class('nn.SpatialConvolutionMM',
   'nn.SpatialConvolution')

function SpatialConvolutionMM:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
   -- the parent draws the initial weights in Torch7's order; the matrix is a view of them
   parent.__init(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
   self.weight = self.weight:view(nOutputPlane, nInputPlane * kH * kW)
   self.gradWeight = self.gradWeight:view(nOutputPlane, nInputPlane * kH * kW)
end
