-- nngraph: modules wired as a graph. Calling a module on nodes makes a node.
require 'nn'

nngraph = {}
nngraph.debug = false

require 'graph'
require 'nngraph.Node'
require 'nngraph.Graph'
require 'nngraph.gModule'
require 'nngraph.ModuleFromCriterion'
require 'nngraph.JustElement'
require 'nngraph.JustTable'
require 'nngraph.nest'

--- When on, an error inside a gModule also writes its graph, the failing node in red.
function nngraph.setDebug(on)
   nngraph.debug = on and true or false
end

function nngraph.expectingNodeErrorMessage(bad, array, idx)
   if bad == nil then
      return string.format('%s[%d] is nil (typo / bad index?)', array, idx)
   elseif torch.isTypeOf(bad, 'nn.Module') then
      return string.format('%s[%d] is an nn.Module, specifically a %s, but the only valid ' ..
                           'thing to pass is an instance of nngraph.Node. Did you forget a ' ..
                           'second set of parens, which convert a nn.Module to a ' ..
                           'nngraph.Node?', array, idx, torch.typename(bad))
   end
   return string.format('%s[%d] should be an nngraph.Node but is of type %s', array, idx,
                        torch.typename(bad) or type(bad))
end

local Module = torch.getmetatable('nn.Module')

-- module(node) or module({node1, node2}) or module(): a new node reading those nodes
function Module:__call__(...)
   local nArgs = select('#', ...)
   if nArgs > 1 then torch._error('Use {input1, input2} to pass multiple inputs.') end
   local input = ...
   if nArgs == 1 and input == nil then
      torch._error(nngraph.expectingNodeErrorMessage(nil, 'inputs', 1))
   end
   if type(input) == 'table' and not torch.typename(input) and next(input) == nil then
      torch._error('cannot pass an empty table of inputs. To indicate no incoming ' ..
                   'connections, leave the second set of parens blank.')
   end
   if input == nil then
      input = {}
   elseif torch.typename(input) then
      input = {input}
   end
   local node = nngraph.Node({module = self})
   for i = 1, table.maxn(input) do
      if torch.typename(input[i]) ~= 'nngraph.Node' then
         torch._error(nngraph.expectingNodeErrorMessage(input[i], 'inputs', i))
      end
      node:add(input[i], true)
   end
   return node
end

-- criterion({prediction, target}): a node giving the loss
local Criterion = torch.getmetatable('nn.Criterion')
function Criterion:__call__(...)
   return nn.ModuleFromCriterion(self)(...)
end

-- -nn.Linear(2, 3) - nn.Tanh(): unary minus makes an input node, minus chains
function Module.__unm__(self)
   return self()
end

function Module.__sub__(prev, nxt)
   return nxt(prev)
end

return nngraph
