/** tf.keras.layers: every layer class, one file per family. */
export { Layer } from "../engine/layer.js";
