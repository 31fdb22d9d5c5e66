-- unsup (koraykv/unsup), the part that optim's test_fista.lua builds: unsup.UnsupModule and
-- unsup.LinearFistaL1, sparse coding of an input on a linear dictionary solved by
-- optim.FistaLS.  unsup's other modules (PSD, auto-encoders, k-means, PCA, whitening) are
-- not here.
require 'nn'
require 'optim'
require 'kex'

unsup = unsup or {}
package.loaded.unsup = unsup

require 'unsup.UnsupModule'
require 'unsup.LinearFistaL1'

return unsup
