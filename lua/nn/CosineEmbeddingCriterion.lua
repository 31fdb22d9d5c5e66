-- nn.CosineEmbeddingCriterion: for input {x1, x2} (vectors or batches of rows) and labels y,
-- 1 - cos(x1, x2) where y == 1 and max(0, cos(x1, x2) - margin) where y == -1; summed over a
-- batch and divided by its size when sizeAverage.

local CosineEmbeddingCriterion, parent = torch.class('nn.CosineEmbeddingCriterion',
   'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_cosine, door.loss_cosine_grad

function CosineEmbeddingCriterion:__init(margin)
   parent.__init(self)
   self.margin = margin or 0
   self.gradInput = {torch.Tensor(), torch.Tensor()}
   self.sizeAverage = true
end

function CosineEmbeddingCriterion:updateOutput(input, y)
   self.output = k_fwd(H[input[1]], H[input[2]], H[y] or y, self.margin, self.sizeAverage)
   return self.output
end

function CosineEmbeddingCriterion:updateGradInput(input, y)
   local gi = self.gradInput
   k_bwd(H[gi[1]], H[gi[2]], H[input[1]], H[input[2]], H[y] or y, self.margin,
      self.sizeAverage)
   return gi
end
