-- cudnn.convert(net, dst [, exclusion_fn]): walks `net` recursively and swaps every module that
-- has an equivalent in the other backend (dst = cudnn: nn.X -> cudnn.X; dst = nn: cudnn.X ->
-- nn.X).  The converted module keeps the same fields (weights and buffers are shared, nothing is
-- copied).  Modules for which exclusion_fn(module) is true are left alone.  Returns the net
-- (the converted one if the net itself was converted).

local unpack = unpack or table.unpack

-- the layers with an equivalent on both sides, as in cudnn.torch
local layers = {
   'BatchNormalization', 'SpatialBatchNormalization', 'VolumetricBatchNormalization',
   'SpatialConvolution', 'SpatialCrossMapLRN', 'SpatialFullConvolution',
   'SpatialDilatedConvolution', 'SpatialMaxPooling', 'SpatialAveragePooling',
   'ReLU', 'Tanh', 'Sigmoid', 'SoftMax', 'LogSoftMax',
   'VolumetricConvolution', 'VolumetricFullConvolution', 'VolumetricDilatedConvolution',
   'VolumetricMaxPooling', 'VolumetricAveragePooling',
}

local function copyFields(x, mt)
   local y = setmetatable({}, mt)
   for k, v in pairs(x) do y[k] = v end
   return y
end

-- fields cudnn's modules expect that an nn module may lack, and back
local fixups = {}

function fixups.SpatialConvolution(y, x, dst)
   if dst == cudnn then
      y.groups = y.groups or 1
      y.padW, y.padH = y.padW or 0, y.padH or 0
      if y.weight and y.weight:dim() == 2 then
         -- from nn.SpatialConvolutionMM: nOutputPlane x (nInputPlane*kH*kW) seen as 4-D
         local sz = {y.nOutputPlane, y.nInputPlane, y.kH, y.kW}
         y.weight = y.weight:view(unpack(sz))
         if y.gradWeight and y.gradWeight:nElement() > 0 then
            y.gradWeight = y.gradWeight:view(unpack(sz))
         end
      end
   else
      y.groups = nil
      y._groups = nil
   end
end

-- in-place cudnn Tanh/Sigmoid may have handed out the caller's tensors as their buffers
local function freshBuffers(y, x)
   if x.inplace then
      y.output = x.output.new()
      y.gradInput = x.gradInput.new()
   end
   y.inplace, y._outbuf, y._gradbuf, y._aliasedOutput, y._aliasedGrad = nil, nil, nil, nil, nil
end

function fixups.Tanh(y, x, dst)
   if dst == nn then freshBuffers(y, x) else y.inplace = false end
end
fixups.Sigmoid = fixups.Tanh

function fixups.SoftMax(y, x, dst)
   if dst == cudnn then y.fastMode = false else y.fastMode = nil end
end

function cudnn.convert(net, dst, exclusion_fn)
   if dst ~= nn and dst ~= cudnn then
      torch._error('cudnn.convert: the backend (second argument) must be nn or cudnn')
   end
   local src = dst == nn and cudnn or nn
   local srcPrefix = src == nn and 'nn.' or 'cudnn.'
   local dstPrefix = dst == nn and 'nn.' or 'cudnn.'
   return net:replace(function(x)
      if exclusion_fn and exclusion_fn(x) then return x end
      local t = torch.typename(x)
      local name
      if t == 'nn.SpatialConvolutionMM' and dst == cudnn then
         name = 'SpatialConvolution'
      else
         for _, v in ipairs(layers) do
            if t == srcPrefix .. v then
               name = v
               break
            end
         end
      end
      if not name then return x end
      local mt = torch.getmetatable(dstPrefix .. name)
      if not mt then return x end
      -- grouped convolutions have no nn equivalent: they stay cudnn ones
      if name == 'SpatialConvolution' and dst == nn and (x.groups or 1) ~= 1 then return x end
      local y = copyFields(x, mt)
      if fixups[name] then fixups[name](y, x, dst) end
      return y
   end)
end
