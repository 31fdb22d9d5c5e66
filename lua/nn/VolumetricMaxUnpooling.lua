-- nn.VolumetricMaxUnpooling(poolingModule): the inverse of an nn.VolumetricMaxPooling whose
-- kernel equals its stride: every input value goes back to the position its maximum came from
-- (the pooling module's indices, strides, pads and input size at its last forward); the other
-- outputs are zero.

local VolumetricMaxUnpooling, parent = torch.class('nn.VolumetricMaxUnpooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_unpool_fwd, door.pool_unpool_bwd
local handle = nn.utils.handle

function VolumetricMaxUnpooling:__init(poolingModule)
   parent.__init(self)
   if torch.type(poolingModule) ~= 'nn.VolumetricMaxPooling' then
      error('Argument must be a nn.VolumetricMaxPooling module', 2)
   end
   if poolingModule.kT ~= poolingModule.dT or poolingModule.kH ~= poolingModule.dH or
      poolingModule.kW ~= poolingModule.dW then
      error("The size of pooling module's kernel must be equal to its stride", 2)
   end
   self.pooling = poolingModule
end

function VolumetricMaxUnpooling:setParams()
   local p = self.pooling
   self.indices = p.indices
   self.otime = p.itime
   self.oheight = p.iheight
   self.owidth = p.iwidth
   self.dT = p.dT
   self.dH = p.dH
   self.dW = p.dW
   self.padT = p.padT
   self.padH = p.padH
   self.padW = p.padW
   if not self.otime then
      torch._error('nn.VolumetricMaxUnpooling: the pooling module has not run forward yet')
   end
end

-- the indices are the pooling module's (read again at every call): :type() leaves them alone
function VolumetricMaxUnpooling:type(type, tensorCache)
   if not type then return self._type end
   self.indices = nil
   return parent.type(self, type, tensorCache)
end

function VolumetricMaxUnpooling:updateOutput(input)
   self:setParams()
   k_fwd(H[self.output], handle(input, 'input'), H[self.indices], 3, self.otime, self.oheight,
      self.owidth, self.dT, self.dH, self.dW, self.padT, self.padH, self.padW)
   return self.output
end

function VolumetricMaxUnpooling:updateGradInput(input, gradOutput)
   self:setParams()
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[self.indices], 3, self.otime, self.oheight, self.owidth, self.dT, self.dH, self.dW,
      self.padT, self.padH, self.padW)
   return self.gradInput
end

function VolumetricMaxUnpooling:empty()
   self:clearState()
end

function VolumetricMaxUnpooling:__tostring__()
   return 'nn.VolumetricMaxUnpooling associated to ' .. tostring(self.pooling)
end
