/** tf.keras: layers, models, losses, metrics, optimizers, callbacks and data sets. */
export * as layers from "./layers/index.js";
export * as datasets from "./datasets/index.js";
