-- A directed edge: nothing but its two ends (and an optional weight), as torch/graph stores it.
local Edge = torch.class('graph.Edge')

function Edge:__init(from, to, weight)
   self.from = from
   self.to = to
   self.weight = weight
end
