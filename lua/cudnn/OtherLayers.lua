-- The other cudnn.torch layers whose constructors match nn's: cudnn.SpatialFullConvolution,
-- cudnn.SpatialDilatedConvolution, cudnn.VolumetricConvolution, cudnn.VolumetricFullConvolution,
-- cudnn.VolumetricDilatedConvolution, cudnn.VolumetricMaxPooling and
-- cudnn.VolumetricAveragePooling (strides default to the kernel size, padding counted), each a
-- plain subclass of its nn layer (defined when that layer exists).

for _, name in ipairs({'SpatialFullConvolution', 'SpatialDilatedConvolution',
      'VolumetricConvolution', 'VolumetricFullConvolution', 'VolumetricDilatedConvolution',
      'VolumetricMaxPooling', 'VolumetricAveragePooling'}) do
   if rawget(nn, name) then
      torch.class('cudnn.' .. name, 'nn.' .. name)
   end
end

if rawget(cudnn, 'VolumetricAveragePooling') then
   local pool = torch.getmetatable('cudnn.VolumetricAveragePooling')
   local parent = torch.getmetatable('nn.VolumetricAveragePooling')
   function pool:__init(kT, kW, kH, dT, dW, dH, padT, padW, padH)
      parent.__init(self, kT, kW, kH, dT or kT, dW or kW, dH or kH, padT or 0, padW or 0,
         padH or 0)
      self.count_include_pad = true
   end
end
