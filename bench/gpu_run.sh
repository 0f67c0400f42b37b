#!/usr/bin/env bash
# One GPU-machine run: the cuda tests, the op suites on the GPU, the micro-benchmarks and PyTorch's sgemm,
# and the training benchmark against PyTorch and JAX (`bench`: micro, train, torchtrain, jaxtrain, report; `npm run bench:gpu`),
# and the mixed-precision benchmark (`mp`: mptrain, torchmp, jaxmp, mpreport; ResNet-18 and the 4096-wide MLP in fp32/TF32/bf16/fp16).
# Here: npx tsc -p tsconfig.gpu.json (and bash bench/bundle_cpu.sh for `wasmcpu`); ../shared/tools/device-pack --deps; then on the device (carry .devpack and
# tmp/gpu-test):  source .devpack/setup.sh && bash bench/gpu_run.sh [tests|suites|micro|torch|train|torchtrain|report|opprofile|bench ...]
# QUICK=1 shortens the training benchmark's repetitions.
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
export TSFLOW_CUDA_CACHE=${TSFLOW_CUDA_CACHE:-/tmp/tsflow-cuda-cache}
parts=${*:-tests micro torch suites}
parts=${parts/bench/micro train torchtrain jaxtrain report}
# `mp` as a whole word only (its parts' names contain "mp").
parts=$(for p in $parts; do [ "$p" = mp ] && echo mptrain torchmp jaxmp mpreport || echo "$p"; done)
q=${QUICK:+--quick}
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv | tee "$OUT/smi.txt"
for p in $parts; do
  case $p in tests|suites) node tmp/gpu-test/test/util/require_gpu.js || exit 1 ;; esac
  case $p in
    tests) timeout 300 node --test --test-reporter=spec tmp/gpu-test/test/gpu.test.js tmp/gpu-test/test/gpu_cudnn.test.js tmp/gpu-test/test/op_determinism.test.js tmp/gpu-test/test/gpu_batchnorm.test.js tmp/gpu-test/test/gpu_narrow.test.js tmp/gpu-test/test/fusion.test.js tmp/gpu-test/test/epilogue.test.js tmp/gpu-test/test/constant_folding.test.js tmp/gpu-test/test/gpu_cudnn_graph.test.js tmp/gpu-test/test/cast_updates.test.js tmp/gpu-test/test/grouped_updates.test.js tmp/gpu-test/test/keras_fit.test.js tmp/gpu-test/test/update_in_place.test.js tmp/gpu-test/test/conv_epilogue.test.js > "$OUT/gpu_test.log" 2>&1; echo "gpu.test rc=$?"
           grep -E "^ℹ (tests|pass|fail|skipped)" "$OUT/gpu_test.log"; grep -B2 -A12 "^ *not ok" "$OUT/gpu_test.log" | head -150 ;;
    micro) timeout 240 node tmp/gpu-test/bench/gpu_micro.js > "$OUT/micro.log" 2>&1; echo "micro rc=$?"; sed -n '/^| measure/,$p' "$OUT/micro.log"; tail -5 "$OUT/micro.log" ;;
    torch) timeout 90 python3 bench/gpu_torch_sgemm.py 2>&1 | tee "$OUT/torch.log" ;;
    # The CPU's WebAssembly kernels beside OpenBLAS and TensorFlow.js wasm (issue 12), from bench/bundle_cpu.sh's bundle.
    wasmcpu) timeout 400 node tmp/gpu-test/bench/wasm_cpu.bundle.mjs 2>&1 | tee "$OUT/wasm_cpu.log"; echo "wasmcpu rc=${PIPESTATUS[0]}" ;;
    # Per-op tables of the LeNet-5 and MLP steps from tf.profiler.experimental (host and CUDA-event kernel times).
    opprofile) timeout 300 node tmp/gpu-test/bench/op_profile.js --batches=64,1024 > "$OUT/op_profile.md" 2>&1; echo "opprofile rc=$?"; cat "$OUT/op_profile.md" ;;
    # A/B: a build of an earlier commit compiled into .before/tmp/gpu-test (tsc -p tsconfig.gpu.json there, copied
    # and carried), trained on the same machine in the same call as `train`.
    trainbefore) mkdir -p "$OUT/before"; OUT="$OUT/before" timeout 300 node .before/tmp/gpu-test/bench/gpu_train.js $q 2>&1 | tee "$OUT/before/train.log"; echo "trainbefore rc=${PIPESTATUS[0]}" ;;
    train) timeout 420 node tmp/gpu-test/bench/gpu_train.js $q 2>&1 | tee "$OUT/train.log"; echo "train rc=${PIPESTATUS[0]}" ;;
    torchtrain) PYTHONUNBUFFERED=1 timeout 420 python3 bench/gpu_torch_train.py $q 2>&1 | tee "$OUT/torch_train.log"; echo "torchtrain rc=${PIPESTATUS[0]}" ;;
    jaxtrain) PYTHONUNBUFFERED=1 timeout 300 python3 bench/gpu_jax_train.py $q 2>&1 | tee "$OUT/jax_train.log"; echo "jaxtrain rc=${PIPESTATUS[0]}" ;;
    report) node tmp/gpu-test/bench/gpu_report.js "$OUT" docs/BENCHMARKS.md > /dev/null; echo "report rc=$?"; cat "$OUT/gpu_bench.md" ;;
    mptrain) timeout 600 node tmp/gpu-test/bench/gpu_mp_train.js $q 2>&1 | tee "$OUT/mp_train.log"; echo "mptrain rc=${PIPESTATUS[0]}" ;;
    torchmp) PYTHONUNBUFFERED=1 timeout 600 python3 bench/gpu_torch_mp.py $q 2>&1 | tee "$OUT/torch_mp.log"; echo "torchmp rc=${PIPESTATUS[0]}" ;;
    jaxmp) PYTHONUNBUFFERED=1 timeout 420 python3 bench/gpu_jax_mp.py $q 2>&1 | tee "$OUT/jax_mp.log"; echo "jaxmp rc=${PIPESTATUS[0]}" ;;
    mpreport) node tmp/gpu-test/bench/gpu_mp_report.js "$OUT" docs/BENCHMARKS.md > /dev/null; echo "mpreport rc=$?"; cat "$OUT/gpu_mp.md" ;;
    suites) timeout ${SUITES_TIMEOUT:-600} node --test --test-reporter=tap tmp/gpu-test/test/ops_*.test.js tmp/gpu-test/test/eager.test.js tmp/gpu-test/test/graph_session.test.js tmp/gpu-test/test/train.test.js tmp/gpu-test/test/memory.test.js > "$OUT/suites.log" 2>&1; echo "suites rc=$?"
           grep -E "^# (tests|pass|fail|skip)" "$OUT/suites.log"; grep -E "^ *not ok" "$OUT/suites.log" | head -60 ;;
  esac
done
