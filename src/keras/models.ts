/** tf.keras.models: the model classes. */
export { Model } from "./engine/model.js";
export { Sequential } from "./engine/sequential.js";
