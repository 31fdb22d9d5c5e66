-- nn.ReLU: y = max(0, x), a Threshold at 0 (optionally in place).

local ReLU, parent = torch.class('nn.ReLU', 'nn.Threshold')

function ReLU:__init(p)
   parent.__init(self, 0, 0, p)
end
