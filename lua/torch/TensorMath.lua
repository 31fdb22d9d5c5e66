-- Element-wise math, comparisons, operators and constructors (Torch7's TensorMath).
-- Each operation is a method `x:f(...)` and a function `torch.f([res,] ...)`; the overloads are
-- declared as data for torch._resultop (see Tensor.lua), the work is done by `pw_*` door
-- functions (luatorch/kernels/pointwise.py).

local torch = torch
local door = torch._door

local type, select, error, getmetatable, rawset, rawget, unpack = type, select, error,
   getmetatable, rawset, rawget, unpack
local math = math

local H = torch._H
local wrap = torch._wrap
local tensor_mts = torch._tensor_mts
local mt_by_name = torch._tensor_mt_by_name
local resultop = torch._resultop
local install = torch._installmethod
local typeof = torch._typeof
local argerror = torch._argerror
local invalid = torch._invalid
local t_new = door.t_new
local byte_mt = mt_by_name.Byte

local function isTensor(x) return tensor_mts[getmetatable(x)] ~= nil end

local function hv(v)
   local h = H[v]
   if h ~= nil then return h end
   return v
end

--- A new empty tensor of metatable `mt`.
local function newof(mt)
   return wrap(t_new(tensor_mts[mt]), mt)
end

--- Every argument is a number (for the scalar forms such as torch.abs(-3)).
local function allnumbers(...)
   local n = select('#', ...)
   if n == 0 then return false end
   for i = 1, n do
      if type((select(i, ...))) ~= 'number' then return false end
   end
   return true
end

--- Install method `name` in every tensor type and `torch.name`; `numfn` serves all-number calls.
local function define(name, forms, numfn, opts)
   local m, f = resultop(name, forms, opts)
   install(name, m)
   if numfn then
      torch[name] = function(...)
         if allnumbers(...) then return numfn(...) end
         return f(...)
      end
   else
      torch[name] = f
   end
   return m, f
end

-------------------------------------------------------------------------------------------------
-- Unary functions: x:f() in place, z:f(x), torch.f(x), torch.f(z, x), torch.f(number)
-------------------------------------------------------------------------------------------------
local function round(v)
   if v >= 0 then return math.floor(v + 0.5) end
   return math.ceil(v - 0.5)
end
local function trunc(v)
   if v >= 0 then return math.floor(v) end
   return math.ceil(v)
end

local UNARY = {
   abs = math.abs, sign = false, neg = false, cinv = false,
   exp = math.exp, log = math.log, sqrt = math.sqrt,
   log1p = function(v) return math.log(1 + v) end,
   rsqrt = function(v) return 1 / math.sqrt(v) end,
   sin = math.sin, cos = math.cos, tan = math.tan, asin = math.asin, acos = math.acos,
   atan = math.atan, sinh = math.sinh, cosh = math.cosh, tanh = math.tanh,
   sigmoid = function(v) return 1 / (1 + math.exp(-v)) end,
   ceil = math.ceil, floor = math.floor, round = round, trunc = trunc,
   frac = function(v) return v - trunc(v) end,
}

for name, numfn in pairs(UNARY) do
   define(name, {{'T', door['pw_' .. name]}}, numfn or nil)
end

-------------------------------------------------------------------------------------------------
-- Binary and scalar operations
-------------------------------------------------------------------------------------------------
local k_add, k_adds, k_addsc = door.pw_add, door.pw_add_scalar, door.pw_add_scaled
local k_mul, k_cmul, k_div = door.pw_mul, door.pw_cmul, door.pw_div
local k_sub, k_subs, k_subsc = door.pw_sub, door.pw_sub_scalar, door.pw_sub_scaled

local add_m = define('add', {{'Tn', k_adds}, {'TT', k_add}, {'TnT', k_addsc}})
local csub_m = define('csub', {{'Tn', k_subs}, {'TT', k_sub}, {'TnT', k_subsc}})
local mul_m = define('mul', {{'Tn', k_mul}})
local div_m = define('div', {{'Tn', k_div}})
local cmul_m = define('cmul', {{'TT', k_cmul}})
define('cdiv', {{'TT', door.pw_cdiv}})
define('cpow', {{'TT', door.pw_cpow}})
define('fmod', {{'Tn', door.pw_fmod}})
define('mod', {{'Tn', door.pw_fmod}})
define('remainder', {{'Tn', door.pw_remainder}})
define('cfmod', {{'TT', door.pw_cfmod}})
define('cmod', {{'TT', door.pw_cfmod}})
define('cremainder', {{'TT', door.pw_cremainder}})
define('cmax', {{'TT', door.pw_cmax}, {'Tn', door.pw_cmax_value}})
define('cmin', {{'TT', door.pw_cmin}, {'Tn', door.pw_cmin_value}})
define('clamp', {{'Tnn', door.pw_clamp}})
define('atan2', {{'TT', door.pw_atan2}}, math.atan2)
define('lerp', {{'TTn', door.pw_lerp}}, function(a, b, w) return a + w * (b - a) end)
define('pow', {{'Tn', door.pw_pow}, {'nT', door.pw_tpow}}, function(a, b) return a ^ b end)

-- bitwise operations: integer types only (Torch7 raises for float types); shifts on float
-- types multiply or divide by a power of two
for _, name in ipairs({'bitand', 'bitor', 'bitxor', 'lshift', 'rshift'}) do
   define(name, {{'Tn', door['pw_' .. name]}})
   define('c' .. name, {{'TT', door['pw_c' .. name]}})
end

local k_addcmul, k_addcdiv = door.pw_addcmul, door.pw_addcdiv
define('addcmul', {{'TTT', function(r, a, b, c) return k_addcmul(r, a, 1, b, c) end},
   {'TnTT', k_addcmul}})
define('addcdiv', {{'TTT', function(r, a, b, c) return k_addcdiv(r, a, 1, b, c) end},
   {'TnTT', k_addcdiv}})

-- Fast paths for the commonest in-place calls (x:add(y), x:add(v), x:mul(v), x:cmul(y), ...):
-- one table lookup and one crossing; anything else goes through the general dispatch.
-- ktensor handles x:f(y) with y of x's type, knumber handles x:f(v); either may be nil.
local function fastpath(name, ktensor, knumber, general)
   install(name, function(self, ...)
      local a1, a2 = ...
      -- counted, not just nil: x:add(v, nil) (a closure that forgot its gradient) must
      -- reach the general dispatch and fail there, as in Torch7
      if a2 == nil and select('#', ...) == 1 then
         local mt = getmetatable(self)
         if tensor_mts[mt] then
            if ktensor and getmetatable(a1) == mt then
               ktensor(H[self], H[self], H[a1])
               return self
            elseif knumber and type(a1) == 'number' then
               knumber(H[self], H[self], a1)
               return self
            end
         end
      end
      return general(self, ...)
   end)
end
fastpath('add', k_add, k_adds, add_m)
fastpath('mul', nil, k_mul, mul_m)
fastpath('cmul', k_cmul, nil, cmul_m)
fastpath('div', nil, k_div, div_m)
fastpath('csub', k_sub, k_subs, csub_m)

-------------------------------------------------------------------------------------------------
-- Comparisons: x:lt(v|y) and torch.lt(x, v|y) give a new ByteTensor; r:lt(x, v|y) and
-- torch.lt(r, x, v|y) write 0/1 into r (a ByteTensor or a tensor of x's type).
-------------------------------------------------------------------------------------------------
local CMP_FORMS = {{'n'}, {'T'}, {'Tn'}, {'TT'}}

for _, name in ipairs({'lt', 'le', 'gt', 'ge', 'eq', 'ne'}) do
   local k = door['pw_' .. name]
   local function cmp(self, a, b)
      local smt = getmetatable(self)
      if b == nil then
         if tensor_mts[smt] and (type(a) == 'number' or getmetatable(a) == smt) then
            return wrap(k(nil, H[self], hv(a)), torch._bytemt(smt))
         end
         invalid(name, CMP_FORMS, tensor_mts[smt] and smt, 2, self, a)
      end
      local amt = getmetatable(a)
      if tensor_mts[smt] and tensor_mts[amt] and (smt == torch._bytemt(amt) or smt == amt)
            and (type(b) == 'number' or getmetatable(b) == amt) then
         k(H[self], H[a], hv(b))
         return self
      end
      invalid(name, CMP_FORMS, tensor_mts[amt] and amt or (tensor_mts[smt] and smt), 2,
         self, a, b)
   end
   install(name, cmp)
   torch[name] = cmp
end

local function logical(name, k)
   local function f(self)
      if not isTensor(self) then
         invalid(name, {{''}}, nil, 2, self)
      end
      return k(H[self])
   end
   install(name, f)
   torch[name] = f
end
logical('all', door.pw_all)
logical('any', door.pw_any)

local k_equal = door.pw_equal
local function equal(a, b)
   local ma = getmetatable(a)
   if not tensor_mts[ma] or getmetatable(b) ~= ma then
      invalid('equal', {{'T'}}, tensor_mts[ma] and ma, 2, a, b)
   end
   return k_equal(H[a], H[b])
end
install('equal', equal)
torch.equal = equal

-------------------------------------------------------------------------------------------------
-- Operators (+ - * / % and unary -), with Torch7's meaning
-------------------------------------------------------------------------------------------------
local k_op_add, k_op_sub, k_op_rsub = door.pw_op_add, door.pw_op_sub, door.pw_op_rsub
local k_op_mul, k_op_div, k_op_mod, k_op_unm = door.pw_op_mul, door.pw_op_div, door.pw_op_mod,
   door.pw_op_unm

local function numexpected(n, op, v)
   error(string.format("bad argument #%d to '%s' (number expected, got %s)", n, op, typeof(v)), 3)
end

local function tensorexpected(n, op, mt, v)
   error(string.format("bad argument #%d to '%s' (%s expected, got %s)", n, op,
      rawget(mt, '__typename'), typeof(v)), 3)
end

local function op_add(a, b)
   local ma = getmetatable(a)
   if tensor_mts[ma] then
      if type(b) == 'number' or getmetatable(b) == ma then
         return wrap(k_op_add(H[a], hv(b)), ma)
      end
      numexpected(2, '__add', b)
   end
   if type(a) ~= 'number' then numexpected(1, '__add', a) end
   return wrap(k_op_add(H[b], a), getmetatable(b))
end

local function op_sub(a, b)
   local ma = getmetatable(a)
   if tensor_mts[ma] then
      if type(b) == 'number' or getmetatable(b) == ma then
         return wrap(k_op_sub(H[a], hv(b)), ma)
      end
      numexpected(2, '__sub', b)
   end
   if type(a) ~= 'number' then numexpected(1, '__sub', a) end
   return wrap(k_op_rsub(a, H[b]), getmetatable(b))
end

local function op_mul(a, b)
   local ma, mb = getmetatable(a), getmetatable(b)
   if tensor_mts[ma] then
      if type(b) == 'number' then
         return wrap(k_op_mul(H[a], b), ma)
      elseif mb ~= ma then
         numexpected(2, '__mul', b)
      end
      local da, db = a:dim(), b:dim()
      if da == 1 and db == 1 then
         return torch.dot(a, b)
      elseif da == 2 and db == 1 then
         return torch.mv(a, b)
      elseif da == 2 and db == 2 then
         return torch.mm(a, b)
      end
      error(string.format('multiplication between %dD and %dD tensors not yet supported',
         da, db), 2)
   end
   if type(a) ~= 'number' then numexpected(1, '__mul', a) end
   return wrap(k_op_mul(H[b], a), mb)
end

local function op_div(a, b)
   local ma = getmetatable(a)
   if not tensor_mts[ma] then tensorexpected(1, '__div', getmetatable(b), a) end
   if type(b) ~= 'number' then numexpected(2, '__div', b) end
   return wrap(k_op_div(H[a], b), ma)
end

local function op_mod(a, b)
   local ma = getmetatable(a)
   if not tensor_mts[ma] then tensorexpected(1, '__mod', getmetatable(b), a) end
   if type(b) ~= 'number' then numexpected(2, '__mod', b) end
   return wrap(k_op_mod(H[a], b), ma)
end

local function op_unm(a)
   return wrap(k_op_unm(H[a]), getmetatable(a))
end

local OPS = {__add = op_add, __sub = op_sub, __mul = op_mul, __div = op_div, __mod = op_mod,
   __unm = op_unm}
for mm, fn in pairs(OPS) do
   install(mm .. '__', fn)
   for mt in pairs(tensor_mts) do rawset(mt, mm, fn) end
end

-------------------------------------------------------------------------------------------------
-- Constructors: zeros ones range linspace logspace eye (the method form resizes self), and
-- diag tril triu histc cat repeatTensor (the method form is the function with self first)
-------------------------------------------------------------------------------------------------
local LongStorage_mt = torch._storage_mt_by_name and torch._storage_mt_by_name.Long

--- Sizes given as numbers, a LongStorage or a table of numbers, as a Lua array.
local function sizelist(fname, ...)
   local a1 = ...
   if getmetatable(a1) == LongStorage_mt then
      return a1:totable()
   elseif type(a1) == 'table' and getmetatable(a1) == nil then
      return a1
   end
   local t = {...}
   for i = 1, select('#', ...) do
      if type(t[i]) ~= 'number' then
         argerror(i, fname, 'number expected, got ' .. typeof(t[i]), 3)
      end
   end
   return t
end

local function defaultresult()
   local mt = torch._defaultmt()
   return newof(mt)
end

local k_fill_sized = door.pw_fill_sized
for name, v in pairs({zeros = 0, ones = 1}) do
   local function method(self, ...)
      k_fill_sized(H[self], v, unpack(sizelist(name, ...)))
      return self
   end
   install(name, method)
   torch[name] = function(...)
      local a1 = ...
      if isTensor(a1) then return method(a1, select(2, ...)) end
      return method(defaultresult(), ...)
   end
end

--- method(self, ...) fills self; torch.name([res,] ...) makes a default-typed result if needed.
local function ctor(name, sigs, k)
   local function method(self, ...)
      local n = select('#', ...)
      for i = 1, #sigs do
         local sig = sigs[i]
         if #sig == n then
            local ok = true
            for j = 1, n do
               if type((select(j, ...))) ~= 'number' then ok = false break end
            end
            if ok then
               k(H[self], ...)
               return self
            end
         end
      end
      local forms = {}
      for i = 1, #sigs do forms[i] = {sigs[i]} end
      invalid(name, forms, getmetatable(self), 2, self, ...)
   end
   install(name, method)
   torch[name] = function(...)
      local a1 = ...
      if isTensor(a1) then return method(a1, select(2, ...)) end
      return method(defaultresult(), ...)
   end
end

ctor('range', {'nn', 'nnn'}, door.pw_range)
ctor('linspace', {'nn', 'nnn'}, door.pw_linspace)
ctor('logspace', {'nn', 'nnn'}, door.pw_logspace)
ctor('eye', {'n', 'nn'}, door.pw_eye)

-- For these Torch7 has no method default: x:diag() is torch.diag(x), a new tensor.
local function funcform(name, forms)
   local _, f = resultop(name, forms)
   install(name, f)
   torch[name] = f
end

funcform('diag', {{'T', door.pw_diag}, {'Tn', door.pw_diag}})
funcform('tril', {{'T', door.pw_tril}, {'Tn', door.pw_tril}})
funcform('triu', {{'T', door.pw_triu}, {'Tn', door.pw_triu}})
for _, name in ipairs({'histc', 'bhistc'}) do
   local k = door['pw_' .. name]
   funcform(name, {{'T', k}, {'Tn', k}, {'Tnn', k}, {'Tnnn', k}})
end

-- cat([res,] x1, x2 [,dim]) and cat([res,] {x1, x2, ...} [,dim]); default: the last dimension
local k_cat = door.pw_cat

local function catinvalid(level, ...)
   error(torch._invalidmsg('[*Tensor*] Tensor Tensor [index] | [*Tensor*] {Tensor+} [index] '
      .. '(all of one type)', ...), level + 1)
end

local function cat(...)
   local a1, a2, a3, a4 = ...
   local res, list, dim
   if type(a1) == 'table' and not isTensor(a1) then
      list, dim = a1, a2
   elseif isTensor(a1) and type(a2) == 'table' and not isTensor(a2) then
      res, list, dim = a1, a2, a3
   elseif isTensor(a1) and isTensor(a2) and isTensor(a3) then
      res, list, dim = a1, {a2, a3}, a4
   elseif isTensor(a1) and isTensor(a2) then
      list, dim = {a1, a2}, a3
   end
   if list == nil or (dim ~= nil and type(dim) ~= 'number') or #list == 0 then
      catinvalid(2, ...)
   end
   local mt = getmetatable(res or list[1])
   local hs = {}
   for i = 1, #list do
      if getmetatable(list[i]) ~= mt then
         catinvalid(2, ...)
      end
      hs[i] = H[list[i]]
   end
   res = res or newof(mt)
   k_cat(H[res], dim, unpack(hs, 1, #list))
   return res
end
install('cat', cat)
torch.cat = cat

-- repeatTensor([res,] x, sizes...): x tiled; x:repeatTensor(...) gives a new tensor
local k_repeat = door.pw_repeat
local function repeatTensor(a1, a2, ...)
   local res, x, sizes
   if isTensor(a1) and isTensor(a2) then
      if getmetatable(a1) ~= getmetatable(a2) then
         invalid('repeatTensor', {{'TS'}, {'Tn'}}, getmetatable(a1), 2, a1, a2, ...)
      end
      res, x, sizes = a1, a2, sizelist('repeatTensor', ...)
   elseif isTensor(a1) then
      x, sizes = a1, sizelist('repeatTensor', a2, ...)
      res = newof(getmetatable(a1))
   else
      invalid('repeatTensor', {{'TS'}, {'Tn'}}, nil, 2, a1, a2, ...)
   end
   k_repeat(H[res], H[x], unpack(sizes))
   return res
end
install('repeatTensor', repeatTensor)
torch.repeatTensor = repeatTensor

return torch
