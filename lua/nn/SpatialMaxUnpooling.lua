-- nn.SpatialMaxUnpooling(poolingModule): the inverse of an nn.SpatialMaxPooling whose kernel
-- equals its stride.  Every input value goes back to the position its maximum came from (the
-- pooling module's indices and input size at its last forward); the other outputs are zero.

local SpatialMaxUnpooling, parent = torch.class('nn.SpatialMaxUnpooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_unpool_fwd, door.pool_unpool_bwd
local handle = nn.utils.handle

function SpatialMaxUnpooling:__init(poolingModule)
   parent.__init(self)
   if torch.type(poolingModule) ~= 'nn.SpatialMaxPooling' then
      error('Argument must be a nn.SpatialMaxPooling module', 2)
   end
   if poolingModule.kH ~= poolingModule.dH or poolingModule.kW ~= poolingModule.dW then
      error("The size of pooling module's kernel must be equal to its stride", 2)
   end
   self.pooling = poolingModule
end

function SpatialMaxUnpooling:setParams()
   self.indices = self.pooling.indices
   self.oheight = self.pooling.iheight
   self.owidth = self.pooling.iwidth
   if not self.oheight then
      torch._error('nn.SpatialMaxUnpooling: the pooling module has not run forward yet')
   end
end

-- the indices are the pooling module's (read again at every call): :type() leaves them alone
function SpatialMaxUnpooling:type(type, tensorCache)
   if not type then return self._type end
   self.indices = nil
   return parent.type(self, type, tensorCache)
end

function SpatialMaxUnpooling:updateOutput(input)
   self:setParams()
   k_fwd(H[self.output], handle(input, 'input'), H[self.indices], 2, 0, self.oheight,
      self.owidth, 0, 0, 0, 0, 0, 0)
   return self.output
end

function SpatialMaxUnpooling:updateGradInput(input, gradOutput)
   self:setParams()
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[self.indices], 2, 0, self.oheight, self.owidth, 0, 0, 0, 0, 0, 0)
   return self.gradInput
end

function SpatialMaxUnpooling:empty()
   self:clearState()
end

function SpatialMaxUnpooling:__tostring__()
   return 'nn.SpatialMaxUnpooling associated to ' .. tostring(self.pooling)
end
