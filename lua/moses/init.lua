-- moses: the part of Yonaba's Moses utility library (1.x semantics) that nn and its tests use.
-- Iterators call f(key, value), as Moses 1.x did; nn's own code and tests are written for that.

local _ = {}

local pairs, ipairs, type, select = pairs, ipairs, type, select

--- f(key, value, ...) on every pair of t; returns t.
function _.each(t, f, ...)
   for k, v in pairs(t) do f(k, v, ...) end
   return t
end

--- f(index, value, ...) on t[1], t[2], ... in order; returns t.
function _.eachi(t, f, ...)
   for i, v in ipairs(t) do f(i, v, ...) end
   return t
end

--- A table with the same keys holding f(key, value, ...).
function _.map(t, f, ...)
   local r = {}
   for k, v in pairs(t) do r[k] = f(k, v, ...) end
   return r
end

--- Folds f(state, value) over the array part of t, starting from state (default t[1]).
function _.reduce(t, f, state)
   for _i, v in ipairs(t) do
      if state == nil then state = v else state = f(state, v) end
   end
   return state
end

--- The values v of t (in array order) for which f(key, value, ...) is true.
function _.select(t, f, ...)
   local r = {}
   for k, v in pairs(t) do
      if f(k, v, ...) then r[#r + 1] = v end
   end
   return r
end
_.filter = _.select

--- The values of t for which f(key, value, ...) is false.
function _.reject(t, f, ...)
   local r = {}
   for k, v in pairs(t) do
      if not f(k, v, ...) then r[#r + 1] = v end
   end
   return r
end

--- True when f(key, value, ...) holds for every pair.
function _.all(t, f, ...)
   for k, v in pairs(t) do
      if not f(k, v, ...) then return false end
   end
   return true
end

--- The key of the first value equal to `value` (or for which `value(v)` holds when a function).
function _.detect(t, value)
   for k, v in pairs(t) do
      if type(value) == 'function' then
         if value(v) then return k end
      elseif v == value then
         return k
      end
   end
end

--- True when t holds `value` (or a value for which `value(v)` holds when a function).
function _.include(t, value)
   return _.detect(t, value) ~= nil
end
_.contains = _.include

--- The first index of `value` in the array t, searching from `init` (default 1).
function _.find(t, value, init)
   for i = init or 1, #t do
      if t[i] == value then return i end
   end
end

--- The number of pairs in t, or the number of arguments when several are given.
function _.size(...)
   local n = select('#', ...)
   local t = ...
   if n == 1 and type(t) == 'table' then
      local c = 0
      for _k in pairs(t) do c = c + 1 end
      return c
   end
   return n
end

--- How many values of t equal `value` (all of them when value is nil).
function _.count(t, value)
   local c = 0
   for _k, v in pairs(t) do
      if value == nil or v == value then c = c + 1 end
   end
   return c
end

--- The first index of `value` in the array t, or nil.
function _.indexOf(t, value)
   for i = 1, #t do
      if t[i] == value then return i end
   end
end

--- The last index of `value` in the array t, or nil.
function _.lastIndexOf(t, value)
   for i = #t, 1, -1 do
      if t[i] == value then return i end
   end
end

--- The keys of t, as an array.
function _.keys(t)
   local r = {}
   for k in pairs(t) do r[#r + 1] = k end
   return r
end

--- The values of t, as an array.
function _.values(t)
   local r = {}
   for _k, v in pairs(t) do r[#r + 1] = v end
   return r
end

--- The numbers from `from` to `to` by `step`; range(n) is 0..n, as in Moses 1.x.
function _.range(from, to, step)
   if to == nil then from, to = 0, from end
   step = step or (from <= to and 1 or -1)
   local r = {}
   for v = from, to, step do r[#r + 1] = v end
   return r
end

--- The array t with nested arrays spliced in (one level when shallow).
function _.flatten(t, shallow)
   local r = {}
   for _k, v in ipairs(t) do
      if type(v) == 'table' then
         local inner = shallow and v or _.flatten(v)
         for _i, w in ipairs(inner) do r[#r + 1] = w end
      else
         r[#r + 1] = v
      end
   end
   return r
end

--- A copy of t, deep unless shallow is true.
function _.clone(t, shallow)
   if type(t) ~= 'table' then return t end
   local r = {}
   for k, v in pairs(t) do
      r[k] = (shallow or type(v) ~= 'table') and v or _.clone(v)
   end
   return r
end

--- The arrays appended into a new one.
function _.append(a, b)
   local r = {}
   for _i, v in ipairs(a) do r[#r + 1] = v end
   for _i, v in ipairs(b) do r[#r + 1] = v end
   return r
end

--- The values of the array t without repeats, in order of first appearance.
function _.unique(t)
   local r, seen = {}, {}
   for _i, v in ipairs(t) do
      if not seen[v] then
         seen[v] = true
         r[#r + 1] = v
      end
   end
   return r
end

function _.identity(v) return v end

function _.isTable(v) return type(v) == 'table' end
function _.isFunction(v) return type(v) == 'function' end
function _.isString(v) return type(v) == 'string' end
function _.isNumber(v) return type(v) == 'number' end
function _.isBoolean(v) return type(v) == 'boolean' end
function _.isNil(v) return v == nil end
--- True for a number that is not a number (NaN compares unequal to itself).
function _.isNaN(v) return type(v) == 'number' and v ~= v end
function _.isFinite(v)
   return type(v) == 'number' and v == v and v ~= math.huge and v ~= -math.huge
end
function _.isInteger(v) return type(v) == 'number' and math.floor(v) == v end

--- True when t has no pairs (a string when it is empty; nil is empty).
function _.isEmpty(t)
   if t == nil then return true end
   if type(t) == 'string' then return #t == 0 end
   if type(t) == 'table' then return next(t) == nil end
   return true
end

--- True for a table whose keys are exactly 1..n.
function _.isArray(t)
   if type(t) ~= 'table' then return false end
   local n = 0
   for _k in pairs(t) do n = n + 1 end
   return n == #t
end

return _
