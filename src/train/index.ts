/** tf.train (tf.compat.v1.train): TensorFlow 1's optimizers and the global step. */
export { Optimizer } from "./optimizer.js";
export type { GradAndVar, Hyper, Loss } from "./optimizer.js";
export { GradientDescentOptimizer } from "./gradient_descent.js";
export { MomentumOptimizer } from "./momentum.js";
export { AdamOptimizer } from "./adam.js";
export { RMSPropOptimizer } from "./rmsprop.js";
export { AdagradOptimizer } from "./adagrad.js";
export * as experimental from "./experimental.js";
export { assertGlobalStep, createGlobalStep, getGlobalStep, getOrCreateGlobalStep, globalStep } from "./global_step.js";

// ---- not implemented yet: touching one raises tf.errors.UnimplementedError (core/unimplemented.ts).
import { notImplemented } from "../core/unimplemented.js";
export const ExponentialMovingAverage = notImplemented("tf.train.ExponentialMovingAverage");
export const exponentialDecay = notImplemented("tf.train.exponential_decay");
export const Coordinator = notImplemented("tf.train.Coordinator");
export const MonitoredTrainingSession = notImplemented("tf.train.MonitoredTrainingSession");
export const Example = notImplemented("tf.train.Example");
