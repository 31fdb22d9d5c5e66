-- A node whose data is a table carrying `annotations` (name, description, graphAttributes) and
-- the place in the user's script where it was made, for drawing and for error messages.
local AnnotatedNode, parent = torch.class('graph.AnnotatedNode', 'graph.Node')

--- '[file]:line' of the user's code running now (nngraph labels its splits with it too)
function graph._callerPos()
   local pos = torch._userpos() or '?:0'
   local file, line = pos:match('^(.*):(%d+)$')
   return string.format('[%s]:%s', file or pos, line or '0')
end

function AnnotatedNode:__init(data)
   parent.__init(self, data or {})
   self.data.annotations = self.data.annotations or {}
   if not self.data.annotations._debugLabel then
      -- the trailing '_' is where torch/graph puts a function name it never gets, which
      -- scripts match
      self.data.annotations._debugLabel = graph._callerPos() .. '_'
   end
end

function AnnotatedNode:annotate(annotations)
   for k, v in pairs(annotations) do
      self.data.annotations[k] = v
   end
   return self
end

function AnnotatedNode:graphNodeName()
   local name = self.data.annotations.name
   if name then return name .. ' (' .. self.id .. ')' end
   return 'Node' .. self.id
end

--- Graphviz attributes of the node: the place it was made as tooltip, then the user's own.
function AnnotatedNode:graphNodeAttributes()
   local attrs = {tooltip = self.data.annotations._debugLabel}
   for k, v in pairs(self.data.annotations.graphAttributes or {}) do attrs[k] = v end
   return attrs
end

function AnnotatedNode:label()
   local d = self.data
   local lines = {}
   if d.annotations.description then
      lines[#lines + 1] = 'desc = ' .. d.annotations.description
   end
   local keys = {}
   for k in pairs(d) do
      if k ~= 'annotations' and type(k) == 'string' then keys[#keys + 1] = k end
   end
   table.sort(keys)
   for _, k in ipairs(keys) do lines[#lines + 1] = k .. ' = ' .. tostring(d[k]) end
   return table.concat(lines, '\\l')
end
