-- Writing graphs as graphviz text. Rendering them (svg, on screen, layouts) needs graphviz's
-- libraries, which luatorch does not use: graph.dot writes the .dot file only.

--- `s` as a graphviz value: a bare word stays bare, anything else is quoted with its newlines
--- and quotes escaped.
function graph._dotEscape(s)
   if not s:find('[^a-zA-Z]') then return s end
   return '"' .. s:gsub('\n', '\\n'):gsub('"', '\\"') .. '"'
end

--- Write `g` as graphviz text to `fname`.dot; returns that file's name.
function graph.dot(g, title, fname)
   if not fname then
      torch._error('graph.dot: showing a graph on screen needs graphviz, which luatorch does '
                   .. 'not use; give a file name to write the .dot text')
   end
   local name = fname .. '.dot'
   local f, err = io.open(name, 'w')
   if not f then torch._error('graph.dot: cannot write ' .. name .. ': ' .. tostring(err)) end
   f:write(g:todot(title))
   f:close()
   return name
end
