/** tf.keras: layers, models, losses, metrics, optimizers, callbacks and data sets. */
import { registerResolvers } from "./engine/resolve.js";
import { get as getLoss } from "./losses/index.js";
import { get as getMetric } from "./metrics/index.js";
import { get as getOptimizer } from "./optimizers/index.js";
import "./engine/functional.js";
import "./saving/install.js";
export * as layers from "./layers/index.js";
export * as datasets from "./datasets/index.js";
export * as activations from "./activations.js";
export * as initializers from "./initializers.js";
export * as regularizers from "./regularizers.js";
export * as constraints from "./constraints.js";
export * as callbacks from "./callbacks/index.js";
export * as backend from "./backend.js";
export * as models from "./models.js";
export { Model, Sequential } from "./models.js";
export { Input } from "./engine/input_layer.js";
export * as losses from "./losses/index.js";
export * as metrics from "./metrics/index.js";
export * as optimizers from "./optimizers/index.js";
export * as mixedPrecision from "./mixed_precision/index.js";

// compile()'s strings ("adam", "sparse_categorical_crossentropy", "accuracy") resolve through these modules' get().
registerResolvers({ loss: getLoss, metric: getMetric, optimizer: getOptimizer });
