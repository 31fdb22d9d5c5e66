-- nn.ZipTableOneToMany(): {v, {a, b, ...}} -> {{v, a}, {v, b}, ...}.

local ZipTableOneToMany, parent = torch.class('nn.ZipTableOneToMany', 'nn.Module')

function ZipTableOneToMany:__init()
   parent.__init(self)
   self.output = {}
   self.gradInput = {}
   self.gradInputEl = torch.Tensor()
end

function ZipTableOneToMany:updateOutput(input)
   assert(#input == 2, "input must be table of element and table")
   local el, tbl = input[1], input[2]
   self.output = {}
   for i, v in ipairs(tbl) do
      self.output[i] = {el, v}
   end
   return self.output
end

function ZipTableOneToMany:updateGradInput(input, gradOutput)
   assert(#input == 2, "input must be table of element and table")
   local el = input[1]
   -- the buffer follows the element's type (it is made as a default Tensor)
   if torch.type(self.gradInputEl) ~= torch.type(el) then
      self.gradInputEl = el.new()
   end
   self.gradInputEl:resizeAs(el):zero()
   local gtbl = {}
   for i, g in ipairs(gradOutput) do
      self.gradInputEl:add(g[1])
      gtbl[i] = g[2]
   end
   self.gradInput = {self.gradInputEl, gtbl}
   return self.gradInput
end
