-- nn.HingeEmbeddingCriterion: x where y == 1, max(0, margin - x) where y == -1, summed over
-- the elements of the distance tensor x and divided by n when sizeAverage.

local HingeEmbeddingCriterion, parent = torch.class('nn.HingeEmbeddingCriterion',
   'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_hinge, door.loss_hinge_grad

function HingeEmbeddingCriterion:__init(margin)
   parent.__init(self)
   self.margin = margin or 1
   self.sizeAverage = true
end

function HingeEmbeddingCriterion:updateOutput(input, y)
   -- y may be a number (one pair), as in nn's own version
   if H[input] == nil or (H[y] == nil and type(y) ~= 'number') then
      nn.Criterion._tensorargs('forward', H[input], H[y], input, y)
   end
   self.output = k_fwd(H[input] or input, H[y] or y, self.margin, self.sizeAverage ~= false)
   return self.output
end

function HingeEmbeddingCriterion:updateGradInput(input, y)
   -- y may be a number (one pair), as in nn's own version
   if H[input] == nil or (H[y] == nil and type(y) ~= 'number') then
      nn.Criterion._tensorargs('backward', H[input], H[y], input, y)
   end
   k_bwd(H[self.gradInput], H[input] or input, H[y] or y, self.margin,
      self.sizeAverage ~= false)
   return self.gradInput
end
