-- paths: Torch7's file-name and directory helpers (torch/paths README), a global after
-- `require 'torch'`.  Directory listing and file attributes come through the door.
paths = paths or {}
local paths = paths
package.loaded.paths = paths

local door = torch._door
local listdir, fstat, fsop = door.sys_listdir, door.sys_stat, door.sys_fsop
local cwd, tmpname, uname, which = door.sys_cwd, door.sys_tmpname, door.sys_uname, door.sys_which
local getenv = door.sys_getenv

local function kind(p)
   local r = {fstat(tostring(p), true)}
   if #r < 2 then return nil end
   return r[2]
end

function paths.filep(p) return kind(p) == 'file' end
function paths.dirp(p) return kind(p) == 'directory' end

local sysname = uname()
paths.is_win = sysname == 'Windows'
paths.is_mac = sysname == 'Darwin'

function paths.uname()
   local s, node, machine = uname()
   return s, node, machine
end

function paths.concat(...)
   local n = select('#', ...)
   if n == 0 then return cwd() end
   local out
   for i = 1, n do
      local p = tostring((select(i, ...)))
      if p:sub(1, 1) == '/' or not out then
         out = p
      elseif p ~= '' then
         out = out:gsub('/+$', '') .. '/' .. p
      end
   end
   if out:sub(1, 1) ~= '/' then out = cwd() .. '/' .. out end
   -- fold `./` and `x/..` as Torch7 did (it resolved names without touching the disk)
   local parts = {}
   for part in out:gmatch('[^/]+') do
      if part == '..' then
         if #parts > 0 then parts[#parts] = nil end
      elseif part ~= '.' then
         parts[#parts + 1] = part
      end
   end
   return '/' .. table.concat(parts, '/')
end

function paths.cwd() return cwd() end

function paths.basename(p, ext)
   p = tostring(p):gsub('/+$', '')
   local base = p:match('([^/]*)$')
   if ext then
      ext = ext:gsub('^%.', '')
      local stripped = base:match('^(.*)%.' .. ext:gsub('%p', '%%%0') .. '$')
      if stripped and stripped ~= '' then base = stripped end
   end
   return base
end

function paths.dirname(p)
   p = tostring(p):gsub('/+$', '')
   local dir = p:match('^(.*)/[^/]*$')
   if dir == nil then return '.' end
   if dir == '' then return '/' end
   return dir
end

function paths.extname(p)
   local ext = paths.basename(p):match('^.+%.([^%.]+)$')
   return ext
end

function paths.home() return getenv('HOME') or cwd() end
paths.install_prefix = getenv('HOME') or '/'

function paths.tmpname() return tmpname() end

function paths.findprogram(...)
   for i = 1, select('#', ...) do
      local p = (select(i, ...))
      if p:find('/') then
         if paths.filep(p) then return p end
      else
         local found = which(p)
         if found then return found end
      end
   end
   return nil
end

function paths.dir(p)
   local t = {listdir(tostring(p))}
   if #t == 0 then return nil end
   return t
end

local function iterate(p, keep)
   local list = paths.dir(p) or {}
   local i = 0
   return function()
      while true do
         i = i + 1
         local name = list[i]
         if name == nil then return nil end
         if name ~= '.' and name ~= '..' and keep(paths.concat(p, name), name) then
            return name
         end
      end
   end
end

function paths.files(p, include)
   if include == nil then
      return iterate(p, function() return true end)
   elseif type(include) == 'function' then
      return iterate(p, function(full, name) return include(name) end)
   end
   return iterate(p, function(full, name) return name:find(include) ~= nil end)
end

function paths.iterdirs(p) return iterate(p, function(full) return paths.dirp(full) end) end
function paths.iterfiles(p) return iterate(p, function(full) return paths.filep(full) end) end

function paths.mkdir(p) return fsop('mkdir', tostring(p)) == nil end
function paths.rmdir(p) return fsop('rmdir', tostring(p)) == nil end
function paths.rmall(p, flag)
   if flag ~= 'yes' then return false end
   return fsop('rmall', tostring(p)) == nil
end

-- the file of the function `level` frames up (1 = the caller of thisfile), or `arg` resolved
-- in that file's directory
local function callerfile(level)
   local info = debug.getinfo(level + 1, 'S')
   if info and info.source:sub(1, 1) == '@' then return info.source:sub(2) end
   return nil
end

function paths.thisfile(arg, depth)
   local file = callerfile(depth or 2)
   if file == nil then return nil end
   file = paths.concat(file)
   if arg then return paths.concat(paths.dirname(file), arg) end
   return file
end

function paths.dofile(f, depth)
   local s = paths.thisfile(nil, 1 + (depth or 2))
   if s and s ~= '' then f = paths.concat(paths.dirname(s), f) end
   return dofile(f)
end

function paths.require(name)
   return require(name)
end

return paths
