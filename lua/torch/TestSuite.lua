local torch = torch

-- A suite looks like a plain table of test functions, but the functions live in
-- __tests so that every assignment goes through __newindex, where a second test
-- with the same name (a copy-paste slip that would silently drop a test) is caught.
local suiteMeta = {}

function suiteMeta:__index(key)
   return rawget(self, '__tests')[key]
end

function suiteMeta:__newindex(key, value)
   local tests = rawget(self, '__tests')
   if tests[key] ~= nil then
      error('Test ' .. tostring(key) .. ' is already defined.', 2)
   end
   if type(value) ~= 'function' then
      if type(value) == 'table' then
         error('Nested tables of tests are not supported', 2)
      end
      error('Only functions are supported as members of a TestSuite', 2)
   end
   tests[key] = value
   -- Remembered so the Tester can run tests in the order they were written.
   local order = rawget(self, '__order')
   order[#order + 1] = key
end

function torch.TestSuite()
   local suite = {
      __tests = {},
      __order = {},
      __isTestSuite = true,
   }
   return setmetatable(suite, suiteMeta)
end

return torch.TestSuite
