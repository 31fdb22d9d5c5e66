-- who(): the globals the user made, one a line as `[name]  = what it holds`, the way trepl
-- listed them; who(true) adds the ones that were there at start-up.  `mark()` records the
-- start-up set (trepl's init calls it once, after loading its packages; the prompt adds
-- the globals it defines itself).
local torch = require 'torch'

local preloaded = {}

local function describe(v)
   local t = type(v)
   local tn = torch.typename(v)
   if tn and (tn:find('Tensor$') or tn:find('Storage$')) then
      local short = tn:match('^torch%.(.+)$') or tn
      if v.nElement == nil then return short .. ' - size: ' .. v:size() end
      if v:dim() == 0 then return short .. ' - empty' end
      local s = {}
      for i = 1, v:dim() do s[i] = v:size(i) end
      return short .. ' - size: ' .. table.concat(s, 'x')
   end
   if t == 'table' then
      if tn then return tn end
      return 'table - size: ' .. #v
   end
   if t == 'string' then
      local s = v:gsub('\n', '\\n')
      if #s > 40 then s = s:sub(1, 40) .. '...' end
      return 'string : "' .. s .. '"'
   end
   return tostring(v)
end

local function list(system)
   local names, width = {}, 0
   for k, v in pairs(_G) do
      if type(k) == 'string' and (preloaded[k] ~= nil) == system then
         names[#names + 1] = k
         width = math.max(width, #k + 2)
      end
   end
   table.sort(names)
   for _, k in ipairs(names) do
      local name = '[' .. k .. ']'
      io.write(name, string.rep(' ', width - #name + 2), ' = ', describe(_G[k]), '\n')
   end
end

local function who(system)
   if system then
      io.write('== System Variables ==\n')
      list(true)
   end
   io.write('== User Variables ==\n')
   list(false)
   io.write('==\n')
   io.flush()
end

-- every global there now is the system's, or only `name` when given
local function mark(name)
   if name then
      preloaded[name] = true
      return
   end
   for k in pairs(_G) do preloaded[k] = true end
end

return {who = who, mark = mark, describe = describe}
