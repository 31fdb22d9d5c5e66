-- The class of a gModule's fg and bg in files luatorch wrote between nngraph keeping upstream's
-- layout and its graphs becoming graph.Graphs: the same fields, so it is one with no changes.
torch.class('nngraph.Graph', 'graph.Graph')
