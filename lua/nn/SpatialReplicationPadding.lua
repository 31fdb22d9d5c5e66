-- nn.SpatialReplicationPadding(padLeft [, padRight, padTop, padBottom], defaulting to
-- padLeft): every plane of a 3D (planes x height x width) or 4D (batch) input is padded with
-- copies of its border rows and columns; negative pads crop.

local SpatialReplicationPadding, parent = torch.class('nn.SpatialReplicationPadding', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.sp_pad_fwd, door.sp_pad_bwd

function SpatialReplicationPadding:__init(pad_l, pad_r, pad_t, pad_b)
   parent.__init(self)
   self.pad_l = pad_l
   self.pad_r = pad_r or self.pad_l
   self.pad_t = pad_t or self.pad_l
   self.pad_b = pad_b or self.pad_l
end

local function handle(t, what)
   local h = H[t]
   if not h then torch._error(what .. ': tensor expected, got ' .. torch.type(t)) end
   return h
end

function SpatialReplicationPadding:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), 'replicate', 2, self.pad_l, self.pad_r,
      self.pad_t, self.pad_b)
   return self.output
end

function SpatialReplicationPadding:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      'replicate', 2, self.pad_l, self.pad_r, self.pad_t, self.pad_b)
   return self.gradInput
end

function SpatialReplicationPadding:__tostring__()
   return torch.type(self) .. string.format('(l=%d, r=%d, t=%d, b=%d)', self.pad_l, self.pad_r,
      self.pad_t, self.pad_b)
end
