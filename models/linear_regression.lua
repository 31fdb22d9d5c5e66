-- Fit y = X w + b by gradient descent with plain torch tensors, as in Torch7's tutorials,
-- then check the fit against the closed-form least-squares solution.
-- `-epochs N` shortens the run; the checks need the default number of epochs.
require 'torch'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('Linear regression by gradient descent')
cmd:option('-epochs', 300, 'gradient descent steps over the whole data')
cmd:option('-lr', 0.1, 'learning rate')
local opt = cmd:parse(arg or {})
local full = opt.epochs >= 300 and opt.lr == 0.1

torch.manualSeed(123)
local n, d = 200, 5
local X = torch.randn(n, d)
local wTrue = torch.Tensor({1.5, -2, 0.5, 3, -1})
local y = X * wTrue + 0.7 + torch.randn(n) * 0.01

local w = torch.zeros(d)
local b = 0
local lr = opt.lr
local mse = {}
for epoch = 1, opt.epochs do
   local err = X * w + b - y                 -- residuals
   local gradW = X:t() * err / n
   local gradB = err:sum() / n
   w:add(-lr, gradW)
   b = b - lr * gradB
   if epoch % 100 == 0 then mse[#mse + 1] = {epoch, err:pow(2):mean()} end
   xlua.progress(epoch, opt.epochs)
end
-- printed after the loop: a line printed under a running progress bar would join it
for _, m in ipairs(mse) do print(string.format('epoch %d  mse %.6f', m[1], m[2])) end

-- closed form on [X 1]
local A = torch.cat(X, torch.ones(n, 1), 2)
local sol = torch.gels(y:view(n, 1), A:clone())
local wLS = sol:select(2, 1):narrow(1, 1, d)
print('weights (gradient descent):')
print(w)
local gap = (w - wLS):abs():max()
print(string.format('largest gap to least squares: %.2e, bias %.4f', gap, b))
if full then
   assert(gap < 1e-3, 'gradient descent did not converge to the least-squares solution')
   assert(math.abs(b - 0.7) < 1e-2, 'bias not recovered')
   print('ok')
else
   print('shortened run: the fit is checked only with the default -epochs and -lr')
end
