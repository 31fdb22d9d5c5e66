-- optim.ConfusionMatrix: counts of (target class, predicted class) pairs, with per-class and
-- global accuracies.
--
--    cm = optim.ConfusionMatrix(nclasses [, classes])   or   optim.ConfusionMatrix(classes)
--    cm:add(prediction, target)       one sample: numbers, or a score vector (its argmax is
--                                     the class) and a class number or a one-hot/score vector
--    cm:batchAdd(predictions, targets)  a batch: class vectors, or rows of scores/one-hots
--    cm:zero()   cm:updateValids()   print(cm)   cm:farFrr()
--
-- Targets that are not positive mark missing labels and are not counted.
-- Fields:
--    mat           LongTensor nclasses x nclasses, mat[target][prediction] = count
--    valids        FloatTensor, per class: correct / samples of that target (row accuracy)
--    unionvalids   FloatTensor, per class: correct / (row + column - correct)
--    totalValid    global accuracy          averageValid        mean of valids (NaNs skipped)
--    averageUnionValid   mean of unionvalids
--    classes       the class names ({} when not given)
-- No config keys.

local ConfusionMatrix = torch.class('optim.ConfusionMatrix')

local floor, ceil, max, log10 = math.floor, math.ceil, math.max, math.log10

function ConfusionMatrix:__init(nclasses, classes)
   -- 1. either a count and optional names, or just the names
   if type(nclasses) == 'table' then
      classes = nclasses
      nclasses = #classes
   end
   -- 2. the counts and accuracies
   self.mat = torch.LongTensor(nclasses, nclasses):zero()
   self.valids = torch.FloatTensor(nclasses):zero()
   self.unionvalids = torch.FloatTensor(nclasses):zero()
   self.nclasses = nclasses
   self.totalValid = 0
   self.averageValid = 0
   self.classes = classes or {}
   -- 3. buffers reused by add/batchAdd
   self._target = torch.FloatTensor()
   self._prediction = torch.FloatTensor()
   self._max = torch.FloatTensor()
   self._pred_idx = torch.LongTensor()
   self._targ_idx = torch.LongTensor()
end

-- count one (prediction, target) pair of class numbers
function ConfusionMatrix:_add(p, t)
   assert(p and type(p) == 'number')
   assert(t and type(t) == 'number')
   if t > 0 then
      local mat = self.mat
      mat[{t, p}] = mat[{t, p}] + 1
   end
end

function ConfusionMatrix:add(prediction, target)
   -- 1. two class numbers
   if type(prediction) == 'number' then
      self:_add(prediction, target)
      return
   end
   -- 2. a score vector: its argmax is the predicted class
   self._prediction:resize(prediction:size()):copy(prediction)
   assert(prediction:dim() == 1)
   torch.max(self._max, self._pred_idx, self._prediction, 1)
   if type(target) == 'number' then
      self:_add(self._pred_idx[1], target)
   else
      -- 3. a target vector too: its argmax is the true class
      assert(target:dim() == 1)
      self._target:resize(target:size()):copy(target)
      torch.max(self._max, self._targ_idx, self._target, 1)
      self:_add(self._pred_idx[1], self._targ_idx[1])
   end
end

-- class numbers from a batch: a vector of classes, an Nx1 matrix, or rows of scores (argmax)
local function classesof(self, src, buf, idx, what)
   buf:resize(src:size()):copy(src)
   if src:dim() == 1 then
      return buf
   elseif src:dim() == 2 then
      if src:size(2) == 1 then return buf:select(2, 1) end
      torch.max(self._max, idx, buf, 2)
      return idx:select(2, 1)
   end
   error(what .. ' has invalid number of dimensions', 3)
end

function ConfusionMatrix:batchAdd(predictions, targets)
   -- 1. class numbers of both sides
   local preds = classesof(self, predictions, self._prediction, self._pred_idx, 'predictions')
   local targs = classesof(self, targets, self._target, self._targ_idx, 'targets')

   -- 2. keep the pairs with a real (positive) target
   local keep = targs:ge(1)
   local t = targs:maskedSelect(keep):long()
   if t:nElement() == 0 then return end
   local p = preds:maskedSelect(keep):long()

   -- 3. count all pairs at once in the flat matrix: cell (t, p) is (t - 1) * stride + p
   local mat = self.mat
   assert(mat:isContiguous() and mat:stride(2) == 1)
   local cells = t:add(-1):mul(mat:stride(1)):add(p)
   local ones = mat.new(cells:size(1)):fill(1)
   mat:view(mat:nElement()):indexAdd(1, cells, ones)
end

function ConfusionMatrix:zero()
   self.mat:zero()
   self.valids:zero()
   self.unionvalids:zero()
   self.totalValid = 0
   self.averageValid = 0
end

local function isnan(v) return v ~= v end

function ConfusionMatrix:updateValids()
   -- 1. row and column sums, diagonal
   local n = self.nclasses
   local m = self.mat:totable()
   local rows, cols = {}, {}
   local diag, all = 0, 0
   for i = 1, n do
      rows[i], cols[i] = 0, 0
   end
   for i = 1, n do
      local r = m[i]
      for j = 1, n do
         local v = r[j]
         rows[i] = rows[i] + v
         cols[j] = cols[j] + v
      end
      diag = diag + r[i]
      all = all + rows[i]
   end

   -- 2. per-class accuracy and intersection-over-union, stored as floats (Torch7 does)
   local v, u = {}, {}
   for i = 1, n do
      local d = m[i][i]
      v[i] = d / rows[i]
      u[i] = d / (rows[i] + cols[i] - d)
   end
   if n > 0 then
      self.valids:copy(torch.DoubleTensor(v))
      self.unionvalids:copy(torch.DoubleTensor(u))
   end
   local fv, fu = self.valids:totable(), self.unionvalids:totable()

   -- 3. global accuracy, and class averages that skip classes without samples (NaN)
   self.totalValid = diag / all
   local sv, su, nv, nu = 0, 0, 0, 0
   for i = 1, n do
      if not isnan(fv[i]) then
         sv = sv + fv[i]
         nv = nv + 1
         if not isnan(fu[i]) then
            su = su + fu[i]
            nu = nu + 1
         end
      end
   end
   self.averageValid = sv / nv
   self.averageUnionValid = su / nu
end

-- false rejection and false acceptance rates, per class and for the classes with samples
function ConfusionMatrix:farFrr()
   -- 1. buffers, -1 for classes without samples
   local cmat = self.mat
   local n = cmat:size(1)
   self._frrs = self._frrs or torch.zeros(n)
   self._classFrrs = self._classFrrs or torch.zeros(n)
   self._fars = self._fars or torch.zeros(n)
   self._classFars = self._classFars or torch.zeros(n)
   self._frrs:zero()
   self._fars:zero()
   self._classFrrs:fill(-1)
   self._classFars:fill(-1)

   -- 2. per class: FRR = 1 - correct / samples; FAR = mean over other classes of the share of
   --    their samples predicted as this class
   local m = cmat:totable()
   local count = {}
   for i = 1, n do
      local s = 0
      for j = 1, n do s = s + m[i][j] end
      count[i] = s
   end
   local k = 0
   for i = 1, n do
      if count[i] ~= 0 then
         k = k + 1
         local frr = 1 - m[i][i] / count[i]
         local num, den = 0, 0
         for j = 1, n do
            if j ~= i and count[j] ~= 0 then
               num = num + m[j][i] / count[j]
               den = den + 1
            end
         end
         local far = num / den
         self._frrs[k] = frr
         self._classFrrs[i] = self._frrs[k]
         self._fars[k] = far
         self._classFars[i] = self._fars[k]
      end
   end

   -- 3. the per-class tables, and the rates of the classes with samples
   local frrs, fars
   if k > 0 then
      frrs, fars = self._frrs:narrow(1, 1, k), self._fars:narrow(1, 1, k)
   else
      frrs, fars = self._frrs.new(), self._fars.new()
   end
   return self._classFrrs, self._classFars, frrs, fars
end

function ConfusionMatrix:__tostring__()
   -- 1. fresh accuracies
   self:updateValids()
   local n = self.nclasses
   local m = self.mat:totable()
   local valids = self.valids:totable()

   -- 2. column width: at least 8, enough for the largest count
   local maxCnt = -math.huge
   for i = 1, n do
      for j = 1, n do
         if m[i][j] > maxCnt then maxCnt = m[i][j] end
      end
   end
   local nDigits = max(8, 1 + ceil(log10(maxCnt)))
   local cell = '%' .. nDigits .. 'd'

   -- 3. one line per target class: counts, then the row accuracy and the class name
   local named = self.classes and self.classes[1] ~= nil
   local out = {'ConfusionMatrix:\n', '['}
   for t = 1, n do
      local pclass = string.format('%2.3f', valids[t] * 100)
      out[#out + 1] = (t == 1) and '[' or ' ['
      local r = m[t]
      for p = 1, n do out[#out + 1] = string.format(cell, floor(r[p])) end
      local close = (t == n) and ']]  ' or ']   '
      if named then
         out[#out + 1] = close .. pclass .. '% \t[class: ' .. (self.classes[t] or '') .. ']\n'
      else
         out[#out + 1] = close .. pclass .. '% \n'
      end
   end

   -- 4. summary lines
   out[#out + 1] = ' + average row correct: ' .. (self.averageValid * 100) .. '% \n'
   out[#out + 1] = ' + average rowUcol correct (VOC measure): ' ..
      (self.averageUnionValid * 100) .. '% \n'
   out[#out + 1] = ' + global correct: ' .. (self.totalValid * 100) .. '%'
   return table.concat(out)
end
