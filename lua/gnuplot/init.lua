-- gnuplot drawn with matplotlib into image files instead of gnuplot windows.  A figure made by
-- figure(n) stands for gnuplot's default terminal: it is written to figure<n>.png in the
-- current directory, and the first drawing says where.  pngfigure/epsfigure name their file
-- (an .eps file is PostScript).  Each call that changes a figure redraws its file.
-- Without matplotlib nothing is drawn, and the first drawing call says so in one line.
--
--    gnuplot.figure([n])        make figure n (the next free number) current; returns n
--    gnuplot.pngfigure(fname)   a new figure drawn into fname; epsfigure(fname) in PostScript
--    gnuplot.plot(...)          replace the current figure's curves:
--       plot(y [, style]), plot(x, y [, style]), plot(M [, style]) with M n x 2 (x, y columns),
--       plot({'name', [x,] y [, style]}, ...) several named curves (a table of such tables too);
--       a matrix's first column is x and each other column a curve
--       styles: '-' lines (default), '.' '+' points, '+-' both, '|' impulses, '~' smooth, or
--       gnuplot's words and clauses ('points', 'with lines ls 1', 'with filledcurves' over a
--       3-column matrix fills between its two curves); others are named once, drawn as lines
--    gnuplot.hist(x [, bins [, min, max]])   bars of torch.histc; returns the counts
--    gnuplot.imagesc(M [, 'gray' | 'color'])  a matrix as an image
--    gnuplot.splot(z) | splot(x, y, z) | splot({'name', z}, ...)   surfaces (x, y, z matrices)
--    gnuplot.scatter3(x, y, z) | scatter3({'name', x, y, z}, ...)   3D points
--    gnuplot.title(s), xlabel(s), ylabel(s), zlabel(s), grid(flag), movelegend(h, v),
--    gnuplot.axis{xmin, xmax, ymin, ymax} ('' keeps one) | 'auto' | 'equal' | 'image' | 'fill'
--    gnuplot.raw(cmd)   the common gnuplot commands (set title/xlabel/xrange/xtics/key/grid/
--       logscale/size/terminal/output, unset ..., replot), translated; any other command is
--       accepted with a one-time warning naming it
--    gnuplot.setterm(term)   the file type of later default figures (png, eps, pdf, svg; a
--       window terminal such as x11 or wxt gives PNG files)
--    gnuplot.figprint(fname)   the current figure into another file (png, eps, pdf, svg)
--    gnuplot.plotflush([n]) redraw; gnuplot.close([n]); gnuplot.closeall() forgets every figure
require 'torch'
local paths = require 'paths'

gnuplot = gnuplot or {}
local gnuplot = gnuplot
package.loaded.gnuplot = gnuplot

local door = torch._door
local gp_available = door.gp_available
local gp_draw = door.gp_draw
local gp_abspath = door.gp_abspath

local figures, current, warned = {}, nil, false
local termext = 'png'          -- the file type of default-terminal figures (gnuplot.setterm)

local function newFigure(n, file)
   local fig = {series = {}, file = file or ('figure' .. n .. '.' .. termext), grid = false}
   figures[n] = fig
   current = n
   return fig
end

local function nextNumber()
   local n = 1
   while figures[n] do n = n + 1 end
   return n
end

local function draw(fig)
   if not gp_available() then
      if not warned then
         print('gnuplot requires matplotlib: pip install "luatorch[plot]"')
         warned = true
      end
      return
   end
   gp_draw(fig.file, fig)
   if not fig.told then
      print('gnuplot: figure drawn into ' .. gp_abspath(fig.file))
      fig.told = true
   end
end

local function currentFigure()
   return figures[current] or newFigure(current or nextNumber())
end

function gnuplot.figure(n)
   n = n or nextNumber()
   if figures[n] then current = n else newFigure(n) end
   return n
end

local function fileFigure(fname, n)
   if type(fname) ~= 'string' then
      error('gnuplot: a file name was expected, got ' .. type(fname), 3)
   end
   local dir = paths.dirname(fname)
   if dir ~= nil and dir ~= '' and not paths.dirp(dir) then
      error('cannot save to ' .. fname .. ': directory does not exist', 3)
   end
   n = n or nextNumber()
   newFigure(n, fname)
   return n
end

-- NOTE: not tail calls, so that fileFigure's errors can name the script's line
function gnuplot.pngfigure(fname, n) local k = fileFigure(fname, n) return k end
function gnuplot.epsfigure(fname, n) local k = fileFigure(fname, n) return k end
gnuplot.pdffigure = gnuplot.pngfigure
gnuplot.svgfigure = gnuplot.pngfigure

local function values(t)
   return t:contiguous():view(-1):double():totable()
end

-- gnuplot's style words (and Torch7's short forms) as the styles drawn here
local STYLEWORDS = {lines = '-', l = '-', points = '+', p = '+', linespoints = '+-',
   lp = '+-', dots = '.', impulses = '|', i = '|', boxes = '|', filledcurves = 'filled',
   csplines = '~'}
local SHORT = {['-'] = true, ['.'] = true, ['+'] = true, ['+-'] = true, ['-+'] = true,
   ['|'] = true, ['~'] = true}
local toldStyle = {}

-- a plot style: the short forms, a word ('points'), or a gnuplot clause ('with lines ls 1',
-- 'smooth csplines'); a style with no drawing here is named once and drawn as lines
local function styleOf(style)
   if style == nil or style == '' or SHORT[style] then return style or '-' end
   local word = style:match('^%s*with%s+(%a+)') or style:match('^%s*smooth%s+(%a+)')
      or style:match('^%s*(%a+)%s*$')
   local found = word and STYLEWORDS[word]
   if found then return found end
   if not toldStyle[style] then
      toldStyle[style] = true
      print(string.format("gnuplot.plot: style '%s' has no matplotlib translation here; " ..
         'drawn with lines', style))
   end
   return '-'
end

-- the curves of one {['name',] y | x, y | M [, style]}: a matrix's first column is x and
-- each other column a curve (two of them bound a filled band under 'filledcurves')
local function curves(args, first)
   local name, i = nil, first
   if type(args[i]) == 'string' then name, i = args[i], i + 1 end
   local a, b = args[i], args[i + 1]
   if not torch.isTensor(a) then
      error('gnuplot.plot: a tensor was expected, got ' .. type(a), 3)
   end
   local x, ys, style
   if torch.isTensor(b) then
      x, ys, style = a, {b}, args[i + 2]
   elseif a:dim() == 2 and a:size(2) >= 2 then
      x, ys, style = a:select(2, 1), {}, b
      for k = 2, a:size(2) do ys[#ys + 1] = a:select(2, k) end
   else
      x, ys, style = torch.range(1, a:nElement()), {a}, b
   end
   style = styleOf(style)
   for _, y in ipairs(ys) do
      if x:nElement() ~= y:nElement() then
         error('gnuplot.plot: x and y have different sizes', 3)
      end
   end
   if style == 'filled' and #ys == 2 then
      return {{name = name, x = values(x), y = values(ys[1]), y2 = values(ys[2]),
               style = 'filled'}}
   end
   if style == 'filled' then style = '-' end
   local out = {}
   for k, y in ipairs(ys) do
      out[k] = {name = k == 1 and name or nil, x = values(x), y = values(y), style = style}
   end
   return out
end

local function isCurveTable(t)
   return type(t) == 'table' and not torch.isTensor(t)
end

function gnuplot.plot(...)
   local args = {...}
   local series = {}
   if isCurveTable(args[1]) and isCurveTable(args[1][1]) then
      args = args[1]                    -- plot{{'a', x, y}, {'b', y}}
   end
   local function add(list)
      for _, c in ipairs(list) do series[#series + 1] = c end
   end
   if isCurveTable(args[1]) then
      for _, t in ipairs(args) do add(curves(t, 1)) end
   else
      add(curves(args, 1))
   end
   local fig = currentFigure()
   fig.series, fig.image, fig.surfaces, fig.points3 = series, nil, nil, nil
   draw(fig)
end

function gnuplot.bar(...)
   local args = {...}
   args[#args + 1] = '|'
   gnuplot.plot(args)
end

function gnuplot.hist(tensor, bins, min, max)
   if not torch.isTensor(tensor) then
      error('gnuplot.hist: a tensor was expected, got ' .. type(tensor), 2)
   end
   bins = bins or 100
   min = min or tensor:min()
   max = max or tensor:max()
   local counts = torch.histc(tensor:double(), bins, min, max)
   local width = (max - min) / bins
   local centres = torch.range(0, bins - 1):mul(width):add(min + width / 2)
   local fig = currentFigure()
   fig.series = {{x = values(centres), y = values(counts), style = 'hist', width = width}}
   fig.image, fig.surfaces, fig.points3 = nil, nil, nil
   draw(fig)
   return counts
end

function gnuplot.imagesc(m, palette)
   if not torch.isTensor(m) or m:dim() ~= 2 then
      error('gnuplot.imagesc: a 2D tensor was expected', 2)
   end
   if palette ~= nil and palette ~= 'gray' and palette ~= 'color' then
      error("gnuplot.imagesc: palette should be 'gray' or 'color'", 2)
   end
   local fig = currentFigure()
   fig.series, fig.surfaces, fig.points3 = {}, nil, nil
   fig.image = {rows = m:size(1), cols = m:size(2), data = values(m),
                palette = palette or 'color'}
   draw(fig)
end

local function setter(key)
   return function(v)
      local fig = currentFigure()
      fig[key] = v
      draw(fig)
   end
end
gnuplot.title = setter('title')
gnuplot.xlabel = setter('xlabel')
gnuplot.ylabel = setter('ylabel')
gnuplot.zlabel = setter('zlabel')
gnuplot.grid = setter('grid')
gnuplot.logscale = setter('logscale')

local HLOC = {left = true, right = true, center = true}
local VLOC = {bottom = true, top = true, middle = true}

function gnuplot.movelegend(hloc, vloc)
   if not HLOC[hloc] or not VLOC[vloc] then
      error('location is unknown: gnuplot.movelegend expects 2 strings as location ' ..
         '{left|right|center}{bottom|top|middle}', 2)
   end
   local fig = currentFigure()
   local v = ({top = 'upper', bottom = 'lower', middle = 'center'})[vloc]
   fig.legend = v .. ' ' .. hloc
   if fig.legend == 'center center' then fig.legend = 'center' end
   draw(fig)
end

-- an axis range {lo, hi} where '' (or '*', nil) keeps what was there (nil: automatic)
local function range(old, lo, hi)
   old = old or {}
   local function pick(v, k)
      if v == nil or v == '' or v == '*' then return old[k] end
      local n = tonumber(v)
      if not n then error('gnuplot.axis: ' .. tostring(v) .. ' is not a number', 4) end
      return n
   end
   local r = {pick(lo, 1), pick(hi, 2)}
   if r[1] == nil and r[2] == nil then return nil end
   return r
end

function gnuplot.axis(a)
   local fig = currentFigure()
   if a == 'auto' then
      fig.xrange, fig.yrange, fig.aspect = nil, nil, nil
   elseif a == 'image' or a == 'equal' then
      fig.aspect = 'equal'
   elseif a == 'fill' then
      fig.aspect = 'auto'
   elseif type(a) == 'table' then
      if #a ~= 4 then
         error('gnuplot.axis: axis should have 4 components {xmin,xmax,ymin,ymax}', 2)
      end
      fig.xrange = range(fig.xrange, a[1], a[2])
      fig.yrange = range(fig.yrange, a[3], a[4])
   else
      error("gnuplot.axis: expected {xmin,xmax,ymin,ymax}, 'auto', 'equal', 'image' or 'fill'", 2)
   end
   draw(fig)
end

------------------------------------------------------------------ 3D
local function isTensor(v) return torch.isTensor(v) end

-- one surface from {['name',] z | x, y, z}; without x and y, x is the row and y the column
-- number, as Torch7's gnuplot
local function surface(t)
   local i, name = 1, nil
   if type(t[1]) == 'string' then name, i = t[1], 2 end
   local a, b, c = t[i], t[i + 1], t[i + 2]
   local x, y, z
   if isTensor(a) and isTensor(b) and isTensor(c) then
      x, y, z = a, b, c
   elseif isTensor(a) and b == nil then
      z = a
      if z:dim() ~= 2 then
         error('gnuplot.splot: z is expected to be a matrix, got ' .. z:dim() .. 'D', 4)
      end
      x = torch.range(1, z:size(1)):view(-1, 1):expandAs(z:double())
      y = torch.range(1, z:size(2)):view(1, -1):expandAs(z:double())
   else
      error('gnuplot.splot: expecting [string,] tensor [,tensor] [,tensor]', 4)
   end
   if x:dim() ~= 2 or y:dim() ~= 2 or z:dim() ~= 2 then
      error(string.format('gnuplot.splot: x and y and z are expected to be matrices ' ..
         'x = %dD y = %dD z = %dD', x:dim(), y:dim(), z:dim()), 4)
   end
   if not (x:isSameSizeAs(z) and y:isSameSizeAs(z)) then
      error('gnuplot.splot: x, y and z must have the same size', 4)
   end
   return {name = name, rows = z:size(1), cols = z:size(2), x = values(x), y = values(y),
           z = values(z)}
end

local function points3(t)
   local i, name = 1, nil
   if type(t[1]) == 'string' then name, i = t[1], 2 end
   local x, y, z = t[i], t[i + 1], t[i + 2]
   if not (isTensor(x) and isTensor(y) and isTensor(z)) or t[i + 3] ~= nil then
      error('gnuplot.scatter3: expecting [string,] tensor, tensor, tensor', 4)
   end
   if x:dim() ~= 1 or y:dim() ~= 1 or z:dim() ~= 1 then
      error('gnuplot.scatter3: x, y and z must be 1D', 4)
   end
   if not (x:isSameSizeAs(y) and x:isSameSizeAs(z)) then
      error('gnuplot.scatter3: x, y and z must be the same size', 4)
   end
   return {name = name, x = values(x), y = values(y), z = values(z)}
end

-- the argument forms of splot and scatter3: (a, b, c), ({...}, {...}) or ({{...}, {...}})
local function each(fname, one, ...)
   local args = {...}
   if select('#', ...) == 0 then
      error('gnuplot.' .. fname .. ': no inputs, expecting at least a matrix', 3)
   end
   local list = {}
   if type(args[1]) == 'table' and not isTensor(args[1]) then
      if type(args[1][1]) == 'table' and not isTensor(args[1][1]) then args = args[1] end
      for k, t in ipairs(args) do list[k] = one(t) end
   else
      list[1] = one(args)
   end
   return list
end

function gnuplot.splot(...)
   local list = each('splot', surface, ...)
   local fig = currentFigure()
   fig.series, fig.image, fig.points3, fig.surfaces = {}, nil, nil, list
   draw(fig)
end

function gnuplot.scatter3(...)
   local list = each('scatter3', points3, ...)
   local fig = currentFigure()
   fig.series, fig.image, fig.surfaces, fig.points3 = {}, nil, nil, list
   draw(fig)
end

------------------------------------------------------------------ terminals
-- gnuplot terminals by the file type they stand for here; window terminals draw PNG files
local TERMS = {png = 'png', pngcairo = 'png', postscript = 'eps', eps = 'eps', epscairo = 'eps',
   pdf = 'pdf', pdfcairo = 'pdf', svg = 'svg', x11 = 'png', wxt = 'png', qt = 'png',
   aqua = 'png', windows = 'png'}
local WINDOWS = {x11 = true, wxt = true, qt = true, aqua = true, windows = true}
local told = {}

local function once(key, msg)
   if not told[key] then
      told[key] = true
      print(msg)
   end
end

function gnuplot.setterm(term)
   local name = type(term) == 'string' and term:match('^%s*(%S+)')
   local ext = name and TERMS[name]
   if not ext then error('gnuplot does not seem to have this term', 2) end
   if WINDOWS[name] then
      once('term ' .. name, string.format("gnuplot: terminal '%s' draws PNG files here " ..
         '(no window)', name))
   end
   termext = ext
end

function gnuplot.setgnuplotexe(exe)
   local f = type(exe) == 'string' and io.open(exe, 'r')
   if not f then error(tostring(exe) .. ' does not exist', 2) end
   f:close()
   once('exe', 'gnuplot: luatorch draws with matplotlib; ' .. exe .. ' is not run')
end

function gnuplot.figprint(fname)
   if type(fname) ~= 'string' then
      error('gnuplot.figprint: a file name was expected, got ' .. type(fname), 2)
   end
   local suffix = fname:match('%.([^./]+)$')
   if suffix ~= 'png' and suffix ~= 'eps' and suffix ~= 'pdf' and suffix ~= 'svg' then
      error('gnuplot.figprint: only eps, png, pdf and svg for figprint', 2)
   end
   local fig = currentFigure()
   local file, said = fig.file, fig.told
   fig.file, fig.told = fname, false
   draw(fig)
   fig.file, fig.told = file, said
end

------------------------------------------------------------------ raw commands
-- the text of a quoted gnuplot string ("..." or '...'), or the bare word
local function unquote(v)
   v = v:match('^%s*(.-)%s*$')
   local q, body = v:match('^(["\'])(.*)%1')
   if q then return body end
   return v
end

-- '[a:b]' as an axis range ('*' or nothing keeps automatic)
local function bracket(fig, key, v)
   local lo, hi = v:match('^%s*%[%s*([^:]*):([^%]]*)%]')
   if not lo then return false end
   lo, hi = lo:match('^%s*(.-)%s*$'), hi:match('^%s*(.-)%s*$')
   for _, e in ipairs({lo, hi}) do
      if e ~= '' and e ~= '*' and not tonumber(e) then return false end
   end
   fig[key] = range(nil, lo, hi)
   return true
end

-- 'set xtics ("Jan" 1, "Feb" 2)', '(1, 2, 3)' or a step 'N'
local function tics(fig, key, v)
   local body = v:match('^%s*%((.*)%)%s*$')
   if body then
      local list = {}
      for item in body:gmatch('[^,]+') do
         local label, pos = item:match('^%s*["\'](.-)["\']%s+([-+%d.eE]+)%s*$')
         if not label then
            pos = item:match('^%s*([-+%d.eE]+)%s*$')
         end
         if not tonumber(pos) then return false end
         list[#list + 1] = {pos = tonumber(pos), label = label}
      end
      fig[key] = {list = list}
      return true
   end
   local step = tonumber(v)
   if step then
      fig[key] = {step = step}
      return true
   end
   return false
end

local KEYH = {left = 'left', right = 'right', center = 'center'}
local KEYV = {top = 'upper', bottom = 'lower', center = 'center'}

local SET = {
   title = function(fig, v) fig.title = unquote(v) return true end,
   xlabel = function(fig, v) fig.xlabel = unquote(v) return true end,
   ylabel = function(fig, v) fig.ylabel = unquote(v) return true end,
   zlabel = function(fig, v) fig.zlabel = unquote(v) return true end,
   grid = function(fig) fig.grid = true return true end,
   xrange = function(fig, v) return bracket(fig, 'xrange', v) end,
   yrange = function(fig, v) return bracket(fig, 'yrange', v) end,
   zrange = function(fig, v) return bracket(fig, 'zrange', v) end,
   xtics = function(fig, v) return tics(fig, 'xtics', v) end,
   ytics = function(fig, v) return tics(fig, 'ytics', v) end,
   logscale = function(fig, v)
      local axes = v:match('^%s*(%a*)')
      if axes == '' then axes = 'xy' end
      if axes:find('[^xyz]') then return false end
      fig.logscale = axes
      return true
   end,
   key = function(fig, v)
      local words = {}
      for w in v:gmatch('%a+') do words[#words + 1] = w end
      if words[1] == 'off' or words[1] == 'nokey' then fig.nolegend = true return true end
      local h, vv = 'right', 'upper'
      for _, w in ipairs(words) do
         if KEYH[w] then h = KEYH[w]
         elseif KEYV[w] then vv = KEYV[w]
         elseif w ~= 'on' and w ~= 'inside' then return false end
      end
      fig.nolegend = nil
      fig.legend = (vv == 'center' and h == 'center') and 'center' or (vv .. ' ' .. h)
      return true
   end,
   size = function(fig, v)
      if v:match('^%s*square') or v:match('^%s*ratio%s+%-1') then
         fig.aspect = 'equal'
      elseif v:match('^%s*nosquare') or v:match('^%s*ratio%s+1%s*,%s*1') then
         fig.aspect = nil
      else
         return false
      end
      return true
   end,
   terminal = function(_, v) gnuplot.setterm(v) return true end,
   output = function(fig, v) fig.file, fig.told = unquote(v), false return true end,
   autoscale = function(fig) fig.xrange, fig.yrange, fig.zrange = nil, nil, nil return true end,
}
SET.term = SET.terminal
SET.xlab, SET.ylab, SET.zlab = SET.xlabel, SET.ylabel, SET.zlabel
SET.log = SET.logscale

local UNSET = {
   grid = function(fig) fig.grid = false end,
   logscale = function(fig) fig.logscale = nil end,
   key = function(fig) fig.nolegend = true end,
   xtics = function(fig) fig.xtics = nil end,
   ytics = function(fig) fig.ytics = nil end,
   title = function(fig) fig.title = nil end,
   xlabel = function(fig) fig.xlabel = nil end,
   ylabel = function(fig) fig.ylabel = nil end,
   output = function() end,                      -- the file is written at each change
}
UNSET.log = UNSET.logscale

function gnuplot.raw(cmd)
   if type(cmd) ~= 'string' then
      error('gnuplot.raw: a command string was expected, got ' .. type(cmd), 2)
   end
   local fig = currentFigure()
   local done = false
   for line in cmd:gmatch('[^\n;]+') do
      local verb, what, rest = line:match('^%s*(%a+)%s*(%a*)(.*)$')
      local ok = false
      if verb == 'set' and SET[what] then
         ok = SET[what](fig, rest)
      elseif verb == 'unset' and UNSET[what] then
         UNSET[what](fig)
         ok = true
      elseif verb == 'replot' or verb == 'refresh' then
         ok = true
      end
      if ok then
         done = true
      elseif verb then
         local name = (verb == 'set' or verb == 'unset') and (verb .. ' ' .. what) or verb
         once('raw ' .. name, string.format("gnuplot.raw: '%s' has no matplotlib " ..
            'translation here; ignored', name))
      end
   end
   if done then draw(fig) end
end

function gnuplot.plotflush(n)
   local fig = figures[n or current]
   if fig then draw(fig) end
end

function gnuplot.close(n)
   n = n or current
   figures[n] = nil
   if n == current then current = nil end
end

function gnuplot.closeall()
   figures, current = {}, nil
end

return gnuplot
