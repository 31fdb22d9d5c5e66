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
--       plot({'name', [x,] y [, style]}, ...) several named curves (a table of such tables too)
--       styles: '-' lines (default), '.' '+' points, '+-' both, '|' impulses
--    gnuplot.hist(x [, bins [, min, max]])   bars of torch.histc; returns the counts
--    gnuplot.imagesc(M [, 'gray' | 'color'])  a matrix as an image
--    gnuplot.title(s), xlabel(s), ylabel(s), grid(flag), movelegend(h, v),
--    gnuplot.axis{xmin, xmax, ymin, ymax} | 'auto' | 'equal' | 'image' | 'fill'
--    gnuplot.plotflush([n]) redraw; gnuplot.close([n]); gnuplot.closeall() forgets every figure
-- gnuplot's splot, scatter3 and the raw gnuplot commands are not here.
require 'torch'

gnuplot = gnuplot or {}
local gnuplot = gnuplot
package.loaded.gnuplot = gnuplot

local door = torch._door
local gp_available = door.gp_available
local gp_draw = door.gp_draw
local gp_abspath = door.gp_abspath

local figures, current, warned = {}, nil, false

local function newFigure(n, file)
   local fig = {series = {}, file = file or ('figure' .. n .. '.png'), grid = false}
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
   n = n or nextNumber()
   newFigure(n, fname)
   return n
end

function gnuplot.pngfigure(fname, n) return fileFigure(fname, n) end
function gnuplot.epsfigure(fname, n) return fileFigure(fname, n) end
gnuplot.pdffigure = gnuplot.pngfigure
gnuplot.svgfigure = gnuplot.pngfigure

local function values(t)
   return t:contiguous():view(-1):double():totable()
end

-- one curve from {['name',] y | x, y | M [, style]}
local function curve(args, first)
   local name, i = nil, first
   if type(args[i]) == 'string' then name, i = args[i], i + 1 end
   local a, b = args[i], args[i + 1]
   if not torch.isTensor(a) then
      error('gnuplot.plot: a tensor was expected, got ' .. type(a), 3)
   end
   local x, y, style
   if torch.isTensor(b) then
      x, y, style = a, b, args[i + 2]
   elseif a:dim() == 2 and a:size(2) == 2 then
      x, y, style = a:select(2, 1), a:select(2, 2), b
   else
      x, y, style = torch.range(1, a:nElement()), a, b
   end
   if x:nElement() ~= y:nElement() then
      error('gnuplot.plot: x and y have different sizes', 3)
   end
   return {name = name, x = values(x), y = values(y), style = style or '-'}
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
   if isCurveTable(args[1]) then
      for k, t in ipairs(args) do series[k] = curve(t, 1) end
   else
      series[1] = curve(args, 1)
   end
   local fig = currentFigure()
   fig.series, fig.image = series, nil
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
   fig.image = nil
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
   fig.series = {}
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

function gnuplot.axis(a)
   local fig = currentFigure()
   if a == 'auto' then
      fig.limits, fig.aspect = nil, nil
   elseif a == 'image' or a == 'equal' then
      fig.aspect = 'equal'
   elseif a == 'fill' then
      fig.aspect = 'auto'
   elseif type(a) == 'table' then
      if #a ~= 4 then
         error('gnuplot.axis: axis should have 4 components {xmin,xmax,ymin,ymax}', 2)
      end
      fig.limits = {a[1], a[2], a[3], a[4]}
   else
      error("gnuplot.axis: expected {xmin,xmax,ymin,ymax}, 'auto', 'equal', 'image' or 'fill'", 2)
   end
   draw(fig)
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
