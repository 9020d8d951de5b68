#!/usr/bin/env bash
# Everything that needs a GPU, in one command, on a machine with a CUDA device and a
# Python that has CuPy, NumPy, tqdm, matplotlib, pytest and (for the ratios) torch:
#
#     bash benchmarks/gpu.sh            # or PYTHON=/path/to/python bash benchmarks/gpu.sh
#
# 1. the tests marked `gpu` (CuPy kernels against their NumPy twins, the engine and nn on
#    the GPU), without the notebook plugins the full suite needs;
# 2. benchmarks/bench_lstm.py, bench_recurrent.py and bench_lessons.py with --device cuda,
#    which write benchmarks/results/cuda.json, recurrent-cuda.json and lessons-cuda.json.
# The log of all of it goes to benchmarks/results/gpu-log.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p benchmarks/results
LOG=benchmarks/results/gpu-log.txt
status=0
{
    "$PY" -c "from lstmkit import backend; import sys; ok = backend.cuda_available(); print('CUDA device usable:', ok, backend.cuda_unavailable_reason()); sys.exit(0 if ok else 1)" || exit 1
    "$PY" -m pytest -o addopts="" -p no:cacheprovider -q -m gpu \
        tests/test_gpu_autograd.py tests/test_gpu_lstm.py tests/test_gpu_nn.py tests/test_optim_gpu.py tests/test_ctc.py \
        || status=1
    for bench in bench_lstm bench_recurrent bench_lessons; do
        if [ -f "benchmarks/$bench.py" ]; then
            "$PY" "benchmarks/$bench.py" --device cuda || status=1
        fi
    done
    exit $status
} 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
