-- dok: what Torch7's documentation package gave scripts besides its help system (image and
-- older packages loaded it, so scripts used the global): named-argument checking, usage text
-- and errors in its '<function> message' form. The checker is xlua's, which copied dok's.
require 'xlua'

dok = dok or {}
local dok = dok
package.loaded.dok = dok

dok.unpack = xlua.unpack
dok.usage = xlua.usage

--- dok.error(message [, domain]): raise `<domain> message` at the script's line
function dok.error(message, domain)
   if domain then message = '<' .. domain .. '> ' .. tostring(message) end
   torch._error(tostring(message))
end

return dok
