/** tf.keras: layers, models, losses, metrics, optimizers, callbacks and data sets. */
import "./engine/functional.js";
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
