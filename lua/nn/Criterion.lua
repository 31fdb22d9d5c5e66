-- nn.Criterion: the protocol of every loss; criterions override updateOutput and
-- updateGradInput (and set sizeAverage in __init where the loss averages).

local Criterion = torch.class('nn.Criterion')

function Criterion:__init()
   self.gradInput = torch.Tensor()
   self.output = 0
end

function Criterion:updateOutput(input, target)
end

function Criterion:forward(input, target)
   return self:updateOutput(input, target)
end

function Criterion:backward(input, target)
   return self:updateGradInput(input, target)
end

function Criterion:updateGradInput(input, target)
end

function Criterion:clone()
   return nn.utils.deepcopy(self)
end

function Criterion:type(typename, tensorCache)
   if not typename then
      torch._error('Criterion: must provide a type to convert to')
   end
   tensorCache = tensorCache or {}
   for key, param in pairs(self) do
      self[key] = nn.utils.recursiveType(param, typename, tensorCache)
   end
   return self
end

function Criterion:float(...) return self:type('torch.FloatTensor', ...) end
function Criterion:double(...) return self:type('torch.DoubleTensor', ...) end
function Criterion:cuda(...) return self:type('torch.CudaTensor', ...) end

function Criterion:__call__(input, target)
   self.output = self:forward(input, target)
   self.gradInput = self:backward(input, target)
   return self.output, self.gradInput
end

function Criterion:write(file)
   local var = {}
   for k, v in pairs(self) do var[k] = v end
   file:writeObject(var)
end

function Criterion:read(file)
   local var = file:readObject()
   for k, v in pairs(var) do self[k] = v end
end

function Criterion:__tostring__()
   return torch.type(self)
end

--- Define `class` (a subclass of nn.Criterion) as an element-wise criterion: its loss and its
--- gradient are each one kernel call, fwd(input, target, sizeAverage) -> number and
--- bwd(gradInput, input, target, sizeAverage).
--- THNN's check that an element-wise criterion gets tensors (`fname` is the method called).
local function tensorargs(fname, hin, htg, input, target)
   if hin == nil then
      torch._error(string.format("bad argument #1 to '%s' (tensor expected, got %s)", fname,
         torch.typename(input) or type(input)))
   end
   if htg == nil then
      torch._error(string.format("bad argument #2 to '%s' (tensor expected, got %s)", fname,
         torch.typename(target) or type(target)))
   end
end
Criterion._tensorargs = tensorargs

function Criterion._elementwise(class, fwd, bwd)
   local H = torch._H
   local parent = Criterion
   function class:__init(sizeAverage)
      parent.__init(self)
      if sizeAverage ~= nil then
         self.sizeAverage = sizeAverage
      else
         self.sizeAverage = true
      end
   end
   function class:updateOutput(input, target)
      local hin, htg = H[input], H[target]
      if hin == nil or htg == nil then tensorargs('forward', hin, htg, input, target) end
      self.output = fwd(hin, htg, self.sizeAverage)
      return self.output
   end
   function class:updateGradInput(input, target)
      local hin, htg = H[input], H[target]
      if hin == nil or htg == nil then tensorargs('backward', hin, htg, input, target) end
      bwd(H[self.gradInput], hin, htg, self.sizeAverage)
      return self.gradInput
   end
end

return Criterion
