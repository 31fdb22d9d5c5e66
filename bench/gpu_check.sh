#!/usr/bin/env bash
# The GPU check, one call on a lent machine (one H100), under 10 minutes:
#   1. luatorch info (device count, CuPy, cuDNN frontend, NCCL, which routes serve)
#   2. the gpu-marked tests (kernels against NumPy on the generic routes; the cuDNN and fused
#      routes against NumPy; cutorch.graph capture and replay; cutorch/cunn routes from Lua)
#   3. torch/cunn's own test.lua on the real GPU (one process per test)
#   4. bench/bench_gpu.py against PyTorch CUDA eager: ResNet-50 224x224 batch 64, the talk's MLP
#      at batch 32, LeNet, DataParallelTable on one GPU against the bare model (one replica, and
#      two replicas on the GPU with useNCCL: the route chosen, each replica on its own stream;
#      step 2's tests/cuda/test_dpt_routes.py checks the same, and NCCL where 2 GPUs are lent),
#      the cuDNN route against im2col (ResNet-50, LeNet), cutorch.graph against eager (MLP),
#      x:add(y) on 1,000 elements, and each workload's peak memory on both sides
# Prepare here first:  bash bench/gpu_prepare.sh
# Then, with the device tool:  run  command="bash bench/gpu_check.sh"  carry=[".whl", ".upstream"]
# Figures land in $OUT (or /tmp/gpu_check): info.txt gpu_tests.txt cunn.txt cunn.json
# bench.txt bench_gpu.json.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
export PYTHONPATH=$PWD
if ls .whl/*.whl > /dev/null 2>&1; then
   # cuda-python's bindings (the cuDNN frontend asks the driver through them) only where the
   # machine has none: its CuPy may rely on its own copy
   wheels=$(ls .whl/*.whl | grep -v -e /cuda_bindings- -e /cuda_pathfinder-)
   python3 -c "import cuda.bindings.driver" 2> /dev/null || wheels="$wheels $(ls .whl/cuda_*.whl)"
   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site $wheels || exit 1
   export PYTHONPATH=/tmp/site:$PWD
fi
step() { echo; echo "== $* ($(date +%T))"; }

step "info"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 \
   | tee "$OUT/info.txt"
timeout 60 python3 cli.py info 2>&1 | tee -a "$OUT/info.txt"

step "gpu-marked tests"
timeout 170 python3 -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 | tail -40 \
   | tee "$OUT/gpu_tests.txt"

step "torch/cunn test.lua on the GPU"
if [ -f .upstream/cunn/test.lua ]; then
   timeout 100 python3 bench/upstream_suites.py --cunn .upstream/cunn --jobs 12 --timeout 60 \
      --json "$OUT/cunn.json" > "$OUT/cunn.txt" 2>&1
   grep -E "^FAIL|passed" "$OUT/cunn.txt" | tail -20
else
   echo "no .upstream/cunn (run bench/gpu_prepare.sh here first)"
fi

step "benchmarks against PyTorch CUDA eager"
timeout 270 python3 bench/bench_gpu.py --json "$OUT/bench_gpu.json" 2>&1 | tee "$OUT/bench.txt"
step "done"
