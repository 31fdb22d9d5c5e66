-- nn.Copy: copies the input into an output of another tensor type (and the gradient back).

local Copy, parent = torch.class('nn.Copy', 'nn.Module')

function Copy:__init(intype, outtype, forceCopy, dontCast)
   intype = intype or torch.Tensor.__typename
   outtype = outtype or torch.Tensor.__typename
   self.dontCast = dontCast
   parent.__init(self)
   self.gradInput = torch.getmetatable(intype).new()
   self.output = torch.getmetatable(outtype).new()
   -- same type: pass the tensors through without copying.  A flag, not per-instance functions
   -- as Torch7 had, so a saved Copy loads without trusting serialized functions.
   self.passThrough = (not forceCopy) and intype == outtype or nil
end

function Copy:updateOutput(input)
   if self.passThrough then
      self.output:set(input)
      return input
   end
   self.output:resize(input:size()):copy(input)
   return self.output
end

function Copy:updateGradInput(input, gradOutput)
   if self.passThrough then
      self.gradInput:set(gradOutput)
      return gradOutput
   end
   self.gradInput:resize(gradOutput:size()):copy(gradOutput)
   return self.gradInput
end

function Copy:type(type, tensorCache)
   if type and self.dontCast then return self end
   return parent.type(self, type, tensorCache)
end
