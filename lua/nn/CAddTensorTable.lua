-- nn.CAddTensorTable(): {v, {a, b, ...}} -> {a + v, b + v, ...}.

local CAddTensorTable, parent = torch.class('nn.CAddTensorTable', 'nn.Module')

function CAddTensorTable:__init()
   parent.__init(self)
   self.output = {}
   self.gradInput = {}
end

function CAddTensorTable:updateOutput(input)
   local v, tbl = input[1], input[2]
   local output = {}
   for i = 1, #tbl do
      output[i] = (self.output[i] or v.new()):resizeAs(v):copy(tbl[i]):add(v)
   end
   self.output = output
   return self.output
end

function CAddTensorTable:updateGradInput(input, gradOutput)
   local v, tbl = input[1], input[2]
   local gv = (self.gradInput[1] or v.new()):resizeAs(v):copy(gradOutput[1])
   for i = 2, #tbl do
      gv:add(gradOutput[i])
   end
   local old = self.gradInput[2] or {}
   local gtbl = {}
   for i = 1, #tbl do
      gtbl[i] = (old[i] or v.new()):resizeAs(v):copy(gradOutput[i])
   end
   self.gradInput = {gv, gtbl}
   return self.gradInput
end
