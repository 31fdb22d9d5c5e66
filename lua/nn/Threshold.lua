-- nn.Threshold: y = x > threshold ? x : val, element-wise; optionally in place.

local Threshold, parent = torch.class('nn.Threshold', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_threshold_fwd, door.act_threshold_bwd

function Threshold:__init(th, v, ip)
   parent.__init(self)
   self.threshold = th or 1e-6
   self.val = v or 0
   if (th and type(th) ~= 'number') or (v and type(v) ~= 'number') then
      torch._error('nn.Threshold(threshold, value)')
   end
   self.inplace = ip or false
   if ip and type(ip) ~= 'boolean' then
      torch._error('in-place flag must be boolean')
   end
   self:validateParameters()
end

function Threshold:validateParameters()
   self.inplace = self.inplace or false
   if self.inplace and self.val > self.threshold then
      torch._error('in-place processing requires value (' .. self.val ..
         ') not exceed threshold (' .. self.threshold .. ')')
   end
end

function Threshold:updateOutput(input)
   if self.inplace then self:validateParameters() end
   k_fwd(H[self.output], H[input] or input, self.threshold, self.val, self.inplace)
   return self.output
end

function Threshold:updateGradInput(input, gradOutput)
   local inplace = self.inplace
   if inplace then self:validateParameters() end
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.threshold,
      inplace)
   return self.gradInput
end
