import assert from "node:assert/strict";
import * as tf from "../../src/index.js";
import { cudaUnavailableReason } from "../../src/backends/cuda/index.js";
import { execute } from "../../src/ops/dispatch.js";
import type { OpType } from "../../src/core/schema/index.js";

/** Helpers shared by the tests that need a GPU; they skip themselves, with the reason, where there is none. */
export const NO_GPU = cudaUnavailableReason();
export const gpuOnly = { skip: NO_GPU === null ? false : `no CUDA GPU: ${NO_GPU}` } as const;

export type E = tf.EagerTensor;
export const cpu = <T>(fn: () => T): T => tf.device("/cpu:0", fn);
export const gpu = <T>(fn: () => T): T => tf.device("/gpu:0", fn);
export const onGpu = (t: tf.Tensor) => (t as E).device.endsWith("GPU:0");

/** Deterministic pseudo-random numbers (xorshift), so that a failure can be reproduced. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** One op by its TensorFlow type, eagerly, on the current device. */
export function runOp(type: OpType, inputs: tf.Tensor[], attrs: Record<string, unknown> = {}): E {
  return execute(type, inputs, attrs as never)[0] as E;
}

/** Norm-wise relative error ‖got − want‖ / ‖want‖ over all elements. */
export function relErr(got: E, want: E): number {
  assert.deepEqual(got.shape, want.shape);
  const g = got.dataSync() as ArrayLike<number>;
  const w = want.dataSync() as ArrayLike<number>;
  let num = 0;
  let den = 0;
  for (let i = 0; i < w.length; i++) {
    num += (g[i] - w[i]) ** 2;
    den += w[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

export const xentLoss = (labels: tf.Tensor, logits: tf.Tensor) =>
  tf.reduceMean((tf.nn as unknown as { softmaxCrossEntropyWithLogits(l: tf.Tensor, g: tf.Tensor): tf.Tensor }).softmaxCrossEntropyWithLogits(labels, logits));

/** `steps` eager SGD steps (GradientTape + applyGradients) of a model on one batch: the losses and final variables. */
export function trainEagerly(
  m: { vars: tf.Variable[]; forward: (x: tf.Tensor) => tf.Tensor },
  x: tf.Tensor,
  y: tf.Tensor,
  steps: number,
  lr: number,
): { losses: number[]; vars: E[] } {
  const opt = new tf.train.GradientDescentOptimizer(lr);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const tape = new tf.GradientTape();
    const loss = tape.run(() => xentLoss(y, m.forward(x)));
    losses.push((loss as E).item() as number);
    const grads = tape.gradient(loss, m.vars) as tf.Tensor[];
    opt.applyGradients(grads.map((g, k) => [g, m.vars[k]] as [tf.Tensor, tf.Variable]));
  }
  return { losses, vars: m.vars.map((v) => v.value() as E) };
}
