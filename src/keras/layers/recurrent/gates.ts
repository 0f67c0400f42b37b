/**
 * The gate arithmetic of one LSTM or GRU step. With Keras's default activations (tanh, sigmoid) it is one
 * fused op per step (ops/recurrent.ts: LSTMBlockCell-style kernels on each backend, with a fused gradient);
 * other activations compose public ops.
 */
import type { Tensor } from "../../../core/tensor.js";
import type { TensorLike } from "../../../core/tensor_like.js";
import { add, multiply, sigmoid, subtract, tanh } from "../../../ops/elementwise.js";
import { matmul } from "../../../ops/matmul.js";
import { slice, split } from "../../../ops/movement.js";
import { gruCellStep, lstmCellStep } from "../../../ops/recurrent.js";

/** Activations other than the defaults (null entries: linear). */
export interface GateActivations {
  act: ((x: Tensor) => Tensor) | null;
  recAct: ((x: Tensor) => Tensor) | null;
}

const apply = (f: ((x: Tensor) => Tensor) | null, x: Tensor): Tensor => (f ? f(x) : x);

/**
 * One LSTM step from the projected input xp = x W + b and the recurrent product hz = h U ([batch, 4 units]
 * each, gates i, f, c, o) and the previous cell state -> [h, c].
 */
export function lstmStep(xp: Tensor, hz: Tensor, c: Tensor, activations: GateActivations | null): [Tensor, Tensor] {
  if (activations === null) return lstmCellStep(xp, hz, c);
  const { act, recAct } = activations;
  const [zi, zf, zc, zo] = split(add(xp, hz), 4, 1);
  const cNew = add(multiply(apply(recAct, zf), c), multiply(apply(recAct, zi), apply(act, zc)));
  const hNew = multiply(apply(recAct, zo), apply(act, cNew));
  return [hNew, cNew];
}

/** GRU with reset_after false: the recurrent kernel is applied in two parts (z and r first, then (r * h) U_h). */
export interface ResetBefore {
  hIn: Tensor;
  kernel: TensorLike;
  units: number;
}

/**
 * One GRU step -> h. With hp (= h U + b_r, [batch, 3 units], resetAfter) the reset gate scales hp's
 * candidate part; with `before` the candidate's product is (r * h) U_h.
 */
export function gruStep(xp: Tensor, hp: Tensor | null, h: Tensor, activations: GateActivations | null, before?: ResetBefore): Tensor {
  if (activations === null && hp !== null) return gruCellStep(xp, hp, h);
  const { act, recAct } = activations ?? { act: tanh, recAct: sigmoid };
  const [xz, xr, xh] = split(xp, 3, 1);
  let z: Tensor;
  let hh: Tensor;
  if (hp !== null) {
    const [hz, hr, hc] = split(hp, 3, 1);
    z = apply(recAct, add(xz, hz));
    const r = apply(recAct, add(xr, hr));
    hh = apply(act, add(xh, multiply(r, hc)));
  } else {
    const b = before as ResetBefore;
    const k = b.kernel;
    const [hz, hr] = split(matmul(b.hIn, slice(k, [0, 0], [-1, 2 * b.units])), 2, 1);
    z = apply(recAct, add(xz, hz));
    const r = apply(recAct, add(xr, hr));
    hh = apply(act, add(xh, matmul(multiply(r, b.hIn), slice(k, [0, 2 * b.units], [-1, -1]))));
  }
  // h = z * h_prev + (1 - z) * hh = hh + z * (h_prev - hh)
  return add(hh, multiply(z, subtract(h, hh)));
}
