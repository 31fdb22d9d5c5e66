-- nn.OneHot(outputSize): indices (a number or a tensor of any shape) -> one-hot vectors in a new
-- last dimension of size outputSize.

local OneHot, parent = torch.class('nn.OneHot', 'nn.Module')

function OneHot:__init(outputSize)
   parent.__init(self)
   self.outputSize = outputSize
end

function OneHot:updateOutput(input)
   local size
   if type(input) == 'number' then
      self._single = self._single or torch.LongTensor(1)
      self._single[1] = input
      input = self._single
      size = {}
   else
      size = input:size():totable()
   end
   size[#size + 1] = self.outputSize
   self.output:resize(unpack(size)):zero()
   size[#size] = 1
   local index = input:contiguous():view(unpack(size))
   -- scatter's indices: the long type of the output's device (CudaLongTensor after :cuda())
   local lmt = torch._longmt(getmetatable(self.output))
   if getmetatable(index) ~= lmt then
      if getmetatable(self._input) ~= lmt then
         self._input = torch.getconstructortable(lmt.__typename)()
      end
      self._input:resize(index:size()):copy(index)
      index = self._input
   end
   self.output:scatter(self.output:dim(), index, 1)
   return self.output
end

function OneHot:updateGradInput(input, gradOutput)
   if type(input) == 'number' then return 0 end
   self.gradInput:resize(input:size()):zero()
   return self.gradInput
end

-- Only the index buffers, as Torch7: output and gradInput stay (a caller may hold them).
function OneHot:clearState()
   self._single = nil
   self._input = nil
   return self
end

function OneHot:type(type, typecache)
   self:clearState()
   return parent.type(self, type, typecache)
end
