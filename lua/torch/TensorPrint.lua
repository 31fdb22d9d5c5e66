-- print(tensor) in Torch7's format (the formatting itself lives in luatorch/printing.py).

local torch = torch
local H = torch._H
local fmt_tensor = torch._door.fmt_tensor

torch._installmethod('__tostring__', function(self)
   return fmt_tensor(H[self], torch.typename(self))
end)

return torch
