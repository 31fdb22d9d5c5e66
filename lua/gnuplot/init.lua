-- gnuplot, the part that optim's test_fista.lua uses, drawn with matplotlib into image files
-- instead of gnuplot windows: figure n is written to figure<n>.png in the current directory,
-- pngfigure/epsfigure name their file.  Each call that changes a figure redraws its file.
-- Without matplotlib nothing is drawn, and the first drawing call says so in one line.
--
--    gnuplot.figure([n])        make figure n (the next free number) current; returns n
--    gnuplot.pngfigure(fname)   a new figure drawn into fname; epsfigure(fname) the same
--    gnuplot.plot(...)          replace the current figure's curves:
--       plot(y [, style]), plot(x, y [, style]), plot(M [, style]) with M n x 2 (x, y columns),
--       plot({'name', [x,] y [, style]}, ...) several named curves
--       styles: '-' lines (default), '.' '+' points, '+-' both, '|' impulses
--    gnuplot.title(s), xlabel(s), ylabel(s), grid(flag)
--    gnuplot.plotflush([n])     redraw; gnuplot.closeall() forgets every figure
-- gnuplot's hist, imagesc, splot, axis and the raw gnuplot commands are not here yet.
require 'torch'

gnuplot = gnuplot or {}
local gnuplot = gnuplot
package.loaded.gnuplot = gnuplot

local door = torch._door
local gp_available = door.gp_available
local gp_draw = door.gp_draw

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
         print('gnuplot: warning: cannot draw: matplotlib is not installed')
         warned = true
      end
      return
   end
   gp_draw(fig.file, fig)
   if not fig.told then
      print('gnuplot: figure drawn into ' .. fig.file)
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

function gnuplot.pngfigure(fname)
   local n = nextNumber()
   newFigure(n, fname)
   return n
end
gnuplot.epsfigure = gnuplot.pngfigure

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

function gnuplot.plot(...)
   local args = {...}
   local series = {}
   if type(args[1]) == 'table' and not torch.isTensor(args[1]) then
      for k, t in ipairs(args) do series[k] = curve(t, 1) end
   else
      series[1] = curve(args, 1)
   end
   local fig = currentFigure()
   fig.series = series
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

function gnuplot.plotflush(n)
   local fig = figures[n or current]
   if fig then draw(fig) end
end

function gnuplot.closeall()
   figures, current = {}, nil
end

return gnuplot
