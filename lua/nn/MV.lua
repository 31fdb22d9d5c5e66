-- nn.MV([trans]): {M, v} -> M v (2-D M and 1-D v, or 3-D and 2-D batches), M optionally
-- transposed first.

local MV, parent = torch.class('nn.MV', 'nn.Module')

function MV:__init(trans)
   parent.__init(self)
   self.trans = trans or false
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

function MV:updateOutput(input)
   assert(#input == 2, 'input must be a pair of minibatch matrices')
   local M, v = input[1], input[2]
   assert(M:nDimension() == 2 or M:nDimension() == 3, 'input matrix must be 2D or 3D')
   assert(v:nDimension() == 1 or v:nDimension() == 2, 'input vector must be 1D or 2D')
   if M:nDimension() == 2 then
      assert(v:nDimension() == 1, 'vector must be 1D')
      if self.trans then M = M:transpose(1, 2) end
      assert(M:size(2) == v:size(1), 'matrix row count and vector length do not match')
      self.output:resize(M:size(1)):mv(M, v)
   else
      assert(v:nDimension() == 2, 'vector must be 2D (batch dimension)')
      assert(M:size(1) == v:size(1), 'inputs must contain the same number of minibatches')
      if self.trans then M = M:transpose(2, 3) end
      assert(M:size(3) == v:size(2), 'matrix row count and vector length do not match')
      self.output:resize(M:size(1), M:size(2), 1)
      self.output:bmm(M, v:contiguous():view(v:size(1), v:size(2), 1))
      self.output:resize(M:size(1), M:size(2))
   end
   return self.output
end

function MV:updateGradInput(input, gradOutput)
   local M, v = input[1], input[2]
   local gM, gv = self.gradInput[1], self.gradInput[2]
   gM:resizeAs(M)
   gv:resizeAs(v)
   assert(gradOutput:nDimension() == 1 or gradOutput:nDimension() == 2,
      'arguments must be a 1D or 2D Tensor')
   if gradOutput:nDimension() == 1 then
      assert(M:nDimension() == 2, 'matrix must be 2D')
      assert(v:nDimension() == 1, 'vector must be 1D')
      if self.trans then
         gM:ger(v, gradOutput)
         gv:mv(M, gradOutput)
      else
         gM:ger(gradOutput, v)
         gv:mv(M:t(), gradOutput)
      end
   else
      assert(M:nDimension() == 3, 'matrix must be 3D (batch dimension)')
      assert(v:nDimension() == 2, 'vector must be 2D (batch dimension)')
      local bs = M:size(1)
      local go = gradOutput:contiguous()
      local vc = v:contiguous()
      if self.trans then
         gM:bmm(vc:view(bs, v:size(2), 1), go:view(bs, 1, go:size(2)))
         gv:resize(bs, M:size(2), 1):bmm(M, go:view(bs, go:size(2), 1))
      else
         gM:bmm(go:view(bs, go:size(2), 1), vc:view(bs, 1, v:size(2)))
         gv:resize(bs, M:size(3), 1):bmm(M:transpose(2, 3), go:view(bs, go:size(2), 1))
      end
      gv:resize(bs, gv:size(2))
   end
   return self.gradInput
end
