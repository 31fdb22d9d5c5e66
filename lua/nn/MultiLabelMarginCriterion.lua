-- nn.MultiLabelMarginCriterion: multi-label hinge loss: for every target class y[j] (the
-- leading non-zero entries of the target row) and every non-target class i,
-- max(0, 1 - (x[y[j]] - x[i])); summed, divided by dim, and averaged over a batch.

local MultiLabelMarginCriterion, parent = torch.class('nn.MultiLabelMarginCriterion',
   'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_mlm, door.loss_mlm_grad

function MultiLabelMarginCriterion:__init()
   parent.__init(self)
   self.sizeAverage = true
   self.isTarget = torch.Tensor()
end

function MultiLabelMarginCriterion:updateOutput(input, target)
   self.output = k_fwd(H[input] or input, H[target] or target, H[self.isTarget],
      self.sizeAverage)
   return self.output
end

function MultiLabelMarginCriterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.sizeAverage)
   return self.gradInput
end
