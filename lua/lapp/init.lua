-- lapp: penlight's command-line parser (stevedonovan/Penlight, pl.lapp) as scripts use it:
--    opt = lapp [[
--       -b,--batchSize  (default 128)   batch size
--       -s,--save       (default "logs") where logs go
--       --cuda                          a flag: false unless given
--       <input>         (string)        a positional argument
--    ]]
-- Types come from `(number)`, `(string)`, `(boolean)` or from the default; `(optional T)` may
-- be left out.  `-h`/`--help` prints the text and exits; a bad argument prints
-- `script: message` and exits with status 1.
local lapp = {}

local function progname()
   local a = rawget(_G, 'arg')
   return a and a[0] and tostring(a[0]):match('([^/]*)$') or 'lua'
end

function lapp.quit(msg, no_usage)
   if msg then io.stderr:write(progname() .. ': ' .. msg .. '\n\n') end
   if not no_usage and lapp.usage then io.stderr:write(lapp.usage, '\n') end
   os.exit(msg and 1 or 0)
end

function lapp.error(msg, no_usage)
   lapp.quit(msg, no_usage)
end

local function convert(spec, value)
   if spec.type == 'number' then
      local n = tonumber(value)
      if n == nil then lapp.error("unable to convert to number: " .. tostring(value)) end
      if spec.range and (n < spec.range[1] or n > spec.range[2]) then
         lapp.error(("%s out of range (%s..%s)"):format(spec.name, spec.range[1], spec.range[2]))
      end
      return n
   elseif spec.type == 'boolean' then
      if type(value) == 'boolean' then return value end
      return value == 'true' or value == '1' or value == 'yes'
   end
   return value
end

-- reads one `( ... )` clause: its type, default and whether it may be left out
local function parseClause(spec, clause)
   clause = clause:gsub('^%s+', ''):gsub('%s+$', '')
   if clause:find('^optional') then
      spec.optional = true
      clause = clause:gsub('^optional%s*', '')
   end
   local lo, hi, rest = clause:match('^(%-?[%d%.]+)%.%.(%-?[%d%.]+)%s*(.*)$')
   if lo then
      spec.type, spec.range, clause = 'number', {tonumber(lo), tonumber(hi)}, rest
   end
   local before, default = clause:match('^(.-)%s*default%s+(.+)$')
   if default then
      clause = before
      local quoted = default:match('^"(.*)"$') or default:match("^'(.*)'$")
      spec.optional = true
      if quoted then
         spec.type = spec.type or 'string'
         spec.default = quoted
      else
         spec.default = default
      end
   end
   local t = clause:match('^(%a[%w%-]*)')
   if t == 'number' or t == 'string' or t == 'boolean' then spec.type = t
   elseif t then spec.type = spec.type or 'string' end
   if spec.default ~= nil then
      if spec.type == nil then
         spec.type = tonumber(spec.default) and 'number' or 'string'
      end
      spec.default = convert(spec, spec.default)
   end
   spec.type = spec.type or 'string'
end

local function parseSpec(text)
   local flags, aliases, positional = {}, {}, {}
   for line in (text .. '\n'):gmatch('([^\n]*)\n') do
      local short, long, rest
      short, long, rest = line:match('^%s*%-(%w),%s*%-%-([%w_%-]+)(.*)$')
      if not short then
         long, rest = line:match('^%s*%-%-([%w_%-]+)(.*)$')
      end
      if not long and not short then
         short, rest = line:match('^%s*%-(%w)(.*)$')
      end
      local pname, prest = line:match('^%s*<([%w_%-]+)>(.*)$')
      if long or short then
         local spec = {name = (long or short):gsub('%-', '_'), short = short, long = long}
         local clause = rest:match('^%s*%((.-)%)')
         if clause then parseClause(spec, clause)
         else spec.type, spec.default, spec.flag = 'boolean', false, true end
         flags[#flags + 1] = spec
         if long then aliases[long] = spec end
         if short then aliases[short] = spec end
      elseif pname then
         local spec = {name = pname:gsub('%-', '_'), positional = true}
         local clause = prest:match('^%s*%((.-)%)')
         if clause then parseClause(spec, clause) else spec.type = 'string' end
         positional[#positional + 1] = spec
      end
   end
   return flags, aliases, positional
end

function lapp.process_options_string(text, args)
   lapp.usage = text
   args = args or rawget(_G, 'arg') or {}
   local flags, aliases, positional = parseSpec(text)
   local res, seen = {}, {}
   local pos = 0
   local i = 1
   while args[i] ~= nil do
      local a = tostring(args[i])
      local name, value = a:match('^%-%-([%w_%-]+)=(.*)$')
      if not name then name = a:match('^%-%-([%w_%-]+)$') end
      if not name and a:match('^%-%a') then
         name = a:sub(2, 2)
         if #a > 2 then value = a:sub(3) end
      end
      if name then
         if (name == 'h' or name == 'help') and not aliases[name] then
            io.stdout:write(text, '\n')
            os.exit(0)
         end
         local spec = aliases[name]
         if not spec then lapp.error('unrecognized parameter: ' .. a) end
         if spec.flag then
            res[spec.name] = true
         else
            if value == nil then
               i = i + 1
               value = args[i]
               if value == nil then lapp.error('no value for parameter: ' .. name) end
            end
            res[spec.name] = convert(spec, value)
         end
         seen[spec.name] = true
      else
         pos = pos + 1
         local spec = positional[pos]
         if not spec then lapp.error('extra unmatched parameter: ' .. a) end
         res[spec.name] = convert(spec, a)
         seen[spec.name] = true
      end
      i = i + 1
   end
   for _, list in ipairs{flags, positional} do
      for _, spec in ipairs(list) do
         if not seen[spec.name] then
            if spec.default ~= nil then
               res[spec.name] = spec.default
            elseif not spec.optional and not spec.flag then
               lapp.error('missing required parameter: ' .. spec.name)
            end
         end
      end
   end
   return res
end

setmetatable(lapp, {__call = function(_, text, args)
   return lapp.process_options_string(text, args)
end})

return lapp
