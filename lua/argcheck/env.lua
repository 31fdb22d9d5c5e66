-- argcheck's environment: how argument types are read and checked. Scripts may replace
-- env.istype; checkers already made keep the function they were made with.
local env = {}

--- The type name argcheck reports for `obj`: torch.type's (class names for torch objects).
function env.type(obj)
   return torch.type(obj)
end

-- does the class name `name` satisfy `spec`? `spec` is a class name, or a Lua pattern such as
-- 'torch.*Tensor'; a pattern written without magic characters must equal the whole name
-- ('torch.Long' does not take a torch.LongTensor)
local function nameMatches(name, spec)
   local m = name:match(spec)
   return m ~= nil and (m ~= spec or m == name)
end

-- the parent class's metatable: reached through the class metatable's own metatable
local function parentOf(mt)
   local p = getmetatable(mt)
   if type(p) ~= 'table' then return nil end
   if rawget(p, '__typename') then return p end
   local idx = rawget(p, '__index')
   if type(idx) == 'table' and rawget(idx, '__typename') then return idx end
   return nil
end

--- Does `obj` have type `typename`? Torch objects match their class or any parent class
--- (by name or pattern); other values compare with type().
function env.istype(obj, typename)
   local tname = torch.typename(obj)
   if not tname then return type(obj) == typename end
   if nameMatches(tname, typename) then return true end
   local mt = torch.getmetatable(tname)
   while mt do
      local name = rawget(mt, '__typename')
      if name and nameMatches(name, typename) then return true end
      mt = parentOf(mt)
   end
   return false
end

return env
