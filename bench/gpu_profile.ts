/**
 * Where a training step's time goes on the GPU (for bench/GPU_NOTES.md): runs one configuration for a while
 * (under `node --cpu-prof` for the host side) and prints per-step host and wall time, kernel launches per
 * step, and for a captured Session step the GPU time of a replay measured with events.
 *
 *   node --cpu-prof --cpu-prof-dir=$OUT tmp/gpu-test/bench/gpu_profile.js lenet 64 eager|graph|graphcg|fit [steps]
 *
 * `fit`: one "step" is a Keras fitSync epoch of FIT_BATCHES shuffled batches (bench/keras_fit.ts's model), so
 * its figures per step are FIT_BATCHES training steps.
 */
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { cudnnFor, cudnnTrace } from "../src/backends/cuda/cudnn.js";
import { eagerStep, graphStep, ModelName } from "./tsflow_models.js";
import { type KerasBenchModel, kerasModel, syntheticSet } from "./keras_fit.js";

const FIT_BATCHES = 20;

const [model, batchS, mode, stepsS] = process.argv.slice(2);
const batch = Number(batchS);
const steps = Number(stepsS ?? 300);
const b = gpuBackend(0);
if (!b) {
  console.log("no GPU");
  process.exit(0);
}
if (mode === "gemmprobe") {
  // Host cost of one cuBLAS call through koffi, by shape and math mode (no synchronisation inside the loop).
  const bl = b.blas;
  const buf = (n: number) => b.empty("float32", [n], "probe");
  const A = buf(1024 * 1024 * 4);
  const B = buf(1024 * 1024 * 4);
  const C = buf(1024 * 1024 * 4);
  for (const [m, n, k, ta, tb] of [
    [64, 512, 784, false, false],
    [64, 10, 512, false, false],
    [512, 512, 64, true, false],
    [64, 512, 512, false, true],
    [25, 6, 50176, true, false],
  ] as [number, number, number, boolean, boolean][]) {
    for (const tf32 of [false, true]) {
      bl.setTf32(tf32);
      for (let i = 0; i < 20; i++) bl.gemm("float32", ta, tb, m, n, k, A.ptr, B.ptr, C.ptr);
      b.synchronizeSync();
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) bl.gemm("float32", ta, tb, m, n, k, A.ptr, B.ptr, C.ptr);
      const t1 = performance.now();
      b.synchronizeSync();
      const t2 = performance.now();
      console.log(`gemm ${m}x${n}x${k} ta=${ta} tb=${tb} tf32=${tf32}: host ${((t1 - t0) * 5).toFixed(1)} us/call, wall ${((t2 - t0) * 5).toFixed(1)} us/call`);
    }
  }
  // Toggling the math mode between calls (matmul TF32, convolution fp32).
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    bl.setTf32(i % 2 === 0);
    bl.gemm("float32", false, false, 64, 512, 784, A.ptr, B.ptr, C.ptr);
  }
  b.synchronizeSync();
  console.log(`gemm toggling TF32: ${((performance.now() - t0) * 5).toFixed(1)} us/call`);
  // A plain kernel launch, for scale.
  const t3 = performance.now();
  for (let i = 0; i < 200; i++) tf.dispose(tf.add(tf.ones([4]), 1));
  b.synchronizeSync();
  console.log(`eager add (4 elements): ${((performance.now() - t3) * 5).toFixed(1)} us/op`);
  process.exit(0);
}
let step: () => void;
if (mode === "eager") step = eagerStep(model as ModelName, batch).step;
else if (mode === "fit") {
  const m = kerasModel(model as KerasBenchModel);
  const { x, y } = syntheticSet(batch * FIT_BATCHES);
  step = () => {
    m.fitSync(x, y, { batchSize: batch, epochs: 1, verbose: 0 });
  };
} else {
  tf.config.experimental.setTsflowOptions({ cudaGraphs: mode === "graphcg" });
  step = graphStep(model as ModelName, batch, { feedTensors: true }).step;
}
for (let i = 0; i < 10; i++) step();
b.synchronizeSync();
if (process.env.WINDOWS) {
  // How the step time settles from a cold start: µs/step per window of 100 steps, for WINDOWS seconds.
  const times: string[] = [];
  const T0 = performance.now();
  while (performance.now() - T0 < Number(process.env.WINDOWS) * 1000) {
    const w0 = performance.now();
    for (let i = 0; i < 100; i++) step();
    b.synchronizeSync();
    times.push(((performance.now() - w0) * 10).toFixed(0));
  }
  console.log(`windows of 100 steps, us/step: ${times.join(" ")}`);
}
if (process.env.KERNELS) kernelTimes();

/**
 * Device time per kernel over a few steps: an event pair around every launch and every cuBLAS product
 * (each timed alone: the events serialise nothing, but a synchronisation per step collects them).
 */
function kernelTimes(): void {
  const names = new Map<unknown, string>();
  const fn0 = b!.fn.bind(b);
  b!.fn = (key: string, name: string, src: () => string, options?: readonly string[]) => {
    const f = fn0(key, name, src, options);
    names.set(f, `${key.split(".").slice(0, 2).join(".")}/${name}`);
    return f;
  };
  // Re-resolve names: functions are cached per module; a step through fn() fills the map.
  step();
  b!.synchronizeSync();
  const ctx = b!.ctx;
  const pending: { name: string; a: unknown; z: unknown }[] = [];
  const launch0 = ctx.launch.bind(ctx);
  ctx.launch = (fn, gx, bx, gy, shmem) => {
    const a = ctx.createEvent();
    const z = ctx.createEvent();
    ctx.record(a);
    launch0(fn, gx, bx, gy, shmem);
    ctx.record(z);
    pending.push({ name: `${names.get(fn) ?? "?"} grid ${gx}x${gy}`, a, z });
  };
  const gemm0 = b!.blas.gemm.bind(b!.blas);
  b!.blas.gemm = (...args: Parameters<typeof gemm0>) => {
    const a = ctx.createEvent();
    const z = ctx.createEvent();
    ctx.record(a);
    const h0 = performance.now();
    gemm0(...args);
    const h1 = performance.now();
    ctx.record(z);
    pending.push({
      name: `gemm ${args[0]} ta=${args[1]} tb=${args[2]} m=${args[3]} n=${args[4]} k=${args[5]} (host ${((h1 - h0) * 1000).toFixed(0)} us)`,
      a,
      z,
    });
  };
  cudnnTrace.around = (name, call) => {
    const a = ctx.createEvent();
    const z = ctx.createEvent();
    ctx.record(a);
    call();
    ctx.record(z);
    pending.push({ name, a, z });
  };
  const totals = new Map<string, { us: number; n: number }>();
  const reps = 5;
  // A spinning kernel first keeps the GPU busy while the host queues the whole step behind it: the event
  // pairs then time the kernels themselves, not the host's pace.
  const spin = fn0(
    "profile.spin",
    "spin",
    () => 'extern "C" __global__ void spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }',
  );
  for (let r = 0; r < reps; r++) {
    ctx.argI64(4e7);
    launch0(spin, 1, 1);
    step();
    b!.synchronizeSync();
    for (const p of pending) {
      const us = ctx.elapsedMs(p.a as never, p.z as never) * 1000;
      const key = p.name.replace(/\(host \d+ us\)/, "");
      const t = totals.get(key) ?? { us: 0, n: 0 };
      t.us += us;
      t.n++;
      totals.set(key, t);
      if (r === reps - 1 && p.name.includes("host")) console.log(`  ${p.name}: device ${us.toFixed(1)} us`);
      ctx.destroyEvent(p.a as never);
      ctx.destroyEvent(p.z as never);
    }
    pending.length = 0;
  }
  let sum = 0;
  const rows = [...totals].sort((x, y) => y[1].us - x[1].us);
  for (const [, t] of rows) sum += t.us / reps;
  console.log(`  device time of kernels per step: ${sum.toFixed(1)} us`);
  for (const [k, t] of rows.slice(0, 25)) console.log(`  ${(t.us / reps).toFixed(1).padStart(8)} us  x${t.n / reps}  ${k}`);
  ctx.launch = launch0;
  b!.blas.gemm = gemm0;
  cudnnTrace.around = null;
  b!.fn = fn0;
}
const l0 = b.stats.launches;
const d0 = b.stats.downloads;
const u0 = b.stats.uploads;
const f0 = new Map(b.stats.fallbacks);
const a0 = b.allocator.deviceAllocs;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const t1 = performance.now();
b.synchronizeSync();
const t2 = performance.now();
const fb = [...b.stats.fallbacks].filter(([k, v]) => v !== (f0.get(k) ?? 0)).map(([k, v]) => `${k}:${v - (f0.get(k) ?? 0)}`);
console.log(
  `${model} ${batch} ${mode}: host ${(((t1 - t0) * 1000) / steps).toFixed(1)} us/step, wall ${(((t2 - t0) * 1000) / steps).toFixed(1)} us/step, ` +
    `${((b.stats.launches - l0) / steps).toFixed(1)} launches/step, ${((b.stats.downloads - d0) / steps).toFixed(2)} reads and ${((b.stats.uploads - u0) / steps).toFixed(2)} writes/step, ${b.allocator.deviceAllocs - a0} cuMemAlloc, fallbacks ${fb.join(" ") || "none"}, graph nodes ${b.stats.graphNodes}`,
);
const dnn = cudnnFor(b);
console.log(
  `  cuDNN ${dnn ? "on" : "off"}${dnn ? `: ${dnn.stats.forward + dnn.stats.backwardData + dnn.stats.backwardFilter} convolutions, ${dnn.stats.poolForward + dnn.stats.poolBackward} poolings so far` : ""}`,
);
if (dnn && process.env.KERNELS) for (const [k, v] of dnn.stats.choices) console.log(`  cuDNN ${k}: ${v}`);
if (mode === "graphcg") {
  // GPU time of replays queued back to back (the host is far ahead): kernel time plus the gaps between nodes.
  const ctx = b.ctx;
  const e0 = ctx.createEvent();
  const e1 = ctx.createEvent();
  ctx.record(e0);
  for (let i = 0; i < 50; i++) step();
  ctx.record(e1);
  console.log(`  GPU time per replay ${((ctx.elapsedMs(e0, e1) * 1000) / 50).toFixed(1)} us (${b.stats.graphNodes} nodes)`);
}
