-- nn.MultiLabelSoftMarginCriterion: Sigmoid followed by (optionally weighted) BCECriterion,
-- for 0/1 multi-label targets; fused into one kernel call per method.

local MultiLabelSoftMarginCriterion, parent = torch.class('nn.MultiLabelSoftMarginCriterion',
   'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_mlsm, door.loss_mlsm_grad

function MultiLabelSoftMarginCriterion:__init(weights)
   parent.__init(self)
   self.lsm = nn.Sigmoid()
   self.nll = nn.BCECriterion(weights)
   self.sizeAverage = true
end

local function average(self)
   return self.sizeAverage ~= false and self.nll.sizeAverage ~= false
end

function MultiLabelSoftMarginCriterion:updateOutput(input, target)
   if H[input] == nil or H[target] == nil then
      nn.Criterion._tensorargs('forward', H[input], H[target], input, target)
   end
   local w = self.nll.weights
   self.output = k_fwd(H[self.lsm.output], H[input] or input, H[target] or target, w and H[w],
      average(self))
   self.nll.output = self.output
   return self.output
end

function MultiLabelSoftMarginCriterion:updateGradInput(input, target)
   if H[input] == nil or H[target] == nil then
      nn.Criterion._tensorargs('backward', H[input], H[target], input, target)
   end
   local w = self.nll.weights
   k_bwd(H[self.gradInput], H[self.lsm.output], H[input] or input, H[target] or target,
      w and H[w], average(self))
   return self.gradInput
end
