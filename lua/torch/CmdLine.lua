local torch = torch

local CmdLine = torch.class('torch.CmdLine')

-- Options are declared as '-name' but land in params as 'name'.
local function strip(key)
   return (string.match(key, '^%-*(.*)$'))
end

local function pad(str, width)
   return str .. string.rep(' ', width - #str)
end

local function sortedKeys(t)
   local keys = {}
   for k in pairs(t) do
      keys[#keys + 1] = k
   end
   table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
   return keys
end

function CmdLine:__init(argseparator, keyseparator)
   self.argseparator = argseparator or ','
   self.keyseparator = keyseparator or '='
   self.options = {}
   self.arguments = {}
   -- Options, arguments and free text, in declaration order, for help().
   self.helplines = {}
   self.dateformat = nil
   self.datename = nil
   self.silentio = false
end

-- A bad command line is the user's mistake, not the script's: Torch7 explains,
-- shows the usage and leaves with status 1 instead of raising a Lua error.
function CmdLine:error(msg)
   print('')
   io.stderr:write(msg)
   print('')
   self:help()
   os.exit(1)
end

function CmdLine:silent()
   self.silentio = true
end

function CmdLine:addTime(name, format)
   format = format or '%Y-%m-%d %H:%M:%S'
   if type(format) ~= 'string' then
      error('Argument has to be string')
   end
   self.dateformat = format
   -- Kept apart from the format so a '%' in the name is not read by os.date.
   self.datename = name
end

function CmdLine:argument(key, help, argtype)
   local entry = {key = key, help = help, type = argtype}
   table.insert(self.arguments, entry)
   table.insert(self.helplines, entry)
end

function CmdLine:option(key, default, help, opttype)
   if default == nil then
      error('option ' .. key .. ' has no default value')
   end
   opttype = opttype or type(default)
   if type(default) ~= opttype then
      error('option ' .. key .. ' has wrong default type value')
   end
   local entry = {key = key, default = default, help = help, type = opttype}
   self.options[key] = entry
   table.insert(self.helplines, entry)
end

function CmdLine:text(txt)
   txt = txt or ''
   assert(type(txt) == 'string')
   table.insert(self.helplines, txt)
end

function CmdLine:default()
   local params = {}
   for key, option in pairs(self.options) do
      params[strip(key)] = option.default
   end
   return params
end

function CmdLine:_readOption(params, arg, i, option)
   local key = option.key
   if option.type == 'boolean' then
      -- A flag takes no value: naming it flips the default.
      params[strip(key)] = not option.default
      return 1
   end
   local value = arg[i + 1]
   if value == nil then
      self:error('missing argument for option ' .. key)
   end
   if option.type == 'number' then
      value = tonumber(value)
   elseif option.type == 'string' then
      value = tostring(value)
   else
      self:error('unknown required option type ' .. option.type)
   end
   if value == nil then
      self:error('invalid type for option ' .. key .. ' (should be ' .. option.type .. ')')
   end
   params[strip(key)] = value
   return 2
end

function CmdLine:_readArgument(params, value, n)
   local argument = self.arguments[n]
   -- Torch7 has no separate "unknown option" path: anything that is not a declared
   -- option is taken as a positional argument, and a surplus one is reported so.
   if not argument then
      self:error('invalid argument: ' .. tostring(value))
   end
   if argument.type == 'number' then
      value = tonumber(value)
   end
   if argument.type and type(value) ~= argument.type then
      self:error('invalid argument type for argument ' .. argument.key
                 .. ' (should be ' .. argument.type .. ')')
   end
   params[strip(argument.key)] = value
end

function CmdLine:parse(arg)
   -- Called with no table, parse what the script itself was started with.
   arg = arg or _G.arg or {}
   local params = self:default()
   local nargs = 0
   local i = 1
   while i <= #arg do
      local token = arg[i]
      if token == '-h' or token == '-help' or token == '--help' then
         self:help(arg)
         os.exit(0)
      end
      local option = self.options[token]
      if option then
         i = i + self:_readOption(params, arg, i, option)
      else
         nargs = nargs + 1
         self:_readArgument(params, token, nargs)
         i = i + 1
      end
   end
   if nargs ~= #self.arguments then
      self:error('not enough arguments')
   end
   return params
end

function CmdLine:string(prefix, params, ignore)
   prefix = prefix or ''
   ignore = ignore or {}
   local positional = {}
   local named = {}
   for _, k in ipairs(sortedKeys(params)) do
      local v = params[k]
      local option = self.options['-' .. tostring(k)]
      if ignore[k] then
         -- left out on purpose (e.g. the directory the string will name)
      elseif option then
         -- ignore[k] == false forces an option in even at its default value.
         if v ~= option.default or ignore[k] == false then
            if type(v) == 'boolean' then
               v = v and 't' or 'f'
            end
            named[#named + 1] = k .. self.keyseparator .. tostring(v)
         end
      else
         local slot
         for n, argument in ipairs(self.arguments) do
            if strip(argument.key) == k then
               slot = n
            end
         end
         if slot then
            positional[#positional + 1] = {slot, k .. self.keyseparator .. tostring(v)}
         else
            print('WARNING: unknown option/argument: ' .. tostring(k)
                  .. ' IGNORING for DIRECTORY NAME')
         end
      end
   end
   table.sort(named)
   table.sort(positional, function(a, b) return a[1] < b[1] end)
   local parts = {}
   for _, entry in ipairs(positional) do
      parts[#parts + 1] = entry[2]
   end
   for _, entry in ipairs(named) do
      parts[#parts + 1] = entry
   end
   if #parts == 0 then
      return prefix
   end
   return prefix .. self.argseparator .. table.concat(parts, self.argseparator)
end

-- The print in force before the first log() call; every later log() wraps this one
-- rather than the previous wrapper, so only the latest log file receives output.
local screenPrint

function CmdLine:log(file, params)
   local f = file
   if io.type(file) ~= 'file' then
      f = assert(io.open(file, 'w'))
   end
   screenPrint = screenPrint or print
   local cmd = self
   -- Torch7 documents that log() redirects the global print to screen and file.
   _G.print = function(...)
      local n = select('#', ...)
      local args = {...}
      if not cmd.silentio then
         screenPrint(...)
      end
      local words = {}
      for k = 1, n do
         words[k] = tostring(args[k])
      end
      local line = table.concat(words, ' ')
      if cmd.dateformat then
         local stamp = os.date(cmd.dateformat)
         if cmd.datename ~= nil then
            line = stamp .. '[' .. tostring(cmd.datename) .. ']: ' .. line
         else
            line = stamp .. ' ' .. line
         end
      end
      f:write(line .. '\n')
      f:flush()
   end
   print('[program started on ' .. os.date() .. ']')
   print('[command line arguments]')
   if params then
      for _, k in ipairs(sortedKeys(params)) do
         print(k, params[k])
      end
   end
   print('[----------------------]')
end

function CmdLine:help(arg)
   io.write('Usage: ')
   if arg and arg[0] ~= nil then
      io.write(tostring(arg[0]) .. ' ')
   end
   io.write('[options]')
   for _, argument in ipairs(self.arguments) do
      io.write(' <' .. strip(argument.key) .. '>')
   end
   io.write('\n')

   -- Column width: options show as '-key', arguments as '<key>'.
   local width = 0
   for _, line in ipairs(self.helplines) do
      if type(line) == 'table' then
         local label = line.default ~= nil and line.key or '<' .. strip(line.key) .. '>'
         width = math.max(width, #label)
      end
   end

   for _, line in ipairs(self.helplines) do
      if type(line) == 'table' then
         io.write('  ')
         if line.default ~= nil then
            io.write(pad(line.key, width))
            if line.help then
               io.write(' ' .. line.help)
            end
            io.write(' [' .. tostring(line.default) .. ']')
         else
            io.write(pad('<' .. strip(line.key) .. '>', width))
            if line.help then
               io.write(' ' .. line.help)
            end
         end
      else
         io.write(line)
      end
      io.write('\n')
   end
end

return CmdLine
