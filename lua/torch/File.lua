-- Torch7 files: torch.File, torch.DiskFile, torch.MemoryFile, object serialization
-- (writeObject / readObject) and torch.save / load / serialize / deserialize.
--
-- Bytes are read and written in Python (luatorch/serialization), one door call per record;
-- this file walks objects: tables, classes with their read/write hooks and versions,
-- references to shared objects and cycles, tensors and storages.
--
-- Safe by default: every size is checked against the bytes left before anything is
-- allocated, nesting is bounded, unknown classes and serialized Lua functions are refused
-- (functions load only with {trustFunctions = true}), and every failure is one line naming
-- the file and the byte offset.  torch.save writes a temporary file and renames it.

local torch = torch
local door = torch._door
local ffi = require 'ffi'

local type, pairs, ipairs, error, getmetatable, setmetatable, tostring, rawget, pcall =
   type, pairs, ipairs, error, getmetatable, setmetatable, tostring, rawget, pcall
local loadstring = loadstring

local H = torch._H
local tensor_mts, tensor_mt_by_name = torch._tensor_mts, torch._tensor_mt_by_name
local storage_mts, storage_mt_by_name = torch._storage_mts, torch._storage_mt_by_name
local wrap, wrapstorage = torch._wrap, torch._wrapstorage

local tf_open_disk, tf_open_atomic = door.tf_open_disk, door.tf_open_atomic
local tf_open_memory, tf_open_memory_bytes = door.tf_open_memory, door.tf_open_memory_bytes
local tf_flag, tf_setflag, tf_close, tf_abort = door.tf_flag, door.tf_setflag, door.tf_close,
   door.tf_abort
local tf_read_scalar, tf_read_n, tf_read_into = door.tf_read_scalar, door.tf_read_n,
   door.tf_read_into
local tf_write_scalar, tf_write_storage = door.tf_write_scalar, door.tf_write_storage
local tf_obj_head, tf_class_head, tf_table_size = door.tf_obj_head, door.tf_class_head,
   door.tf_table_size
local tf_func_bytes, tf_tensor_head, tf_tensor_set = door.tf_func_bytes, door.tf_tensor_head,
   door.tf_tensor_set
local tf_storage_data, tf_read_prims = door.tf_storage_data, door.tf_read_prims
local tf_fail, tf_refuse, tf_pos = door.tf_fail, door.tf_refuse, door.tf_pos
local tf_w_nil, tf_w_num, tf_w_bool, tf_w_str = door.tf_w_nil, door.tf_w_num, door.tf_w_bool,
   door.tf_w_str
local tf_w_numpair, tf_w_strnum, tf_w_ref, tf_w_int = door.tf_w_numpair, door.tf_w_strnum,
   door.tf_w_ref, door.tf_w_int
local tf_w_class, tf_w_chars, tf_w_tensor, tf_w_storage = door.tf_w_class, door.tf_w_chars,
   door.tf_w_tensor, door.tf_w_storage
local t_new, t_pointer = door.t_new, door.t_pointer

local TYPE_NIL      = 0
local TYPE_NUMBER   = 1
local TYPE_STRING   = 2
local TYPE_TABLE    = 3
local TYPE_TORCH    = 4
local TYPE_BOOLEAN  = 5
local TYPE_FUNCTION = 6
local TYPE_LEGACY_RECUR_FUNCTION = 7
local TYPE_RECUR_FUNCTION = 8

local MAX_DEPTH = 1000   -- nesting a file may use (hostile files nest forever)
local BATCH = 2000       -- plain table entries read per door call

-- Key order of tables read from files: LuaJIT versions hash keys differently, so a table that
-- is loaded and saved again keeps the order it had in its file (new keys follow in pairs order).
-- NOTE: weak-keyed, so a loaded table that the script drops is collected with its tensors (a
-- plain table kept up to 100,000 loaded tables alive: torch.load in a loop, thread jobs). An
-- earlier note saw this LuaJIT drop values of weak-keyed tables whose keys were alive; that
-- could not be reproduced (20,000 live keys, repeated full collections), and it would cost
-- nothing wrong: a table that loses its remembered order is still saved, in pairs order.
local ORDER = setmetatable({}, {__mode = 'k'})

local function remember_order(obj, ord)
   if ord == nil then return end
   ORDER[obj] = ord
end

-- A Lua string's bytes reach Python as (address, length): lupa would decode them as UTF-8.
local cast = ffi.cast
local function sptr(s)
   return tonumber(cast('uintptr_t', cast('const char *', s)))
end
torch._strptr = sptr

-------------------------------------------------------------------------------------------------
-- Classes
-------------------------------------------------------------------------------------------------
local File = torch.newmetatable('torch.File', nil, function()
   torch._error('torch.File is an abstract class: use torch.DiskFile or torch.MemoryFile')
end)

local DiskFile, MemoryFile

DiskFile = torch.newmetatable('torch.DiskFile', 'torch.File', function(path, mode, quiet)
   if type(path) ~= 'string' then
      torch._argerror(1, 'DiskFile', 'string expected, got ' .. torch._typeof(path))
   end
   if mode ~= nil and type(mode) ~= 'string' then
      torch._argerror(2, 'DiskFile', 'string expected, got ' .. torch._typeof(mode))
   end
   local h = tf_open_disk(path, mode, quiet)
   if h == nil then return nil end
   return setmetatable({_h = h}, DiskFile)
end)

MemoryFile = torch.newmetatable('torch.MemoryFile', 'torch.File', function(a1, a2)
   local h
   if storage_mts[getmetatable(a1)] then
      if storage_mts[getmetatable(a1)] ~= 'Char' then
         torch._argerror(1, 'MemoryFile', 'torch.CharStorage expected, got ' .. torch.type(a1))
      end
      h = tf_open_memory(H[a1], a2)
   else
      if a1 ~= nil and type(a1) ~= 'string' then
         torch._argerror(1, 'MemoryFile', 'CharStorage or mode string expected, got ' ..
            torch._typeof(a1))
      end
      h = tf_open_memory(nil, a1)
   end
   return setmetatable({_h = h}, MemoryFile)
end)

-- files are neither written nor made by readObject (no factories)
File.__factory, DiskFile.__factory, MemoryFile.__factory = nil, nil, nil

local function env_of(self)
   local env = rawget(self, '_env')
   if not env then
      env = {writeObjects = {}, writeObjectsRef = {}, readObjects = {}, nWrite = 0,
             force = false, trust = torch._trustFunctions == true, depth = 0, names = {}}
      self._env = env
   end
   return env
end

-------------------------------------------------------------------------------------------------
-- Modes and state
-------------------------------------------------------------------------------------------------
for _, name in ipairs({'isQuiet', 'isReadable', 'isWritable', 'isBinary', 'isAutoSpacing',
      'hasError'}) do
   File[name] = function(self) return tf_flag(self._h, name) end
end

local function setter(flag, value)
   return function(self)
      tf_setflag(self._h, flag, value)
      return self
   end
end
File.binary = setter('binary', true)
File.ascii = setter('binary', false)
File.autoSpacing = setter('autospacing', true)
File.noAutoSpacing = setter('autospacing', false)
File.quiet = setter('quiet', true)
File.pedantic = setter('quiet', false)

function File:clearError() door.tf_clear_error(self._h) return self end
function File:synchronize() door.tf_synchronize(self._h) return self end
function File:seekEnd() door.tf_seek_end(self._h) return self end
function File:position() return door.tf_position(self._h) end
function File:isOpened() return door.tf_is_opened(self._h) end
function File:noBuffer() return self end

function File:seek(pos)
   if type(pos) ~= 'number' then
      torch._argerror(1, 'seek', 'number expected, got ' .. torch._typeof(pos))
   end
   door.tf_seek(self._h, pos)
   return self
end

function File:close()
   tf_close(self._h)
   return self
end

--- File:longSize(n): the size of `long` in binary files (4 for files written on Windows).
function File:longSize(n)
   tf_setflag(self._h, 'long_size', n or 0)
   return self
end

--- A luatorch extension: allow readObject to load serialized Lua functions from this file.
function File:trustFunctions(trust)
   env_of(self).trust = trust == nil or trust == true
   return self
end

function File:referenced(ref)
   env_of(self).force = not ref
   return self
end

function File:isReferenced()
   local env = rawget(self, '_env')
   return not (env and env.force)
end

function DiskFile.isLittleEndianCPU() return ffi.abi('le') end
function DiskFile.isBigEndianCPU() return ffi.abi('be') end
DiskFile.nativeEndianEncoding = setter('order', 'native')
DiskFile.littleEndianEncoding = setter('order', 'little')
DiskFile.bigEndianEncoding = setter('order', 'big')

local function status(self)
   local h = self._h
   local open = door.tf_is_opened(h)
   return (open and 'open' or 'closed'), (tf_flag(h, 'isReadable') and 'r' or ' ') ..
      (tf_flag(h, 'isWritable') and 'w' or ' ')
end

function DiskFile:__tostring__()
   local st, mode = status(self)
   return string.format('torch.DiskFile on <%s> [status: %s -- mode %s]',
      door.tf_name(self._h), st, mode)
end

function MemoryFile:__tostring__()
   local st, mode = status(self)
   return string.format('torch.MemoryFile [status: %s -- mode: %s]', st, mode)
end

function MemoryFile:storage()
   return wrapstorage(door.tf_storage(self._h), 'Char')
end

-------------------------------------------------------------------------------------------------
-- Typed reads and writes: readTYPE() / readTYPE(n) / readTYPE(storage), writeTYPE(x|storage)
-------------------------------------------------------------------------------------------------
for _, T in ipairs(torch._tensortypes) do
   local smt = storage_mt_by_name[T]
   File['read' .. T] = function(self, a)
      local h = self._h
      if a == nil then return tf_read_scalar(h, T) end
      if type(a) == 'number' then return wrapstorage(tf_read_n(h, T, a), T) end
      if getmetatable(a) == smt then return tf_read_into(h, T, H[a]) end
      torch._error('nothing, number, or ' .. T .. 'Storage expected')
   end
   File['write' .. T] = function(self, a)
      local h = self._h
      if type(a) == 'number' then
         tf_write_scalar(h, T, a)
         return
      end
      if getmetatable(a) == smt then return tf_write_storage(h, T, H[a]) end
      torch._error('number, or ' .. T .. 'Storage expected')
   end
end

function File:writeBool(value)
   if value then self:writeInt(1) else self:writeInt(0) end
end

function File:readBool()
   return self:readInt() == 1
end

function File:readString(fmt)
   if type(fmt) ~= 'string' then
      torch._argerror(1, 'readString', 'string expected, got ' .. torch._typeof(fmt))
   end
   return door.tf_read_string(self._h, fmt)
end

function File:writeString(s)
   if type(s) ~= 'string' then
      if type(s) == 'number' then s = tostring(s)
      else torch._argerror(1, 'writeString', 'string expected, got ' .. torch._typeof(s)) end
   end
   return door.tf_write_string(self._h, sptr(s), #s)
end

-------------------------------------------------------------------------------------------------
-- Writing objects
-------------------------------------------------------------------------------------------------
local function getmetamethod(obj, name)
   local mt = torch.getmetatable(torch.typename(obj))
   if mt then
      local f = mt['__' .. name] or mt[name]
      if type(f) == 'function' then return f end
   end
end

local dump = string.dump
local upvalueid, upvaluejoin = debug.upvalueid, debug.upvaluejoin
local function writable(obj)
   local t = type(obj)
   if t ~= 'boolean' and not obj then return TYPE_NIL end
   if t == 'number' then return TYPE_NUMBER end
   if t == 'string' then return TYPE_STRING end
   if t == 'boolean' then return TYPE_BOOLEAN end
   local tn = torch.typename(obj)
   if tn and torch.factory(tn) then return TYPE_TORCH end
   if t == 'table' then return TYPE_TABLE end
   if t == 'function' and pcall(dump, obj) then return TYPE_RECUR_FUNCTION end
   return nil
end

local function version_of(obj)
   local mt = getmetatable(obj)
   local v = type(mt) == 'table' and rawget(mt, '__version') or nil
   if v == nil then
      mt = torch.getmetatable(torch.typename(obj))
      v = mt and rawget(mt, '__version')
   end
   return v or 1
end

-- Where an object sits, in Torch7's words: '<?>' for what has no name, a closure's upvalue
-- by its own name (the upvalues table and its 'value' field are left out)
local UPVALUES = {}

local function namepath(env, depth)
   local parts = {}
   local names = env.names
   for i = 1, depth do
      local n = names[i]
      if n ~= UPVALUES and not (i > 2 and names[i - 2] == UPVALUES) then
         parts[#parts + 1] = n == nil and '<?>' or tostring(n)
      end
   end
   return table.concat(parts, '.')
end

local writeobj

local function valuename(env, k, v, depth)
   if env.names[depth] == UPVALUES and type(v) == 'table' then return v.name end
   local tk = type(k)
   if tk == 'string' or tk == 'number' then return k end
   return nil
end

local function write_pair(self, h, env, k, v, depth)
   local tk, tv = type(k), type(v)
   if env.hook then
      -- a hook sees every key and value: no shortcut for plain pairs
      writeobj(self, h, env, k, depth + 1, nil)
      writeobj(self, h, env, v, depth + 1, valuename(env, k, v, depth))
   elseif tv == 'number' and tk == 'number' then
      tf_w_numpair(h, k, v)
   elseif tv == 'number' and tk == 'string' then
      tf_w_strnum(h, sptr(k), #k, v)
   else
      writeobj(self, h, env, k, depth + 1, nil)
      writeobj(self, h, env, v, depth + 1, valuename(env, k, v, depth))
   end
end

local function write_entries(self, h, env, obj, depth, ord)
   local size = 0
   for _ in pairs(obj) do size = size + 1 end
   tf_w_int(h, size)
   if ord then
      local seen = {}
      for i = 1, #ord do
         local k = ord[i]
         local v = rawget(obj, k)
         if v ~= nil and not seen[k] then
            seen[k] = true
            write_pair(self, h, env, k, v, depth)
         end
      end
      for k, v in pairs(obj) do
         if not seen[k] then write_pair(self, h, env, k, v, depth) end
      end
      return
   end
   for k, v in pairs(obj) do write_pair(self, h, env, k, v, depth) end
end

writeobj = function(self, h, env, obj, depth, name)
   -- the hook's result is written; the original object keys the shared-object references
   local sobj = obj
   local hook = env.hook
   if hook then obj = hook(obj) end
   local t = writable(obj)
   if t == TYPE_NUMBER then tf_w_num(h, obj) return end
   if t == TYPE_STRING then tf_w_str(h, sptr(obj), #obj) return end
   if t == TYPE_NIL then tf_w_nil(h) return end
   if t == TYPE_BOOLEAN then tf_w_bool(h, obj) return end
   env.names[depth] = name
   if depth > MAX_DEPTH then
      torch._error(string.format('cannot write objects nested deeper than %d levels ' ..
         '(torch.load refuses them) at %s', MAX_DEPTH, namepath(env, 12)))
   end
   if t == nil then
      local where = namepath(env, depth)
      torch._error(string.format('Unwritable object <%s>%s', type(obj),
         where ~= '' and (' at ' .. where) or ''))
   end
   -- shared objects are written once, then referred to by index
   local th = H[obj]
   local sh = th
   if not rawequal(sobj, obj) then sh = H[sobj] end
   local key = sh ~= nil and t_pointer(sh) or sobj
   local objects = env.writeObjects
   local index = objects[key]
   if index and not env.force then
      tf_w_ref(h, t, index)
      return
   end
   index = env.nWrite + 1
   env.nWrite = index
   if not env.force then
      objects[key] = index
      env.writeObjectsRef[obj] = index
   end
   tf_w_ref(h, t, index)
   if t == TYPE_TABLE then
      local ord = ORDER[obj]
      if env.pending and env.pendingDepth == depth then
         ord = ord or env.pending
         env.pending = nil
      end
      write_entries(self, h, env, obj, depth, ord)
   elseif t == TYPE_TORCH then
      local tn = torch.typename(obj)
      tf_w_class(h, 'V ' .. tostring(version_of(obj)), sptr(tn), #tn)
      local mt = getmetatable(obj)
      if tensor_mts[mt] then
         tf_w_tensor(h, th)
         writeobj(self, h, env, obj:storage(), depth + 1, 'storage')
      elseif storage_mts[mt] then
         tf_w_storage(h, th)
      else
         local write = getmetamethod(obj, 'write')
         local saved, savedp, savedpd = env.depth, env.pending, env.pendingDepth
         -- the first table the object writes gets the object's field order
         env.pending, env.pendingDepth = ORDER[obj], depth + 1
         if write then
            env.depth = depth
            write(obj, self)
         elseif type(obj) == 'table' then
            local var = {}
            for k, v in pairs(obj) do
               if writable(v) then
                  var[k] = v
               else
                  print(string.format('$ Warning: cannot write object field <%s> of <%s> %s',
                     tostring(k), tn, namepath(env, depth)))
               end
            end
            writeobj(self, h, env, var, depth + 1, tn)
         else
            torch._error(string.format('<%s> is a non-serializable Torch object %s', tn,
               namepath(env, depth)))
         end
         env.depth, env.pending, env.pendingDepth = saved, savedp, savedpd
      end
   else -- a Lua function: bytecode, then its upvalues
      -- each upvalue carries an id shared by the closures that share it, so that they still
      -- share it once loaded (Torch7 under LuaJIT)
      local upvalues = {}
      local ids = env.upvalueIds
      if not ids then
         ids = {}
         env.upvalueIds, env.nUpvalueIds = ids, 0
      end
      local i = 1
      while true do
         local uname, value = debug.getupvalue(obj, i)
         if not uname then break end
         if uname == '_ENV' then value = nil end
         local ref = upvalueid(obj, i)
         local id = ids[ref]
         if not id then
            id = env.nUpvalueIds + 1
            env.nUpvalueIds = id
            ids[ref] = id
         end
         upvalues[i] = {name = uname, id = id, value = value}
         i = i + 1
      end
      local code = dump(obj)
      tf_w_chars(h, sptr(code), #code)
      writeobj(self, h, env, upvalues, depth + 1, UPVALUES)
   end
end

local tf_synchronize = door.tf_synchronize

--- file:writeObject(obj [, debugname] [, hook]): hook(x) is written in place of each object x
--- (Torch7: save CUDA as Float, cudnn as nn, ...); a class's own write method sees no hook.
function File:writeObject(obj, debugname, hook)
   local env = env_of(self)
   local h = self._h
   local saved = env.hook
   env.hook = hook
   writeobj(self, h, env, obj, env.depth + 1, debugname)
   env.hook = saved
   -- a whole object reaches the file at once (a script may os.exit without closing it)
   if env.depth == 0 then tf_synchronize(h) end
end

-------------------------------------------------------------------------------------------------
-- Reading objects
-------------------------------------------------------------------------------------------------
local readobj

-- Class names Torch7 files use that load here as something else.
local CPU_OF_CUDA = {[''] = 'Float', Half = 'Float', Float = 'Float', Double = 'Double',
   Long = 'Long', Int = 'Int', Short = 'Short', Char = 'Char', Byte = 'Byte'}

--- 'Tensor'|'Storage', the CPU type to load as, and the element type stored in the file.
local function tensor_class(cname)
   local rest, what = cname:match('^torch%.(%a*)(Tensor)$')
   if not what then rest, what = cname:match('^torch%.(%a*)(Storage)$') end
   if not what then return nil end
   local elem = rest:match('^Cuda(%a*)$')
   if elem then
      local cpu = CPU_OF_CUDA[elem]
      if not cpu then return nil end
      return what, cpu, (elem == '' and 'Float' or elem)
   end
   if tensor_mt_by_name[rest] then return what, rest, rest end
   return nil
end

local AUTOLOAD = {nn = 'nn', cudnn = 'nn', cunn = 'nn', nngraph = 'nngraph', graph = 'graph',
                  tds = 'tds'}
-- nn classes that nngraph defines: a saved char-rnn model is an nn.gModule at the top
local AUTOLOAD_CLASS = {['nn.gModule'] = 'nngraph', ['nn.ModuleFromCriterion'] = 'nngraph',
                        ['nn.JustElement'] = 'nngraph', ['nn.JustTable'] = 'nngraph'}

local function autoload(cname)
   local pkg = AUTOLOAD[cname:match('^([%w_]+)%.') or '']
   if pkg and not package.loaded[pkg] then pcall(require, pkg) end
   pkg = AUTOLOAD_CLASS[cname]
   if pkg and not package.loaded[pkg] then pcall(require, pkg) end
end

--- The class a file's class name loads as (nil when unknown).
local function resolve_class(cname)
   if torch.factory(cname) then return cname end
   autoload(cname)
   if torch.factory(cname) then return cname end
   local rest = cname:match('^cudnn%.(.+)$')
   if rest and torch.factory('nn.' .. rest) then return 'nn.' .. rest end
   return nil
end

local function cpu_type_name(tname)
   local elem, what = tname:match('^torch%.Cuda(%a-)(Tensor)$')
   if not what then elem, what = tname:match('^torch%.Cuda(%a-)(Storage)$') end
   if what and CPU_OF_CUDA[elem] then return 'torch.' .. CPU_OF_CUDA[elem] .. what end
   return nil
end

--- A module loaded under another class (cudnn.ReLU as nn.ReLU) gets the fields its new class
--- sets in its constructor and the file lacks (threshold and val for nn.ReLU).
local function fill_defaults(obj, real)
   local mt = torch.getmetatable(real)
   local ctor = mt and rawget(mt, '__constructor')
   if not ctor then return end
   local rng = torch.getRNGState and torch.getRNGState()
   local ok, default = pcall(ctor)
   if rng then torch.setRNGState(rng) end
   if ok and type(default) == 'table' then
      for k, v in pairs(default) do
         if rawget(obj, k) == nil then obj[k] = v end
      end
   end
end

local function is_ours(err)
   return type(err) == 'string' and (err:find(': corrupt file at byte ', 1, true)
      or err:find(': refusing to load a serialized Lua function', 1, true)
      or err:find(': unknown Torch class <', 1, true)
      or err:find(': read error at byte ', 1, true))
end

--- A file-supplied name fit for a one-line message.
local function printable(s)
   s = s:gsub('[%c\128-\255\\]', function(c) return string.format('\\%d', c:byte()) end)
   if #s > 200 then s = s:sub(1, 200) .. '...' end
   return s
end

local function unknown_class(self, h, pos, cname)
   torch._error(string.format('%s: unknown Torch class <%s> at byte %d (no such class is ' ..
      'defined: require the package that defines it before loading)', door.tf_name(h),
      printable(cname), pos))
end

local function read_entries(self, h, env, obj, n, depth)
   local i = 1
   local batch = n >= 2
   local ord = {}
   local seq = true   -- keys 1..n in order need no record (every LuaJIT walks them so)
   while i <= n do
      local got = 0
      if batch then
         local vals = {tf_read_prims(h, n - i + 1 < BATCH and n - i + 1 or BATCH)}
         got = vals[1]
         for j = 1, got do
            local k = vals[2 * j]
            obj[k] = vals[2 * j + 1]
            ord[i + j - 1] = k
            if seq and k ~= i + j - 1 then seq = false end
         end
         i = i + got
         batch = got > 0
      end
      if got == 0 and i <= n then
         local kpos = tf_pos(h)
         local k = readobj(self, h, env, depth)
         local v = readobj(self, h, env, depth)
         if k == nil then tf_fail(h, kpos, 'table key is nil') end
         if k ~= k then tf_fail(h, kpos, 'table key is NaN') end
         obj[k] = v
         ord[i] = k
         if seq and k ~= i then seq = false end
         i = i + 1
         local tk, tv = type(k), type(v)
         batch = tk ~= 'table' and tk ~= 'userdata' and tv ~= 'table' and tv ~= 'userdata'
            and tk ~= 'function' and tv ~= 'function'
      end
   end
   if not seq and not env.noorder then remember_order(obj, ord) end
end

local function load_function(self, h, env, pos, legacy_or_plain, depth, index)
   if not env.trust then tf_refuse(h, pos) end
   local code = tf_func_bytes(h)
   local fn, err = loadstring(code)
   if not fn then
      tf_fail(h, pos, 'cannot load a serialized function: ' .. tostring(err))
   end
   if index and not env.force then env.readObjects[index] = fn end
   local upvalues = readobj(self, h, env, depth + 1)
   if type(upvalues) ~= 'table' then
      tf_fail(h, pos, 'function upvalues are a ' .. type(upvalues) .. ', not a table')
   end
   for i, up in ipairs(upvalues) do
      if legacy_or_plain then
         debug.setupvalue(fn, i, up)
      elseif type(up) == 'table' then
         debug.setupvalue(fn, i, up.value)
         if up.id ~= nil then
            local closures = env.upvalueClosures
            if not closures then
               closures = {}
               env.upvalueClosures = closures
            end
            local other = closures[up.id]
            if other then
               upvaluejoin(fn, i, other[1], other[2])
            else
               closures[up.id] = {fn, i}
            end
         end
      end
   end
   return fn
end

--- The GPU type a CUDA record loads as ('Cuda', 'CudaLong', ...): only once cutorch is loaded
--- and has devices; otherwise nil, and the record loads on the CPU.
local function gpu_type(cname)
   local rest = cname:match('^torch%.(Cuda%a*)Tensor$') or cname:match('^torch%.(Cuda%a*)Storage$')
   local cutorch = package.loaded.cutorch
   if rest and tensor_mt_by_name[rest] and type(cutorch) == 'table'
         and cutorch.getDeviceCount() > 0 then
      return rest
   end
   return nil
end

local function read_torch(self, h, env, index, pos, depth)
   local version, cname = tf_class_head(h)
   local objects = env.readObjects
   local what, cpu, elem = tensor_class(cname)
   if what == 'Storage' then
      local st = wrapstorage(tf_storage_data(h, cpu, elem), cpu)
      local gpu = gpu_type(cname)
      -- to the current GPU as one storage, so tensors sharing it in the file share it here
      if gpu then st = st:type('torch.' .. gpu .. 'Storage') end
      if not env.force then objects[index] = st end
      return st
   elseif what == 'Tensor' then
      cpu = gpu_type(cname) or cpu
      local mt = tensor_mt_by_name[cpu]
      local t = wrap(t_new(cpu), mt)
      if not env.force then objects[index] = t end
      local head = tf_tensor_head(h)
      local st = readobj(self, h, env, depth + 1)
      if st ~= nil and not storage_mts[getmetatable(st)] then
         tf_fail(h, pos, 'the storage of a ' .. cname .. ' is a ' .. printable(torch.type(st)))
      end
      tf_tensor_set(h, H[t], head, st ~= nil and H[st] or nil)
      return t
   end
   local real = resolve_class(cname)
   if not real then
      if cname == 'nn.DataParallelTable' then
         -- a multi-GPU wrapper: it loads as the module it replicates (its first replica)
         local placeholder = {}
         if not env.force then objects[index] = placeholder end
         local var = readobj(self, h, env, depth + 1)
         if not (type(var) == 'table' and var.modules) then
            var = readobj(self, h, env, depth + 1)   -- after the GPU assignments
         end
         if type(var) ~= 'table' or type(var.modules) ~= 'table' or var.modules[1] == nil then
            tf_fail(h, pos, 'nn.DataParallelTable without modules')
         end
         local m = var.modules[1]
         if not env.force then objects[index] = m end
         return m
      elseif cname == 'nn.DataParallelTable.Basic' or cname == 'nn.DataParallelTable.Threads' then
         -- cunn's dispatcher inside such a checkpoint: its fields, as a plain table
         local var = readobj(self, h, env, depth + 1)
         if not env.force then objects[index] = var end
         return var
      end
      unknown_class(self, h, pos, cname)
   end
   local obj = torch.factory(real)()
   if not env.force then objects[index] = obj end
   local read = getmetamethod(obj, 'read')
   if read then
      local saved, savedw, savedg = env.depth, env.want, env.got
      env.depth, env.want, env.got = depth, depth + 1, nil
      local ok, err = pcall(read, obj, self, version)
      local var = env.got
      env.depth, env.want, env.got = saved, savedw, savedg
      if not ok then
         if is_ours(err) then error(err, 0) end
         tf_fail(h, pos, 'cannot read <' .. printable(cname) .. '>: ' .. tostring(err))
      end
      -- the object keeps the field order of the table its read hook loaded
      if var and ORDER[var] and type(obj) == 'table' and not env.noorder then
         remember_order(obj, ORDER[var])
      end
   elseif type(obj) == 'table' then
      local var = readobj(self, h, env, depth + 1)
      if type(var) ~= 'table' then
         tf_fail(h, pos, '<' .. printable(cname) .. '> holds a ' .. type(var) ..
            ' instead of a table')
      end
      for k, v in pairs(var) do obj[k] = v end
      if not env.noorder then remember_order(obj, ORDER[var]) end
   else
      tf_fail(h, pos, 'cannot load object class <' .. printable(cname) .. '>')
   end
   if real ~= cname and type(obj) == 'table' then fill_defaults(obj, real) end
   if type(obj) == 'table' then
      -- a module saved as CUDA says so in _type: keep it where its tensors load on a GPU, else
      -- it names the CPU type they loaded as
      local ty = rawget(obj, '_type')
      if type(ty) == 'string' and not gpu_type(ty) then
         local cpuname = cpu_type_name(ty)
         if cpuname then obj._type = cpuname end
      end
   end
   return obj
end

readobj = function(self, h, env, depth)
   local t, v, pos = tf_obj_head(h)
   if t == TYPE_NUMBER or t == TYPE_STRING or t == TYPE_NIL or t == TYPE_BOOLEAN then
      return v
   end
   if depth > MAX_DEPTH then
      tf_fail(h, pos, 'objects nested deeper than ' .. MAX_DEPTH .. ' levels')
   end
   if t == TYPE_FUNCTION then
      return load_function(self, h, env, pos, true, depth, nil)
   end
   local objects = env.readObjects
   local o = objects[v]
   if o ~= nil and not env.force then return o end
   if t == TYPE_TABLE then
      local n = tf_table_size(h)
      local obj = {}
      if not env.force then objects[v] = obj end
      if env.want == depth and env.got == nil then env.got = obj end
      read_entries(self, h, env, obj, n, depth + 1)
      return obj
   elseif t == TYPE_TORCH then
      return read_torch(self, h, env, v, pos, depth)
   end
   return load_function(self, h, env, pos, t == TYPE_LEGACY_RECUR_FUNCTION, depth, v)
end

function File:readObject()
   local env = env_of(self)
   return readobj(self, self._h, env, env.depth + 1)
end

-------------------------------------------------------------------------------------------------
-- Tensors and storages as serializable classes (their read/write methods, factories)
-------------------------------------------------------------------------------------------------
local function tensor_write(self, file)
   tf_w_tensor(file._h, H[self])
   file:writeObject(self:storage())
end

local function tensor_read(self, file)
   local h = file._h
   local head = tf_tensor_head(h)
   local st = file:readObject()
   if st ~= nil and not storage_mts[getmetatable(st)] then
      tf_fail(h, nil, 'the storage of a tensor is a ' .. torch.type(st))
   end
   tf_tensor_set(h, H[self], head, st ~= nil and H[st] or nil)
end

torch._installmethod('write', tensor_write)
torch._installmethod('read', tensor_read)
for mt, tname in pairs(tensor_mts) do
   mt.__factory = function() return wrap(t_new(tname), mt) end
end
for mt, tname in pairs(storage_mts) do
   mt.write = function(self, file) tf_w_storage(file._h, H[self]) end
   mt.read = function(self, file) door.tf_storage_into(file._h, H[self]) end
   mt.__factory = function() return torch[tname .. 'Storage']() end
end

-------------------------------------------------------------------------------------------------
-- torch.save / load / serialize / deserialize
-------------------------------------------------------------------------------------------------
local function check_mode(mode, fname)
   if mode ~= nil and mode ~= 'binary' and mode ~= 'ascii' then
      torch._error(string.format("bad argument #2 to '%s' ('binary' or 'ascii' (or nil) " ..
         "expected, got %s)", fname, tostring(mode)))
   end
end

--- Options: a boolean (Torch7's `referenced`) or {referenced=, trustFunctions=, longSize=,
--- keepOrder=}.  keepOrder = false (a luatorch extension) loads without remembering key order:
--- ORDER holds every table it remembers, so a stream of loads (thread jobs and their results)
--- would keep each loaded table, and the tensors in it, alive.
local function read_options(opts, fname)
   local o = {referenced = true, trust = false, order = true}
   if type(opts) == 'boolean' then
      o.referenced = opts
   elseif type(opts) == 'table' then
      if opts.referenced ~= nil then o.referenced = opts.referenced and true or false end
      o.trust = opts.trustFunctions == true
      o.longSize = opts.longSize
      o.order = opts.keepOrder ~= false
   elseif opts ~= nil then
      torch._error(string.format("bad argument #3 to '%s' (options table or boolean " ..
         "expected, got %s)", fname, torch._typeof(opts)))
   end
   if torch._trustFunctions then o.trust = true end
   return o
end

local function read_with(f, mode, o)
   local h = f._h
   if mode == nil then
      mode = door.tf_detect_binary(h) and 'binary' or 'ascii'
   end
   f[mode](f)
   f:referenced(o.referenced)
   if o.longSize then f:longSize(o.longSize) end
   env_of(f).trust = o.trust
   env_of(f).noorder = not o.order
   local ok, obj = pcall(File.readObject, f)
   if not ok then
      tf_abort(h)
      error(obj, 0)
   end
   return obj
end

function torch.save(filename, object, mode, referenced)
   if type(filename) ~= 'string' then
      torch._argerror(1, 'save', 'string expected, got ' .. torch._typeof(filename))
   end
   check_mode(mode, 'save')
   if referenced ~= nil and type(referenced) ~= 'boolean' then
      torch._argerror(4, 'save', 'true or false (or nil) expected for referenced')
   end
   local f = setmetatable({_h = tf_open_atomic(filename)}, DiskFile)
   f[mode or 'binary'](f)
   f:referenced(referenced ~= false)
   local ok, err = pcall(File.writeObject, f, object)
   if not ok then
      tf_abort(f._h)
      error(err, 0)
   end
   f:close()
end

--- torch.load(filename [, 'binary'|'ascii'] [, options]): the format is detected when omitted.
function torch.load(filename, mode, opts)
   if type(filename) ~= 'string' then
      torch._argerror(1, 'load', 'string expected, got ' .. torch._typeof(filename))
   end
   if type(mode) == 'table' or type(mode) == 'boolean' then mode, opts = nil, mode end
   check_mode(mode, 'load')
   local o = read_options(opts, 'load')
   local f = torch.DiskFile(filename, 'r')
   local obj = read_with(f, mode, o)
   f:close()
   return obj
end

torch.saveobj = torch.save
torch.loadobj = torch.load

function torch.serializeToStorage(object, mode)
   check_mode(mode, 'serialize')
   local f = torch.MemoryFile()
   f[mode or 'binary'](f)
   f:writeObject(object)
   local st = f:storage()
   -- a memory file's storage ends with a NUL that is no part of the serialization (Torch7)
   st:resize(st:size() - 1)
   f:close()
   return st
end

function torch.serialize(object, mode)
   check_mode(mode, 'serialize')
   local f = torch.MemoryFile()
   f[mode or 'binary'](f)
   f:writeObject(object)
   local s = door.tf_getvalue(f._h)
   f:close()
   return s
end

function torch.deserialize(str, mode, opts)
   if type(str) ~= 'string' then
      torch._argerror(1, 'deserialize', 'string expected, got ' .. torch._typeof(str))
   end
   if type(mode) == 'table' or type(mode) == 'boolean' then mode, opts = nil, mode end
   check_mode(mode, 'deserialize')
   local f = setmetatable({_h = tf_open_memory_bytes(sptr(str), #str, 'r', '<string>')},
      MemoryFile)
   local obj = read_with(f, mode or 'binary', read_options(opts, 'deserialize'))
   f:close()
   return obj
end

function torch.deserializeFromStorage(storage, mode, opts)
   if storage_mts[getmetatable(storage)] ~= 'Char' and
      storage_mts[getmetatable(storage)] ~= 'Byte' then
      torch._argerror(1, 'deserializeFromStorage', 'CharStorage expected, got ' ..
         torch.type(storage))
   end
   return torch.deserialize(storage:string(), mode, opts)
end

return File
