-- nn.FlattenTable: a nested table of tensors -> a flat table of them (depth-first order).

local FlattenTable, parent = torch.class('nn.FlattenTable', 'nn.Module')

function FlattenTable:__init()
   parent.__init(self)
   self.output = {}
   self.input_map = {}
   self.gradInput = {}
end

-- Append the tensors of `input` to `output`; returns input's shape holding output positions.
local function flatten(output, input)
   if type(input) == 'table' then
      local map = {}
      for i = 1, #input do map[#map + 1] = flatten(output, input[i]) end
      return map
   end
   local pos = #output + 1
   output[pos] = input
   return pos
end

-- True when `output` already is the flattening of `input` described by `map`.
local function checkMapping(output, input, map)
   if map == nil or output == nil or input == nil then return false end
   if type(input) == 'table' then
      if type(map) ~= 'table' or #input ~= #map then return false end
      for i = 1, #input do
         if not checkMapping(output, input[i], map[i]) then return false end
      end
      return true
   end
   return type(map) == 'number' and output[map] == input
end

-- The nested table shaped like `map` holding the flat gradients.
local function inverseFlatten(gradOutput, map)
   if type(map) == 'table' then
      local gradInput = {}
      for i = 1, #map do gradInput[#gradInput + 1] = inverseFlatten(gradOutput, map[i]) end
      return gradInput
   end
   return gradOutput[map]
end

function FlattenTable:updateOutput(input)
   assert(type(input) == 'table', 'input must be a table')
   if not checkMapping(self.output, input, self.input_map) then
      self.output = {}
      self.input_map = flatten(self.output, input)
   end
   return self.output
end

function FlattenTable:updateGradInput(input, gradOutput)
   assert(type(input) == 'table', 'input must be a table')
   assert(type(gradOutput) == 'table', 'gradOutput must be a table')
   if not checkMapping(gradOutput, self.gradInput, self.input_map) then
      self.gradInput = inverseFlatten(gradOutput, self.input_map)
   end
   return self.gradInput
end

function FlattenTable:type(type, tensorCache)
   -- the tables hold the caller's tensors: nothing of our own to convert
   self.input_map = {}
   self.output = {}
   self.gradInput = {}
   return self
end

function FlattenTable:clearState()
   self.input_map = {}
   return parent.clearState(self)
end
