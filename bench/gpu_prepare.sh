#!/usr/bin/env bash
# Run HERE (no GPU needed) before bench/gpu_check.sh: gathers what the GPU machine lacks.
#   .whl/       wheels for its Python 3.12: lupa, the cuDNN frontend and the CUDA 13 driver
#               bindings it imports (cuda-bindings, cuda-pathfinder), prompt_toolkit (+ wcwidth)
#   .upstream/  torch/cunn's test.lua and test_DataParallelTable.lua, from your checkout
# Both folders are ignored by git (.git/info/exclude) and travel with `carry`.
#   bash bench/gpu_prepare.sh [CUNN_CHECKOUT]
set -euo pipefail
cd "$(dirname "$0")/.."
cunn=${1:-/work/upstream/cunn}
for d in /.whl/ /.upstream/; do
   grep -qxF "$d" .git/info/exclude 2>/dev/null || echo "$d" >> .git/info/exclude
done
rm -rf .whl && mkdir -p .whl
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
plat=""
for n in 17 27 28 31 34; do plat="$plat --platform manylinux_2_${n}_x86_64"; done
$py -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
   $plat --platform manylinux2014_x86_64 -d .whl lupa nvidia-cudnn-frontend \
   "cuda-bindings>=13,<14" cuda-pathfinder
$py -m pip download -q --no-deps --only-binary=:all: -d .whl prompt_toolkit wcwidth
if [ -f "$cunn/test.lua" ]; then
   mkdir -p .upstream/cunn
   cp "$cunn/test.lua" "$cunn/test_DataParallelTable.lua" .upstream/cunn/
fi
ls -la .whl .upstream/cunn 2>/dev/null
du -sh .whl
