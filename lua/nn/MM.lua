-- nn.MM([transA, transB]): {A, B} -> A B (2-D matrices, or 3-D batches of them), either factor
-- optionally transposed first.

local MM, parent = torch.class('nn.MM', 'nn.Module')

function MM:__init(transA, transB)
   parent.__init(self)
   self.transA = transA or false
   self.transB = transB or false
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

function MM:updateOutput(input)
   assert(#input == 2, 'input must be a pair of minibatch matrices')
   local a, b = input[1], input[2]
   assert(a:nDimension() == 2 or a:nDimension() == 3, 'input tensors must be 2D or 3D')
   if a:nDimension() == 2 then
      assert(b:nDimension() == 2, 'second input tensor must be 2D')
      if self.transA then a = a:t() end
      if self.transB then b = b:t() end
      assert(a:size(2) == b:size(1), 'matrix sizes do not match')
      self.output:resize(a:size(1), b:size(2)):mm(a, b)
   else
      assert(b:nDimension() == 3, 'second input tensor must be 3D')
      assert(a:size(1) == b:size(1), 'inputs must contain the same number of minibatches')
      if self.transA then a = a:transpose(2, 3) end
      if self.transB then b = b:transpose(2, 3) end
      assert(a:size(3) == b:size(2), 'matrix sizes do not match')
      self.output:resize(a:size(1), a:size(2), b:size(3)):bmm(a, b)
   end
   return self.output
end

function MM:updateGradInput(input, gradOutput)
   self.gradInput[1] = self.gradInput[1] or input[1].new()
   self.gradInput[2] = self.gradInput[2] or input[2].new()
   local a, b = input[1], input[2]
   local ga, gb = self.gradInput[1], self.gradInput[2]
   ga:resizeAs(a)
   gb:resizeAs(b)
   assert(gradOutput:nDimension() == 2 or gradOutput:nDimension() == 3,
      'arguments must be a 2D or 3D Tensor')
   local h, w, f
   if gradOutput:nDimension() == 2 then
      assert(a:nDimension() == 2, 'first input tensor must be 2D')
      assert(b:nDimension() == 2, 'second input tensor must be 2D')
      h, w, f = 1, 2, 'mm'
   else
      assert(a:nDimension() == 3, 'first input tensor must be 3D')
      assert(b:nDimension() == 3, 'second input tensor must be 3D')
      h, w, f = 2, 3, 'bmm'
   end
   if self.transA == self.transB then
      a = a:transpose(h, w)
      b = b:transpose(h, w)
   end
   if self.transA then
      ga[f](ga, b, gradOutput:transpose(h, w))
   else
      ga[f](ga, gradOutput, b)
   end
   if self.transB then
      gb[f](gb, gradOutput:transpose(h, w), a)
   else
      gb[f](gb, a, gradOutput)
   end
   return self.gradInput
end
