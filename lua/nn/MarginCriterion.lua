-- nn.MarginCriterion: two-class hinge loss, sum max(0, margin - y x) / n (labels 1 or -1,
-- margin 1 by default; no division when sizeAverage is false).

local MarginCriterion, parent = torch.class('nn.MarginCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_margin, door.loss_margin_grad

function MarginCriterion:__init(margin)
   parent.__init(self)
   self.sizeAverage = true
   self.margin = margin or 1
end

function MarginCriterion:updateOutput(input, target)
   if H[input] == nil or H[target] == nil then
      nn.Criterion._tensorargs('forward', H[input], H[target], input, target)
   end
   self.output = k_fwd(H[input] or input, H[target] or target, self.margin, self.sizeAverage)
   return self.output
end

function MarginCriterion:updateGradInput(input, target)
   if H[input] == nil or H[target] == nil then
      nn.Criterion._tensorargs('backward', H[input], H[target], input, target)
   end
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.margin,
      self.sizeAverage)
   return self.gradInput
end
