-- nn.L1HingeEmbeddingCriterion: for input {x1, x2} and label y, ||x1 - x2||_1 when y == 1 and
-- max(0, margin - ||x1 - x2||_1) when y == -1.

local L1HingeEmbeddingCriterion, parent = torch.class('nn.L1HingeEmbeddingCriterion',
   'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_l1hinge, door.loss_l1hinge_grad

function L1HingeEmbeddingCriterion:__init(margin)
   parent.__init(self)
   self.margin = margin or 1
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

function L1HingeEmbeddingCriterion:updateOutput(input, y)
   self.output = k_fwd(H[input[1]], H[input[2]], y, self.margin)
   return self.output
end

function L1HingeEmbeddingCriterion:updateGradInput(input, y)
   local gi = self.gradInput
   k_bwd(H[gi[1]], H[gi[2]], H[input[1]], H[input[2]], y, self.margin)
   return gi
end
