/**
 * The activations and initializers the recurrent layers accept, resolved through tf.keras.activations and
 * tf.keras.initializers (Keras's names in snake_case or camelCase, functions and objects), and the
 * names by which the fused ops recognise Keras's default activations.
 */
import type { DType } from "../../../core/dtype.js";
import type { Tensor } from "../../../core/tensor.js";
import { concat } from "../../../ops/movement.js";
import { ones } from "../../../ops/creation.js";
import type { Initializer } from "../../../variables/initializers.js";
import { type ActivationArg, get as getActivation, linear, sigmoid, tanh } from "../../activations.js";
import { get as getInitializer, type InitializerArg } from "../../initializers.js";

export type { ActivationArg, InitializerArg };

/** Resolves an activation: null means linear (the identity), so that callers skip the op. */
export function resolveActivation(a: ActivationArg | undefined): ((x: Tensor) => Tensor) | null {
  return activationName(a) === "linear" ? null : getActivation(a ?? null);
}

/** The name of a built-in activation ("tanh", "sigmoid", ...), or null for any other function. */
export function activationName(a: ActivationArg | undefined): string | null {
  const f = getActivation(a ?? null);
  // A name resolves to tf.keras.activations' own wrapper of the function, a function passed in is itself.
  for (const [name, fn] of [
    ["tanh", tanh],
    ["sigmoid", sigmoid],
    ["linear", linear],
  ] as const) {
    if (f === fn || f === getActivation(name)) return name;
  }
  return null;
}

/** Resolves an initializer by Keras's names or passes an object through. */
export function resolveInitializer(i: InitializerArg): Initializer {
  return getInitializer(i) as Initializer;
}

/**
 * LSTM's bias with unit_forget_bias: the bias initializer for the input gate, ones for the forget gate, the
 * bias initializer again for the cell and output gates (Keras's LSTMCell.build).
 */
export function unitForgetBias(init: Initializer, units: number): Initializer {
  return {
    call: (_shape: number[], dtype?: DType) => {
      const dt = dtype ?? "float32";
      return concat([init.call([units], dt), ones([units], dt), init.call([2 * units], dt)], 0);
    },
  };
}
