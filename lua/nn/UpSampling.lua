-- nn.UpSampling(scale_factor [, mode = 'nearest']) or nn.UpSampling({[odepth =,] oheight =,
-- owidth =}, 'linear'): up-samples a batch x channels x [depth x] height x width input, by
-- nearest neighbour (an integer scale) or (bi/tri)linear interpolation with aligned corners (a
-- scale, or explicit output sizes).

local UpSampling, parent = torch.class('nn.UpSampling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_near_fwd, k_near_bwd = door.ups_nearest_fwd, door.ups_nearest_bwd
local k_lin_fwd, k_lin_bwd = door.ups_linear_fwd, door.ups_linear_bwd

function UpSampling:__init(params, mode)
   parent.__init(self)
   -- any other mode name means nearest, as in Torch7
   if mode == 'linear' or mode == 'bilinear' or mode == 'trilinear' then
      self.mode = 'linear'
   else
      self.mode = 'nearest'
   end
   if torch.type(params) == 'table' then
      if self.mode == 'nearest' then
         error('Nearest neighbour upsampling requires a scale_factor')
      end
      self.odepth, self.owidth, self.oheight = params.odepth, params.owidth, params.oheight
      if self.owidth == nil or self.oheight == nil then
         error('Output height and width parameters are required')
      end
   else
      self.scale_factor = params
      if self.scale_factor < 1 then
         error('scale_factor must be greater than 1')
      end
      if math.floor(self.scale_factor) ~= self.scale_factor then
         error('scale_factor must be integer')
      end
   end
   self.inputSize = torch.LongStorage(5):fill(0)
   self.outputSize = torch.LongStorage(5):fill(0)
end

--- Records the input's and output's sizes (inputSize, outputSize).
function UpSampling:setSize(input)
   local d = input:dim()
   for i = 1, d do
      self.inputSize[i] = input:size(i)
      self.outputSize[i] = input:size(i)
   end
   local s = self.scale_factor
   if s ~= nil then
      -- NOTE: nn's doc gives linear mode (n - 1)(s - 1) + n positions; Torch7's code (kept
      -- here, so that models keep their sizes) gives n * s in both modes
      for i = 3, d do
         self.outputSize[i] = input:size(i) * s
      end
   else
      if d == 5 then
         if self.odepth == nil then
            error('No output depth dimension was supplied for volumetric upsampling')
         end
         self.outputSize[3] = self.odepth
      end
      self.outputSize[d - 1] = self.oheight
      self.outputSize[d] = self.owidth
   end
end

local function checkDim(input)
   local d = input:dim()
   if d < 4 or d > 5 then
      error('UpSampling only supports 4D or 5D tensors')
   end
   return d
end

-- The (depth, height, width) of the output (depth 0 for a 4D input).
local function outSizes(self, d)
   return d == 5 and self.outputSize[3] or 0, self.outputSize[d - 1], self.outputSize[d]
end

function UpSampling:updateOutput(input)
   local d = checkDim(input)
   self:setSize(input)
   if self.mode == 'nearest' then
      k_near_fwd(H[self.output], H[input], self.scale_factor)
   else
      k_lin_fwd(H[self.output], H[input], outSizes(self, d))
   end
   return self.output
end

function UpSampling:updateGradInput(input, gradOutput)
   local d = checkDim(input)
   if d ~= gradOutput:dim() then
      error('Input and gradOutput should be of same dimension')
   end
   if self.mode == 'nearest' then
      k_near_bwd(H[self.gradInput], H[input], H[gradOutput], self.scale_factor)
   else
      k_lin_bwd(H[self.gradInput], H[input], H[gradOutput], outSizes(self, d))
   end
   return self.gradInput
end

function UpSampling:__tostring__()
   if self.scale_factor ~= nil then
      return string.format('%s(%dx, %s)', torch.type(self), self.scale_factor, self.mode)
   elseif self.odepth ~= nil then
      return string.format('%s(%dx%dx%d, %s)', torch.type(self), self.odepth, self.oheight,
                           self.owidth, self.mode)
   end
   return string.format('%s(%dx%d, %s)', torch.type(self), self.oheight, self.owidth, self.mode)
end
