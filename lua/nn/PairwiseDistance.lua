-- nn.PairwiseDistance(p): {a, b} -> || a - b ||_p (per row for a batch).

local PairwiseDistance, parent = torch.class('nn.PairwiseDistance', 'nn.Module')

function PairwiseDistance:__init(p)
   parent.__init(self)
   self.gradInput = {}
   self.diff = torch.Tensor()
   self.norm = p or 2
end

function PairwiseDistance:updateOutput(input)
   local a, b = input[1], input[2]
   if a:dim() == 1 then
      self.output:resize(1)
      self.output[1] = a:dist(b, self.norm)
   elseif a:dim() == 2 then
      self.diff = self.diff or a.new()
      self.diff:resizeAs(a):copy(a):add(-1, b):abs()
      self.output:resize(a:size(1)):zero()
      self.output:add(self.diff:pow(self.norm):sum(2):view(-1))
      self.output:pow(1 / self.norm)
   else
      torch._error('input must be vector or matrix')
   end
   return self.output
end

function PairwiseDistance:updateGradInput(input, gradOutput)
   local a, b = input[1], input[2]
   if a:dim() > 2 then torch._error('input must be vector or matrix') end
   self.gradInput[1] = (self.gradInput[1] or a.new()):resize(a:size())
   self.gradInput[2] = (self.gradInput[2] or b.new()):resize(b:size())
   local g = self.gradInput[1]
   g:copy(a):add(-1, b)
   local p = self.norm
   if p == 1 then
      g:sign()
   else
      -- d/dx_k ||x||_p = x_k |x_k|^(p-2) / ||x||_p^(p-1)
      if p > 2 then g:cmul(g:clone():abs():pow(p - 2)) end
      if a:dim() > 1 then
         self.outExpand = self.outExpand or self.output.new()
         self.outExpand:resize(self.output:size(1), 1):copy(self.output)
         self.outExpand:add(1.0e-6):pow(-(p - 1))
         g:cmul(self.outExpand:expand(g:size(1), g:size(2)))
      else
         g:mul(math.pow(self.output[1] + 1e-6, -(p - 1)))
      end
   end
   if a:dim() == 1 then
      g:mul(gradOutput[1])
   else
      g:cmul(gradOutput:contiguous():view(-1, 1):expand(g:size(1), g:size(2)))
   end
   self.gradInput[2]:zero():add(-1, g)
   return self.gradInput
end

function PairwiseDistance:clearState()
   nn.utils.clear(self, 'diff', 'outExpand')
   return parent.clearState(self)
end
