-- trepl.colorize: ANSI-colouring of text, one function per colour name, as trepl exposed it
-- (used by scripts such as cifar.torch to colour their logs)
local codes = {
   none = '0', black = '0;30', red = '0;31', green = '0;32', yellow = '0;33', blue = '0;34',
   magenta = '0;35', cyan = '0;36', white = '0;37', Black = '1;30', Red = '1;31',
   Green = '1;32', Yellow = '1;33', Blue = '1;34', Magenta = '1;35', Cyan = '1;36',
   White = '1;37', _black = '40', _red = '41', _green = '42', _yellow = '43', _blue = '44',
   _magenta = '45', _cyan = '46', _white = '47',
}
local colorize = {}
for name, code in pairs(codes) do
   colorize[name] = function(s) return '\27[' .. code .. 'm' .. tostring(s) .. '\27[0m' end
end
return colorize
