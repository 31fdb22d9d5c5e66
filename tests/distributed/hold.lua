-- Under mpiexec: print this rank's pid, then allreduce in a loop (the kill and timeout tests).
local tree = require('distlearn').init()
local f = io.open('/proc/self/stat')
print('pid ' .. tree.nodeIndex .. ' ' .. f:read('*l'):match('^(%d+)'))
f:close()
io.stdout:flush()
if os.getenv('HOLD_FAIL') == tostring(tree.nodeIndex) then
   error('failed on purpose')
end
if os.getenv('HOLD_SKIP') == tostring(tree.nodeIndex) then
   while true do end
end
local x = torch.FloatTensor(1000)
for _ = 1, 1e9 do
   tree.allReduce(x:fill(1))
end
