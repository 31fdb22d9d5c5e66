-- sys: Torch7's system helpers (torch/sys README): timing, shell commands, colors.
require 'paths'
require 'torch'
local door = torch._door
local clock, now, sleep = door.sys_clock, door.sys_time, door.sys_sleep
local isatty = door.sys_isatty

sys = sys or {}
local sys = sys
package.loaded.sys = sys

function sys.clock()
   return now()
end

local started
function sys.tic()
   started = now()
end

function sys.toc(verbose)
   local t = now() - (started or now())
   if verbose then print(t) end
   return t
end

-- runs `cmd` and returns its output (trailing newline removed) and its exit status
function sys.execute(cmd, readwhat)
   cmd = tostring(cmd) .. ' 2>&1'
   local f = io.popen(cmd, 'r')
   local out = f:read(readwhat or '*all')
   local ok, how, code = f:close()
   out = (out or ''):gsub('[\n\r]+$', '')
   return out, code or how
end
sys.fexecute = sys.execute

function sys.uname()
   local s = paths.uname()
   if s == 'Darwin' then return 'macos' end
   if s == 'Windows' then return 'windows' end
   return s:lower()
end
sys.OS = sys.uname()

function sys.pwd() return paths.cwd() end
function sys.dirname(p) return paths.dirname(p) end
function sys.concat(...) return paths.concat(...) end

function sys.fpath()
   local info = debug.getinfo(2, 'S')
   local src = info and info.source or ''
   if src:sub(1, 1) ~= '@' then return '.' end
   return paths.dirname(src:sub(2))
end

function sys.ls(p)
   local names = {}
   for name in paths.files(p or '.') do names[#names + 1] = name end
   table.sort(names)
   return table.concat(names, '\n')
end
sys.ll = function(p) return (sys.execute('ls -l ' .. (p or '.'))) end
sys.la = function(p) return (sys.execute('ls -la ' .. (p or '.'))) end

function sys.prefix()
   return paths.install_prefix
end

function sys.sleep(seconds)
   sleep(seconds)
end
function sys.usleep(us)
   sleep(us / 1e6)
end

function sys.cpu()
   local _, user, system = clock()
   return user + system
end

-- ANSI escapes as sys.COLORS named them; `sys.colors` holds wrappers and is filled only
-- when output is a terminal, so a redirected log stays plain
local codes = {
   none = '0', black = '0;30', red = '0;31', green = '0;32', yellow = '0;33', blue = '0;34',
   magenta = '0;35', cyan = '0;36', white = '0;37', Black = '1;30', Red = '1;31',
   Green = '1;32', Yellow = '1;33', Blue = '1;34', Magenta = '1;35', Cyan = '1;36',
   White = '1;37', _black = '40', _red = '41', _green = '42', _yellow = '43', _blue = '44',
   _magenta = '45', _cyan = '46', _white = '47',
}
sys.COLORS = {}
sys.colors = {}
local tty = isatty('stdout')
for name, code in pairs(codes) do
   sys.COLORS[name] = '\27[' .. code .. 'm'
   if tty then
      local open = sys.COLORS[name]
      sys.colors[name] = function(s) return open .. tostring(s) .. '\27[0m' end
   else
      sys.colors[name] = function(s) return tostring(s) end
   end
end

return sys
