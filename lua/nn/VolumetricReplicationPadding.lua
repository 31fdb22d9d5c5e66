-- nn.VolumetricReplicationPadding(pleft [, pright, ptop, pbottom, pfront, pback], all defaulting
-- to pleft): every volume of a 4D (planes x time x height x width) or 5D (batch) input is padded
-- with copies of its border (front/back pad the time dimension; negative pads crop).

local VolumetricReplicationPadding, parent =
   torch.class('nn.VolumetricReplicationPadding', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.sp_pad_fwd, door.sp_pad_bwd
local handle = nn.utils.handle

function VolumetricReplicationPadding:__init(pleft, pright, ptop, pbottom, pfront, pback)
   parent.__init(self)
   self.pleft = pleft
   self.pright = pright or pleft
   self.ptop = ptop or pleft
   self.pbottom = pbottom or pleft
   self.pfront = pfront or pleft
   self.pback = pback or pleft
end

function VolumetricReplicationPadding:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), 'replicate', 3, self.pleft, self.pright,
      self.ptop, self.pbottom, self.pfront, self.pback)
   return self.output
end

function VolumetricReplicationPadding:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      'replicate', 3, self.pleft, self.pright, self.ptop, self.pbottom, self.pfront, self.pback)
   return self.gradInput
end

function VolumetricReplicationPadding:__tostring__()
   return torch.type(self) ..
      string.format('(left=%d, right=%d, top=%d, bottom=%d, front=%d, back=%d)', self.pleft,
         self.pright, self.ptop, self.pbottom, self.pfront, self.pback)
end
