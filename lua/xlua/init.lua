-- xlua: Torch7's script helpers (torch/xlua README): the progress bar, time formatting, a
-- require that does not fail, named-argument checking, printing and logging.
require 'sys'
require 'torch'
local door = torch._door
local now, isatty = door.sys_time, door.sys_isatty

xlua = xlua or {}
local xlua = xlua
package.loaded.xlua = xlua

function xlua.formatTime(seconds)
   local days = math.floor(seconds / 86400)
   seconds = seconds - days * 86400
   local hours = math.floor(seconds / 3600)
   seconds = seconds - hours * 3600
   local minutes = math.floor(seconds / 60)
   seconds = seconds - minutes * 60
   local secs = math.floor(seconds)
   local ms = math.floor((seconds - secs) * 1000)
   local out, shown = '', 0
   for _, part in ipairs{{days, 'D'}, {hours, 'h'}, {minutes, 'm'}, {secs, 's'}, {ms, 'ms'}} do
      if part[1] > 0 and shown < 2 then
         out = out .. part[1] .. part[2]
         shown = shown + 1
      end
   end
   if out == '' then out = '0ms' end
   return out
end

-- the bar: ` [======>.......... 12/100 ] ETA: 1s | Step: 10ms`, rewritten in place with '\r'
-- on a terminal; into a file only every tenth of the way (and at the end), one line each
local barWidth = 50
local state = {}
function xlua.progress(current, goal)
   current, goal = tonumber(current), tonumber(goal)
   if goal == nil or goal <= 0 then return end
   local t = now()
   if state.goal ~= goal or current < (state.current or 0) or state.start == nil then
      state = {goal = goal, start = t, last = t, current = 0, tenth = 0}
   end
   local step = t - state.last
   state.last = t
   state.current = current
   local tty = isatty('stdout')
   local done = current >= goal
   local tenth = math.floor(10 * current / goal)
   if not tty and not done and tenth == state.tenth then return end
   state.tenth = tenth
   local filled = math.floor(barWidth * math.min(current, goal) / goal)
   local bar = {' ['}
   bar[#bar + 1] = string.rep('=', math.max(filled - 1, 0))
   bar[#bar + 1] = filled > 0 and (done and '=' or '>') or ''
   bar[#bar + 1] = string.rep('.', barWidth - filled)
   bar[#bar + 1] = ' ' .. current .. '/' .. goal .. ' ]'
   local elapsed = t - state.start
   if done then
      bar[#bar + 1] = ' Tot: ' .. xlua.formatTime(elapsed)
   else
      local eta = current > 0 and elapsed / current * (goal - current) or 0
      bar[#bar + 1] = ' ETA: ' .. xlua.formatTime(eta)
   end
   bar[#bar + 1] = ' | Step: ' .. xlua.formatTime(step)
   local line = table.concat(bar)
   if tty then
      io.write('\r', line, '   ')
      if done then io.write('\n') end
   else
      io.write(line, '\n')
   end
   io.flush()
   if done then state = {} end
end

function xlua.require(name, verbose)
   local ok, mod = pcall(require, name)
   if ok then return mod end
   if verbose then print('warning: could not load package ' .. name) end
   return false
end

function xlua.print(...)
   return print(...)
end

function xlua.error(message, domain, usage)
   local text = ''
   if usage then text = usage .. '\n' end
   if domain then message = '<' .. domain .. '> ' .. message end
   error(text .. message, 2)
end

-- xlua.log(file): everything printed afterwards also goes to `file`
function xlua.log(file)
   local f = assert(io.open(file, 'w'))
   local print0 = print
   print = function(...)
      print0(...)
      local n, parts = select('#', ...), {}
      for i = 1, n do parts[i] = tostring((select(i, ...))) end
      f:write(table.concat(parts, '\t'), '\n')
      f:flush()
   end
   xlua.logfile = f
end

function xlua.who()
   local names = {}
   for k in pairs(_G) do names[#names + 1] = tostring(k) end
   table.sort(names)
   print('== global variables ==')
   for _, k in ipairs(names) do print(k, _G[k]) end
end

-- the text of a function's help, in xlua's layout
function xlua.usage(funcname, description, example, ...)
   local lines = {'', '+++++++++++++++++++++++++++++++++++++++++++++++++++',
      'NAME:', '    ' .. (funcname or '?'), '', 'DESCRIPTION:', '    ' .. (description or '')}
   if example then lines[#lines + 1] = '' lines[#lines + 1] = 'EXAMPLE:'
      lines[#lines + 1] = '    ' .. example end
   local args = {...}
   if #args > 0 then
      lines[#lines + 1] = ''
      lines[#lines + 1] = 'USAGE:'
      for _, spec in ipairs(args) do
         lines[#lines + 1] = '    ' .. funcname .. '{'
         for _, a in ipairs(spec) do
            local s = '        ' .. a.arg .. ' = ' .. (a.type or '?')
            if a.req then s = s .. ' [REQUIRED]' end
            if a.default ~= nil then s = s .. ' [default = ' .. tostring(a.default) .. ']' end
            if a.help then s = s .. ' -- ' .. a.help end
            lines[#lines + 1] = s
         end
         lines[#lines + 1] = '    }'
      end
   end
   lines[#lines + 1] = '+++++++++++++++++++++++++++++++++++++++++++++++++++'
   return table.concat(lines, '\n')
end

-- xlua.unpack(args, funcname, description, spec...): the named (`f{a=1}`) or ordered arguments
-- checked against the specs ({arg=, type=, help=, default=, defaulta=, req=}). Returns, as xlua
-- did, the table of them (by name and by position, and `usage`, whose text is the help) and
-- then each value. No argument at all, or a required one missing, prints the usage and fails.
function xlua.unpack(args, funcname, description, ...)
   local specs = {...}
   local usage = setmetatable({}, {__tostring = function()
      return xlua.usage(funcname, description, nil, specs)
   end})
   if #args == 0 then
      print(usage)
      error('<' .. tostring(funcname) .. '> arguments expected', 3)
   end
   local given = {}
   local first = args[1]
   if #args == 1 and type(first) == 'table' and #first == 0 and not torch.typename(first) then
      given = first
   else
      for i, spec in ipairs(specs) do given[spec.arg] = args[i] end
   end
   local out = {}
   for i, spec in ipairs(specs) do
      local v = given[spec.arg]
      if v == nil and spec.req then
         print(usage)
         error('<' .. tostring(funcname) .. '> missing argument: ' .. spec.arg, 3)
      end
      if v == nil then v = spec.default end
      if v == nil and spec.defaulta then v = out[spec.defaulta] end
      out[spec.arg] = v
      out[i] = v
   end
   out.usage = usage
   return out, unpack(out, 1, #specs)
end

-- xlua.unpack_class(object, args, ...): xlua.unpack, its named values set on `object`
function xlua.unpack_class(object, args, funcname, description, ...)
   local dargs = xlua.unpack(args, funcname, description, ...)
   for k, v in pairs(dargs) do
      if type(k) ~= 'number' then object[k] = v end
   end
end

require 'xlua.OptionParser'

return xlua
