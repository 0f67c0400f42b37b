/** tf.keras.mixedPrecision: dtype policies and loss scaling (Keras's mixed_precision). */
export { Policy, globalPolicy, setGlobalPolicy } from "./policy.js";
export { LossScaleOptimizer } from "./loss_scale_optimizer.js";
