-- image: Torch7's image package.  Images are C x H x W tensors (H x W for one grey plane);
-- float and double images hold values in [0, 1], byte images 0..255.  Files are decoded and
-- encoded by Pillow (the `image` extra), transforms follow Torch7's arithmetic (see
-- luatorch/packages/image.py).  image.display writes a PNG file instead of opening a window.
--
--    load(path [, depth [, 'byte'|'float'|'double']])   save(path, img)   getSize(path)
--    decompress/decompressJPG/decompressPNG(bytes [, depth, type])   compressJPG(img [, q])
--    crop([dst,] src, x1, y1 [, x2, y2]) | crop([dst,] src, 'c'|'tl'|'tr'|'bl'|'br', w, h)
--    scale(src, w, h [, mode]) | scale(src, size [, mode]) | scale(dst, src [, mode])
--    rotate([dst,] src, theta [, 'simple'|'bilinear'])   translate([dst,] src, x, y)
--    hflip vflip flip   rgb2yuv yuv2rgb rgb2y rgb2hsl rgb2hsv rgb2lab
--    gaussian gaussian1D lcn minmax toDisplayTensor display drawText
require 'torch'

image = image or {}
local image = image
package.loaded.image = image

local door = torch._door
local wrapany, handle = torch._wrapany, torch._handle
local img_load, img_decompress = door.img_load, door.img_decompress
local img_save, img_compress, img_size = door.img_save, door.img_compress, door.img_size
local img_scale, img_rotate, img_translate = door.img_scale, door.img_rotate, door.img_translate
local img_flip, img_color, img_lcn = door.img_flip, door.img_color, door.img_lcn
local img_draw_text, img_abspath = door.img_draw_text, door.img_abspath

local function isTensor(x) return torch.isTensor(x) end

local function checkImage(x, fname, n)
   if not isTensor(x) then
      error(string.format("bad argument #%d to 'image.%s' (torch.*Tensor expected, got %s)",
         n or 1, fname, type(x)), 3)
   end
end

-- the result `res` into dst when given, as Torch7's [dst,] forms
local function into(dst, res)
   if dst then
      dst:resizeAs(res):copy(res)
      return dst
   end
   return res
end

local function defaultType()
   return torch.getdefaulttensortype() == 'torch.FloatTensor' and 'float' or 'double'
end

------------------------------------------------------------------ files
function image.load(path, depth, tensortype)
   if type(path) ~= 'string' then
      error("bad argument #1 to 'image.load' (file name expected, got " .. type(path) .. ')', 2)
   end
   return wrapany(img_load(path, depth, tensortype or defaultType()))
end

function image.getSize(path)
   local c, h, w = img_size(path)
   return torch.LongTensor({c, h, w})
end

function image.save(path, img)
   checkImage(img, 'save', 2)
   img_save(path, handle(img))
end

function image.decompress(bytes, depth, tensortype)
   checkImage(bytes, 'decompress', 1)
   return wrapany(img_decompress(handle(bytes), depth, tensortype or defaultType()))
end
image.decompressJPG = image.decompress
image.decompressPNG = image.decompress

function image.compressJPG(img, quality)
   checkImage(img, 'compressJPG', 1)
   return wrapany(img_compress(handle(img), 'JPEG', quality))
end

function image.compressPNG(img)
   checkImage(img, 'compressPNG', 1)
   return wrapany(img_compress(handle(img), 'PNG', nil))
end

------------------------------------------------------------------ geometry
local function hw(src)
   local d = src:dim()
   return src:size(d - 1), src:size(d)
end

local function window(src, x1, y1, x2, y2)
   local d = src:dim()
   local h, w = hw(src)
   if x1 < 0 or y1 < 0 or x2 > w or y2 > h or x2 <= x1 or y2 <= y1 then
      error(string.format('image.crop: crop (%d, %d) to (%d, %d) is outside the %dx%d image',
         x1, y1, x2, y2, w, h), 3)
   end
   return src:narrow(d, x1 + 1, x2 - x1):narrow(d - 1, y1 + 1, y2 - y1):clone()
end

function image.crop(...)
   local args = {...}
   local dst
   if isTensor(args[1]) and isTensor(args[2]) then dst = table.remove(args, 1) end
   local src = args[1]
   checkImage(src, 'crop', 1)
   local h, w = hw(src)
   local res
   if type(args[2]) == 'string' then
      local fmt, cw, ch = args[2], args[3], args[4]
      local x1, y1
      if fmt == 'c' then
         x1, y1 = math.floor((w - cw) / 2), math.floor((h - ch) / 2)
      elseif fmt == 'tl' then x1, y1 = 0, 0
      elseif fmt == 'tr' then x1, y1 = w - cw, 0
      elseif fmt == 'bl' then x1, y1 = 0, h - ch
      elseif fmt == 'br' then x1, y1 = w - cw, h - ch
      else
         error("image.crop: format should be 'c', 'tl', 'tr', 'bl' or 'br' (got " .. fmt .. ')', 2)
      end
      res = window(src, x1, y1, x1 + cw, y1 + ch)
   else
      local x1, y1, x2, y2 = args[2], args[3], args[4], args[5]
      if type(x1) ~= 'number' or type(y1) ~= 'number' then
         error("image.crop: expected ([dst,] src, x1, y1 [, x2, y2]) or " ..
            "([dst,] src, format, width, height)", 2)
      end
      x1, y1 = math.floor(x1), math.floor(y1)
      if x2 == nil then
         if not dst then error('image.crop: without x2, y2 a dst tensor gives the size', 2) end
         local dh, dw = hw(dst)
         return dst:copy(window(src, x1, y1, x1 + dw, y1 + dh))
      end
      res = window(src, x1, y1, math.floor(x2), math.floor(y2))
      if dst then return image.scale(dst, res) end   -- Torch7 scales the window into dst
   end
   return into(dst, res)
end

-- the output width and height for image.scale's size forms (a number or 'WxH', '^MIN', '*SC',
-- '*SCn/SCd')
local function sizeOf(src, size)
   local ih, iw = hw(src)
   local n = tonumber(size)
   if n then
      local imax = math.max(iw, ih)
      return iw * n / imax, ih * n / imax
   end
   if type(size) ~= 'string' then
      error('image.scale: size should be a number or a string', 3)
   end
   local w, h = size:match('^(%d+)x(%d+)$')
   if w then return tonumber(w), tonumber(h) end
   local min = tonumber(size:match('^%^(%d+)$'))
   if min then
      local imin = math.min(iw, ih)
      return iw * min / imin, ih * min / imin
   end
   local sn, sd = size:match('^%*(%d+)/(%d+)$')
   local sc = sn and tonumber(sn) / tonumber(sd) or tonumber(size:match('^%*([%d.]+)$'))
   if sc then return iw * sc, ih * sc end
   error("image.scale: size should be 'WxH', 'MAX', '^MIN', '*SC' or '*SCn/SCd' (got " ..
      size .. ')', 3)
end

function image.scale(...)
   local a, b, c, d = ...
   checkImage(a, 'scale', 1)
   local res
   if isTensor(b) then                     -- scale(dst, src [, mode])
      local h, w = hw(a)
      res = wrapany(img_scale(handle(b), w, h, c or 'bilinear'))
      a:resizeAs(res):copy(res)
      return a
   elseif type(b) == 'number' and type(c) == 'number' then
      res = img_scale(handle(a), math.floor(b), math.floor(c), d or 'bilinear')
   else
      local w, h = sizeOf(a, b)
      res = img_scale(handle(a), math.floor(w), math.floor(h), c or 'bilinear')
   end
   return wrapany(res)
end

function image.rotate(...)
   local args = {...}
   local dst
   if isTensor(args[1]) and isTensor(args[2]) then dst = table.remove(args, 1) end
   local src, theta, mode = args[1], args[2], args[3]
   checkImage(src, 'rotate', 1)
   if type(theta) ~= 'number' then
      error("bad argument #2 to 'image.rotate' (angle in radians expected)", 2)
   end
   return into(dst, wrapany(img_rotate(handle(src), theta, mode or 'simple')))
end

function image.translate(...)
   local args = {...}
   local dst
   if isTensor(args[1]) and isTensor(args[2]) then dst = table.remove(args, 1) end
   local src, x, y = args[1], args[2], args[3]
   checkImage(src, 'translate', 1)
   return into(dst, wrapany(img_translate(handle(src), x or 0, y or 0)))
end

local function flipper(fname, dimOf)
   return function(...)
      local args = {...}
      local dst
      if isTensor(args[1]) and isTensor(args[2]) then dst = table.remove(args, 1) end
      local src = args[1]
      checkImage(src, fname, 1)
      return into(dst, wrapany(img_flip(handle(src), dimOf(src, args[2]))))
   end
end
image.hflip = flipper('hflip', function(src) return src:dim() end)
image.vflip = flipper('vflip', function(src) return src:dim() - 1 end)
image.flip = flipper('flip', function(_, dim) return dim end)

------------------------------------------------------------------ colour
for _, name in ipairs({'rgb2yuv', 'yuv2rgb', 'rgb2y', 'rgb2hsl', 'rgb2hsv', 'rgb2lab'}) do
   image[name] = function(...)
      local args = {...}
      local dst
      if isTensor(args[1]) and isTensor(args[2]) then dst = table.remove(args, 1) end
      checkImage(args[1], name, 1)
      return into(dst, wrapany(img_color(handle(args[1]), name)))
   end
end

------------------------------------------------------------------ kernels
-- positional or named arguments, as Torch7's dok.unpack
local function unpackArgs(args, names, defaults)
   local t = args
   if not (#args == 1 and type(args[1]) == 'table' and not isTensor(args[1])) then
      t = {}
      for i, name in ipairs(names) do t[name] = args[i] end
   else
      t = args[1]
   end
   local out = {}
   for _, name in ipairs(names) do
      local v = t[name]
      if v == nil then v = defaults[name] end
      if v == nil and type(defaults[name .. '_from']) == 'string' then
         v = out[defaults[name .. '_from']]
      end
      out[name] = v
   end
   return out
end

function image.gaussian(...)
   local a = unpackArgs({...},
      {'size', 'sigma', 'amplitude', 'normalize', 'width', 'height', 'sigma_horz', 'sigma_vert',
       'mean_horz', 'mean_vert', 'tensor'},
      {size = 3, sigma = 0.25, amplitude = 1, normalize = false, width_from = 'size',
       height_from = 'size', sigma_horz_from = 'sigma', sigma_vert_from = 'sigma',
       mean_horz = 0.5, mean_vert = 0.5})
   local g = a.tensor or torch.Tensor(a.height, a.width)
   if g:dim() ~= 2 or g:nElement() == 0 then error('expecting a non-empty 2D tensor', 2) end
   local h, w = g:size(1), g:size(2)
   local mu, mv = a.mean_horz * w + 0.5, a.mean_vert * h + 0.5
   local su, sv = a.sigma_horz * w, a.sigma_vert * h
   for v = 1, h do
      for u = 1, w do
         local du, dv = (u - mu) / su, (v - mv) / sv
         g[v][u] = a.amplitude * math.exp(-0.5 * (du * du + dv * dv))
      end
   end
   if a.normalize then g:div(g:sum()) end
   return g
end

function image.gaussian1D(...)
   local a = unpackArgs({...}, {'size', 'sigma', 'amplitude', 'normalize', 'mean', 'tensor'},
      {size = 3, sigma = 0.25, amplitude = 1, normalize = false, mean = 0.5})
   local g = a.tensor or torch.Tensor(a.size)
   if g:dim() ~= 1 or g:nElement() == 0 then error('expecting a non-empty 1D tensor', 2) end
   local n = g:size(1)
   local centre = a.mean * n + 0.5
   for i = 1, n do
      g[i] = a.amplitude * math.exp(-(((i - centre) / (a.sigma * n)) ^ 2) / 2)
   end
   if a.normalize then g:div(g:sum()) end
   return g
end

function image.lcn(im, ker)
   checkImage(im, 'lcn', 1)
   ker = ker or image.gaussian({size = 9, sigma = 1.591 / 9, normalize = true})
   return wrapany(img_lcn(handle(im), handle(ker)))
end

------------------------------------------------------------------ display
function image.minmax(args)
   if type(args) ~= 'table' or isTensor(args) then
      error('image.minmax: named arguments expected: image.minmax{tensor=..., min=..., max=...}', 2)
   end
   local t = args.tensor or args[1]
   checkImage(t, 'minmax', 1)
   local min, max = args.min, args.max
   local out = args.tensorOut or (args.inplace and t) or t.new()
   if out ~= t then out:resizeAs(t):copy(t) end
   if args.symm and not min and not max then
      max = math.max(math.abs(t:min()), math.abs(t:max()))
      min = -max
   end
   min = min or t:min()
   max = max or t:max()
   if max - min > 0 then
      out:add(-min):div(max - min)
   else
      out:add(-min)
   end
   if args.saturate then out:clamp(0, 1) end
   return out
end

function image.toDisplayTensor(...)
   local args = {...}
   local o = args
   if #args == 1 and type(args[1]) == 'table' and not isTensor(args[1]) and args[1].input then
      o = args[1]
   else
      o = {input = args[1], padding = args[2], nrow = args[3], scaleeach = args[4],
           min = args[5], max = args[6], symmetric = args[7], saturate = args[8]}
   end
   local input, padding = o.input, o.padding or 0
   local list = {}
   if isTensor(input) then
      if input:dim() == 4 or (input:dim() == 3 and input:size(1) ~= 1 and input:size(1) ~= 3) then
         for i = 1, input:size(1) do list[i] = input[i] end
      else
         list[1] = input
      end
   elseif type(input) == 'table' then
      list = input
   else
      error('image.toDisplayTensor: a tensor or a table of tensors expected', 2)
   end
   local n = #list
   if n == 0 then error('image.toDisplayTensor: no images to display', 2) end
   local first = list[1]
   local chans = first:dim() == 3 and first:size(1) or 1
   local h, w = hw(first)
   local nrow = math.min(o.nrow or math.ceil(math.sqrt(n)), n)
   local ncol = math.ceil(n / nrow)
   local grid = first.new(chans, ncol * (h + padding) - padding, nrow * (w + padding) - padding)
   grid:zero()
   for k = 1, n do
      local img = list[k]
      if img:dim() == 2 then img = img:view(1, h, w) end
      local shown = image.minmax{tensor = img, min = (not o.scaleeach) and o.min or nil,
         max = (not o.scaleeach) and o.max or nil, symm = o.symmetric, saturate = o.saturate}
      local r, c = math.floor((k - 1) / nrow), (k - 1) % nrow
      grid:narrow(2, r * (h + padding) + 1, h):narrow(3, c * (w + padding) + 1, w):copy(shown)
   end
   if chans == 1 then return grid[1] end
   return grid
end

local displayed = 0

function image.display(...)
   local args = {...}
   local o = args
   if #args == 1 and type(args[1]) == 'table' and not isTensor(args[1]) then
      o = args[1]
   else
      o = {image = args[1], zoom = args[2]}
   end
   local img = o.image or o[1]
   local shown = image.toDisplayTensor{input = img, padding = o.padding, nrow = o.nrow,
      min = o.min, max = o.max, symmetric = o.symm, scaleeach = o.scaleeach,
      saturate = o.saturate}
   local zoom = o.zoom or 1
   if zoom ~= 1 then
      local h, w = hw(shown)
      shown = image.scale(shown, math.max(1, math.floor(w * zoom)),
         math.max(1, math.floor(h * zoom)), 'simple')
   end
   displayed = displayed + 1
   local file = o.file or os.getenv('LUATORCH_DISPLAY') and
      (os.getenv('LUATORCH_DISPLAY') .. '/display' .. displayed .. '.png') or
      ('display' .. displayed .. '.png')
   image.save(file, shown)
   print(string.format('image.display: %s written to %s (no window)',
      o.legend or 'image', img_abspath(file)))
   return file
end

function image.drawText(src, text, x, y, opts)
   checkImage(src, 'drawText', 1)
   opts = opts or {}
   local res = wrapany(img_draw_text(handle(src), tostring(text), x or 0, y or 0,
      opts.color or {255, 255, 255}, opts.bg, opts.size or 1, opts.wrap ~= false))
   if opts.inplace then
      src:copy(res)
      return src
   end
   return res
end

return image
