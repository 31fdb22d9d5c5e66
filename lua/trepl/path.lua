-- penlight's pl.path, the part scripts lean on (char-rnn's loader): the global `path` that
-- trepl's `require 'pl'` used to give, standing in when penlight is not installed.
require 'paths'
local lfs = require 'lfs'

local path = {sep = '/', dirsep = ':'}

function path.join(p1, p2, ...)
   if select('#', ...) > 0 then return path.join(path.join(p1, p2), ...) end
   if p2 == nil or p2 == '' then return p1 end
   if p2:sub(1, 1) == '/' or p1 == nil or p1 == '' then return p2 end
   if p1:sub(-1) ~= '/' then p1 = p1 .. '/' end
   return p1 .. p2
end

function path.exists(p)
   if lfs.attributes(p, 'mode') ~= nil then return p end
   return false
end

function path.isdir(p) return lfs.attributes(p, 'mode') == 'directory' end
function path.isfile(p) return lfs.attributes(p, 'mode') == 'file' end
function path.getsize(p) return lfs.attributes(p, 'size') end
function path.getmtime(p) return lfs.attributes(p, 'modification') end

function path.splitpath(p)
   local dir, base = p:match('^(.*)/([^/]*)$')
   if not dir then return '', p end
   if dir == '' then dir = '/' end
   return dir, base
end

function path.basename(p) return select(2, path.splitpath(p)) end
function path.dirname(p) return (path.splitpath(p)) end

function path.splitext(p)
   local i = #p
   while i > 0 do
      local c = p:sub(i, i)
      if c == '/' then break end
      if c == '.' then
         if i > 1 and p:sub(i - 1, i - 1) ~= '/' then return p:sub(1, i - 1), p:sub(i) end
         break
      end
      i = i - 1
   end
   return p, ''
end

function path.extension(p) return select(2, path.splitext(p)) end
function path.isabs(p) return p:sub(1, 1) == '/' end

function path.abspath(p, pwd)
   p = p:gsub('/+$', '')
   if p == '' then p = '/' end
   if not path.isabs(p) then p = path.join(pwd or lfs.currentdir(), p) end
   return path.normpath(p)
end

function path.normpath(p)
   local abs = path.isabs(p)
   local parts = {}
   for part in p:gmatch('[^/]+') do
      if part == '..' and #parts > 0 and parts[#parts] ~= '..' then
         parts[#parts] = nil
      elseif part ~= '.' and not (part == '..' and abs) then
         parts[#parts + 1] = part
      end
   end
   local out = table.concat(parts, '/')
   if abs then return '/' .. out end
   return out == '' and '.' or out
end

function path.expanduser(p)
   if p:sub(1, 1) == '~' then return paths.home() .. p:sub(2) end
   return p
end

return path
