-- BLAS-style products (dot addmv addr addmm addbmm baddbmm mv mm bmm ger cross), LAPACK-style
-- linear algebra (gesv trtrs gels inverse svd symeig eig potrf potrs potri pstrf qr) and
-- convolutions (conv2 xcorr2 conv3 xcorr3), with Torch7's argument forms.

local torch = torch
local door = torch._door
local H = torch._H
local wrap = torch._wrap
local tensor_mts = torch._tensor_mts

local type, getmetatable, select, error = type, getmetatable, select, error
local upper = string.upper

local t_new = door.t_new
local k_dot, k_cross = door.bl_dot, door.bl_cross
local k_addmv, k_addmm, k_addr = door.bl_addmv, door.bl_addmm, door.bl_addr
local k_addbmm, k_baddbmm = door.bl_addbmm, door.bl_baddbmm
local k_mv, k_mm, k_bmm, k_ger = door.bl_mv, door.bl_mm, door.bl_bmm, door.bl_ger
local k_gesv, k_trtrs, k_gels, k_inverse = door.la_gesv, door.la_trtrs, door.la_gels,
   door.la_inverse
local k_svd, k_symeig, k_eig = door.la_svd, door.la_symeig, door.la_eig
local k_potrf, k_potrs, k_potri, k_qr = door.la_potrf, door.la_potrs, door.la_potri, door.la_qr
local k_conv2, k_xcorr2 = door.la_conv2, door.la_xcorr2
local k_conv3, k_xcorr3 = door.la_conv3, door.la_xcorr3

local function isT(v) return tensor_mts[getmetatable(v)] ~= nil end
local function isnum(v) return type(v) == 'number' end

local function like(x)
   local mt = getmetatable(x)
   return wrap(t_new(tensor_mts[mt]), mt)
end

local function badargs(_, expected, ...)
   error(torch._invalidmsg(expected, ...), 3)
end

--- One letter per argument: T tensor, n number, s string, b boolean, ? anything else.
local function sigof(...)
   local n = select('#', ...)
   local s = ''
   for i = 1, n do
      local v = select(i, ...)
      local tv = type(v)
      if isT(v) then s = s .. 'T'
      elseif tv == 'number' then s = s .. 'n'
      elseif tv == 'string' then s = s .. 's'
      elseif tv == 'boolean' then s = s .. 'b'
      else s = s .. '?' end
   end
   return s
end

--- True when all given tensors (nils skipped) share one type.
local function sametype(a, b, c, d, e)
   local mt = getmetatable(a)
   return (b == nil or getmetatable(b) == mt) and (c == nil or getmetatable(c) == mt)
      and (d == nil or getmetatable(d) == mt) and (e == nil or getmetatable(e) == mt)
end

-------------------------------------------------------------------------------------------------
-- dot
-------------------------------------------------------------------------------------------------
function torch.dot(a, b, ...)
   if select('#', ...) == 0 and isT(a) and isT(b) and sametype(a, b) then
      return k_dot(H[a], H[b])
   end
   badargs('dot', 'Tensor Tensor', a, b, ...)
end
torch._installmethod('dot', torch.dot)

-------------------------------------------------------------------------------------------------
-- addmv addmm addr addbmm baddbmm: res = v1 * M + v2 * product(a, b)
--   torch.addmm([res,] [v1,] M, [v2,] a, b)
--   res:addmm([v1,] [M,] [v2,] a, b)     (M defaults to res; v1 needs v2 after it)
-------------------------------------------------------------------------------------------------
local function accumulate(fname, kfn)
   local expected = '[*Tensor*] [number] Tensor [number] Tensor Tensor'
   local function func(...)
      local sig = sigof(...)
      local res, v1, M, v2, a, b
      if sig == 'TTT' then M, a, b = ...
      elseif sig == 'TTTT' then res, M, a, b = ...
      elseif sig == 'nTTT' then v1, M, a, b = ...
      elseif sig == 'TnTT' then M, v2, a, b = ...
      elseif sig == 'nTnTT' then v1, M, v2, a, b = ...
      elseif sig == 'TnTTT' then res, v1, M, a, b = ...
      elseif sig == 'TTnTT' then res, M, v2, a, b = ...
      elseif sig == 'TnTnTT' then res, v1, M, v2, a, b = ...
      end
      if M == nil or not sametype(M, a, b, res) then badargs(fname, expected, ...) end
      res = res or like(M)
      kfn(H[res], v1 or 1, H[M], v2 or 1, H[a], H[b])
      return res
   end
   local mexpected = '*Tensor* [number] [Tensor] [number] Tensor Tensor'
   local function method(self, ...)
      local sig = sigof(...)
      local v1, M, v2, a, b
      if sig == 'TT' then a, b = ...
      elseif sig == 'TTT' then M, a, b = ...
      elseif sig == 'nTT' then v2, a, b = ...
      elseif sig == 'TnTT' then M, v2, a, b = ...
      elseif sig == 'nnTT' then v1, v2, a, b = ...
      elseif sig == 'nTnTT' then v1, M, v2, a, b = ...
      end
      if a == nil or not isT(self) or not sametype(self, M, a, b) then
         badargs(fname, mexpected, self, ...)
      end
      kfn(H[self], v1 or 1, H[M or self], v2 or 1, H[a], H[b])
      return self
   end
   torch[fname] = func
   torch._installmethod(fname, method)
end

accumulate('addmv', k_addmv)
accumulate('addmm', k_addmm)
accumulate('addr', k_addr)
accumulate('addbmm', k_addbmm)
accumulate('baddbmm', k_baddbmm)

-------------------------------------------------------------------------------------------------
-- mv mm bmm ger: torch.mm([res,] a, b); res:mm(a, b)
-------------------------------------------------------------------------------------------------
local function product(fname, kfn)
   local function func(r, a, b, ...)
      local n = select('#', ...)
      if n == 0 and isT(r) and isT(a) then
         if b == nil then
            if sametype(r, a) then
               local res = like(r)
               kfn(H[res], H[r], H[a])
               return res
            end
         elseif isT(b) and sametype(r, a, b) then
            kfn(H[r], H[a], H[b])
            return r
         end
      end
      badargs(fname, '[*Tensor*] Tensor Tensor', r, a, b, ...)
   end
   local function method(self, a, b, ...)
      if select('#', ...) == 0 and isT(self) and isT(a) and isT(b) and sametype(self, a, b) then
         kfn(H[self], H[a], H[b])
         return self
      end
      badargs(fname, '*Tensor* Tensor Tensor', self, a, b, ...)
   end
   torch[fname] = func
   torch._installmethod(fname, method)
end

product('mv', k_mv)
product('mm', k_mm)
product('bmm', k_bmm)
product('ger', k_ger)

-------------------------------------------------------------------------------------------------
-- cross([res,] a, b [, dim])
-------------------------------------------------------------------------------------------------
function torch.cross(...)
   local sig = sigof(...)
   local res, a, b, d
   if sig == 'TT' then a, b = ...
   elseif sig == 'TTn' then a, b, d = ...
   elseif sig == 'TTT' then res, a, b = ...
   elseif sig == 'TTTn' then res, a, b, d = ...
   end
   if a == nil or not sametype(a, b, res) then
      badargs('cross', '[*Tensor*] Tensor Tensor [index]', ...)
   end
   res = res or like(a)
   k_cross(H[res], H[a], H[b], d)
   return res
end
torch._installmethod('cross', torch.cross)

-------------------------------------------------------------------------------------------------
-- Convolutions: torch.conv2([res,] x, k [, 'V' | 'F']) and the same as methods
-------------------------------------------------------------------------------------------------
local function convolution(fname, kfn)
   local function fn(...)
      local sig = sigof(...)
      local res, x, k, vf
      if sig == 'TT' then x, k = ...
      elseif sig == 'TTs' then x, k, vf = ...
      elseif sig == 'TTT' then res, x, k = ...
      elseif sig == 'TTTs' then res, x, k, vf = ...
      end
      if vf ~= nil then
         vf = upper(vf)
         if vf ~= 'V' and vf ~= 'F' then x = nil end
      end
      if x == nil or not sametype(x, k, res) then
         badargs(fname, "[*Tensor*] Tensor Tensor ['V' | 'F']", ...)
      end
      res = res or like(x)
      kfn(H[res], H[x], H[k], vf or 'V')
      return res
   end
   torch[fname] = fn
   torch._installmethod(fname, fn)
end

convolution('conv2', k_conv2)
convolution('xcorr2', k_xcorr2)
convolution('conv3', k_conv3)
convolution('xcorr3', k_xcorr3)

-------------------------------------------------------------------------------------------------
-- LAPACK: torch.* functions only (as in Torch7).  Leading tensors beyond the inputs are results.
-------------------------------------------------------------------------------------------------
--- Parse `nres` optional result tensors, `nin` input tensors and up to #opts option strings,
--- each option restricted to the letters in opts[i] (defaults: the first letter).
local function lapack_args(fname, expected, nres, nin, opts, ...)
   local n = select('#', ...)
   local nt = 0
   while nt < n and isT((select(nt + 1, ...))) do nt = nt + 1 end
   local ok = nt == nin or nt == nin + nres
   local args = {...}
   local first = nt == nin and 0 or nres
   local mt = ok and getmetatable(args[first + 1])
   for i = 1, nt do
      if getmetatable(args[i]) ~= mt then ok = false end
   end
   local chosen = {}
   local nopt = n - nt
   if nopt > #opts then ok = false end
   for i = 1, #opts do
      local v = args[nt + i]
      if v == nil and nt + i <= n then ok = false end
      if v == nil then v = opts[i]:sub(1, 1)
      elseif type(v) ~= 'string' then ok = false
      else
         v = upper(v)
         if #v ~= 1 or not opts[i]:find(v, 1, true) then ok = false end
      end
      chosen[i] = v
   end
   if not ok then
      error(torch._invalidmsg(expected, unpack(args, 1, n)), 3)
   end
   local res = {}
   local src = args[first + 1]
   for i = 1, nres do
      res[i] = first > 0 and args[i] or like(src)
   end
   local ins = {}
   for i = 1, nin do ins[i] = args[first + i] end
   return res, ins, chosen
end

function torch.gesv(...)
   local r, i = lapack_args('gesv', '[*Tensor* *Tensor*] Tensor Tensor', 2, 2, {}, ...)
   k_gesv(H[r[1]], H[r[2]], H[i[1]], H[i[2]])
   return r[1], r[2]
end

function torch.trtrs(...)
   local r, i, o = lapack_args('trtrs',
      "[*Tensor* *Tensor*] Tensor Tensor ['U'|'L'] ['N'|'T'] ['N'|'U']", 2, 2,
      {'UL', 'NT', 'NU'}, ...)
   k_trtrs(H[r[1]], H[r[2]], H[i[1]], H[i[2]], o[1], o[2], o[3])
   return r[1], r[2]
end

function torch.gels(...)
   local r, i = lapack_args('gels', '[*Tensor* *Tensor*] Tensor Tensor', 2, 2, {}, ...)
   k_gels(H[r[1]], H[r[2]], H[i[1]], H[i[2]])
   return r[1], r[2]
end

function torch.inverse(...)
   local r, i = lapack_args('inverse', '[*Tensor*] Tensor', 1, 1, {}, ...)
   k_inverse(H[r[1]], H[i[1]])
   return r[1]
end

function torch.svd(...)
   local r, i, o = lapack_args('svd', "[*Tensor* *Tensor* *Tensor*] Tensor ['S'|'A']", 3, 1,
      {'SA'}, ...)
   k_svd(H[r[1]], H[r[2]], H[r[3]], H[i[1]], o[1])
   return r[1], r[2], r[3]
end

function torch.symeig(...)
   local r, i, o = lapack_args('symeig', "[*Tensor* *Tensor*] Tensor ['N'|'V'] ['U'|'L']", 2, 1,
      {'NV', 'UL'}, ...)
   k_symeig(H[r[1]], H[r[2]], H[i[1]], o[1], o[2])
   return r[1], r[2]
end

function torch.eig(...)
   local r, i, o = lapack_args('eig', "[*Tensor* *Tensor*] Tensor ['N'|'V']", 2, 1, {'NV'}, ...)
   k_eig(H[r[1]], H[r[2]], H[i[1]], o[1])
   return r[1], r[2]
end

function torch.potrf(...)
   local r, i, o = lapack_args('potrf', "[*Tensor*] Tensor ['U'|'L']", 1, 1, {'UL'}, ...)
   k_potrf(H[r[1]], H[i[1]], o[1])
   return r[1]
end

function torch.potrs(...)
   local r, i, o = lapack_args('potrs', "[*Tensor*] Tensor Tensor ['U'|'L']", 1, 2, {'UL'}, ...)
   k_potrs(H[r[1]], H[i[1]], H[i[2]], o[1])
   return r[1]
end

function torch.potri(...)
   local r, i, o = lapack_args('potri', "[*Tensor*] Tensor ['U'|'L']", 1, 1, {'UL'}, ...)
   k_potri(H[r[1]], H[i[1]], o[1])
   return r[1]
end

-- pstrf([res, piv,] A [, 'U'|'L'] [, tol]): piv is an IntTensor, as LAPACK's pivots
local int_mt = torch._tensor_mt_by_name.Int
local k_pstrf = door.la_pstrf

function torch.pstrf(...)
   local n = select('#', ...)
   local a1, a2, a3 = ...
   local res, piv, a, k
   if isT(a1) and getmetatable(a2) == int_mt and isT(a3) and getmetatable(a1) ~= int_mt then
      res, piv, a, k = a1, a2, a3, 4
   elseif isT(a1) then
      a, k = a1, 2
   end
   local uplo, tol = 'U', -1
   local ok = a ~= nil and (res == nil or getmetatable(res) == getmetatable(a)) and n <= k + 1
   if ok and k <= n then
      local v, w = select(k, ...)
      if type(v) == 'string' and (upper(v) == 'U' or upper(v) == 'L') then
         uplo = upper(v)
         if w ~= nil then
            if isnum(w) then tol = w else ok = false end
         end
      elseif isnum(v) and w == nil then
         tol = v
      else
         ok = false
      end
   end
   if not ok then
      badargs('pstrf', "[*Tensor* *IntTensor*] Tensor ['U'|'L'] [number]", ...)
   end
   res = res or like(a)
   piv = piv or wrap(t_new('Int'), int_mt)
   k_pstrf(H[res], H[piv], H[a], uplo, tol)
   return res, piv
end

function torch.qr(...)
   local r, i = lapack_args('qr', '[*Tensor* *Tensor*] Tensor', 2, 1, {}, ...)
   k_qr(H[r[1]], H[r[2]], H[i[1]])
   return r[1], r[2]
end

return torch
