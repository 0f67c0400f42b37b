/** tf.keras.models: the model classes, and models from JSON, clones, saving and loading. */
export { Model } from "./engine/model.js";
export { Sequential } from "./engine/sequential.js";
export { cloneModel, modelFromJson } from "./saving/model_config.js";
export { loadModel } from "./saving/model_save.js";
