-- nngraph.nest: a node standing for a nested table of nodes, so a graph can take or give
-- {a, {b}, c} as one value.
local function isNode(x)
   return torch.typename(x) == 'nngraph.Node'
end

local function wrap(x)
   if isNode(x) then return x end
   if type(x) ~= 'table' or #x == 0 then
      error('what is this in the nest input? ' .. tostring(x))
   end
   -- one element: a table around it (Identity would hand the element itself on)
   if #x == 1 then return nngraph.JustTable()(wrap(x[1])) end
   local parts = {}
   for i, child in ipairs(x) do parts[i] = wrap(child) end
   return nn.Identity()(parts)
end

function nngraph.nest(...)
   local n = select('#', ...)
   if n > 1 then error('Use {input1, input2} to pass multiple inputs.', 2) end
   local x = ...
   if x == nil then error('Pass an input.', 2) end
   return wrap(x)
end
