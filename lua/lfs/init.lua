-- lfs: the part of LuaFileSystem (keplerproject/luafilesystem manual) that Torch7 scripts use.
-- Failures return nil plus the system's message, as lfs does.
require 'torch'
local door = torch._door
local fstat, fsop, listdir, cwd = door.sys_stat, door.sys_fsop, door.sys_listdir, door.sys_cwd

local lfs = {}
package.loaded.lfs = lfs
-- LuaFileSystem registered itself as the global `lfs` under Lua 5.1, and scripts rely on it
-- after any library (penlight's path, say) has required it
rawset(_G, 'lfs', rawget(_G, 'lfs') or lfs)

local function attributes(follow, path, what)
   local r = {fstat(tostring(path), follow)}
   if #r < 2 then return nil, r[1] end
   local t = {}
   for i = 1, #r, 2 do t[r[i]] = r[i + 1] end
   if type(what) == 'string' then return t[what] end
   if type(what) == 'table' then
      for k, v in pairs(t) do what[k] = v end
      return what
   end
   return t
end

function lfs.attributes(path, what) return attributes(true, path, what) end
function lfs.symlinkattributes(path, what) return attributes(false, path, what) end

local function change(op, path, extra)
   local err = fsop(op, tostring(path), extra)
   if err then return nil, err end
   return true
end

function lfs.mkdir(path) return change('mkdir', path) end
function lfs.rmdir(path) return change('rmdir', path) end
function lfs.chdir(path) return change('chdir', path) end
function lfs.currentdir() return cwd() end

function lfs.touch(path, atime, mtime)
   if atime == nil then return change('touch', path) end
   return change('touch', path, {atime, mtime or atime})
end

function lfs.dir(path)
   local entries = {listdir(tostring(path))}
   if #entries == 0 then
      error("cannot open " .. tostring(path) .. ": No such file or directory", 2)
   end
   local i = 0
   return function()
      i = i + 1
      return entries[i]
   end
end

return lfs
