-- placeholder until this part lands
local torch = torch
return torch
