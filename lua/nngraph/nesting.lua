-- Helpers over a tensor or a (nested) table of tensors, as nngraph exposes them to scripts
-- and to totem's gradient checks (`require 'nngraph.nesting'`).
local nesting = {}

local isTensor = torch.isTensor

--- A deep copy: tensors cloned, tables rebuilt with the same keys.
function nesting.cloneNested(obj)
   if isTensor(obj) then return obj:clone() end
   local copy = {}
   for k, v in pairs(obj) do copy[k] = nesting.cloneNested(v) end
   return copy
end

--- Every tensor inside `obj` filled with `value`.
function nesting.fillNested(obj, value)
   if isTensor(obj) then
      obj:fill(value)
      return
   end
   for _, v in pairs(obj) do nesting.fillNested(v, value) end
end

--- `output` reshaped in place to `input`'s structure: tensors resized, missing entries
--- cloned from the input, entries the input lacks dropped.
function nesting.resizeNestedAs(output, input)
   if isTensor(output) then
      output:resizeAs(input)
      return
   end
   for k, v in pairs(input) do
      if output[k] == nil then
         output[k] = nesting.cloneNested(v)
      else
         nesting.resizeNestedAs(output[k], v)
      end
   end
   local extra = {}
   for k in pairs(output) do
      if input[k] == nil then extra[#extra + 1] = k end
   end
   -- removed after the walk: assigning nil to other keys during `pairs` is not allowed
   for _, k in ipairs(extra) do output[k] = nil end
end

--- `input`'s values copied into `output`, which must have the same structure.
function nesting.copyNested(output, input)
   if isTensor(output) then
      output:copy(input)
      return
   end
   for k, v in pairs(input) do nesting.copyNested(output[k], v) end
   for k in pairs(output) do
      if input[k] == nil then
         error('key ' .. tostring(k) .. ' present in output but not in input')
      end
   end
end

--- `input` added into `output`, element by element, through the same nesting.
function nesting.addNestedTo(output, input)
   if isTensor(output) then
      output:add(input)
      return
   end
   for k, v in pairs(input) do
      if output[k] == nil then error('missing key') end
      nesting.addNestedTo(output[k], v)
   end
end

return nesting
