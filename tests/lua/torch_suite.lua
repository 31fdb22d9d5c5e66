-- A Lua-side suite in Torch7's own style (torch.Tester), run by tests/test_lua_suites.py.
local mytest = torch.TestSuite()
local tester = torch.Tester()

function mytest.viewsShareStorage()
   local x = torch.zeros(3, 4)
   local col = x:select(2, 2)
   col:fill(7)
   tester:asserteq(x[2][2], 7, 'select must share storage')
   tester:asserteq(torch.pointer(x:storage()), torch.pointer(col:storage()), 'same storage')
   local row = x[1]
   row[4] = 1
   tester:asserteq(x[{1, 4}], 1, 'x[1] is a view')
end

function mytest.resizeKeepsStorage()
   local x = torch.Tensor(12)
   local p = torch.pointer(x:storage())
   x:resize(3, 4)
   tester:asserteq(torch.pointer(x:storage()), p, 'resize to a smaller size keeps storage')
   tester:assertTableEq(x:size():totable(), {3, 4}, 'new size')
end

function mytest.tensorEquality()
   local a = torch.range(1, 6):view(2, 3)
   local b = a:clone()
   tester:assertTensorEq(a, b, 0, 'clone equals source')
   b[1][1] = 100
   tester:assertTensorNe(a, b, 0, 'clone does not alias')
   tester:assert(a:isContiguous(), 'range is contiguous')
   tester:assertError(function() return a:view(4) end, 'bad view must fail')
end

function mytest.randomReproduces()
   torch.manualSeed(42)
   local a = torch.rand(5)
   torch.manualSeed(42)
   local b = torch.rand(5)
   tester:assertTensorEq(a, b, 0, 'same seed, same numbers')
end

tester:add(mytest)
tester:run()
