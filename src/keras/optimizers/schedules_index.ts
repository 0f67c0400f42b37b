/** tf.keras.optimizers.schedules. */
export { CosineDecay, ExponentialDecay, InverseTimeDecay, LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay } from "./schedules.js";
