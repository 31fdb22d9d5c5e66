-- nn.SpatialLPPooling(nInputPlane, pnorm, kW, kH [, dW = kW, dH = kH]): the p-norm of every
-- kW x kH window, (sum x^p)^(1/p), built as a Sequential: Power(p) (Square for p = 2), window
-- sums (SpatialAveragePooling then MulConstant(kW kH)), Power(1/p) (Sqrt for p = 2).  It has
-- no parameters to learn.

local SpatialLPPooling, parent = torch.class('nn.SpatialLPPooling', 'nn.Sequential')

function SpatialLPPooling:__init(nInputPlane, pnorm, kW, kH, dW, dH)
   parent.__init(self)
   dW = dW or kW
   dH = dH or kH
   self.kW = kW
   self.kH = kH
   self.dW = dW
   self.dH = dH
   if pnorm == 2 then
      self:add(nn.Square())
   else
      self:add(nn.Power(pnorm))
   end
   self:add(nn.SpatialAveragePooling(kW, kH, dW, dH))
   self:add(nn.MulConstant(kW * kH))
   if pnorm == 2 then
      self:add(nn.Sqrt())
   else
      self:add(nn.Power(1 / pnorm))
   end
end

-- a Sequential would try to learn the parameters of its members: there are none to learn
function SpatialLPPooling:reset()
end

function SpatialLPPooling:accGradParameters()
end

function SpatialLPPooling:accUpdateGradParameters()
end

function SpatialLPPooling:zeroGradParameters()
end

function SpatialLPPooling:updateParameters()
end
