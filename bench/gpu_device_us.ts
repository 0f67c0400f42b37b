import type { CudaBackend } from "../src/backends/cuda/backend.js";

/**
 * Device microseconds per call of `fn` on backend `b`: two warm-up calls (which also make cuDNN's plans and
 * compile kernels), then `reps` calls queued behind a spinning kernel, so that the host's launch cost is
 * hidden and the events time the device's work alone.
 */
export function deviceUs(b: CudaBackend, fn: () => void, reps: number): number {
  fn();
  fn();
  b.synchronizeSync();
  const spin = b.fn(
    "profile.spin",
    "spin",
    () => 'extern "C" __global__ void spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }',
  );
  const ctx = b.ctx;
  ctx.argI64(4e7);
  b.launch(spin, 1, 1);
  const e0 = ctx.createEvent();
  const e1 = ctx.createEvent();
  ctx.record(e0);
  for (let i = 0; i < reps; i++) fn();
  ctx.record(e1);
  const us = (ctx.elapsedMs(e0, e1) * 1000) / reps;
  ctx.destroyEvent(e0);
  ctx.destroyEvent(e1);
  return us;
}
