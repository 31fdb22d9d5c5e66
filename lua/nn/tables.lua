-- nn.tables: connection tables for nn.SpatialConvolutionMap. A table is a K x 2 tensor whose
-- rows are (input plane, output plane) pairs, one per kernel.

nn.tables = nn.tables or {}

--- Every input plane connected to every output plane (output-major order).
function nn.tables.full(nin, nout)
   local ft = torch.Tensor(nin * nout, 2)
   local p = 1
   for j = 1, nout do
      for i = 1, nin do
         ft[p][1] = i
         ft[p][2] = j
         p = p + 1
      end
   end
   return ft
end

--- Plane i connected to plane i only.
function nn.tables.oneToOne(nfeat)
   local ft = torch.Tensor(nfeat, 2)
   for i = 1, nfeat do
      ft[i][1] = i
      ft[i][2] = i
   end
   return ft
end

--- Each output plane fed by nto input planes drawn from random permutations of the inputs,
--- spreading the outgoing connections of the inputs as evenly as possible.
function nn.tables.random(nin, nout, nto)
   local tbl = torch.Tensor(nto * nout, 2)
   local perm = torch.randperm(nin)
   local nchunks = math.floor(nin / nto) -- distinct groups of nto inputs in one permutation
   local from = tbl:select(2, 1):unfold(1, nto, nto)
   local to = tbl:select(2, 2):unfold(1, nto, nto)
   local chunks = perm:narrow(1, 1, nchunks * nto):unfold(1, nto, nto)
   local chunk = 1
   for i = 1, nout do
      from:select(1, i):copy(chunks:select(1, chunk))
      chunk = chunk + 1
      if chunk - 1 == nchunks then
         perm:copy(torch.randperm(nin)) -- next permutation (chunks views it)
         chunk = 1
      end
   end
   for i = 1, to:size(1) do
      to:select(1, i):fill(i)
   end
   return tbl
end

return nn.tables
