/**
 * Timing of GPU training steps, shared by bench/gpu_train.ts and bench/gpu_mp_train.ts (and, in Python, by
 * bench/peer_timing.py with the same scheme): samples/s are medians of repetitions, each ending with a
 * device synchronisation; host µs/step is the time to issue a step (launches), wall µs/step includes
 * waiting for the GPU.
 */
import { cudaUnavailableReason, gpuBackend } from "../src/backends/cuda/index.js";
import { median } from "./timing.js";

/** GPU:0's backend and a wait for its queue; without a usable GPU, says why and exits (nothing to measure). */
export function gpuOrExit(): { gb: NonNullable<ReturnType<typeof gpuBackend>>; sync: () => void } {
  const why = cudaUnavailableReason();
  if (why !== null) {
    console.log(`no GPU: ${why}`);
    process.exit(0);
  }
  const gb = gpuBackend(0)!;
  return { gb, sync: () => gb.synchronizeSync() };
}

export interface GpuMeasurement {
  median: number;
  reps: number[];
  hostUs: number;
  wallUs: number;
}

export function measureSteps(step: () => void, sync: () => void, batch: number, quick: boolean): GpuMeasurement {
  // Warm-up: compiles kernels, fills caches, captures the CUDA graph (second run), and lets V8 settle.
  // From a cold start an eager LeNet-5 step takes 2.3 ms, 1.4 ms after 0.6 s and ~1.05 ms after 3 s
  // (bench/GPU_NOTES.md): V8 optimises functions that run once a step only after thousands of calls. So:
  // at least 2 s (0.5 s quick), then windows of ~50 ms until two in a row agree within 5% (at most 4 s).
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) step();
  sync();
  let last = Infinity;
  while (performance.now() - t0 < 4000) {
    const w0 = performance.now();
    let n = 0;
    while (performance.now() - w0 < (quick ? 30 : 50)) {
      step();
      n++;
    }
    sync();
    const per = (performance.now() - w0) / n;
    if (performance.now() - t0 > (quick ? 500 : 2000) && Math.abs(per - last) <= 0.05 * last) break;
    last = per;
  }
  const t1 = performance.now();
  for (let i = 0; i < 5; i++) step();
  sync();
  const per = (performance.now() - t1) / 5;
  const steps = Math.max(3, Math.min(4000, Math.round((quick ? 80 : 150) / Math.max(per, 1e-3))));
  const reps: number[] = [];
  const host: number[] = [];
  const wall: number[] = [];
  for (let k = 0; k < (quick ? 3 : 5); k++) {
    const a = performance.now();
    for (let i = 0; i < steps; i++) step();
    const issued = performance.now();
    sync();
    const z = performance.now();
    reps.push((steps * batch) / ((z - a) / 1000));
    host.push(((issued - a) * 1000) / steps);
    wall.push(((z - a) * 1000) / steps);
  }
  return { median: median(reps), reps, hostUs: median(host), wallUs: median(wall) };
}
