-- xlua.OptionParser: the optparse-style command-line parser of Torch7's xlua.
--   local op = xlua.OptionParser('%prog [options] file')
--   op:option{'-l', '--learningRate', action = 'store', dest = 'lr', default = 0.1, help = '...'}
--   local opt, args = op:parse()
local OptionParser = {}
OptionParser.__index = OptionParser

function xlua.OptionParser(usage)
   local self = setmetatable({usage = usage or '%prog [options]', option_descriptions = {},
                              option_of = {}}, OptionParser)
   self:option{'-h', '--help', action = 'store_true', dest = 'help',
               help = 'show this help message and exit'}
   return self
end

--- Print `msg` and the usage on stderr/stdout, and leave with status 1.
function OptionParser:fail(msg)
   io.stderr:write(msg, '\n')
   self:help()
   os.exit(1)
end

--- Declare an option: its flags as the array part, plus action, dest, default, help, req,
--- metavar.
function OptionParser:option(desc)
   table.insert(self.option_descriptions, desc)
   for _, flag in ipairs(desc) do self.option_of[flag] = desc end
end

local function takesValue(desc)
   return desc.action == nil or desc.action == 'store'
end

--- Parse the global `arg` into `options` (a new table when nil); returns options and the
--- remaining arguments. `-h`/`--help` prints the usage and exits.
function OptionParser:parse(options)
   options = options or {}
   for _, desc in ipairs(self.option_descriptions) do
      if desc.default ~= nil and options[desc.dest] == nil then
         options[desc.dest] = desc.default
      end
   end
   local rest = {}
   self.options = options
   -- like Python's __name__ == '__main__': false when loaded without a command line
   if type(arg) ~= 'table' then
      options.__main__ = false
      return options, rest
   end
   options.__main__ = true
   local words = {}
   for i = 1, #arg do
      local flag, value = tostring(arg[i]):match('^(%-%-%w+)=(.*)$')
      if flag then
         words[#words + 1] = flag
         words[#words + 1] = value
      else
         words[#words + 1] = arg[i]
      end
   end
   local i = 1
   while i <= #words do
      local w = words[i]
      local desc = self.option_of[w]
      if desc then
         local value
         if takesValue(desc) then
            i = i + 1
            value = words[i]
            if value == nil then value = desc.default end
            if value == nil then self:fail('option requires an argument ' .. w) end
         else
            value = desc.action == 'store_true'
         end
         options[desc.dest] = value
      elseif tostring(w):sub(1, 1) == '-' then
         self:fail('invalid option ' .. w)
      else
         rest[#rest + 1] = w
      end
      i = i + 1
   end
   -- help first: asking for it must not fail on a required option left out
   if options.help then
      self:help()
      os.exit(0)
   end
   for _, desc in ipairs(self.option_descriptions) do
      if desc.req and not options[desc.dest] then
         self:fail('option ' .. desc[#desc] .. ' requires an argument ')
      end
   end
   return options, rest
end

--- The flags of one option as the help shows them ('-l LR, --learningRate=LR').
function OptionParser:flags(desc)
   local parts = {}
   for _, flag in ipairs(desc) do
      local suffix = ''
      if takesValue(desc) then
         local meta = desc.metavar or tostring(desc.dest):upper()
         suffix = (#flag == 2 and ' ' or '=') .. meta
      end
      parts[#parts + 1] = flag .. suffix
   end
   return table.concat(parts, ', ')
end

function OptionParser:help()
   local prog = 'THISPROG'
   if type(arg) == 'table' and arg[0] then
      prog = arg[-1] and (arg[-1] .. ' ' .. arg[0]) or arg[0]
   end
   local out = io.stdout
   out:write('Usage: ', (self.usage:gsub('%%prog', function() return prog end)), '\n\n')
   out:write('Options:\n')
   local width = 0
   for _, desc in ipairs(self.option_descriptions) do
      width = math.max(width, #self:flags(desc))
   end
   for _, desc in ipairs(self.option_descriptions) do
      local flags = self:flags(desc)
      local note = ''
      if desc.req then
         note = ' [REQUIRED]'
      elseif desc.default then
         note = ' [default = ' .. tostring(desc.default) .. ']'
      end
      out:write('  ', flags, string.rep(' ', width - #flags), '  ', desc.help or '', note, '\n')
   end
end

--- The parsed options as text: a listing, or (generatefilename) 'flag=value,...' usable in a
--- file name, restricted to the flags in `params` when given.
function OptionParser:tostring(generatefilename, params)
   local options = self.options or {}
   if not generatefilename then
      local name = (type(arg) == 'table' and arg[0]) or 'interpreted.lua'
      local lines = {'<' .. name:gsub('%.lua', '') .. '> configuration:'}
      for k, v in pairs(options) do lines[#lines + 1] = ' + ' .. k .. ' = ' .. tostring(v) end
      return table.concat(lines, '\n') .. '\n'
   end
   local wanted
   if params and #params > 0 then
      wanted = {}
      for _, p in ipairs(params) do wanted[p] = true end
   end
   local parts = {}
   for _, desc in ipairs(self.option_descriptions) do
      local key = desc[1]
      local v = options[desc.dest]
      if v and (not wanted or wanted[key]) then parts[#parts + 1] = key .. '=' .. tostring(v) end
   end
   return (table.concat(parts, ','):gsub('/', '|'):gsub(' ', '_'))
end

function OptionParser:summarize(compact)
   io.write(self:tostring(compact))
end

return OptionParser
