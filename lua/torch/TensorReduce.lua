-- Reductions and dimension-wise operations: sum prod mean var std max min cumsum cumprod norm
-- renorm dist trace sort topk kthvalue median mode.
-- As in Torch7, the method and the torch.* function take the same arguments (the method's self is
-- the first of them): x:sum() is torch.sum(x), r:sum(x, 2) is torch.sum(r, x, 2).  Without a
-- dimension the result is a number; with one it is a tensor that keeps that dimension (size 1).

local torch = torch
local door = torch._door
local H = torch._H
local wrap = torch._wrap
local tensor_mts = torch._tensor_mts
local long_mt = torch._tensor_mt_by_name.Long

local type, getmetatable, select, error = type, getmetatable, select, error

local t_new = door.t_new
local k_sumall, k_sum = door.rd_sumall, door.rd_sum
local k_prodall, k_prod = door.rd_prodall, door.rd_prod
local k_meanall, k_mean = door.rd_meanall, door.rd_mean
local k_varall, k_var = door.rd_varall, door.rd_var
local k_stdall, k_std = door.rd_stdall, door.rd_std
local k_maxall, k_max = door.rd_maxall, door.rd_max
local k_minall, k_min = door.rd_minall, door.rd_min
local k_cumsum, k_cumprod = door.rd_cumsum, door.rd_cumprod
local k_normall, k_norm = door.rd_normall, door.rd_norm
local k_renorm, k_dist, k_trace = door.rd_renorm, door.rd_dist, door.rd_trace
local k_sort, k_topk = door.rd_sort, door.rd_topk
local k_kthvalue, k_median, k_mode = door.rd_kthvalue, door.rd_median, door.rd_mode

local function isT(v) return tensor_mts[getmetatable(v)] ~= nil end
local function isnum(v) return type(v) == 'number' end
local function isbool(v) return type(v) == 'boolean' end
local function opt(v, test) return v == nil or test(v) end

--- A new empty tensor of x's type.
local function like(x)
   local mt = getmetatable(x)
   return wrap(t_new(tensor_mts[mt]), mt)
end

--- A new empty index tensor for x (a LongTensor, a CudaLongTensor for GPU tensors).
local function newlong(x)
   local lmt = torch._longmt(getmetatable(x))
   return wrap(t_new(tensor_mts[lmt]), lmt)
end

--- "invalid arguments" error at the caller of the torch function (level 3 from here).
local function badargs(_, expected, ...)
   error(torch._invalidmsg(expected, ...), 3)
end

-------------------------------------------------------------------------------------------------
-- sum prod mean: (x) -> number | (x, dim) -> tensor | (res, x, dim) -> res
-------------------------------------------------------------------------------------------------
local function simple(fname, kall, kdim)
   local expected = '[*Tensor*] Tensor [index]'
   return function(...)
      local n = select('#', ...)
      local a1, a2, a3 = ...
      if isT(a1) then
         if n == 1 then return kall(H[a1]) end
         if n == 2 and isnum(a2) then
            local r = like(a1)
            kdim(H[r], H[a1], a2)
            return r
         end
         if n == 3 and getmetatable(a2) == getmetatable(a1) and isnum(a3) then
            kdim(H[a1], H[a2], a3)
            return a1
         end
      end
      badargs(fname, expected, ...)
   end
end

-------------------------------------------------------------------------------------------------
-- var std: (x [, biased]) -> number | (x, dim [, biased]) | (res, x, dim [, biased])
-------------------------------------------------------------------------------------------------
local function spread(fname, kall, kdim)
   local expected = '[*Tensor*] Tensor [index] [boolean]'
   return function(...)
      local n = select('#', ...)
      local a1, a2, a3, a4 = ...
      if isT(a1) then
         if n <= 2 and opt(a2, isbool) then return kall(H[a1], a2 or false) end
         if n <= 3 and isnum(a2) and opt(a3, isbool) then
            local r = like(a1)
            kdim(H[r], H[a1], a2, a3 or false)
            return r
         end
         if n <= 4 and getmetatable(a2) == getmetatable(a1) and isnum(a3) and opt(a4, isbool) then
            kdim(H[a1], H[a2], a3, a4 or false)
            return a1
         end
      end
      badargs(fname, expected, ...)
   end
end

-------------------------------------------------------------------------------------------------
-- cumsum cumprod: (x [, dim]) -> tensor | (res, x [, dim]) -> res ; dim defaults to 1
-------------------------------------------------------------------------------------------------
local function cumulative(fname, kfn)
   local expected = '[*Tensor*] Tensor [index]'
   return function(...)
      local n = select('#', ...)
      local a1, a2, a3 = ...
      if isT(a1) then
         if n <= 2 and opt(a2, isnum) then
            local r = like(a1)
            kfn(H[r], H[a1], a2)
            return r
         end
         if n <= 3 and getmetatable(a2) == getmetatable(a1) and opt(a3, isnum) then
            kfn(H[a1], H[a2], a3)
            return a1
         end
      end
      badargs(fname, expected, ...)
   end
end

-------------------------------------------------------------------------------------------------
-- Values + indices results: ([resval, [resind,]] x, rest...)
-------------------------------------------------------------------------------------------------
--- Split leading result tensors from the source; returns rv, ri, x, index of the next argument.
local function results(...)
   local a1, a2, a3 = ...
   if isT(a1) and isT(a2) and isT(a3) then return a1, a2, a3, 4 end
   if isT(a1) and isT(a2) then return a1, nil, a2, 3 end
   if isT(a1) then return nil, nil, a1, 2 end
   return nil
end

--- Check/complete the result pair for source x; false when the types do not fit.
local function fill_results(rv, ri, x)
   if rv ~= nil and getmetatable(rv) ~= getmetatable(x) then return false end
   if ri ~= nil and getmetatable(ri) ~= torch._longmt(getmetatable(x)) then return false end
   return rv or like(x), ri or newlong(x)
end

--- max min: (x) -> number | ([resval, resind,] x, dim) -> values, indices
local function extreme(fname, kall, kdim)
   local expected = '[*Tensor*] [*LongTensor*] Tensor [index]'
   return function(...)
      local n = select('#', ...)
      local a1 = ...
      if n == 1 and isT(a1) then return kall(H[a1]) end
      local rv, ri, x, k = results(...)
      if x and n == k and isnum((select(k, ...))) then
         local v, i = fill_results(rv, ri, x)
         if v then
            kdim(H[v], H[i], H[x], (select(k, ...)))
            return v, i
         end
      end
      badargs(fname, expected, ...)
   end
end

--- median mode: ([resval, resind,] x [, dim]) -> values, indices (dim defaults to the last)
local function order_stat(fname, kfn)
   local expected = '[*Tensor*] [*LongTensor*] Tensor [index]'
   return function(...)
      local n = select('#', ...)
      local rv, ri, x, k = results(...)
      if x and n <= k then
         local d = select(k, ...)
         local v, i = fill_results(rv, ri, x)
         if v and opt(d, isnum) then
            kfn(H[v], H[i], H[x], d)
            return v, i
         end
      end
      badargs(fname, expected, ...)
   end
end

local function kthvalue(...)
   local n = select('#', ...)
   local rv, ri, x, k = results(...)
   if x and n >= k and n <= k + 1 then
      local kk, d = select(k, ...)
      local v, i = fill_results(rv, ri, x)
      if v and isnum(kk) and opt(d, isnum) then
         k_kthvalue(H[v], H[i], H[x], kk, d)
         return v, i
      end
   end
   badargs('kthvalue', '[*Tensor*] [*LongTensor*] Tensor long [index]', ...)
end

--- sort([resval, resind,] x [, dim] [, descending])
local function sort(...)
   local n = select('#', ...)
   local rv, ri, x, k = results(...)
   if x and n <= k + 1 then
      local d, desc = select(k, ...)
      if isbool(d) and desc == nil then d, desc = nil, d end
      local v, i = fill_results(rv, ri, x)
      if v and opt(d, isnum) and opt(desc, isbool) then
         k_sort(H[v], H[i], H[x], d, desc or false)
         return v, i
      end
   end
   badargs('sort', '[*Tensor*] [*LongTensor*] Tensor [index] [boolean]', ...)
end

--- topk([resval, resind,] x [, k] [, dim] [, dir] [, sort]); dir true = the k largest
local function topk(...)
   local n = select('#', ...)
   local rv, ri, x, k = results(...)
   if x and n <= k + 3 then
      local kk, d, dir, srt = select(k, ...)
      -- trailing booleans may come without the numbers before them
      if isbool(kk) then kk, d, dir, srt = nil, nil, kk, d
      elseif isbool(d) then d, dir, srt = nil, d, dir end
      local v, i = fill_results(rv, ri, x)
      if v and opt(kk, isnum) and opt(d, isnum) and opt(dir, isbool) and opt(srt, isbool) then
         k_topk(H[v], H[i], H[x], kk or 1, d, dir or false, srt or false)
         return v, i
      end
   end
   badargs('topk', '[*Tensor*] [*LongTensor*] Tensor [long] [index] [boolean] [boolean]', ...)
end

-------------------------------------------------------------------------------------------------
-- norm dist trace renorm
-------------------------------------------------------------------------------------------------
--- norm(x [, p]) -> number | norm([res,] x, p, dim) -> tensor
local function norm(...)
   local n = select('#', ...)
   local a1, a2, a3, a4 = ...
   if isT(a1) then
      if n <= 2 and opt(a2, isnum) then return k_normall(H[a1], a2 or 2) end
      if n == 3 and isnum(a2) and isnum(a3) then
         local r = like(a1)
         k_norm(H[r], H[a1], a2, a3)
         return r
      end
      if n == 4 and getmetatable(a2) == getmetatable(a1) and isnum(a3) and isnum(a4) then
         k_norm(H[a1], H[a2], a3, a4)
         return a1
      end
   end
   badargs('norm', '[*Tensor*] Tensor [number] [index]', ...)
end

local function dist(...)
   local n = select('#', ...)
   local a1, a2, a3 = ...
   if n <= 3 and isT(a1) and getmetatable(a2) == getmetatable(a1) and opt(a3, isnum) then
      return k_dist(H[a1], H[a2], a3 or 2)
   end
   badargs('dist', 'Tensor Tensor [number]', ...)
end

local function trace(...)
   local a1 = ...
   if select('#', ...) == 1 and isT(a1) then return k_trace(H[a1]) end
   badargs('trace', 'Tensor', ...)
end

-------------------------------------------------------------------------------------------------
-- Registration: torch.fname and the method x:fname share one implementation
-------------------------------------------------------------------------------------------------
local ops = {
   sum = simple('sum', k_sumall, k_sum),
   prod = simple('prod', k_prodall, k_prod),
   mean = simple('mean', k_meanall, k_mean),
   var = spread('var', k_varall, k_var),
   std = spread('std', k_stdall, k_std),
   max = extreme('max', k_maxall, k_max),
   min = extreme('min', k_minall, k_min),
   cumsum = cumulative('cumsum', k_cumsum),
   cumprod = cumulative('cumprod', k_cumprod),
   median = order_stat('median', k_median),
   mode = order_stat('mode', k_mode),
   kthvalue = kthvalue,
   sort = sort,
   topk = topk,
   norm = norm,
   dist = dist,
   trace = trace,
}

for name, fn in pairs(ops) do
   torch[name] = fn
   torch._installmethod(name, fn)
end

-- renorm([res,] x, p, dim, maxnorm); x:renorm(p, dim, maxnorm) works in place
local renorm_method, renorm_func = torch._resultop('renorm', {{'Tnnn', k_renorm}})
torch.renorm = renorm_func
torch._installmethod('renorm', renorm_method)

return torch
