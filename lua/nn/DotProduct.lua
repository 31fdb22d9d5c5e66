-- nn.DotProduct: {a, b} -> a . b (per row for a batch; a 1-element tensor for vectors).

local DotProduct, parent = torch.class('nn.DotProduct', 'nn.Module')

function DotProduct:__init()
   parent.__init(self)
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

function DotProduct:updateOutput(input)
   local a, b = input[1], input[2]
   if a:dim() == 1 then
      a = a:view(1, -1)
      b = b:view(1, -1)
   end
   self.buffer = self.buffer or a.new()
   self.buffer:cmul(a, b)
   self.output:sum(self.buffer, 2)
   self.output:resize(a:size(1))
   return self.output
end

function DotProduct:updateGradInput(input, gradOutput)
   local a, b = input[1], input[2]
   local notBatch = false
   if #self.gradInput ~= 2 then
      self.gradInput[1] = self.gradInput[1] or a.new()
      self.gradInput[2] = self.gradInput[2] or b.new()
   end
   if a:dim() == 1 then
      a = a:view(1, -1)
      b = b:view(1, -1)
      notBatch = true
   end
   local ga, gb = self.gradInput[1], self.gradInput[2]
   ga:resizeAs(a):copy(b)
   gb:resizeAs(b):copy(a)
   local go = gradOutput:contiguous():view(-1, 1):expandAs(a)
   ga:cmul(go)
   gb:cmul(go)
   if notBatch then
      ga:set(ga:select(1, 1))
      gb:set(gb:select(1, 1))
   end
   return self.gradInput
end

function DotProduct:clearState()
   if self.buffer then self.buffer:set() end
   return parent.clearState(self)
end
