-- Under mpiexec: node 1 writes checkpoints in a loop while node 2 waits to be killed.
local tree = require('distlearn').init()
print('pid ' .. tree.nodeIndex .. ' ' .. io.open('/proc/self/stat'):read('*l'):match('^(%d+)'))
io.stdout:flush()
if tree.nodeIndex == 1 then
   local path = arg[1]
   local t = torch.DoubleTensor(2 * 1000 * 1000)
   for i = 1, 1e9 do
      torch.save(path, {step = i, weights = t:fill(i)})
      print('saved ' .. i)
      io.stdout:flush()
   end
else
   sys.sleep(120)
end
