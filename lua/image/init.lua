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
--    hflip vflip flip   polar logpolar   warp affinetransform   convolve erode dilate
--    rgb2yuv yuv2rgb rgb2y rgb2hsl hsl2rgb rgb2hsv hsv2rgb rgb2lab lab2rgb rgb2nrgb y2jet
--    gaussian gaussian1D laplacian gaussianpyramid colormap jetColormap lcn
--    minmax toDisplayTensor display window drawText drawRect   lena fabio (Torch7's own files)
require 'torch'
require 'dok'

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
local img_draw_rect, img_colorize = door.img_draw_rect, door.img_colorize
local img_warp, img_affine, img_polar = door.img_warp, door.img_affine, door.img_polar

local function isTensor(x) return torch.isTensor(x) end

local function checkImage(x, fname, n, level)
   if not isTensor(x) then
      error(string.format("bad argument #%d to 'image.%s' (torch.*Tensor expected, got %s)",
         n or 1, fname, type(x)), level or 3)
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
-- the type is the file's by its first bytes (JPEG, PNG, PGM, PPM), else by its extension,
-- as Torch7's image.load decided: a file of another kind, or with neither, is refused
local function filetype(path)
   local f, err = io.open(path, 'rb')
   if not f then torch._error(err) end
   local head = f:read(4) or ''
   f:close()
   if head:sub(1, 3) == '\255\216\255' then return 'jpg' end
   if head == '\137PNG' then return 'png' end
   if head:match('^P[25]') then return 'pgm' end
   if head:match('^P[36]') then return 'ppm' end
   return path:match('%.(%a+)$')
end

function image.load(path, depth, tensortype)
   if type(path) ~= 'string' then
      error("bad argument #1 to 'image.load' (file name expected, got " .. type(path) .. ')', 2)
   end
   local ext = filetype(path)
   if not ext then
      torch._error('<image.load> unable to determine image type for file: ' .. path)
   end
   local entry = image.supported_filetypes[ext]
   if not entry then torch._error('<image.load> unknown image type: ' .. ext) end
   return entry.loader(path, depth, tensortype)
end

function image.getSize(path)
   local c, h, w = img_size(path)
   return torch.LongTensor({c, h, w})
end

function image.save(path, img)
   checkImage(img, 'save', 2)
   img_save(path, handle(img))
end

-- the format-specific forms: loadJPG loadPNG loadPPM (a file of that format only), saveJPG
-- savePNG savePPM savePGM (that format whatever the name), getJPGsize getPNGsize getPPMsize
local FORMATS = {JPG = 'JPEG', PNG = 'PNG', PPM = 'PPM'}
for short, fmt in pairs(FORMATS) do
   image['load' .. short] = function(path, depth, tensortype)
      if type(path) ~= 'string' then
         error("bad argument #1 to 'image.load" .. short .. "' (file name expected, got " ..
            type(path) .. ')', 2)
      end
      return wrapany(img_load(path, depth, tensortype or defaultType(), fmt))
   end
   image['get' .. short .. 'size'] = function(path)
      return img_size(path)
   end
end
for _, ext in ipairs({'jpg', 'png', 'ppm', 'pgm'}) do
   image['save' .. ext:upper()] = function(path, img)
      checkImage(img, 'save' .. ext:upper(), 2)
      img_save(path, handle(img), ext)
   end
end

image.supported_filetypes = {}
for _, ext in ipairs({'jpg', 'png', 'ppm', 'pgm'}) do
   local entry = {loader = image['load' .. (ext == 'pgm' and 'PPM' or ext:upper())],
                  saver = image['save' .. ext:upper()]}
   image.supported_filetypes[ext] = entry
   image.supported_filetypes[ext:upper()] = entry
end
image.supported_filetypes.jpeg = image.supported_filetypes.jpg
image.supported_filetypes.JPEG = image.supported_filetypes.jpg

function image.is_supported(suffix)
   return image.supported_filetypes[suffix] ~= nil
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

local function usage(fname, forms, level)
   error(string.format('image.%s: incorrect arguments, expected %s', fname, forms),
      (level or 2) + 1)
end

-- polar(src [, interp [, mode]]) | polar(dst, src [, interp [, mode]]), as Torch7 tells
-- them apart: by the count and whether the second argument is a string
local function polarFn(fname, log)
   return function(...)
      local n, a, b, c, d = select('#', ...), ...
      local dst, src, interp, mode
      if n == 4 then dst, src, interp, mode = a, b, c, d
      elseif n == 3 and type(b) == 'string' then src, interp, mode = a, b, c
      elseif n == 3 then dst, src, interp = a, b, c
      elseif n == 2 and type(b) == 'string' then src, interp = a, b
      elseif n == 2 then dst, src = a, b
      elseif n == 1 then src = a
      else usage(fname, "([dst,] src [, 'simple'|'bilinear' [, 'valid'|'full']])") end
      checkImage(src, fname, dst and 2 or 1)
      interp, mode = interp or 'simple', mode or 'valid'
      if mode ~= 'valid' and mode ~= 'full' then
         error('image.' .. fname .. ': mode must be one of: valid | full', 2)
      end
      if interp ~= 'simple' and interp ~= 'bilinear' then
         error('image.' .. fname .. ': interpolation must be one of: simple | bilinear', 2)
      end
      local h, w
      if dst then
         if dst:dim() ~= src:dim() then
            error('image.' .. fname .. ': src and dst depths do not match', 2)
         end
         h, w = hw(dst)
      else
         h, w = hw(src)
         h = math.max(h, w)
         w = h
      end
      return into(dst, wrapany(img_polar(handle(src), h, w, interp, mode == 'full', log)))
   end
end
image.polar = polarFn('polar', false)
image.logpolar = polarFn('logpolar', true)

-- the trailing (mode, offset-or-translation, clamp_mode, pad_value) of warp and
-- affinetransform, after src and its field or matrix
local function warpTail(fname, args, first, n)
   local mode, extra, clamp, pad = args[first], args[first + 1], args[first + 2], args[first + 3]
   if n >= first + 4 then
      usage(fname, '([dst,] src, field [, mode, offset, clamp_mode, pad_val])', 4)
   end
   if n >= first + 3 and clamp ~= 'pad' then
      error('pad_value can only be specified if clamp_mode = "pad"', 4)
   end
   return mode or 'bilinear', extra, clamp or 'clamp', pad or 0
end

local function warpArgs(fname, ...)
   local args, n = {...}, select('#', ...)
   if n < 2 then usage(fname, '([dst,] src, field [, mode, offset, clamp_mode, pad_val])', 3) end
   local dst, src, field, first
   if n == 2 or type(args[3]) == 'string' then
      src, field, first = args[1], args[2], 3
   else
      dst, src, field, first = args[1], args[2], args[3], 4
   end
   checkImage(src, fname, dst and 2 or 1, 4)
   checkImage(field, fname, dst and 3 or 2, 4)
   return dst, src, field, warpTail(fname, args, first, n)
end

function image.warp(...)
   local dst, src, field, mode, offset, clamp, pad = warpArgs('warp', ...)
   if offset == nil then offset = true end
   return into(dst, wrapany(img_warp(handle(src), handle(field), mode, offset and true or false,
      clamp, pad)))
end

function image.affinetransform(...)
   local dst, src, matrix, mode, t, clamp, pad = warpArgs('affinetransform', ...)
   t = t or {0, 0}
   return into(dst, wrapany(img_affine(handle(src), handle(matrix), mode, t[1], t[2], clamp,
      pad)))
end

------------------------------------------------------------------ colour
for _, name in ipairs({'rgb2yuv', 'yuv2rgb', 'rgb2y', 'rgb2hsl', 'hsl2rgb', 'rgb2hsv', 'hsv2rgb',
                       'rgb2lab', 'lab2rgb', 'rgb2nrgb'}) do
   image[name] = function(...)
      local args = {...}
      local dst
      if isTensor(args[1]) and isTensor(args[2]) then dst = table.remove(args, 1) end
      checkImage(args[1], name, 1)
      return into(dst, wrapany(img_color(handle(args[1]), name)))
   end
end

-- a jet (blue, cyan, yellow, red) map of n colours, n x 3 in [0, 1]
function image.jetColormap(n)
   local map = torch.Tensor(n, 3)
   for i = 1, n do
      local v = 4 * i / n
      map[i][1] = math.max(math.min(v - 1.5, 4.5 - v, 1), 0)
      map[i][2] = math.max(math.min(v - 0.5, 3.5 - v, 1), 0)
      map[i][3] = math.max(math.min(v + 0.5, 2.5 - v, 1), 0)
   end
   return map
end

-- n distinct colours, n x 3: hue steps 39 degrees round the wheel, saturation cycles
-- through 0.3..1 by ninths, lightness 0.5
function image.colormap(n)
   local map = torch.Tensor(n, 3)
   local satf = 0          -- summed step by step, as Torch7 did, so fmod sees the same values
   for i = 1, n do
      local hue = math.fmod((i - 1) * 39, 360) / 60
      local sat = math.fmod(satf, 0.7) + 0.3
      satf = satf + 1 / 9
      local c = sat                                  -- chroma at lightness 0.5
      local x = c * (1 - math.abs(math.fmod(hue, 2) - 1))
      local sector = math.floor(hue)
      local rgb = ({[0] = {c, x, 0}, {x, c, 0}, {0, c, x}, {0, x, c}, {x, 0, c}, {c, 0, x}})[sector]
      for k = 1, 3 do map[i][k] = rgb[k] + 0.5 - c / 2 end
   end
   return map
end

-- levels 1..L of a greyscale image (H x W, 1 x H x W or a vector) as a 3-channel jet heat map
function image.y2jet(...)
   local n, a, b = select('#', ...), ...
   local dst, src
   if n == 2 then dst, src = a, b elseif n == 1 then src = a else
      usage('y2jet', '([dst,] src)')
   end
   checkImage(src, 'y2jet', dst and 2 or 1)
   if src:dim() == 3 and src:size(1) == 1 then src = src[1] end
   if src:dim() == 1 then src = src:view(1, src:size(1)) end
   local map = image.jetColormap(src:max())
   if torch.type(src) == 'torch.ByteTensor' then
      map = map:mul(255):round():clamp(0, 255):byte()
   else
      map = map:typeAs(src)
   end
   return into(dst, wrapany(img_colorize(handle(src - 1), handle(map))))
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

-- kernel values into `g`: a byte kernel gets them rounded and held to 0..255, as Torch7's C
-- kernels stored them
local function storeKernel(g, vals)
   if torch.type(g) == 'torch.ByteTensor' then
      vals:add(0.5):floor():clamp(0, 255)
   end
   g:copy(vals)
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
   local vals = torch.DoubleTensor(h, w)
   for v = 1, h do
      for u = 1, w do
         local du, dv = (u - mu) / su, (v - mv) / sv
         vals[v][u] = a.amplitude * math.exp(-0.5 * (du * du + dv * dv))
      end
   end
   storeKernel(g, vals)
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
   local vals = torch.DoubleTensor(n)
   for i = 1, n do
      vals[i] = a.amplitude * math.exp(-(((i - centre) / (a.sigma * n)) ^ 2) / 2)
   end
   storeKernel(g, vals)
   if a.normalize then g:div(g:sum()) end
   return g
end

-- a Laplacian-of-Gaussian kernel, height x width, same arguments as image.gaussian
-- NOTE: sigma defaults to 0.1 as Torch7's code had it (its doc said 0.25), and rows are measured
-- against the horizontal mean and sigma, as in Torch7 (the two agree for square kernels)
function image.laplacian(...)
   local a = unpackArgs({...},
      {'size', 'sigma', 'amplitude', 'normalize', 'width', 'height', 'sigma_horz', 'sigma_vert',
       'mean_horz', 'mean_vert'},
      {size = 3, sigma = 0.1, amplitude = 1, normalize = false, width_from = 'size',
       height_from = 'size', sigma_horz_from = 'sigma', sigma_vert_from = 'sigma',
       mean_horz = 0.5, mean_vert = 0.5})
   local h, w = a.height, a.width
   local cu, cv = a.mean_horz * w + 0.5, a.mean_vert * h + 0.5
   local k = torch.Tensor(h, w)
   for i = 1, h do
      for j = 1, w do
         local q = ((i - cu) / (a.sigma_horz * w)) ^ 2 / 2 + ((j - cv) / (a.sigma_vert * h)) ^ 2 / 2
         k[i][j] = (1 - q) * a.amplitude * math.exp(-q)
      end
   end
   if a.normalize then k:div(k:sum()) end
   return k
end

-- convolve([dst,] src, kernel [, 'valid'|'full'|'same']): torch.conv2, a 2D kernel applied to
-- every plane of a 3D image; 'same' keeps the centre src-sized part of the full result
function image.convolve(...)
   local n, a, b, c, d = select('#', ...), ...
   local dst, src, kernel, mode
   if n == 4 then dst, src, kernel, mode = a, b, c, d
   elseif n == 3 and type(c) == 'string' then src, kernel, mode = a, b, c
   elseif n == 3 then dst, src, kernel = a, b, c
   elseif n == 2 then src, kernel = a, b
   else usage('convolve', "([dst,] src, kernel [, 'full'|'valid'|'same'])") end
   checkImage(src, 'convolve', dst and 2 or 1)
   checkImage(kernel, 'convolve', dst and 3 or 2)
   if mode ~= nil and mode ~= 'valid' and mode ~= 'full' and mode ~= 'same' then
      error('image.convolve: mode has to be one of: full | valid | same', 2)
   end
   kernel = kernel:typeAs(src)
   if kernel:dim() == 2 and src:dim() == 3 then
      local kh, kw = kernel:size(1), kernel:size(2)
      kernel = kernel:view(1, kh, kw):expand(src:size(1), kh, kw):contiguous()
   end
   local res = torch.conv2(src, kernel, (mode == 'full' or mode == 'same') and 'F' or 'V')
   if mode == 'same' then
      local cx = res:dim()
      local cy = cx - 1
      res = res:narrow(cy, math.ceil(kernel:size(cy) / 2), src:size(cy))
               :narrow(cx, math.ceil(kernel:size(cx) / 2), src:size(cx))
   end
   return into(dst, res)
end

-- a list of the image at each scale: each level is the previous one (src first) blurred by a
-- 3x3 Gaussian and resampled ('simple') to src's size times its scale
function image.gaussianpyramid(...)
   local n, a, b, c = select('#', ...), ...
   local dst, src, scales
   if n == 3 then dst, src, scales = a, b, c
   elseif n == 2 then dst, src, scales = {}, a, b
   else usage('gaussianpyramid', '([dst,] src, scales)') end
   checkImage(src, 'gaussianpyramid', n == 3 and 2 or 1)
   if src:dim() ~= 2 and src:dim() ~= 3 then
      error('image.gaussianpyramid: src image must be 2D or 3D', 2)
   end
   local h, w = hw(src)
   local k = image.gaussian{width = 3, normalize = true}:typeAs(src)
   local prev = src
   for i = 1, #scales do
      local sh, sw = math.floor(h * scales[i]), math.floor(w * scales[i])
      dst[i] = dst[i] or src.new()
      if src:dim() == 3 then dst[i]:resize(src:size(1), sh, sw) else dst[i]:resize(sh, sw) end
      if scales[i] == 1 then
         dst[i]:copy(prev)
      else
         image.scale(dst[i], prev, 'simple')
      end
      prev = image.convolve(dst[i], k, 'same')
   end
   return dst
end

-- binary morphology on an H x W image of 0s and 1s with an odd-sized kernel of 0s and 1s;
-- outside the image counts as `pad`
local function morphology(fname, im, kern, pad, hit)
   checkImage(im, fname, 1)
   if im:dim() ~= 2 then error('image.' .. fname .. ': a 2D (H x W) image expected', 3) end
   kern = (kern or torch.ones(3, 3)):typeAs(im)
   if kern:dim() ~= 2 or kern:size(1) % 2 == 0 or kern:size(2) % 2 == 0 then
      error('image.' .. fname .. ': a 2D kernel with odd dimensions expected', 3)
   end
   local ph, pw = (kern:size(1) - 1) / 2, (kern:size(2) - 1) / 2
   local padded = im.new(im:size(1) + 2 * ph, im:size(2) + 2 * pw):fill(pad)
   padded:narrow(1, ph + 1, im:size(1)):narrow(2, pw + 1, im:size(2)):copy(im)
   return hit(padded, kern):typeAs(im)
end

-- NOTE: `local res` rather than a tail call, so that morphology's errors name the caller's line
function image.erode(im, kern, pad)
   local res = morphology('erode', im, kern, pad or 1, function(padded, k)
      return torch.conv2(padded, k):eq(k:sum())
   end)
   return res
end

function image.dilate(im, kern, pad)
   local res = morphology('dilate', im, kern, pad or 0, function(padded, k)
      return torch.xcorr2(padded, k):gt(0)      -- Torch7 convolves with the flipped kernel
   end)
   return res
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

-- where display and window write: $LUATORCH_DISPLAY/<what><n>.png, else the current folder
local function outFile(what, n)
   local dir = os.getenv('LUATORCH_DISPLAY')
   return (dir and (dir .. '/') or '') .. what .. n .. '.png'
end

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
   local win = o.win
   local file = o.file or (type(win) == 'table' and win.file) or (type(win) == 'string' and win)
   if not file then
      displayed = displayed + 1
      file = outFile('display', displayed)
   end
   image.save(file, shown)
   print(string.format('image.display: %s written to %s (no window)',
      o.legend or 'image', img_abspath(file)))
   if type(win) == 'table' then return win end
   return file
end

-- image.window([hook_resize, hook_mousepress, hook_mousedoublepress]): Torch7's qt window is a
-- PNG file here: a blank 640x480 canvas now, which image.display{win = w} later draws over.
-- The hooks are kept but never called (a file has no events).
local windows = 0
local Window = {__tostring = function(w) return 'image.window: ' .. w.file end}
Window.__index = Window

function image.window(hook_resize, hook_mousepress, hook_mousedoublepress)
   windows = windows + 1
   local win = setmetatable({file = outFile('window', windows), hook_resize = hook_resize,
      hook_mousepress = hook_mousepress, hook_mousedoublepress = hook_mousedoublepress}, Window)
   image.save(win.file, torch.zeros(3, 480, 640))
   print(string.format('image.window: %s written (no window)', img_abspath(win.file)))
   return win, win
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


function image.drawRect(src, x1, y1, x2, y2, opts)
   if not (isTensor(src) and src:dim() == 3 and src:size(1) == 3) then
      error('image.drawRect: input image has to be a 3D tensor of shape 3 x H x W', 2)
   end
   opts = opts or {}
   local out = opts.inplace and src or src:clone()
   if not (x1 and y1 and x2 and y2) then return out end
   img_draw_rect(handle(out), x1, y1, x2, y2, opts.lineWidth or 1, opts.color or {255, 0, 0})
   return out
end

------------------------------------------------------------------ Torch7's pictures
-- image.lena (Grace Hopper since 2016) and image.fabio are photographs that Torch7's image
-- package shipped; they are not ours to redistribute.  They are read from a Torch7 install
-- (its image/assets folder, found on package.path) or from $LUATORCH_IMAGE_ASSETS.
local function asset(fname, file, depth)
   local dirs = {}
   local env = os.getenv('LUATORCH_IMAGE_ASSETS')
   if env then dirs[#dirs + 1] = env end
   for template in package.path:gmatch('[^;]+') do
      local dir = template:match('^(.*)/%?/init%.lua$')
      if dir then dirs[#dirs + 1] = dir .. '/image/assets' end
   end
   for _, dir in ipairs(dirs) do
      local path = dir .. '/' .. file
      local f = io.open(path, 'rb')
      if f then
         f:close()
         return image.load(path, depth)
      end
   end
   error(string.format('image.%s: %s is a photograph shipped with Torch7\'s image package, ' ..
      'not with luatorch (it is not ours to redistribute); point LUATORCH_IMAGE_ASSETS at a ' ..
      'folder holding it (Torch7\'s image/assets)', fname, file), 3)
end

function image.lena() return asset('lena', 'grace_hopper_512.jpg', 3) end
function image.fabio() return asset('fabio', 'fabio.jpg', 1) end

return image
