/** tf.train (tf.compat.v1.train): TensorFlow 1's optimizers and the global step. */
export { Optimizer } from "./optimizer.js";
export type { GradAndVar, Hyper, Loss, MinimizeOptions, ComputeGradientsOptions, ApplyGradientsOptions } from "./optimizer.js";
export { GradientDescentOptimizer } from "./gradient_descent.js";
export { MomentumOptimizer } from "./momentum.js";
export { AdamOptimizer } from "./adam.js";
export { RMSPropOptimizer } from "./rmsprop.js";
export { AdagradOptimizer } from "./adagrad.js";
export { assertGlobalStep, createGlobalStep, getGlobalStep, getOrCreateGlobalStep, globalStep } from "./global_step.js";
