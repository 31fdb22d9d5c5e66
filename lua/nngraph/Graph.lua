-- A drawable view of a gModule's nodes: `fg` (inputs to outputs) and `bg` (the reverse).
local Graph = torch.class('nngraph.Graph')

function Graph:__init(nodes, edges)
   self.nodelist = nodes
   self.edges = edges   -- {from, to} pairs of nodes
end

function Graph:nodes()
   return self.nodelist
end

--- The nodes in an order where each comes after those it depends on.
function Graph:topsort()
   return self.nodelist
end

local function quote(s)
   -- labels keep graphviz's own \n and \l line breaks
   return '"' .. tostring(s):gsub('"', '\\"') .. '"'
end

--- Graphviz text of the graph; a node's `graphAttributes` annotation styles it.
function Graph:todot(title)
   local out = {'digraph G {', '\tlabelloc="t";', '\tlabel=' .. quote(title or 'G') .. ';',
                '\tnode [shape = oval]; '}
   for _, node in ipairs(self.nodelist) do
      local attrs = {label = node:graphNodeName() .. '\\n' .. node:label()}
      attrs.tooltip = node.data.annotations._debugLabel
      for k, v in pairs(node.data.annotations.graphAttributes or {}) do attrs[k] = v end
      local keys = {}
      for k in pairs(attrs) do table.insert(keys, k) end
      table.sort(keys)
      local parts = {}
      for _, k in ipairs(keys) do table.insert(parts, k .. '=' .. quote(attrs[k])) end
      table.insert(out, string.format('\tn%d[%s];', node.id, table.concat(parts, ', ')))
   end
   for _, e in ipairs(self.edges) do
      table.insert(out, string.format('\tn%d -> n%d;', e[1].id, e[2].id))
   end
   table.insert(out, '}')
   return table.concat(out, '\n') .. '\n'
end

--- Write the graph to `fname` (".dot" added when missing); returns the file name.
function Graph:dot(title, fname)
   if not fname:match('%.dot$') then fname = fname .. '.dot' end
   local f = io.open(fname, 'w')
   if not f then torch._error('cannot write ' .. fname) end
   f:write(self:todot(title))
   f:close()
   return fname
end
