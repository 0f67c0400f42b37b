import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { execute } from "./dispatch.js";
import { defineGradients } from "./registry.js";

/**
 * The recurrent family: fused LSTM and GRU steps (rows and equations in core/schema/recurrent.ts) and
 * their gradients, each one fused op too. The Keras layers (keras/layers/recurrent/gates.ts) call
 * `lstmCellStep` and `gruCellStep` once per time step; the gradient of the `gates` output (saved
 * activations, an implementation detail like TensorFlow's LSTMBlockCell's i, f, o, ci, co) is not
 * propagated: nothing but the gradient ops reads it.
 */

defineGradients({
  LSTMCellStep: (op, [dh, dcs]) => {
    const [, , csPrev] = op.inputs;
    const [, cs, gates] = op.outputs;
    const [dz, dcsPrev] = execute("LSTMCellStepGrad", [csPrev, cs, gates, dh, dcs]);
    return [dz, dz, dcsPrev];
  },
  GRUCellStep: (op, [dh]) => {
    const [, hp, hPrev] = op.inputs;
    const [, gates] = op.outputs;
    const [dxp, dhp, dhPrev] = execute("GRUCellStepGrad", [hp, hPrev, gates, dh]);
    return [dxp, dhp, dhPrev];
  },
});

/** One LSTM step: xp = x W + b and hz = h U ([batch, 4 units], gates i, f, c, o) and c -> [h, c]. */
export function lstmCellStep(xp: TensorLike, hz: TensorLike, csPrev: TensorLike): [Tensor, Tensor] {
  const [h, cs] = execute("LSTMCellStep", [xp, hz, csPrev]);
  return [h, cs];
}

/** One GRU step (reset after): xp = x W + b_in and hp = h U + b_rec ([batch, 3 units], gates z, r, h) and h -> h. */
export function gruCellStep(xp: TensorLike, hp: TensorLike, hPrev: TensorLike): Tensor {
  return execute("GRUCellStep", [xp, hp, hPrev])[0];
}
