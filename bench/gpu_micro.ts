/**
 * Micro-benchmarks of the cuda backend on the GPU machine: what one kernel launch costs through koffi, what an
 * eager op costs end to end, sgemm in fp32 and TF32 against the card's peak, elementwise and reduction
 * bandwidth against a device-to-device copy, transfers, and NVRTC compile / cache times. Prints a table and
 * writes JSON to $OUT/gpu_micro.json (or ./gpu_micro.json).
 *
 *   node tmp/gpu-test/bench/gpu_micro.js      (after tsc -p tsconfig.gpu.json, on a machine with a GPU)
 */
import { writeFileSync } from "node:fs";
import * as tf from "../src/index.js";
import { cudaRuntime } from "../src/backends/cuda/index.js";
import { gpuOrExit } from "./gpu_timing.js";
import { peakBandwidth } from "../src/backends/cuda/driver.js";
import type { CudaHandle } from "../src/backends/cuda/handle.js";

const { gb: b } = gpuOrExit();
const ctx = b.ctx;
const info = ctx.info;
const rows: [string, string][] = [];
const json: Record<string, unknown> = {};
const row = (k: string, v: string, raw?: unknown) => {
  rows.push([k, v]);
  json[k] = raw ?? v;
  console.log(`${k.padEnd(48)} ${v}`);
};
const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
const E = (t: tf.Tensor) => t as tf.EagerTensor;
const h = (t: tf.Tensor) => E(t).handle as CudaHandle;

/** Device time of fn (ms), median of `reps` event-timed runs after `warm` warm-ups. */
function timeDevice(fn: () => void, reps = 10, warm = 2): number {
  for (let i = 0; i < warm; i++) fn();
  const a = ctx.createEvent();
  const z = ctx.createEvent();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    ctx.record(a);
    fn();
    ctx.record(z);
    ts.push(ctx.elapsedMs(a, z));
  }
  ctx.destroyEvent(a);
  ctx.destroyEvent(z);
  return median(ts);
}

const rt = cudaRuntime()!;
row("device", `${info.name}, sm_${info.computeCapability.join("")}, ${info.multiprocessors} SMs, ${(info.totalMemory / 2 ** 30).toFixed(1)} GiB`);
row("driver / NVRTC / cuBLAS", `${rt.driverVersion} / ${b.compiler.version.join(".")} (${b.compiler.arch}) / ${b.blas.version}`);
row("libraries", `${rt.driver.lib.path} | ${rt.nvrtc.path} | ${rt.cublas.path}`);
row("peak DRAM bandwidth (attributes)", `${(peakBandwidth(info) / 1e9).toFixed(0)} GB/s`, peakBandwidth(info));

// ---- NVRTC: a fresh compile vs a disk-cache hit (a unique source defeats the cache once).
{
  const src = `extern "C" __global__ void probe(float* o) { o[threadIdx.x] = ${Date.now() % 100000}.0f * threadIdx.x; }`;
  let t0 = performance.now();
  const img = b.compiler.compile(src, "probe");
  const tCompile = performance.now() - t0;
  t0 = performance.now();
  b.compiler.compile(src, "probe");
  const tCached = performance.now() - t0;
  t0 = performance.now();
  ctx.loadModule(img);
  const tLoad = performance.now() - t0;
  row("NVRTC compile / disk-cache hit / module load", `${tCompile.toFixed(1)} ms / ${tCached.toFixed(2)} ms / ${tLoad.toFixed(2)} ms`, {
    tCompile,
    tCached,
    tLoad,
  });
}

// ---- launch overhead: the host cost of one cuLaunchKernel through koffi, and the device's rate.
{
  const x = E(tf.device("/gpu:0", () => tf.ones([1])));
  const y = E(tf.device("/gpu:0", () => tf.neg(x)));
  const f = b.fn("bench.noop", "noop", () => `extern "C" __global__ void noop(float* o, int n) { if (threadIdx.x < n) o[0] = 1.0f; }`);
  const N = 20000;
  for (let i = 0; i < 1000; i++) {
    ctx.argPtr(h(y).ptr).argI32(0);
    b.launch(f, 1, 32);
  }
  b.synchronizeSync();
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    ctx.argPtr(h(y).ptr).argI32(0);
    b.launch(f, 1, 32);
  }
  const tHost = (performance.now() - t0) / N;
  b.synchronizeSync();
  const tAll = (performance.now() - t0) / N;
  row("kernel launch through koffi (host / incl. drain)", `${(tHost * 1000).toFixed(2)} us / ${(tAll * 1000).toFixed(2)} us`, {
    hostUs: tHost * 1000,
    allUs: tAll * 1000,
  });
  // eager ops end to end: placement, dispatch, allocation, launch, dispose.
  for (const [name, fn] of [
    ["eager tf.neg, 1 element", () => tf.neg(x)],
    ["eager tf.add(x, y), 1 element", () => tf.add(x, y)],
    ["eager tf.add(x, 2) (JS scalar uploaded)", () => tf.add(x, 2)],
  ] as [string, () => tf.Tensor][]) {
    for (let i = 0; i < 2000; i++) E(fn()).dispose();
    b.synchronizeSync();
    t0 = performance.now();
    for (let i = 0; i < N; i++) E(fn()).dispose();
    const tOp = (performance.now() - t0) / N;
    b.synchronizeSync();
    row(name, `${(tOp * 1000).toFixed(2)} us/op`, tOp * 1000);
  }
  // CPU backend for comparison on the same tiny op.
  const xc = E(tf.device("/cpu:0", () => tf.ones([1])));
  for (let i = 0; i < 2000; i++) E(tf.device("/cpu:0", () => tf.neg(xc))).dispose();
  t0 = performance.now();
  tf.device("/cpu:0", () => {
    for (let i = 0; i < N; i++) E(tf.neg(xc)).dispose();
  });
  row("eager tf.neg on the CPU backend (reference)", `${(((performance.now() - t0) / N) * 1000).toFixed(2)} us/op`);
}

// ---- bandwidth: a device-to-device copy as the ceiling, then generated kernels.
const n = 2 ** 26; // 64 Mi elements, 256 MiB in float32
{
  const a = E(tf.device("/gpu:0", () => tf.fill([n], 1.25)));
  const c = E(tf.device("/gpu:0", () => tf.fill([n], 0.5)));
  const out = b.empty("float32", [n], "bench");
  const tCopy = timeDevice(() => ctx.api.check("copy", ctx.api.lib.cuMemcpyDtoDAsync(out.ptr, h(a).ptr, n * 4, ctx.stream)));
  const copyBw = (2 * n * 4) / (tCopy / 1e3);
  row("device-to-device copy, 256 MiB", `${tCopy.toFixed(3)} ms, ${(copyBw / 1e9).toFixed(0)} GB/s (read+write)`, copyBw);
  const cases: [string, number, () => tf.Tensor][] = [
    ["add (2 reads + 1 write)", 3, () => tf.add(a, c)],
    ["add scalar broadcast (1 read + 1 write)", 2, () => tf.add(a, 3)],
    ["exp", 2, () => tf.exp(a)],
    ["sigmoid", 2, () => tf.sigmoid(a)],
    ["cast float32 -> int32", 2, () => tf.cast(a, "int32")],
    ["reduceSum, all (1 read)", 1, () => tf.reduceSum(a)],
  ];
  for (const [name, passes, fn] of cases) {
    const t = timeDevice(() => tf.device("/gpu:0", () => E(fn()).dispose()));
    const bw = (passes * n * 4) / (t / 1e3);
    row(`${name}, 64 Mi float32`, `${t.toFixed(3)} ms, ${(bw / 1e9).toFixed(0)} GB/s = ${((100 * bw) / copyBw).toFixed(0)}% of copy`, { ms: t, bw });
  }
  const m2 = E(tf.reshape(a, [8192, 8192]));
  for (const [name, ax] of [
    ["reduceSum rows [8192,8192] axis 1", 1],
    ["reduceSum cols [8192,8192] axis 0", 0],
  ] as [string, number][]) {
    const t = timeDevice(() => tf.device("/gpu:0", () => E(tf.reduceSum(m2, ax)).dispose()));
    const bw = (n * 4) / (t / 1e3);
    row(name, `${t.toFixed(3)} ms, ${(bw / 1e9).toFixed(0)} GB/s = ${((100 * bw) / copyBw).toFixed(0)}% of copy`, { ms: t, bw });
  }
  const bias = E(tf.device("/gpu:0", () => tf.ones([8192])));
  const tb = timeDevice(() => tf.device("/gpu:0", () => E(tf.add(m2, bias)).dispose()));
  row("add row broadcast [8192,8192] + [8192]", `${tb.toFixed(3)} ms, ${((2 * n * 4) / (tb / 1e3) / 1e9).toFixed(0)} GB/s`);
  const sm = E(tf.reshape(a, [65536, 1024]));
  const ts = timeDevice(() => tf.device("/gpu:0", () => E(tf.nn.softmax(sm)).dispose()));
  row("softmax [65536,1024]", `${ts.toFixed(3)} ms, ${((2 * n * 4) / (ts / 1e3) / 1e9).toFixed(0)} GB/s (1 read + 1 write)`);
  b.dispose(out);

  // transfers (the first touch of fresh host memory is timed apart: on a VM it can dominate)
  let t0 = performance.now();
  const host = new Float32Array(n).fill(1);
  row("host: allocate + first touch of 256 MiB", `${(performance.now() - t0).toFixed(1)} ms`);
  t0 = performance.now();
  const up = b.write(host, "float32", [n]) as CudaHandle;
  b.synchronizeSync();
  const tUp = performance.now() - t0;
  b.pinnedReadBytes = Infinity;
  t0 = performance.now();
  b.readSync(up);
  const tDownPageable = performance.now() - t0;
  up.storage.host = null;
  b.pinnedReadBytes = 4 * 2 ** 20;
  b.readSync(up);
  up.storage.host = null;
  t0 = performance.now();
  b.readSync(up);
  const tDown = performance.now() - t0;
  up.storage.host = null;
  t0 = performance.now();
  const viaPinned = await b.read(up);
  const tPinned = performance.now() - t0;
  void viaPinned;
  t0 = performance.now();
  await b.read(up);
  const tPinned2 = performance.now() - t0;
  const gbs = (ms: number) => ((n * 4) / (ms / 1e3) / 1e9).toFixed(1);
  row("host->device 256 MiB (pageable)", `${tUp.toFixed(1)} ms, ${gbs(tUp)} GB/s`);
  row("device->host 256 MiB readSync, pageable destination", `${tDownPageable.toFixed(1)} ms, ${gbs(tDownPageable)} GB/s`);
  row("device->host 256 MiB readSync, pinned 32 MiB chunks (2nd)", `${tDown.toFixed(1)} ms, ${gbs(tDown)} GB/s`);
  row("device->host 256 MiB read() (pinned + copy), 1st / 2nd", `${tPinned.toFixed(1)} ms / ${tPinned2.toFixed(1)} ms, ${gbs(tPinned2)} GB/s`);
  b.dispose(up);
  tf.dispose([a, c, m2, bias, sm]);
}

// ---- sgemm in fp32 and TF32 (cuBLAS through koffi), and dgemm.
const peakFp32 = info.multiprocessors * 128 * 2 * info.clockRateKHz * 1e3;
row("fp32 CUDA-core peak from attributes (SMs x 128 x 2 x clock)", `${(peakFp32 / 1e12).toFixed(1)} TFLOP/s`, peakFp32);
for (const size of [4096, 8192]) {
  const A = E(tf.device("/gpu:0", () => tf.identity(tf.randomUniform([size, size]))));
  const B = E(tf.device("/gpu:0", () => tf.identity(tf.randomUniform([size, size]))));
  const C = b.empty("float32", [size, size], "bench");
  for (const tf32 of [false, true]) {
    b.blas.setTf32(tf32);
    const t = timeDevice(() => b.blas.gemm("float32", false, false, size, size, size, h(A).ptr, h(B).ptr, C.ptr), 10, 3);
    const tflops = (2 * size ** 3) / (t / 1e3) / 1e12;
    row(
      `sgemm ${size} ${tf32 ? "TF32" : "fp32"}`,
      `${t.toFixed(2)} ms, ${tflops.toFixed(1)} TFLOP/s${tf32 ? "" : ` = ${((1e14 * tflops) / peakFp32).toFixed(0)}% of fp32 peak`}`,
      tflops,
    );
  }
  // tf.matmul end to end (allocation + dispatch + cuBLAS), TF32 as TensorFlow's default.
  tf.config.experimental.enableTensorFloat32Execution(true);
  const t = timeDevice(() => E(tf.matmul(A, B)).dispose(), 10, 3);
  row(`tf.matmul ${size} (TF32, eager)`, `${t.toFixed(2)} ms, ${((2 * size ** 3) / (t / 1e3) / 1e12).toFixed(1)} TFLOP/s`);
  b.dispose(C);
  tf.dispose([A, B]);
}
{
  const size = 4096;
  const A = E(tf.device("/gpu:0", () => tf.identity(tf.randomUniform([size, size], 0, 1, "float64"))));
  const C = b.empty("float64", [size, size], "bench");
  const t = timeDevice(() => b.blas.gemm("float64", false, false, size, size, size, h(A).ptr, h(A).ptr, C.ptr), 5, 2);
  row(`dgemm ${size}`, `${t.toFixed(2)} ms, ${((2 * size ** 3) / (t / 1e3) / 1e12).toFixed(1)} TFLOP/s`);
  b.dispose(C);
  A.dispose();
}

// ---- a small MLP training step, eager, GPU vs CPU (per-op overhead dominates at small batch).
for (const dev of ["/gpu:0", "/cpu:0"]) {
  for (const batch of [64, 1024]) {
    const stepsPerSec = tf.device(dev, () => {
      // Random and zeros tensors are made on the host; identity() brings them to the device under test.
      const on = (t: tf.Tensor) => tf.identity(t);
      const x = on(tf.randomUniform([batch, 784]));
      const y = on(tf.cast(tf.floor(tf.randomUniform([batch], 0, 10)), "int32"));
      const w1 = new tf.Variable(on(tf.randomNormal([784, 512], 0, 0.05)));
      const b1 = new tf.Variable(on(tf.zeros([512])));
      const w2 = new tf.Variable(on(tf.randomNormal([512, 512], 0, 0.05)));
      const b2 = new tf.Variable(on(tf.zeros([512])));
      const w3 = new tf.Variable(on(tf.randomNormal([512, 10], 0, 0.05)));
      const b3 = new tf.Variable(on(tf.zeros([10])));
      const vars = [w1, b1, w2, b2, w3, b3];
      const opt = new tf.train.GradientDescentOptimizer(0.01);
      const step = () =>
        tf.tidy(() => {
          const tape = new tf.GradientTape();
          const loss = tape.run(() => {
            const h1 = tf.nn.relu(tf.nn.biasAdd(tf.matmul(x, w1), b1));
            const h2 = tf.nn.relu(tf.nn.biasAdd(tf.matmul(h1, w2), b2));
            const logits = tf.nn.biasAdd(tf.matmul(h2, w3), b3);
            return tf.reduceMean(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits }));
          });
          const grads = tape.gradient(loss, vars) as tf.Tensor[];
          opt.applyGradients(grads.map((g, i) => [g, vars[i]] as [tf.Tensor, tf.Variable]));
          return loss;
        });
      for (let i = 0; i < 5; i++) E(step()).dispose();
      if (dev === "/gpu:0") b.synchronizeSync();
      const steps = dev === "/gpu:0" ? 200 : batch >= 1024 ? 5 : 20;
      const t0 = performance.now();
      let last: tf.EagerTensor | null = null;
      for (let i = 0; i < steps; i++) {
        last?.dispose();
        last = E(step());
      }
      last!.dataSync();
      return steps / ((performance.now() - t0) / 1e3);
    });
    row(
      `eager MLP 784-512-512-10 step, batch ${batch}, ${dev}`,
      `${stepsPerSec.toFixed(0)} steps/s = ${(stepsPerSec * batch).toFixed(0)} samples/s`,
      stepsPerSec * batch,
    );
  }
}
const fb = [...b.stats.fallbacks.entries()].map(([k, v]) => `${k}:${v}`).join(" ");
row("ops that fell back to the CPU (count)", fb || "none");
row("modules compiled / from disk / compile ms", `${b.compiler.stats.compiled} / ${b.compiler.stats.fromDisk} / ${b.compiler.stats.compileMs.toFixed(0)}`);
row(
  "allocator: cuMemAlloc calls / cache hits / peak MiB",
  `${b.allocator.deviceAllocs} / ${b.allocator.cacheHits} / ${(b.allocator.peakBytes / 2 ** 20).toFixed(0)}`,
);

const outDir = process.env.OUT ?? ".";
writeFileSync(`${outDir}/gpu_micro.json`, JSON.stringify(json, null, 2));
console.log("\n| measure | value |\n| --- | --- |");
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
