-- nn.SpatialConvolutionMap(connTable, kW, kH, [dW], [dH]): a 2D convolution whose kernels
-- connect only the (input plane, output plane) pairs listed in connTable (see nn.tables).
-- weight: connTable:size(1) x kH x kW; bias: nOutputPlane. No padding.
-- Runs as a SpatialConvolution with the equivalent full weight (luatorch/kernels/conv.py).

require 'nn.tables'

local SpatialConvolutionMap, parent = torch.class('nn.SpatialConvolutionMap', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_map_fwd, door.conv_map_bwd, door.conv_map_acc
local buffers = nn.utils.unfoldBuffers

function SpatialConvolutionMap:__init(conMatrix, kW, kH, dW, dH)
   parent.__init(self)
   self.kW = kW
   self.kH = kH
   self.dW = dW or 1
   self.dH = dH or 1
   self.connTable = conMatrix
   self.nInputPlane = self.connTable:select(2, 1):max()
   self.nOutputPlane = self.connTable:select(2, 2):max()
   self.weight = torch.Tensor(self.connTable:size(1), kH, kW)
   self.bias = torch.Tensor(self.nOutputPlane)
   self.gradWeight = torch.Tensor(self.connTable:size(1), kH, kW)
   self.gradBias = torch.Tensor(self.nOutputPlane)
   self.finput = torch.Tensor()
   self.fgradInput = torch.Tensor()
   self:reset()
end

function SpatialConvolutionMap:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
      self.weight:apply(function() return torch.uniform(-stdv, stdv) end)
      self.bias:apply(function() return torch.uniform(-stdv, stdv) end)
   else
      -- each kernel drawn with the fan-in of its output plane, kernel by kernel
      local conn = self.connTable
      local nconn = conn:size(1)
      local fanin = {}
      for i = 1, self.nOutputPlane do fanin[i] = 0 end
      for i = 1, nconn do
         local o = conn[i][2]
         fanin[o] = fanin[o] + 1
      end
      for k = 1, nconn do
         local s = 1 / math.sqrt(self.kW * self.kH * fanin[conn[k][2]])
         self.weight:select(1, k):apply(function() return torch.uniform(-s, s) end)
      end
      for k = 1, self.bias:size(1) do
         local s = 1 / math.sqrt(self.kW * self.kH * fanin[k])
         self.bias[k] = torch.uniform(-s, s)
      end
   end
end

function SpatialConvolutionMap:updateOutput(input)
   local finput, fgrad = buffers(self)
   k_fwd(H[self.output], H[input] or input, H[self.weight], H[self.bias], H[self.connTable],
      finput, fgrad, self.nInputPlane, self.nOutputPlane, self.dW, self.dH)
   return self.output
end

function SpatialConvolutionMap:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         H[self.connTable], fgrad, self.nInputPlane, self.nOutputPlane, self.dW, self.dH)
      return self.gradInput
   end
end

function SpatialConvolutionMap:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = buffers(self)
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight], H[self.gradBias],
      H[self.connTable], finput, fgrad, self.nInputPlane, self.nOutputPlane, self.dW, self.dH,
      scale or 1)
end

function SpatialConvolutionMap:decayParameters(decay)
   self.weight:add(-decay, self.weight)
   self.bias:add(-decay, self.bias)
end

function SpatialConvolutionMap:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function SpatialConvolutionMap:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput')
   return parent.clearState(self)
end
