-- cudnn: the cudnn.torch module names on top of nn, so scripts written for cuDNN run on the
-- CPU.  Every cudnn.X is a subclass of nn.X taking cudnn's constructor arguments and computing
-- exactly what nn.X computes (cudnn.SoftMax / LogSoftMax keep cuDNN's per-instance mode).
-- cudnn.convert(net, nn | cudnn [, exclusion_fn]) swaps modules between the two backends,
-- keeping their weights.  The tuning flags are accepted and have no effect here.

require 'nn'

cudnn = cudnn or {}
package.loaded.cudnn = cudnn

-- global modes of cudnn.torch (no effect on the CPU)
cudnn.benchmark = false
cudnn.fastest = false
cudnn.verbose = false

-- Scripts compare this number to pick features (fb.resnet.torch drops convolution biases from
-- 4000 on); the modules here cover everything cudnn.torch's R7 bindings did, so it reports the
-- last release those bindings served, cuDNN 7.6.5.
cudnn.version = 7605

require 'cudnn.SpatialConvolution'
require 'cudnn.SpatialMaxPooling'
require 'cudnn.SpatialAveragePooling'
require 'cudnn.Pointwise'
require 'cudnn.SoftMax'
require 'cudnn.BatchNormalization'
require 'cudnn.SpatialCrossMapLRN'
require 'cudnn.OtherLayers'
require 'cudnn.convert'

return cudnn
