-- nn.SpatialAdaptiveMaxPooling(W, H): max pooling whose windows adapt to the input so that the
-- output is H x W for any input size: output cell (i, j) covers rows floor(i iH / H) to
-- ceil((i + 1) iH / H) - 1 and the matching columns.  self.indices keeps the 1-based flat
-- position of every maximum inside its plane.

local SpatialAdaptiveMaxPooling, parent = torch.class('nn.SpatialAdaptiveMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_adaptive_max_fwd, door.pool_adaptive_max_bwd
local long_mt = torch._tensor_mt_by_name.Long

function SpatialAdaptiveMaxPooling:__init(W, H_)
   parent.__init(self)
   self.W = W
   self.H = H_
   self.indices = torch.LongTensor()
end

local function handle(t, what)
   local h = H[t]
   if not h then torch._error(what .. ': tensor expected, got ' .. torch.type(t)) end
   return h
end

local function indices(self)
   local ind = self.indices
   if getmetatable(ind) ~= long_mt then
      ind = torch.isTensor(ind) and ind:long() or torch.LongTensor()
      self.indices = ind
   end
   return ind
end

-- the indices keep their LongTensor type (and values, for an unpooling module) through :type()
function SpatialAdaptiveMaxPooling:type(type, tensorCache)
   if not type then return self._type end
   local ind = self.indices
   self.indices = nil
   parent.type(self, type, tensorCache)
   self.indices = ind
   return self
end

function SpatialAdaptiveMaxPooling:updateOutput(input)
   k_fwd(H[self.output], H[indices(self)], handle(input, 'input'), self.W, self.H)
   return self.output
end

function SpatialAdaptiveMaxPooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[indices(self)])
   return self.gradInput
end

-- for backward compatibility
function SpatialAdaptiveMaxPooling:empty()
   self:clearState()
end

function SpatialAdaptiveMaxPooling:clearState()
   if self.indices then self.indices:set() end
   return parent.clearState(self)
end
