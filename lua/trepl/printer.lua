-- trepl's print: nested tables shown as `{ key : value }` over several lines, tensors and
-- storages by their type and size inside a table, cycles marked instead of followed; on a
-- terminal the prompt turns colours on (numbers cyan, strings green, functions magenta, ...)
local torch = require 'torch'
local colorize = require 'trepl.colorize'

local colored = false
local function plain(s) return s end
-- the colour of a value by its Lua type, as trepl chose them
local paint = {
   number = colorize.cyan, boolean = colorize.blue, ['nil'] = colorize.Black,
   ['function'] = colorize.magenta, table = colorize.green, userdata = colorize.red,
   cdata = colorize.red, string = colorize.green,
}
local function color(v)
   return colored and paint[type(v)] or plain
end

local function keyorder(a, b)
   local ta, tb = type(a), type(b)
   if ta ~= tb then return ta < tb end
   if ta == 'number' or ta == 'string' then return a < b end
   return tostring(a) < tostring(b)
end

local function describe(v)
   local tn = torch.typename(v)
   if tn and (tn:find('Tensor$') or tn:find('Storage$')) then
      if v.nElement then
         if v:dim() == 0 then return tn .. ' - empty' end
         local s = {}
         for i = 1, v:dim() do s[i] = v:size(i) end
         return tn .. ' - size: ' .. table.concat(s, 'x')
      end
      return tn .. ' - size: ' .. v:size()
   end
   if type(v) == 'string' then return '"' .. v .. '"' end
   return tostring(v)
end

local function short(v)
   return color(v)(describe(v))
end

local function render(t, indent, out, seen)
   local keys = {}
   for k in pairs(t) do keys[#keys + 1] = k end
   if #keys == 0 then
      out[#out + 1] = '{}'
      return
   end
   table.sort(keys, keyorder)
   seen[t] = true
   out[#out + 1] = '{\n'
   for _, k in ipairs(keys) do
      local v = t[k]
      out[#out + 1] = indent .. '  ' .. tostring(k) .. ' : '
      if type(v) == 'table' and not torch.typename(v) and getmetatable(v) == nil then
         if seen[v] then
            out[#out + 1] = tostring(v) .. ' (cycle)'
         else
            out[#out + 1] = '\n' .. indent .. '    '
            render(v, indent .. '    ', out, seen)
         end
      else
         out[#out + 1] = short(v)
      end
      out[#out + 1] = '\n'
   end
   seen[t] = nil
   out[#out + 1] = indent .. '}'
end

local function format(v)
   if type(v) == 'table' and not torch.typename(v) and getmetatable(v) == nil then
      local out = {}
      render(v, '', out, {})
      return table.concat(out)
   end
   if type(v) == 'string' or torch.typename(v) then return tostring(v) end
   return color(v)(tostring(v))
end

local function print_(...)
   local n = select('#', ...)
   local parts = {}
   for i = 1, n do parts[i] = format((select(i, ...))) end
   io.write(table.concat(parts, '\t'), '\n')
   io.flush()
end

-- colours on or off (the prompt turns them on when its output is a terminal)
local function setcolors(on)
   colored = on and true or false
end

return {print = print_, format = format, setcolors = setcolors}
