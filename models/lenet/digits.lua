-- The UCI handwritten digits and the LeNet-style convnet that learns them, shared by
-- lenet_digits.lua and lenet_digits_dist.lua.
local digits = {}

--- The 1797 digits of `dir`/data/digits.t7 as FloatTensors in 0..1 with labels 1..10, in a
--- shuffle drawn from the current random generator: 1500 to train on, the rest held out.
function digits.split(dir)
   local data = torch.load(dir .. '/data/digits.t7')
   local images = data.images:float():div(16)       -- 1797 x 8 x 8, values 0..16
   local labels = data.labels:long()                -- 1797, classes 1..10
   local n = images:size(1)
   local perm = torch.randperm(n):long()
   local nTrain = 1500
   local train, test = perm:narrow(1, 1, nTrain), perm:narrow(1, nTrain + 1, n - nTrain)
   return images:index(1, train):view(nTrain, 1, 8, 8), labels:index(1, train),
      images:index(1, test):view(n - nTrain, 1, 8, 8), labels:index(1, test)
end

--- The convnet, its weights drawn from the current random generator.
function digits.model()
   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(1, 16, 3, 3, 1, 1, 1, 1))   -- 16 x 8 x 8
   model:add(nn.ReLU())
   model:add(nn.SpatialMaxPooling(2, 2, 2, 2))                 -- 16 x 4 x 4
   model:add(nn.SpatialConvolution(16, 32, 3, 3, 1, 1, 1, 1))  -- 32 x 4 x 4
   model:add(nn.ReLU())
   model:add(nn.SpatialMaxPooling(2, 2, 2, 2))                 -- 32 x 2 x 2
   model:add(nn.View(32 * 2 * 2))
   model:add(nn.Linear(128, 64))
   model:add(nn.ReLU())
   model:add(nn.Linear(64, 10))
   model:add(nn.LogSoftMax())
   return model
end

return digits
