-- nn.WeightedMSECriterion: the MSE between x and (w .* y), as Torch7 defines it: the weight w
-- scales the target (each row of a batch when w has one dimension less than x).

local WeightedMSECriterion, parent = torch.class('nn.WeightedMSECriterion', 'nn.MSECriterion')

local H = torch._H
local door = torch._door
local k_target = door.loss_wmse_target
local k_fwd, k_bwd = door.loss_mse, door.loss_mse_grad

function WeightedMSECriterion:__init(w)
   parent.__init(self)
   if not torch.isTensor(w) then
      torch._error('nn.WeightedMSECriterion(weight): weight tensor expected, got ' ..
         torch.type(w))
   end
   self.weight = w:clone()
   self.buffer = torch.Tensor()
end

function WeightedMSECriterion:updateOutput(input, target)
   k_target(H[self.buffer], H[input] or input, H[target] or target, H[self.weight])
   self.output = k_fwd(H[input] or input, H[self.buffer], self.sizeAverage)
   return self.output
end

function WeightedMSECriterion:updateGradInput(input, target)
   k_target(H[self.buffer], H[input] or input, H[target] or target, H[self.weight])
   k_bwd(H[self.gradInput], H[input] or input, H[self.buffer], self.sizeAverage)
   return self.gradInput
end
