-- graph: directed graphs of nodes holding arbitrary data, laid out as torch/graph lays them out,
-- because Torch7 files of nngraph models store graph.Graph, graph.Edge and their nodes by name.
require 'torch'

graph = graph or {}
package.loaded.graph = graph

require 'graph.Node'
require 'graph.AnnotatedNode'
require 'graph.Edge'
require 'graph.Graph'
require 'graph.dot'

return graph
