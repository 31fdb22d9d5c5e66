-- What Torch7's `th` did before a script's first line (torch/trepl): torch, paths, sys and
-- xlua loaded as globals, penlight tried (our `lapp` and `path` stand in when it is absent),
-- `print` showing tables, `require './lib'` relative to the calling file, `./?/init.lua`
-- searched.
require 'torch'
require 'paths'
require 'sys'
require 'xlua'

local trepl = {}
package.loaded.trepl = trepl
trepl.colorize = require 'trepl.colorize'

local ok = pcall(require, 'pl')
if not ok then
   -- penlight's globals scripts use without requiring them
   local lapp = require 'lapp'
   rawset(_G, 'lapp', rawget(_G, 'lapp') or lapp)
   local path = require 'trepl.path'
   package.loaded['trepl.path'] = path
   rawset(_G, 'path', rawget(_G, 'path') or path)
   rawset(_G, 'lfs', rawget(_G, 'lfs') or require 'lfs')
end

local printer = require 'trepl.printer'
trepl.print = printer.print
print = printer.print

local whomod = require 'trepl.who'
trepl.who = whomod.who
rawset(_G, 'who', rawget(_G, 'who') or whomod.who)
trepl.help = require 'trepl.help'

if not package.path:find('./?/init.lua', 1, true) then
   package.path = package.path .. ';./?/init.lua'
end

-- `require './lib'` / `require '../lib'`: loaded once, keyed by the absolute file name
local require0 = require
local loaded = package.loaded
require = function(name)
   if type(name) ~= 'string' or not name:find('^%.%.?/') then return require0(name) end
   local info = debug.getinfo(2, 'S')
   local src = info and info.source or ''
   local dir = src:sub(1, 1) == '@' and paths.dirname(src:sub(2)) or paths.cwd()
   local base = paths.concat(dir, name)
   for _, file in ipairs{base .. '.lua', base .. '/init.lua', base} do
      if loaded[file] ~= nil then return loaded[file] end
      if paths.filep(file) then
         local chunk, err = loadfile(file)
         if not chunk then error(err, 2) end
         local res = chunk(name)
         if res == nil then res = loaded[file] end
         if res == nil then res = true end
         loaded[file] = res
         return res
      end
   end
   error("module '" .. name .. "' not found:\n\tno file '" .. base .. ".lua'\n\tno file '"
      .. base .. "/init.lua'", 2)
end

-- what is here now is the system's; who() lists what comes after
whomod.mark()

return trepl
