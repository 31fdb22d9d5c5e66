-- trepl.colorize: ANSI-colouring of text, one function per colour name, as trepl exposed it
-- (used by scripts such as cifar.torch to colour their logs). The escapes are sys.COLORS';
-- unlike sys.colors, these colour whatever the output is, as trepl's did.
require 'sys'

local reset = sys.COLORS.none
local colorize = {}
for name, open in pairs(sys.COLORS) do
   colorize[name] = function(s) return open .. tostring(s) .. reset end
end
return colorize
