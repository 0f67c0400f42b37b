#!/usr/bin/env bash
# Bundles bench/wasm_cpu.ts with TensorFlow.js (a devDependency, not in the device's Node pack) into
# tmp/gpu-test/bench/wasm_cpu.bundle.mjs, with tfjs-backend-wasm's .wasm files beside it, so that the GPU
# machine's CPU can run the same WebAssembly/OpenBLAS/TensorFlow.js comparison: `bash bench/gpu_run.sh wasmcpu`.
# Native packages (koffi and its binaries, crc32) stay external: the device's pack provides them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tmp/gpu-test/bench
mkdir -p "$out"
npx esbuild bench/wasm_cpu.ts --bundle --platform=node --format=esm --log-level=warning \
  --outfile="$out/wasm_cpu.bundle.mjs" --external:koffi --external:@bufbuild/protobuf --external:@node-rs/* \
  --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
