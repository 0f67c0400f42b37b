/** tf.keras.backend: the Keras session state that is process-wide in tsflow (default names, the learning phase). */
import { defineFunction, signature } from "../core/signature.js";
import { resetInputNames } from "./engine/input_layer.js";
import { resetLayerNames } from "./engine/layer.js";

/**
 * tf.keras.backend.clear_session(): forgets the default-name counters, so that new layers are named dense,
 * dense_1, ... again. Eager weights belong to their layers and are freed with them.
 */
export const clearSession = defineFunction(
  signature("keras.backend.clearSession", "Resets the state Keras keeps between models (default layer names).", [], { args: () => [] }),
  (): void => {
    resetLayerNames();
    resetInputNames();
  },
);

/** tf.keras.backend.floatx(): the default float dtype. */
export const floatx = defineFunction(signature("keras.backend.floatx", "The default float dtype (float32).", [], { args: () => [] }), (): string => "float32");
