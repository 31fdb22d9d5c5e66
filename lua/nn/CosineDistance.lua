-- nn.CosineDistance: {a, b} -> a . b / (|a| |b|) (per row for a batch).

local CosineDistance, parent = torch.class('nn.CosineDistance', 'nn.Module')

function CosineDistance:__init()
   parent.__init(self)
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

local function makeContiguous(self, a, b)
   if not a:isContiguous() then
      self._input1 = self._input1 or a.new()
      self._input1:resizeAs(a):copy(a)
      a = self._input1
   end
   if not b:isContiguous() then
      self._input2 = self._input2 or b.new()
      self._input2:resizeAs(b):copy(b)
      b = self._input2
   end
   return a, b
end

function CosineDistance:updateOutput(input)
   local a, b = makeContiguous(self, input[1], input[2])
   if a:dim() == 1 then
      a = a:view(1, -1)
      b = b:view(1, -1)
   end
   if not self.buffer then
      self.buffer = a.new()
      self.w1 = a.new()
      self.w22 = a.new()
      self.w = a.new()
      self.w32 = a.new()
      self.ones = a.new()
   end
   local epsilon = 1e-12
   self.buffer:cmul(a, b)
   self.w1:sum(self.buffer, 2)
   self.buffer:cmul(a, a)
   self.w22:sum(self.buffer, 2):add(epsilon)
   self.ones:resizeAs(self.w22):fill(1)
   self.w22:cdiv(self.ones, self.w22)          -- 1 / |a|^2
   self.w:resizeAs(self.w22):copy(self.w22)
   self.buffer:cmul(b, b)
   self.w32:sum(self.buffer, 2):add(epsilon)
   self.w32:cdiv(self.ones, self.w32)          -- 1 / |b|^2
   self.w:cmul(self.w32):sqrt()                -- 1 / (|a| |b|)
   self.output:cmul(self.w1, self.w)
   self.output:resize(a:size(1))
   return self.output
end

function CosineDistance:updateGradInput(input, gradOutput)
   local a, b = makeContiguous(self, input[1], input[2])
   local notBatch = false
   if a:dim() == 1 then
      a = a:view(1, -1)
      b = b:view(1, -1)
      notBatch = true
   end
   if #self.gradInput ~= 2 then
      self.gradInput[1] = self.gradInput[1] or a.new()
      self.gradInput[2] = self.gradInput[2] or a.new()
   end
   local ga, gb = self.gradInput[1], self.gradInput[2]
   ga:resizeAs(a):copy(b)
   gb:resizeAs(a):copy(a)
   self.buffer:cmul(self.w1, self.w22)
   ga:addcmul(-1, self.buffer:expandAs(a), a)
   ga:cmul(self.w:expandAs(a))
   self.buffer:cmul(self.w1, self.w32)
   gb:addcmul(-1, self.buffer:expandAs(a), b)
   gb:cmul(self.w:expandAs(a))
   local go = gradOutput:contiguous():view(-1, 1):expandAs(a)
   ga:cmul(go)
   gb:cmul(go)
   if notBatch then
      ga:resize(ga:size(2))
      gb:resize(gb:size(2))
   end
   return self.gradInput
end

function CosineDistance:clearState()
   nn.utils.clear(self, {'buffer', 'w1', 'w22', 'w', 'w32', 'ones'})
   return parent.clearState(self)
end
