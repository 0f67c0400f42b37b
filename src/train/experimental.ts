/** tf.compat.v1.train.experimental: the mixed-precision loss-scale optimizer. */
export { MixedPrecisionLossScaleOptimizer } from "./mixed_precision.js";
