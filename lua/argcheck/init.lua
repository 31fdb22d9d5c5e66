-- argcheck: argument checking and overloading for Lua functions, as Torch7 projects use it
-- (torch/argcheck's README is the specification).
--
--   local check = argcheck{
--      help = 'what the function does',
--      {name = 'x', type = 'number', default = 0, help = 'the x'},
--      {name = 'msg', type = 'string', opt = true},
--   }
--   local x, msg = check(...)        -- ordered: f(1, 'a'), named: f{x = 1, msg = 'a'}
--
-- Global options: help/doc, pack, quiet, call, overload, force, nonamed, noordered, debug.
-- Rule options: name, type, default, defaulta, defaultf, opt, check, help/doc.
--
-- NOTE: the original compiles each rule set into Lua source; here a rule set is matched by a
-- small backtracking walk over the rules (consume the next argument, or skip an optional
-- rule), which keeps the same precedence: consuming is tried before skipping, ordered calls
-- before named ones, and among overloads the later, forced one before the earlier.
local env = require 'argcheck.env'

-- NOTE: no local aliases of C functions (select, unpack, ...): a checker is a closure that
-- torch.save may have to write (argcheck's own tests do), and a C function upvalue cannot be
-- written; globals can.

local function isOptional(rule)
   return rule.opt or rule.default ~= nil or rule.defaulta ~= nil or rule.defaultf ~= nil
end

local function ruleType(rule)
   return rule.type or 'any'
end

-- a plain table (named arguments), not a torch object
local function isPlainTable(v)
   return type(v) == 'table' and not torch.typename(v)
end

local function accepts(istype, rule, v)
   if v == nil then return false end
   if rule.type and not istype(v, rule.type) then return false end
   if rule.check and not rule.check(v) then return false end
   return true
end

-- The usage text of one rule set, as argcheck prints it.
local function usageOf(variant)
   local nameWidth, typeWidth = 0, 0
   for _, rule in ipairs(variant.rules) do
      nameWidth = math.max(nameWidth, #rule.name)
      typeWidth = math.max(typeWidth, #ruleType(rule))
   end
   local body = {'arguments:', '{'}
   for _, rule in ipairs(variant.rules) do
      local opt = isOptional(rule)
      local tname = ruleType(rule)
      local left = string.format('%s%s%s = %s%s%s', opt and '[' or ' ', rule.name,
                                 string.rep(' ', nameWidth - #rule.name), tname,
                                 opt and ']' or ' ', string.rep(' ', typeWidth - #tname))
      local help = rule.help or rule.doc or ''
      if rule.default ~= nil then
         help = help .. ' [default=' .. tostring(rule.default) .. ']'
      elseif rule.defaulta then
         help = help .. ' [default=' .. rule.defaulta .. ']'
      elseif rule.defaultf then
         help = help .. ' [has default value]'
      elseif rule.opt then
         help = help .. ' [optional]'
      end
      body[#body + 1] = '  ' .. left .. '  -- ' .. help
   end
   body[#body + 1] = '}'
   local text = table.concat(body, '\n')
   if variant.help then
      text = (variant.help:gsub('%s+$', '')) .. '\n\n' .. text
   end
   return text
end

-- The values of one rule set's arguments after a successful match: defaults filled in.
local function finish(variant, got, set)
   local rules = variant.rules
   for i, rule in ipairs(rules) do
      if not set[i] or got[i] == nil then
         if rule.default ~= nil then
            got[i] = rule.default
         elseif rule.defaultf then
            got[i] = rule.defaultf()
         end
      end
   end
   for i, rule in ipairs(rules) do
      if got[i] == nil and rule.defaulta then got[i] = got[variant.index[rule.defaulta]] end
   end
   return got
end

-- Ordered call: every argument given goes to a rule, in order; optional rules may be skipped
-- or take an explicit nil.
local function matchOrdered(variant, n, args)
   local rules, istype = variant.rules, variant.istype
   local got, set = {}, {}
   local function walk(ri, ai)
      if ri > #rules then return ai > n end
      local rule = rules[ri]
      local optional = isOptional(rule)
      if ai <= n then
         local v = args[ai]
         if accepts(istype, rule, v) or (v == nil and optional) then
            got[ri], set[ri] = v, true
            if walk(ri + 1, ai + 1) then return true end
            got[ri], set[ri] = nil, nil
         end
      end
      if optional then
         if walk(ri + 1, ai) then return true end
      end
      return false
   end
   if walk(1, 1) then return finish(variant, got, set) end
   return nil
end

-- Named call: f{x = ..., y = ...}, or obj:f{x = ...} when the first rule is `self`.
local function matchNamed(variant, n, args)
   local rules, istype = variant.rules, variant.istype
   local first = 1
   local got, set = {}, {}
   if variant.method then
      if n ~= 2 or not accepts(istype, rules[1], args[1]) then return nil end
      got[1], set[1] = args[1], true
      first = 2
   elseif n ~= 1 then
      return nil
   end
   local named = args[first]
   if not isPlainTable(named) then return nil end
   local used = 0
   for i = first, #rules do
      local rule = rules[i]
      local v = named[rule.name]
      if v ~= nil then
         if not accepts(istype, rule, v) then return nil end
         got[i], set[i] = v, true
         used = used + 1
      elseif not isOptional(rule) then
         return nil
      end
   end
   -- a key no rule names makes the call invalid
   for _ in pairs(named) do used = used - 1 end
   if used ~= 0 then return nil end
   return finish(variant, got, set)
end

local function match(variant, n, args)
   if not variant.noordered then
      local got = matchOrdered(variant, n, args)
      if got then return got end
   end
   if not variant.nonamed then return matchNamed(variant, n, args) end
   return nil
end

-- The type sequences an ordered call may take through a rule set, for ambiguity checks.
local function signatures(variant)
   local out = {}
   local function walk(ri, prefix)
      if ri > #variant.rules then
         out[#out + 1] = table.concat(prefix, ',')
         return
      end
      local rule = variant.rules[ri]
      prefix[#prefix + 1] = ruleType(rule)
      walk(ri + 1, prefix)
      prefix[#prefix] = nil
      if isOptional(rule) then walk(ri + 1, prefix) end
   end
   walk(1, {})
   return out
end

local function results(variant, got)
   local n = #variant.rules
   if variant.pack then
      local t = {}
      for i, rule in ipairs(variant.rules) do t[rule.name] = got[i] end
      return 1, {t}
   end
   return n, got
end

local registry = setmetatable({}, {__mode = 'k'})

local function build(spec)
   if type(spec) ~= 'table' then error('argcheck expects a table of rules', 3) end
   local variant = {rules = {}, index = {}, help = spec.help or spec.doc, pack = spec.pack,
                    call = spec.call, nonamed = spec.nonamed, noordered = spec.noordered,
                    istype = env.istype}
   for i, rule in ipairs(spec) do
      if type(rule) ~= 'table' or type(rule.name) ~= 'string' then
         error(string.format('argcheck: rule %d needs a name', i), 3)
      end
      variant.rules[i] = rule
      variant.index[rule.name] = i
   end
   for _, rule in ipairs(variant.rules) do
      if rule.defaulta and not variant.index[rule.defaulta] then
         error(string.format("argcheck: defaulta '%s' names no argument", rule.defaulta), 3)
      end
   end
   variant.method = variant.rules[1] ~= nil and variant.rules[1].name == 'self'
   local variants = {variant}
   if spec.overload then
      local previous = registry[spec.overload]
      if not previous then error('argcheck: overload expects a function made by argcheck', 3) end
      local mine = {}
      for _, s in ipairs(signatures(variant)) do mine[s] = true end
      for _, old in ipairs(previous.variants) do
         for _, s in ipairs(signatures(old)) do
            if mine[s] and not spec.force then
               error('argcheck rules led to ambiguous situations', 3)
            end
         end
         -- with force, the new rules come first: the old ones only take what they leave
         variants[#variants + 1] = old
      end
   end
   return variants
end

local function usage(variants)
   local parts = {}
   for i = #variants, 1, -1 do parts[#parts + 1] = usageOf(variants[i]) end
   return table.concat(parts, '\n\nor\n\n')
end

local function argcheck(spec)
   local variants = build(spec)
   local quiet = spec.quiet
   local checker = function(...)
      local n = select('#', ...)
      local args = {...}
      for _, variant in ipairs(variants) do
         local got = match(variant, n, args)
         if got then
            local count, out = results(variant, got)
            if variant.call then return variant.call(unpack(out, 1, count)) end
            if quiet then return true, unpack(out, 1, count) end
            return unpack(out, 1, count)
         end
      end
      if quiet then return false, usage(variants) end
      error('invalid arguments\n\n' .. usage(variants), 2)
   end
   registry[checker] = {variants = variants}
   if spec.debug then
      local lines = {'digraph argcheck {'}
      for vi, variant in ipairs(variants) do
         for _, s in ipairs(signatures(variant)) do
            lines[#lines + 1] = string.format('  "@" -> "%d: (%s)";', vi, s)
         end
      end
      lines[#lines + 1] = '}'
      local dot = table.concat(lines, '\n')
      print(usage(variants))
      return checker, dot
   end
   return checker
end

return argcheck
