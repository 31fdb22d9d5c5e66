-- optim.Logger: logs named values, one row per add(), to a text file (or stdout), and plots
-- them.  Plots are drawn with matplotlib into a PNG file and, as Torch7 did with gnuplot, an
-- .eps file; without matplotlib plot() prints a one-line notice and returns.
--
--    logger = optim.Logger([filename [, timestamp]])
--    logger:setNames{'train acc', 'test acc'}       then   logger:add{0.5, 0.4}
--    or  logger:add{['train acc'] = 0.5, ['test acc'] = 0.4}   (names from the first row)
--    logger:style{'+-', '-'}   logger:setlogscale(true)   logger:display(false)
--    logger:plot([name, ...])  writes <filename>.png and <filename>.eps
--
-- The file holds a header line of names then one line per add(), numbers as '%11.4e',
-- each field followed by a tab.  With timestamp the file name gets '-<date and time>'.
-- Styles: '.' dots, '+' points, '-' lines, '+-' points and lines, '~' smoothed line,
-- '|' boxes; another string is handed to matplotlib as a format.
--
-- Fields (defaults):
--    name          filename or 'stdout'      pngfile   name .. '.png' (nil for stdout)
--    symbols       logged values per name    styles    per name, {defaultStyle}
--    names, idx    names by key / keys by name
--    showPlot      true (display())          logscale  false (setlogscale())
--    defaultStyle  '+'                       plotRawCmd nil (kept for scripts; unused)
-- No config keys.

local Logger = torch.class('optim.Logger')

local door = torch._door
local opt_plot_available = door.opt_plot_available
local opt_plot = door.opt_plot
local opt_mkdir = door.opt_mkdir

function Logger:__init(filename, timestamp)
   -- 1. the output file (its folder is created), or stdout
   if filename then
      self.name = filename
      local dir = filename:match('^(.*)[/\\][^/\\]*$')
      if dir and dir ~= '' then opt_mkdir(dir) end
      if timestamp then
         filename = filename .. '-' .. os.date('%Y_%m_%d_%X')
      end
      self.file = io.open(filename, 'w')
      if not self.file then error('<Logger> cannot open ' .. filename .. ' for writing', 2) end
      self.pngfile = self.name .. '.png'
      -- Torch7's Logger wrote <name>.eps; scripts test for it (cifar.torch's report)
      self.epsfile = self.name .. '.eps'
   else
      self.file = io.stdout
      self.name = 'stdout'
      print('<Logger> warning: no path provided, logging to std out')
   end
   -- 2. what is logged and how it is drawn
   self.empty = true
   self.symbols = {}
   self.styles = {}
   self.names = {}
   self.idx = {}
   self.figure = nil
   self.showPlot = true
   self.plotRawCmd = nil
   self.defaultStyle = '+'
   self.logscale = false
end

function Logger:setNames(names)
   -- the header line; later rows are positional
   self.names = names
   self.empty = false
   self.nsymbols = #names
   for k, key in pairs(names) do
      self.file:write(key .. '\t')
      self.symbols[k] = {}
      self.styles[k] = {self.defaultStyle}
      self.idx[key] = k
   end
   self.file:write('\n')
   self.file:flush()
   return self
end

function Logger:add(symbols)
   -- 1. first row without setNames: the keys are the names
   if self.empty then
      self.empty = false
      self.nsymbols = #symbols
      for k, _ in pairs(symbols) do
         self.file:write(k .. '\t')
         self.symbols[k] = {}
         self.styles[k] = {self.defaultStyle}
         self.names[k] = k
      end
      self.idx = self.names
      self.file:write('\n')
   end
   -- 2. one line of values
   for _, val in pairs(symbols) do
      if type(val) == 'number' then
         self.file:write(string.format('%11.4e', val) .. '\t')
      elseif type(val) == 'string' then
         self.file:write(val .. '\t')
      else
         error('<Logger> can only log numbers and strings', 2)
      end
   end
   self.file:write('\n')
   self.file:flush()
   -- 3. keep the values for plotting
   for k, val in pairs(symbols) do
      local list = self.symbols[k]
      if not list then
         error('<Logger> unknown symbol ' .. tostring(k), 2)
      end
      list[#list + 1] = val
   end
end

function Logger:style(symbols)
   for name, style in pairs(symbols) do
      if type(style) == 'string' then
         self.styles[name] = {style}
      elseif type(style) == 'table' then
         self.styles[name] = style
      else
         error('<Logger> style should be a string or a table of strings', 2)
      end
   end
   return self
end

function Logger:setlogscale(value)
   self.logscale = value
end

function Logger:display(value)
   self.showPlot = value
end

function Logger:plot(...)
   -- 1. nothing to do without matplotlib, or without a file name to derive the PNG from
   if not opt_plot_available() then
      if not self.warned then
         print('optim.Logger:plot requires matplotlib: pip install "luatorch[plot]"')
         self.warned = true
      end
      return
   end
   -- 2. gather the curves (symbols with at least two values): names, values, styles
   local names, values, styles = {}, {}, {}
   local function gather(key)
      local list = self.symbols[key]
      if list and #list > 1 then
         local ys = {}
         for i = 1, #list do ys[i] = tonumber(list[i]) or (0 / 0) end
         for _, style in ipairs(self.styles[key] or {self.defaultStyle}) do
            names[#names + 1] = tostring(self.names[key] or key)
            values[#values + 1] = ys
            styles[#styles + 1] = style
         end
      end
   end
   local args = {...}
   if args[1] == nil then
      local keys = {}
      for key in pairs(self.symbols) do keys[#keys + 1] = key end
      table.sort(keys, function(a, b)
         if type(a) == type(b) then return a < b end
         return type(a) == 'number'
      end)
      for _, key in ipairs(keys) do gather(key) end
   else
      for _, name in ipairs(args) do gather(self.idx[name]) end
   end
   -- 3. draw into the PNG file, and the EPS file Torch7 wrote
   if #names > 0 and self.pngfile then
      opt_plot(self.pngfile, '<Logger::' .. self.name .. '>', names, values, styles,
         self.logscale and true or false, self.epsfile or '')
   end
end
