-- nn.SpatialFullConvolutionMap(connTable, kW, kH [, dW = 1, dH = 1]): a 2D full (transposed)
-- convolution whose kernels connect only the (input plane, output plane) pairs listed in
-- connTable (see nn.tables). weight: connTable:size(1) x kH x kW; bias: nOutputPlane.
-- Runs as nn.SpatialFullConvolution's kernels on the equivalent dense weight
-- (nInputPlane x nOutputPlane x kH x kW), made from self.weight at every call.

require 'nn.tables'

local SpatialFullConvolutionMap, parent =
   torch.class('nn.SpatialFullConvolutionMap', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_full2d_fwd, door.conv_full2d_bwd, door.conv_full2d_acc
local buffers = nn.utils.unfoldBuffers

-- The fields (the table, one kH x kW kernel per connection, a bias per output plane, the
-- finput / fgradInput scratch) and their fan-in draw are SpatialConvolutionMap's: only the
-- kernels run on them differ.
function SpatialFullConvolutionMap:__init(conMatrix, kW, kH, dW, dH)
   nn.SpatialConvolutionMap.__init(self, conMatrix, kW, kH, dW, dH)
end

SpatialFullConvolutionMap.reset = nn.SpatialConvolutionMap.reset

-- Each connection's row in the dense weight seen as (nInputPlane * nOutputPlane) x kH x kW.
local function connIndex(self)
   local conn = self.connTable
   -- a LongTensor whatever the module's type (:type() converts every tensor field)
   if torch.type(self._connIndex) ~= 'torch.LongTensor' then
      self._connIndex = torch.LongTensor()
   end
   return self._connIndex:resize(conn:size(1)):copy(conn:select(2, 1)):add(-1)
      :mul(self.nOutputPlane):add(conn:select(2, 2):long())
end

-- A dense buffer in the weight's type (the field `name`), zeroed, and its flat view. The input
-- may have more planes than the table names (Torch7 accepts them): they get zero kernels.
local function dense(self, name, input)
   local d = self[name]
   if not d or torch.type(d) ~= torch.type(self.weight) then
      d = self.weight.new()
      self[name] = d
   end
   local nin = input:size(input:dim() - 2)
   d:resize(nin, self.nOutputPlane, self.kH, self.kW):zero()
   return d, d:view(nin * self.nOutputPlane, self.kH, self.kW)
end

local function denseWeight(self, input)
   local d, flat = dense(self, '_denseWeight', input)
   flat:indexAdd(1, connIndex(self), self.weight)
   return d
end

local function checkInput(self, input)
   if input:dim() ~= 3 and input:dim() ~= 4 then
      error('3D or 4D(batch mode) tensor expected')
   end
   if input:size(input:dim() - 2) < self.nInputPlane then
      error('invalid number of input planes')
   end
end

function SpatialFullConvolutionMap:updateOutput(input)
   checkInput(self, input)
   local _, fgrad = buffers(self)
   k_fwd(H[self.output], H[input], H[denseWeight(self, input)], H[self.bias], fgrad, self.kW,
      self.kH, self.dW, self.dH, 0, 0, 0, 0)
   return self.output
end

function SpatialFullConvolutionMap:updateGradInput(input, gradOutput)
   if self.gradInput then
      checkInput(self, input)
      local finput, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input], H[gradOutput], H[denseWeight(self, input)], finput,
         fgrad, self.kW, self.kH, self.dW, self.dH, 0, 0, 0, 0)
      return self.gradInput
   end
end

function SpatialFullConvolutionMap:accGradParameters(input, gradOutput, scale)
   checkInput(self, input)
   local finput, fgrad = buffers(self)
   local d, flat = dense(self, '_denseGradWeight', input)
   k_acc(H[input], H[gradOutput], H[d], H[self.gradBias], finput, fgrad, self.kW, self.kH,
      self.dW, self.dH, 0, 0, 0, 0, scale or 1)
   self._gradRows = self._gradRows or self.weight.new()
   self._gradRows:index(flat, 1, connIndex(self))
   self.gradWeight:add(self._gradRows)
end

local function clearBuffers(self)
   nn.utils.clear(self, 'finput', 'fgradInput', '_denseWeight', '_denseGradWeight', '_gradRows',
                  '_connIndex')
end

-- the buffers are remade in the new type; output is left to parent.type, as Torch7 does
function SpatialFullConvolutionMap:type(type, tensorCache)
   clearBuffers(self)
   return parent.type(self, type, tensorCache)
end

function SpatialFullConvolutionMap:clearState()
   clearBuffers(self)
   return parent.clearState(self)
end

function SpatialFullConvolutionMap:__tostring__()
   return string.format('%s(%d -> %d, %dx%d, %d,%d)', torch.type(self), self.nInputPlane,
                        self.nOutputPlane, self.kW, self.kH, self.dW, self.dH)
end
