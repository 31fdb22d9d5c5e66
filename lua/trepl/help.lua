-- `? name` at the prompt: what is known about a value.  For a Lua function that is its
-- parameters, where it is defined, and the comment written above its definition in the
-- source (luatorch's own files document their functions there, optim's in the file header);
-- for a table, the fields it holds.
local help = {}

local function lines_of(file)
   local f = io.open(file, 'r')
   if not f then return nil end
   local out = {}
   for l in f:lines() do out[#out + 1] = l end
   f:close()
   return out
end

local function comment_block(src, last)
   local first = last
   while first >= 1 and src[first]:match('^%s*%-%-') do first = first - 1 end
   if first == last then return nil end
   local out = {}
   for i = first + 1, last do
      out[#out + 1] = (src[i]:gsub('^%s*%-%-%-?%s?', ''))
   end
   return table.concat(out, '\n')
end

-- the comment above a definition; failing that, the nearest comment above (inside the
-- 40 lines before, as for functions made by a factory) or the file's header when either
-- names the function
local function doc_for(src, line, short)
   local doc = comment_block(src, line - 1)
   if doc then return doc end
   local pat = '%f[%w_]' .. short:gsub('%p', '%%%0') .. '%f[^%w_]'
   for i = line - 2, math.max(1, line - 40), -1 do
      if src[i]:match('^%s*%-%-') then
         doc = comment_block(src, i)
         if doc and doc:find(pat) then return doc end
         break
      end
   end
   local last = 0
   while src[last + 1] and src[last + 1]:match('^%s*%-%-') do last = last + 1 end
   doc = comment_block(src, last)
   if doc and doc:find(pat) then return doc end
   return nil
end

local function params(f)
   local names, i = {}, 1
   while true do
      local name = debug.getlocal(f, i)
      if not name then break end
      names[#names + 1] = name
      i = i + 1
   end
   if debug.getinfo(f, 'u').isvararg then names[#names + 1] = '...' end
   return table.concat(names, ', ')
end

-- the text `? expr` shows for the value `v` that `expr` names
function help.text(v, expr)
   expr = expr or '?'
   local short = expr:match('([%w_]+)%s*$') or expr
   local t = type(v)
   if t == 'function' then
      local info = debug.getinfo(v, 'Su')
      if info.what == 'C' then
         return expr .. ' is a built-in function (no documentation at hand)'
      end
      local head = expr .. '(' .. params(v) .. ')'
      local file = info.source:sub(1, 1) == '@' and info.source:sub(2) or nil
      local where = '  defined at ' .. info.short_src .. ':' .. info.linedefined
      local src = file and lines_of(file)
      local doc = src and doc_for(src, info.linedefined, short)
      if doc then return head .. '\n' .. where .. '\n\n' .. doc end
      return head .. '\n' .. where .. '\n  (no documentation written above it)'
   end
   if t == 'table' then
      local tn = torch and torch.typename(v)
      local keys = {}
      for k in pairs(v) do
         if type(k) == 'string' then keys[#keys + 1] = k end
      end
      -- a class: its methods live in the metatable its instances get
      local mt = tn and torch.getmetatable(tn)
      if mt and #keys == 0 then
         for k, f in pairs(mt) do
            if type(k) == 'string' and type(f) == 'function' and not k:find('^__') then
               keys[#keys + 1] = k
            end
         end
      end
      table.sort(keys)
      local head = expr .. ': ' .. (tn or 'a table') .. ' with ' .. #keys .. ' named fields'
      if #keys > 60 then
         keys = {unpack(keys, 1, 60)}
         keys[#keys + 1] = '...'
      end
      return head .. '\n  ' .. table.concat(keys, ' ')
   end
   if v == nil then return expr .. ' is nil' end
   local tn = torch and torch.typename(v)
   return expr .. ' is a ' .. (tn or t) .. ': ' .. tostring(v)
end

help.intro = [[
th (luatorch's prompt): a Torch7 read-eval-print loop.

   expression             prints its value (a trailing ; keeps it quiet, a leading = is allowed)
   _LAST                  the last value printed (or the output of the last $ command)
   ? name                 what is known about a function or package (? torch.rand, ? optim.sgd)
   $ cmd                  runs a shell command
   who()                  lists the globals you made (who(true): the start-up ones too)
   timing(true)           prints how long each line took (timing(false) stops it)
   Tab                    completes globals, fields and methods; up/down arrows walk history
   Ctrl-C                 stops the running line; Ctrl-D or exit leaves]]

return help
