-- The optim package: optimisation algorithms with Torch7's calling convention
--    x, {f, ...} = optim.<name>(opfunc, x [, config] [, state])
-- plus the line search and helpers they use, ConfusionMatrix and Logger.
-- One algorithm per file; the order below is the load order.
require 'torch'

optim = optim or {}
package.loaded.optim = optim

-- first-order methods
require 'optim.sgd'
require 'optim.nag'
require 'optim.asgd'
require 'optim.adagrad'
require 'optim.adadelta'
require 'optim.adam'
require 'optim.adamax'
require 'optim.rmsprop'
require 'optim.rprop'

-- methods with several evaluations per call
require 'optim.cg'
require 'optim.lbfgs'

-- derivative-free global methods
require 'optim.cmaes'
require 'optim.de'

-- proximal methods for a smooth plus a non-smooth part
require 'optim.FistaLS'

-- line search and its interpolation helper
require 'optim.polyinterp'
require 'optim.lswolfe'

-- helpers and tools
require 'optim.checkgrad'
require 'optim.ConfusionMatrix'
require 'optim.Logger'

return optim
