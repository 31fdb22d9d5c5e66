-- ResNet as fb.resnet.torch builds it: basic and bottleneck blocks, shortcut types A
-- (zero-padded identity), B (projection when the shape changes) and C (always projection),
-- CIFAR depths (6n+2) and ImageNet depths (18, 34, 50, 101, 152, 200).
-- require 'resnet' returns createModel(opt), opt = {depth=, dataset='cifar10'|'imagenet',
-- shortcutType='A'|'B'|'C', nClasses=}.

require 'nn'

local Convolution = nn.SpatialConvolution
local Avg = nn.SpatialAveragePooling
local ReLU = nn.ReLU
local Max = nn.SpatialMaxPooling
local SBatchNorm = nn.SpatialBatchNormalization

local function createModel(opt)
   local depth = opt.depth
   local shortcutType = opt.shortcutType or 'B'
   local iChannels

   -- the shortcut of a block: identity, zero-padded identity (A) or 1x1 projection (B, C)
   local function shortcut(nInputPlane, nOutputPlane, stride)
      local useConv = shortcutType == 'C' or
         (shortcutType == 'B' and nInputPlane ~= nOutputPlane)
      if useConv then
         return nn.Sequential()
            :add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride))
            :add(SBatchNorm(nOutputPlane))
      elseif nInputPlane ~= nOutputPlane then
         -- strided subsampling, then the new planes filled with zeros
         return nn.Sequential()
            :add(nn.SpatialAveragePooling(1, 1, stride, stride))
            :add(nn.Concat(2)
               :add(nn.Identity())
               :add(nn.MulConstant(0)))
      else
         return nn.Identity()
      end
   end

   local function basicblock(n, stride)
      local nInputPlane = iChannels
      iChannels = n
      local s = nn.Sequential()
      s:add(Convolution(nInputPlane, n, 3, 3, stride, stride, 1, 1))
      s:add(SBatchNorm(n))
      s:add(ReLU(true))
      s:add(Convolution(n, n, 3, 3, 1, 1, 1, 1))
      s:add(SBatchNorm(n))
      return nn.Sequential()
         :add(nn.ConcatTable()
            :add(s)
            :add(shortcut(nInputPlane, n, stride)))
         :add(nn.CAddTable(true))
         :add(ReLU(true))
   end

   local function bottleneck(n, stride)
      local nInputPlane = iChannels
      iChannels = n * 4
      local s = nn.Sequential()
      s:add(Convolution(nInputPlane, n, 1, 1, 1, 1, 0, 0))
      s:add(SBatchNorm(n))
      s:add(ReLU(true))
      s:add(Convolution(n, n, 3, 3, stride, stride, 1, 1))
      s:add(SBatchNorm(n))
      s:add(ReLU(true))
      s:add(Convolution(n, n * 4, 1, 1, 1, 1, 0, 0))
      s:add(SBatchNorm(n * 4))
      return nn.Sequential()
         :add(nn.ConcatTable()
            :add(s)
            :add(shortcut(nInputPlane, n * 4, stride)))
         :add(nn.CAddTable(true))
         :add(ReLU(true))
   end

   local function layer(block, features, count, stride)
      local s = nn.Sequential()
      for i = 1, count do
         s:add(block(features, i == 1 and stride or 1))
      end
      return s
   end

   local model = nn.Sequential()
   if opt.dataset == 'imagenet' then
      local cfg = {
         [18] = {{2, 2, 2, 2}, 512, basicblock},
         [34] = {{3, 4, 6, 3}, 512, basicblock},
         [50] = {{3, 4, 6, 3}, 2048, bottleneck},
         [101] = {{3, 4, 23, 3}, 2048, bottleneck},
         [152] = {{3, 8, 36, 3}, 2048, bottleneck},
         [200] = {{3, 24, 36, 3}, 2048, bottleneck},
      }
      assert(cfg[depth], 'Invalid depth: ' .. tostring(depth))
      local def, nFeatures, block = cfg[depth][1], cfg[depth][2], cfg[depth][3]
      iChannels = 64
      model:add(Convolution(3, 64, 7, 7, 2, 2, 3, 3))
      model:add(SBatchNorm(64))
      model:add(ReLU(true))
      model:add(Max(3, 3, 2, 2, 1, 1))
      model:add(layer(block, 64, def[1]))
      model:add(layer(block, 128, def[2], 2))
      model:add(layer(block, 256, def[3], 2))
      model:add(layer(block, 512, def[4], 2))
      model:add(Avg(7, 7, 1, 1))
      model:add(nn.View(nFeatures):setNumInputDims(3))
      model:add(nn.Linear(nFeatures, opt.nClasses or 1000))
   elseif opt.dataset == 'cifar10' or opt.dataset == 'cifar100' then
      assert((depth - 2) % 6 == 0, 'depth should be one of 20, 32, 44, 56, 110, 1202')
      local n = (depth - 2) / 6
      iChannels = 16
      model:add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
      model:add(SBatchNorm(16))
      model:add(ReLU(true))
      model:add(layer(basicblock, 16, n))
      model:add(layer(basicblock, 32, n, 2))
      model:add(layer(basicblock, 64, n, 2))
      model:add(Avg(8, 8, 1, 1))
      model:add(nn.View(64):setNumInputDims(3))
      model:add(nn.Linear(64, opt.nClasses or (opt.dataset == 'cifar10' and 10 or 100)))
   else
      error('invalid dataset: ' .. tostring(opt.dataset))
   end

   -- He initialisation of convolutions, unit batch-norm scales, zero Linear bias
   local function convInit(name)
      for _, v in pairs(model:findModules(name)) do
         local n = v.kW * v.kH * v.nOutputPlane
         v.weight:normal(0, math.sqrt(2 / n))
         if v.bias then v.bias:zero() end
      end
   end
   local function bnInit(name)
      for _, v in pairs(model:findModules(name)) do
         v.weight:fill(1)
         v.bias:zero()
      end
   end
   convInit('nn.SpatialConvolution')
   bnInit('nn.SpatialBatchNormalization')
   for _, v in pairs(model:findModules('nn.Linear')) do v.bias:zero() end
   return model
end

return createModel
