-- Random numbers with Torch7's exact stream (MT19937 via NumPy, see luatorch/random.py).

local torch = torch
local door = torch._door
local H = torch._H

local type, select, getmetatable = type, select, getmetatable

local Generator = torch.class('torch.Generator')

function Generator:__init()
   H[self] = door.rng_new()
end

-- As Torch7, a generator is saved as the raw bytes of its C state (THGenerator), so a loaded
-- copy continues the stream and .t7 files holding one load in either
function Generator:write(file)
   file:writeByte(torch._wrapstorage(door.rng_th_bytes(H[self]), 'Byte'))
end

function Generator:read(file)
   local g = H[self] or door.rng_new()
   door.rng_from_th_bytes(g, H[file:readByte(door.rng_th_size())])
   H[self] = g
end

local function isgen(g)
   return getmetatable(g) == Generator
end

-- optional leading generator: returns (python generator or nil, remaining args...)
local function splitgen(...)
   local g = ...
   if isgen(g) then return H[g], select(2, ...) end
   return nil, ...
end

function torch.manualSeed(...)
   local g, seed = splitgen(...)
   if type(seed) ~= 'number' then
      torch._argerror(1, 'manualSeed', 'number expected, got ' .. torch._typeof(seed))
   end
   door.rng_manual_seed(g, seed)
end

function torch.seed(...)
   local g = splitgen(...)
   return door.rng_seed(g)
end

function torch.initialSeed(...)
   local g = splitgen(...)
   return door.rng_initial_seed(g)
end

function torch.getRNGState(...)
   local g = splitgen(...)
   return torch._wrap(door.rng_get_state(g), torch._tensor_mt_by_name.Byte)
end

function torch.setRNGState(...)
   local g, state = splitgen(...)
   if not torch.isTensor(state) then
      torch._argerror(1, 'setRNGState', 'ByteTensor expected, got ' .. torch._typeof(state))
   end
   door.rng_set_state(g, H[state])
   return state
end

local scalar = {
   random = door.rng_random, uniform = door.rng_uniform, normal = door.rng_normal,
   exponential = door.rng_exponential, cauchy = door.rng_cauchy, logNormal = door.rng_lognormal,
   geometric = door.rng_geometric, bernoulli = door.rng_bernoulli,
}

local fill = {
   random = door.rng_fill_random_, uniform = door.rng_fill_uniform_,
   normal = door.rng_fill_normal_, exponential = door.rng_fill_exponential_,
   cauchy = door.rng_fill_cauchy_, logNormal = door.rng_fill_lognormal_,
   geometric = door.rng_fill_geometric_, bernoulli = door.rng_fill_bernoulli_,
}

for name, fn in pairs(scalar) do
   torch[name] = function(...)
      local n = select('#', ...)
      local g, a, b = splitgen(...)
      if a ~= nil and type(a) ~= 'number' then
         torch._argerror(1, name, 'number expected, got ' .. torch._typeof(a))
      end
      if b ~= nil and type(b) ~= 'number' then
         torch._argerror(2, name, 'number expected, got ' .. torch._typeof(b))
      end
      if n == 0 or (g ~= nil and n == 1) then return fn(g) end
      if b == nil then return fn(g, a) end
      return fn(g, a, b)
   end
end

for name, fn in pairs(fill) do
   torch._installmethod(name, function(self, ...)
      local g, a, b = splitgen(...)
      if torch.isTensor(a) then
         fn(g, H[self], H[a])           -- bernoulli with a tensor of probabilities
      elseif a == nil then
         fn(g, H[self])
      elseif b == nil then
         fn(g, H[self], a)
      else
         fn(g, H[self], a, b)
      end
      return self
   end)
end

-- torch.rand([res,] [gen,] sizes...) and randn: a new tensor of the default type
local function sized(fname, filler)
   local function f(...)
      local res
      local first = ...
      local args
      if torch.isTensor(first) then
         res = first
         args = {select(2, ...)}
      else
         args = {...}
      end
      local g
      if isgen(args[1]) then g = H[table.remove(args, 1)] end
      res = res or torch.Tensor()
      res:resize(torch._sizes_from_args(fname, unpack(args)))
      filler(g, H[res])
      return res
   end
   return f
end

torch.rand = sized('rand', function(g, h) door.rng_fill_uniform_(g, h, 0, 1) end)
torch.randn = sized('randn', function(g, h) door.rng_fill_normal_(g, h, 0, 1) end)
torch._installmethod('rand', function(self, ...) return torch.rand(self, ...) end)
torch._installmethod('randn', function(self, ...) return torch.randn(self, ...) end)

function torch.randperm(...)
   local first = ...
   local res, rest
   if torch.isTensor(first) then res = first; rest = {select(2, ...)} else rest = {...} end
   local g
   if isgen(rest[1]) then g = H[table.remove(rest, 1)] end
   local n = rest[1]
   if type(n) ~= 'number' or n < 1 then
      torch._argerror(1, 'randperm', 'must be strictly positive')
   end
   res = res or torch.Tensor()
   door.rng_randperm_(g, H[res], n)
   return res
end
torch._installmethod('randperm', function(self, ...) return torch.randperm(self, ...) end)

function torch.multinomial(...)
   local first, second = ...
   local res, rest
   -- torch.multinomial([res,] [gen,] prob, n [, replacement]): res is a LongTensor
   if torch.isTensor(first) and torch.isTensor(second) then
      res = first; rest = {select(2, ...)}
   elseif torch.isTensor(first) and isgen(second) then
      res = first; rest = {select(2, ...)}
   else
      rest = {...}
   end
   local g
   if isgen(rest[1]) then g = H[table.remove(rest, 1)] end
   local prob, n, replacement = rest[1], rest[2], rest[3]
   if not torch.isTensor(prob) then
      torch._argerror(1, 'multinomial', 'tensor expected, got ' .. torch._typeof(prob))
   end
   if type(n) ~= 'number' then
      torch._argerror(2, 'multinomial', 'number expected, got ' .. torch._typeof(n))
   end
   if not res then
      -- the draws of a GPU tensor's distribution are a CudaLongTensor on its device
      local lmt = torch._longmt(getmetatable(prob))
      res = torch._wrap(door.t_new(torch._tensor_mts[lmt]), lmt)
   end
   door.rng_multinomial_(g, H[res], H[prob], n, replacement and true or false)
   return res
end
torch._installmethod('multinomial', function(self, ...) return torch.multinomial(self, ...) end)

-- the alias method: state = {alias LongTensor, probability table of probs' type}, made once
-- (or refilled when a state table is given), then many draws from it
local k_alias_setup, k_alias_draw = door.rng_alias_setup_, door.rng_alias_draw_

function torch.multinomialAliasSetup(probs, state)
   if not torch.isTensor(probs) then
      torch._argerror(1, 'multinomialAliasSetup', 'tensor expected, got ' .. torch._typeof(probs))
   end
   if type(state) ~= 'table' then state = {} end
   local j, q = state[1], state[2]
   if not torch.isTensor(j) then
      local lmt = torch._longmt(getmetatable(probs))
      j = torch._wrap(door.t_new(torch._tensor_mts[lmt]), lmt)
   end
   if not torch.isTensor(q) then
      local mt = getmetatable(probs)
      q = torch._wrap(door.t_new(torch._tensor_mts[mt]), mt)
   end
   k_alias_setup(H[probs], H[j], H[q])
   state[1], state[2] = j, q
   return state
end

function torch.multinomialAlias(output, state)
   if not torch.isTensor(output) then
      torch._argerror(1, 'multinomialAlias', 'LongTensor expected, got ' .. torch._typeof(output))
   end
   if type(state) ~= 'table' or not torch.isTensor(state[1]) or not torch.isTensor(state[2]) then
      torch._argerror(2, 'multinomialAlias', 'state table expected, got ' .. torch._typeof(state))
   end
   k_alias_draw(nil, H[output], H[state[1]], H[state[2]])
   return output
end

return torch
