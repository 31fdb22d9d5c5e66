-- The nn package: the ordered list of its classes (one per file).
require 'torch'

nn = nn or {}
package.loaded.nn = nn

require 'nn.utils'
require 'nn.Module'
require 'nn.Container'
require 'nn.Sequential'

return nn
