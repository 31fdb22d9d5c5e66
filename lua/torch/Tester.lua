local torch = torch

local Tester = torch.class('torch.Tester')

local NCOLS = 80
local FAILED_RUN = 'An error was found while running tests!'

-- Frames from this file are the tester's plumbing; reports show only the user's frames.
local THIS_SOURCE = debug.getinfo(1, 'S').source

-------------------------------------------------------------------------------
-- Comparison helpers. They return (success, message-or-nil) and never record
-- anything themselves, so eq/ne/assertTableEq/assertTensorEq can share them.
-------------------------------------------------------------------------------

local function isTensor(x)
   return torch.isTensor ~= nil and torch.isTensor(x) == true
end

-- Resolved at call time: Storage support may be registered after this file loads.
local function isStorage(x)
   if torch.isStorage then
      return torch.isStorage(x) == true
   end
   local name = torch.typename(x)
   return name ~= nil and name:match('^torch%.%a*Storage$') ~= nil
end

local function isPlainTable(x)
   return type(x) == 'table' and not isTensor(x) and not isStorage(x)
end

-- Unsigned and narrow integer types would wrap around in a - b, so Torch7 widens
-- them to double before taking the difference.
local function widened(t)
   local name = torch.typename(t) or ''
   if name:match('Byte') or name:match('Char') or name:match('Short') or name:match('Bool') then
      return t:double()
   end
   return t
end

local function compareSameShape(ta, tb, tolerance, negate, what)
   ta, tb = widened(ta), widened(tb)
   local err = 0
   if ta:nElement() > 0 then
      err = (ta - tb):abs():max()
   end
   local success = err <= tolerance
   if negate then
      success = not success
   end
   if success then
      return true
   end
   return false, string.format('%s%s violation: max diff=%s, tolerance=%s', what,
                               negate and 'NE(==)' or 'EQ(==)', tostring(err),
                               tostring(tolerance))
end

-- ignoreDims: the historical assertTensorEq treated {{1}} and {1} as equal, so it
-- compares element counts and flattened contents instead of shapes.
local function tensorsEq(ta, tb, tolerance, negate, ignoreDims)
   if not ignoreDims and ta:dim() ~= tb:dim() then
      return negate, 'The tensors have different dimensions'
   end
   if torch.typename(ta) ~= torch.typename(tb) then
      return negate, 'The tensors have different types'
   end
   if ta:nElement() == 0 and tb:nElement() == 0 then
      return not negate, 'Both tensors are empty'
   end
   if ignoreDims then
      if ta:nElement() ~= tb:nElement() then
         return negate, 'The tensors have different sizes'
      end
      if not ta:isSameSizeAs(tb) then
         ta = ta:contiguous():view(ta:nElement())
         tb = tb:contiguous():view(tb:nElement())
      end
   elseif not ta:isSameSizeAs(tb) then
      return negate, 'The tensors have different sizes'
   end
   return compareSameShape(ta, tb, tolerance, negate, 'Tensor')
end

local function storagesEq(sa, sb, tolerance, negate)
   if sa:size() ~= sb:size() then
      return negate, 'The storages have different sizes'
   end
   local name = torch.typename(sa)
   if name ~= torch.typename(sb) then
      return negate, 'The storages have different types'
   end
   if sa:size() == 0 then
      return not negate, 'Both storages are empty'
   end
   local ctor = torch[(name:gsub('^torch%.', ''):gsub('Storage$', 'Tensor'))]
   return compareSameShape(ctor(sa), ctor(sb), tolerance, negate, 'Storage')
end

local areEq

-- Breadth first, so that when two deep structures (say, whole networks) differ the
-- report names the shallowest differing location, which is the most readable one.
local function tablesEq(t1, t2, tolerance, negate)
   local queue = {{t1, t2, nil}}
   local head = 1
   -- Pairs already queued, so self-referencing structures terminate.
   local seen = {[t1] = {[t2] = true}}
   while head <= #queue do
      local a, b, location = queue[head][1], queue[head][2], queue[head][3]
      head = head + 1
      local function where(key)
         return location and (location .. '.' .. tostring(key)) or tostring(key)
      end
      for key, va in pairs(a) do
         local vb = b[key]
         if vb == nil then
            return negate, string.format('Entry %s missing in second table (is %s in first)',
                                         where(key), tostring(va))
         end
         if isPlainTable(va) and isPlainTable(vb) then
            seen[va] = seen[va] or {}
            if not seen[va][vb] then
               seen[va][vb] = true
               queue[#queue + 1] = {va, vb, where(key)}
            end
         else
            local ok, message = areEq(va, vb, tolerance, false)
            if not ok then
               return negate, 'At table location ' .. where(key) .. ': ' .. message
            end
         end
      end
      for key, vb in pairs(b) do
         if a[key] == nil then
            return negate, string.format('Entry %s missing in first table (is %s in second)',
                                         where(key), tostring(vb))
         end
      end
   end
   return not negate, 'The tables are equal'
end

areEq = function(got, expected, tolerance, negate)
   local gotTensor, expectedTensor = isTensor(got), isTensor(expected)
   local gotStorage, expectedStorage = isStorage(got), isStorage(expected)
   if type(got) ~= type(expected) or gotTensor ~= expectedTensor
         or gotStorage ~= expectedStorage then
      if negate then
         return true
      end
      return false, 'EQ failed: values have different types (first: ' .. torch.type(got)
                    .. ', second: ' .. torch.type(expected) .. ')'
   end
   if type(got) == 'number' then
      local ok = math.abs(got - expected) <= tolerance
      if negate then
         ok = not ok
      end
      if ok then
         return true
      end
      local message
      if negate then
         message = string.format('NE failed: %s == %s', tostring(got), tostring(expected))
      else
         message = string.format('EQ failed: %s ~= %s', tostring(got), tostring(expected))
      end
      if tolerance > 0 then
         message = message .. ' with tolerance=' .. tostring(tolerance)
      end
      return false, message
   end
   if gotTensor then
      return tensorsEq(got, expected, tolerance, negate, false)
   end
   if gotStorage then
      return storagesEq(got, expected, tolerance, negate)
   end
   if type(got) == 'table' then
      return tablesEq(got, expected, tolerance, negate)
   end
   local ok = got == expected
   if negate then
      ok = not ok
   end
   if ok then
      return true
   end
   return false, string.format(negate and 'NE failed: %s (%s) == %s (%s)'
                                      or 'EQ failed: %s (%s) ~= %s (%s)',
                               tostring(got), type(got), tostring(expected), type(expected))
end

-------------------------------------------------------------------------------
-- Argument handling shared by the asserts.
-------------------------------------------------------------------------------

-- A trailing message gets its own line in the report, ahead of the violation text.
local function getMessage(message, ...)
   assert(select('#', ...) == 0 or next({...}) == nil,
          'Unexpected arguments passed to test function')
   if message ~= nil then
      assert(type(message) == 'string', 'message parameter must be a string')
      if message ~= '' then
         return message .. '\n'
      end
   end
   return ''
end

-- Old asserts took (message) and newer ones (tolerance, message); Torch7 accepts the
-- two in either order, telling them apart by type.
local function getToleranceAndMessage(defaultTolerance, ...)
   local tolerance, message
   for i = 1, select('#', ...) do
      local a = select(i, ...)
      if type(a) == 'string' then
         if message then
            error('Unexpected string argument; already have message', 3)
         end
         message = a .. '\n'
      elseif type(a) == 'number' then
         if tolerance then
            error('Unexpected number argument; already have tolerance', 3)
         end
         assert(a >= 0, 'tolerance cannot be negative')
         tolerance = a
      elseif a ~= nil then
         error('Unrecognized argument; should be a tolerance or message', 3)
      end
   end
   return tolerance or defaultTolerance, message or ''
end

local function describeFrame(info)
   if info.what == 'C' then
      return '\t[C]: in ' .. (info.name and ("function '" .. info.name .. "'") or '?')
   end
   local where = info.short_src
   if info.currentline and info.currentline > 0 then
      where = where .. ':' .. info.currentline
   end
   local what
   if info.what == 'main' then
      what = 'in main chunk'
   elseif info.name then
      what = "in function '" .. info.name .. "'"
   else
      what = 'in function <' .. info.short_src .. ':' .. info.linedefined .. '>'
   end
   return '\t' .. where .. ': ' .. what
end

-- The user's frames between the failing assert and the tester's own runner.
local function userTraceback()
   local lines = {'stack traceback:'}
   local level = 2
   local info = debug.getinfo(level, 'Sln')
   while info and info.source == THIS_SOURCE do
      level = level + 1
      info = debug.getinfo(level, 'Sln')
   end
   while info and info.source ~= THIS_SOURCE do
      if not (info.what == 'C' and info.name == 'xpcall') then
         lines[#lines + 1] = describeFrame(info)
      end
      level = level + 1
      info = debug.getinfo(level, 'Sln')
   end
   return table.concat(lines, '\n')
end

local function pluralize(n, word)
   return n .. ' ' .. word .. (n == 1 and '' or 's')
end

-------------------------------------------------------------------------------
-- Tester
-------------------------------------------------------------------------------

function Tester:__init()
   self.errors = {}
   self.warnings = {}
   self.tests = {}
   self._order = {}
   self.disabledTests = {}
   self._warningCount = {}
   self.assertionPass = {}
   self.assertionFail = {}
   self.testError = {}
   self._currentTestName = ''
   -- Backwards compatibility: assertTensorEq compares element counts, not shapes.
   self._assertTensorEqIgnoresDims = true
end

function Tester:setEarlyAbort(earlyAbort)
   self.earlyAbort = earlyAbort
end

function Tester:setRethrowErrors(rethrow)
   self.rethrow = rethrow
end

function Tester:setSummaryOnly(summaryOnly)
   self.summaryOnly = summaryOnly
end

function Tester:_withContext(message)
   local name = self._currentTestName
   return (name ~= '' and name .. '\n' or '') .. message .. '\n' .. userTraceback()
end

function Tester:_success()
   local name = self._currentTestName
   self.assertionPass[name] = (self.assertionPass[name] or 0) + 1
   return true
end

function Tester:_failure(message)
   if self.rethrow then
      error(message, 3)
   end
   local name = self._currentTestName
   self.assertionFail[name] = (self.assertionFail[name] or 0) + 1
   self.errors[#self.errors + 1] = self:_withContext(message)
   return false
end

function Tester:_warning(message)
   local name = self._currentTestName
   self._warningCount[name] = (self._warningCount[name] or 0) + 1
   self.warnings[#self.warnings + 1] = self:_withContext(message)
end

function Tester:_assert_sub(condition, message)
   if condition then
      return self:_success()
   end
   return self:_failure(message)
end

-- The public name of _assert_sub in the first Torch7 Tester; old test files call it.
function Tester:assert_sub(condition, message)
   return self:_assert_sub(condition, message or '')
end

function Tester:assert(condition, ...)
   local message = getMessage(...)
   if type(condition) ~= 'boolean' then
      self:_warning(' :assert should only be used for boolean conditions. '
                    .. 'To check for non-nil variables, do this explicitly: '
                    .. 'Tester:assert(var ~= nil).')
   end
   return self:_assert_sub(condition,
                           string.format('%sBOOL violation condition=%s', message,
                                         tostring(condition)))
end

function Tester:_eqOrNeq(got, expected, negate, ...)
   local tolerance, message = getToleranceAndMessage(0, ...)
   local success, detail = areEq(got, expected, tolerance, negate)
   return self:_assert_sub(success, message .. (detail or ''))
end

function Tester:assertGeneralEq(got, expected, ...)
   return self:_eqOrNeq(got, expected, false, ...)
end

function Tester:assertGeneralNe(got, unexpected, ...)
   return self:_eqOrNeq(got, unexpected, true, ...)
end

function Tester:eq(got, expected, ...)
   return self:_eqOrNeq(got, expected, false, ...)
end

function Tester:ne(got, unexpected, ...)
   return self:_eqOrNeq(got, unexpected, true, ...)
end

function Tester:assertlt(a, b, ...)
   local message = getMessage(...)
   return self:_assert_sub(a < b, string.format('%sLT failed: %s >= %s', message,
                                                tostring(a), tostring(b)))
end

function Tester:assertgt(a, b, ...)
   local message = getMessage(...)
   return self:_assert_sub(a > b, string.format('%sGT failed: %s <= %s', message,
                                                tostring(a), tostring(b)))
end

function Tester:assertle(a, b, ...)
   local message = getMessage(...)
   return self:_assert_sub(a <= b, string.format('%sLE failed: %s > %s', message,
                                                 tostring(a), tostring(b)))
end

function Tester:assertge(a, b, ...)
   local message = getMessage(...)
   return self:_assert_sub(a >= b, string.format('%sGE failed: %s < %s', message,
                                                 tostring(a), tostring(b)))
end

function Tester:asserteq(a, b, ...)
   local message = getMessage(...)
   return self:_assert_sub(a == b, string.format('%sEQ failed: %s ~= %s', message,
                                                 tostring(a), tostring(b)))
end

function Tester:assertne(a, b, ...)
   local message = getMessage(...)
   if type(a) == type(b) and (type(a) == 'table' or type(a) == 'userdata') then
      self:_warning(' :assertne should only be used to compare basic lua '
                    .. 'objects (numbers, booleans, etc). Consider using '
                    .. 'either :assertGeneralNe or :assert(a ~= b).')
   end
   return self:_assert_sub(a ~= b, string.format('%sNE failed: %s == %s', message,
                                                 tostring(a), tostring(b)))
end

function Tester:assertalmosteq(a, b, ...)
   local tolerance, message = getToleranceAndMessage(1e-16, ...)
   return self:_assert_sub(math.abs(a - b) <= tolerance,
                           string.format('%sALMOST_EQ failed: %s ~= %s with tolerance=%s',
                                         message, tostring(a), tostring(b),
                                         tostring(tolerance)))
end

function Tester:_assertTensorEqOrNeq(ta, tb, negate, ...)
   assert(isTensor(ta), 'First argument should be a Tensor')
   assert(isTensor(tb), 'Second argument should be a Tensor')
   local tolerance, message = getToleranceAndMessage(1e-16, ...)
   local ignoreDims = self._assertTensorEqIgnoresDims
   local success, detail = tensorsEq(ta, tb, tolerance, negate, ignoreDims)
   if ignoreDims and success and not negate and not ta:isSameSizeAs(tb) then
      self:_warning('Tensors have the same content but different dimensions. '
                    .. 'For backwards compatibility, they are considered equal, '
                    .. 'but this may change in the future. Consider using :eq '
                    .. 'to check for equality instead.')
   end
   return self:_assert_sub(success, message .. (detail or ''))
end

function Tester:assertTensorEq(ta, tb, ...)
   return self:_assertTensorEqOrNeq(ta, tb, false, ...)
end

function Tester:assertTensorNe(ta, tb, ...)
   return self:_assertTensorEqOrNeq(ta, tb, true, ...)
end

function Tester:_assertTableEqOrNeq(ta, tb, negate, ...)
   assert(type(ta) == 'table', 'First argument should be a Table')
   assert(type(tb) == 'table', 'Second argument should be a Table')
   return self:_eqOrNeq(ta, tb, negate, ...)
end

function Tester:assertTableEq(ta, tb, ...)
   return self:_assertTableEqOrNeq(ta, tb, false, ...)
end

function Tester:assertTableNe(ta, tb, ...)
   return self:_assertTableEqOrNeq(ta, tb, true, ...)
end

function Tester:assertErrorObj(f, errcomp, ...)
   local message = getMessage(...)
   local ok, err = pcall(f)
   return self:_assert_sub(not ok and errcomp(err) and true or false,
                           string.format('%sERROR violation: err=%s', message, tostring(err)))
end

function Tester:assertError(f, ...)
   return self:assertErrorObj(f, function() return true end, ...)
end

function Tester:assertErrorMsg(f, errmsg, ...)
   return self:assertErrorObj(f, function(err) return err == errmsg end, ...)
end

function Tester:assertErrorPattern(f, pattern, ...)
   local function matches(err)
      return type(err) == 'string' and string.find(err, pattern) ~= nil
   end
   return self:assertErrorObj(f, matches, ...)
end

function Tester:assertNoError(f, ...)
   local message = getMessage(...)
   local ok, err = pcall(f)
   return self:_assert_sub(ok, string.format('%sERROR violation: err=%s', message,
                                             tostring(err)))
end

-------------------------------------------------------------------------------
-- Registering and running tests
-------------------------------------------------------------------------------

function Tester:add(f, name)
   if type(f) == 'table' then
      assert(name == nil, 'Name parameter is forbidden for a table of tests, '
                          .. 'since its use is ambiguous')
      local tests, names
      if rawget(f, '__isTestSuite') then
         tests, names = rawget(f, '__tests'), rawget(f, '__order')
      else
         self:_warning('Should use TestSuite rather than plain lua table')
         -- A plain table has no order of its own; sorting keeps runs reproducible.
         tests, names = f, {}
         for key in pairs(f) do
            names[#names + 1] = key
         end
         table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
      end
      for _, key in ipairs(names) do
         -- Which of a nested table's tests would run(name) select, and whose
         -- _setUp applies? Torch7 refuses rather than guess.
         assert(type(tests[key]) ~= 'table', 'Nested sets of tests are not supported')
         self:add(tests[key], key)
      end
      return self
   end

   assert(type(f) == 'function', 'Only tables of functions and functions supported')
   if name == '_setUp' then
      assert(not self._setUp, 'Only one set-up function allowed')
      self._setUp = f
   elseif name == '_tearDown' then
      assert(not self._tearDown, 'Only one tear-down function allowed')
      self._tearDown = f
   else
      name = name or 'unknown'
      if self.tests[name] ~= nil then
         error('Test with name ' .. tostring(name) .. ' already exists!', 2)
      end
      self.tests[name] = f
      self._order[#self._order + 1] = name
   end
   return self
end

function Tester:disable(testNames)
   if type(testNames) == 'string' then
      testNames = {testNames}
   end
   assert(type(testNames) == 'table', 'Expecting name or list for disable')
   for _, name in ipairs(testNames) do
      assert(self.tests[name], "Unrecognized test '" .. tostring(name) .. "'")
      self.disabledTests[name] = true
   end
   return self
end

-- Returns the selected names in registration order.
function Tester:_getTests(testNames)
   if testNames == nil then
      local all = {}
      for i, name in ipairs(self._order) do
         all[i] = name
      end
      return all
   end
   if type(testNames) == 'string' then
      testNames = {testNames}
   end
   assert(type(testNames) == 'table',
          'Only accept a name or table of test names (or nil for all tests)')
   local chosen = {}
   for _, pattern in ipairs(testNames) do
      local found = false
      for _, name in ipairs(self._order) do
         if string.match(name, pattern) then
            chosen[name] = true
            found = true
         end
      end
      assert(found, "Couldn't find test '" .. tostring(pattern) .. "'")
   end
   local names = {}
   for _, name in ipairs(self._order) do
      if chosen[name] then
         names[#names + 1] = name
      end
   end
   return names
end

-- Errors raised by Python code arrive as objects, which debug.traceback would pass
-- through untouched; turning them into text first keeps the stack in the report.
local function traceback(err)
   if type(err) ~= 'string' then
      err = tostring(err)
   end
   return debug.traceback(err, 2)
end

function Tester:_pcall(f)
   local before = #self.errors
   local ok, result = xpcall(f, traceback)
   if not ok then
      self.errors[#self.errors + 1] =
         self._currentTestName .. '\n Function call failed\n' .. tostring(result) .. '\n'
   end
   return ok, result, ok and before == #self.errors
end

function Tester:_run(names)
   local ntests = #names
   local digits = #tostring(ntests)
   local counterFormat = '%' .. digits .. 'd/' .. ntests .. ' '
   local counterWidth = digits * 2 + 2

   io.write('Running ' .. pluralize(ntests, 'test') .. '\n')
   for i, name in ipairs(names) do
      local fn = self.tests[name]
      self._currentTestName = name
      local head = string.format(counterFormat, i) .. name .. ' '
                   .. string.rep('.', NCOLS - 6 - 2 - counterWidth - #name) .. ' '
      io.write(head .. '[WAIT]')
      io.flush()

      local ok, pass
      local skip = self.disabledTests[name] == true
      if not skip then
         if self._setUp then
            self._setUp(name)
         end
         if self.rethrow then
            -- Let errors escape with their original traceback, for debuggers.
            local before = #self.errors
            fn()
            ok, pass = true, before == #self.errors
         else
            local _
            ok, _, pass = self:_pcall(fn)
         end
         if self._tearDown then
            self._tearDown(name)
         end
      end

      io.write('\r' .. head)
      if skip then
         io.write('[SKIP]')
      elseif not ok then
         self.testError[name] = 1
         io.write('[ERROR]')
      elseif not pass then
         io.write('[FAIL]')
      else
         io.write('[PASS]')
         if (self._warningCount[name] or 0) > 0 then
            io.write('\n' .. string.rep(' ', NCOLS - 10) .. '[+warning]')
         end
      end
      io.write('\n')
      io.flush()

      if self.earlyAbort and not skip and (not ok or not pass) and i < ntests then
         io.write('Aborting on first error, not all tests have been executed\n')
         break
      end
      -- Tests often build large tensors; free them before the next test starts.
      collectgarbage()
   end
   self._currentTestName = ''
end

function Tester:_report(names)
   local nfailures, nerrors, nskipped, nwarnings = 0, 0, 0, 0
   self.countasserts = 0
   for _, name in ipairs(names) do
      self.countasserts = self.countasserts + self.assertionPass[name]
                          + self.assertionFail[name]
      if self.assertionFail[name] > 0 then
         nfailures = nfailures + 1
      end
      if self.testError[name] > 0 then
         nerrors = nerrors + 1
      end
      if self._warningCount[name] > 0 then
         nwarnings = nwarnings + 1
      end
      if self.disabledTests[name] then
         nskipped = nskipped + 1
      end
   end
   -- Warnings raised outside any test (e.g. by add) are counted one by one.
   nwarnings = nwarnings + (self._warningCount[''] or 0)

   local summary = 'Completed ' .. pluralize(self.countasserts, 'assert')
                   .. ' in ' .. pluralize(#names, 'test')
                   .. ' with ' .. pluralize(nfailures, 'failure')
                   .. ' and ' .. pluralize(nerrors, 'error')
   if nwarnings > 0 then
      summary = summary .. ' and ' .. pluralize(nwarnings, 'warning')
   end
   if nskipped > 0 then
      summary = summary .. ' and ' .. nskipped .. ' disabled'
   end
   io.write(summary .. '\n')

   if self.summaryOnly then
      return
   end
   local dashes = string.rep('-', NCOLS) .. '\n'
   local sections = {}
   for _, text in ipairs(self.errors) do
      sections[#sections + 1] = text
   end
   for _, text in ipairs(self.warnings) do
      sections[#sections + 1] = text
   end
   if #sections > 0 then
      io.write(dashes)
      for _, text in ipairs(sections) do
         io.write(text .. '\n' .. dashes)
      end
   end
end

function Tester:run(testNames)
   local names = self:_getTests(testNames)
   self.assertionPass = {}
   self.assertionFail = {}
   self.testError = {}
   for _, name in ipairs(names) do
      self.assertionPass[name] = 0
      self.assertionFail[name] = 0
      self.testError[name] = 0
      self._warningCount[name] = 0
   end
   self:_run(names)
   self:_report(names)

   -- Raising here is what makes a failing test script exit with a nonzero status.
   for _, name in ipairs(names) do
      if self.assertionFail[name] > 0 or self.testError[name] > 0 then
         error(FAILED_RUN, 2)
      end
   end
   return 0
end

return Tester
