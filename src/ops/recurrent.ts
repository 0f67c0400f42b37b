import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { execute } from "./dispatch.js";
import { defineGradients } from "./registry.js";

/**
 * The recurrent family: fused LSTM and GRU steps (rows and equations in core/schema/recurrent.ts) and
 * their gradients, each one fused op too. The Keras layers (keras/layers/recurrent/gates.ts) call
 * `lstmCellStep` and `gruCellStep` once per time step; the gradient of the `gates` output (saved
 * activations, an implementation detail like TensorFlow's LSTMBlockCell's i, f, o, ci, co) is not
 * propagated: nothing but the gradient ops reads it. `lstmSequence` runs a whole LSTM layer's sequence as
 * one op (LSTMSequence: cuDNN's RNN on the GPU, a loop on the CPU), `gruSequence` a whole GRU layer's
 * (GRUSequence: cuDNN's GRU on the GPU where reset_after is true, a loop on the CPU); their `reserve`
 * outputs, likewise, are read by their gradient ops only.
 */

defineGradients({
  LSTMCellStep: (op, [dh, dcs]) => {
    const [, , csPrev] = op.inputs;
    const [, cs, gates] = op.outputs;
    const [dz, dcsPrev] = execute("LSTMCellStepGrad", [csPrev, cs, gates, dh, dcs]);
    return [dz, dz, dcsPrev];
  },
  LSTMSequence: (op, [dy, dh, dc]) => {
    const [y, , , reserve] = op.outputs;
    return execute("LSTMSequenceGrad", [...op.inputs, y, reserve, dy, dh, dc]);
  },
  GRUSequence: (op, [dy, dh]) => {
    const [y, , reserve] = op.outputs;
    return execute("GRUSequenceGrad", [...op.inputs, y, reserve, dy, dh], { reset_after: op.attrs.reset_after as boolean });
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

/**
 * A whole LSTM sequence: x [batch, time, input] from states h0, c0 [batch, units] with Keras's kernel [input,
 * 4 units], recurrent kernel [units, 4 units] and bias [4 units] (gates i, f, c, o; sigmoid gates, tanh
 * candidate and output) -> [y [batch, time, units], h, c] (the last step's states).
 */
export function lstmSequence(
  x: TensorLike,
  h0: TensorLike,
  c0: TensorLike,
  kernel: TensorLike,
  recurrentKernel: TensorLike,
  bias: TensorLike,
): [Tensor, Tensor, Tensor] {
  const [y, h, c] = execute("LSTMSequence", [x, h0, c0, kernel, recurrentKernel, bias]);
  return [y, h, c];
}

/**
 * A whole GRU sequence: x [batch, time, input] from h0 [batch, units] with Keras's kernel [input, 3 units],
 * recurrent kernel [units, 3 units] and bias (gates z, r, h; sigmoid gates, tanh candidate) -> [y [batch,
 * time, units], h] (the last step's state). With resetAfter (TF2's default and cuDNN's GRU) the bias is
 * [2, 3 units] and the reset gate scales the recurrent product h U_h + b_rh; without it the bias is [3 units]
 * and the candidate's product is (r * h) U_h.
 */
export function gruSequence(
  x: TensorLike,
  h0: TensorLike,
  kernel: TensorLike,
  recurrentKernel: TensorLike,
  bias: TensorLike,
  { resetAfter = true }: { resetAfter?: boolean } = {},
): [Tensor, Tensor] {
  const [y, h] = execute("GRUSequence", [x, h0, kernel, recurrentKernel, bias], { reset_after: resetAfter });
  return [y, h];
}
