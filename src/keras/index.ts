/** tf.keras: layers, models, losses, metrics, optimizers, callbacks and data sets. */
export * as layers from "./layers/index.js";
export * as datasets from "./datasets/index.js";
export * as activations from "./activations.js";
export * as initializers from "./initializers.js";
export * as regularizers from "./regularizers.js";
export * as constraints from "./constraints.js";
