import type { DType } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { type Dim, shapeStr } from "../shape.js";
import { schemaRows, type TensorSpec } from "./types.js";

/**
 * The recurrent family: one fused step of an LSTM or GRU cell after its matrix products (gradients and the
 * functions the Keras layers call in src/ops/recurrent.ts, kernels in backends/{cpu,cuda}/kernels/recurrent.ts).
 * Like TensorFlow's LSTMBlockCell, a step is one op over the gates with the activations it saves for its
 * gradient op; unlike it, the matmuls stay MatMul ops (so the input projection of a whole sequence is one
 * product) and the gates come in Keras's order (LSTM i, f, c, o; GRU z, r, h) with Keras's default
 * activations (sigmoid gates, tanh candidate and output).
 *
 *  LSTMCellStep(xp, hz, cs_prev) -> (h, cs, gates): z = xp + hz ([batch, 4 units]); i, f, o = sigmoid, ci =
 *    tanh of z's parts; cs = f * cs_prev + i * ci; h = o * tanh(cs); gates = [i, f, ci, o].
 *  LSTMCellStepGrad(cs_prev, cs, gates, dh, dcs) -> (dz, dcs_prev).
 *  GRUCellStep(xp, hp, h_prev) -> (h, gates): xp = x W + b_in, hp = h U + b_rec ([batch, 3 units]; reset
 *    after, TF2's and cuDNN's GRU); z = sigmoid(xp_z + hp_z), r = sigmoid(xp_r + hp_r), hh = tanh(xp_h + r *
 *    hp_h); h = z * h_prev + (1 - z) * hh; gates = [z, r, hh].
 *  GRUCellStepGrad(hp, h_prev, gates, dh) -> (dxp, dhp, dh_prev) (dh_prev: the direct z * h_prev path only).
 */
const FLOAT: DType[] = ["float32", "float64"];

/** [batch, k * units] and [batch, units] shapes of a step's inputs, checked as far as they are known. */
function stepDims(op: string, inputs: readonly TensorSpec[], gateInputs: readonly number[], stateInputs: readonly number[], k: number): [Dim, Dim] {
  let batch: Dim = null;
  let units: Dim = null;
  const fail = () =>
    new InvalidArgumentError(
      `${op}: expected gate inputs [batch, ${k} * units] and states [batch, units], got ${inputs.map((t) => shapeStr(t.shape)).join(", ")}`,
    );
  const meet = (a: Dim, b: Dim): Dim => {
    if (a !== null && b !== null && a !== b) throw fail();
    return a ?? b;
  };
  for (const i of [...gateInputs, ...stateInputs]) {
    const s = inputs[i].shape;
    if (s === null) continue;
    if (s.length !== 2) throw fail();
    batch = meet(batch, s[0]);
    const u = gateInputs.includes(i) ? (s[1] === null ? null : s[1] % k === 0 ? s[1] / k : -1) : s[1];
    if (u === -1) throw fail();
    units = meet(units, u);
  }
  return [batch, units];
}

const spec = (dtype: DType, ...shape: Dim[]) => ({ dtype, shape: shape as Dim[] });
const times = (k: number, u: Dim): Dim => (u === null ? null : k * u);

export const RECURRENT_OPS = schemaRows([
  {
    type: "LSTMCellStep",
    inputNames: ["xp", "hz", "cs_prev"],
    dtypeGroups: [[0, 1, 2]],
    allowedDTypes: FLOAT,
    outputs: [
      { name: "h", typeAttr: "T" },
      { name: "cs", typeAttr: "T" },
      { name: "gates", typeAttr: "T" },
    ],
    infer: (inputs) => {
      const [b, u] = stepDims("LSTMCellStep", inputs, [0, 1], [2], 4);
      const t = inputs[0].dtype;
      return [spec(t, b, u), spec(t, b, u), spec(t, b, times(4, u))];
    },
  },
  {
    type: "LSTMCellStepGrad",
    inputNames: ["cs_prev", "cs", "gates", "dh", "dcs"],
    dtypeGroups: [[0, 1, 2, 3, 4]],
    allowedDTypes: FLOAT,
    outputs: [
      { name: "dz", typeAttr: "T" },
      { name: "dcs_prev", typeAttr: "T" },
    ],
    infer: (inputs) => {
      const [b, u] = stepDims("LSTMCellStepGrad", inputs, [2], [0, 1, 3, 4], 4);
      const t = inputs[0].dtype;
      return [spec(t, b, times(4, u)), spec(t, b, u)];
    },
  },
  {
    type: "GRUCellStep",
    inputNames: ["xp", "hp", "h_prev"],
    dtypeGroups: [[0, 1, 2]],
    allowedDTypes: FLOAT,
    outputs: [
      { name: "h", typeAttr: "T" },
      { name: "gates", typeAttr: "T" },
    ],
    infer: (inputs) => {
      const [b, u] = stepDims("GRUCellStep", inputs, [0, 1], [2], 3);
      const t = inputs[0].dtype;
      return [spec(t, b, u), spec(t, b, times(3, u))];
    },
  },
  {
    type: "GRUCellStepGrad",
    inputNames: ["hp", "h_prev", "gates", "dh"],
    dtypeGroups: [[0, 1, 2, 3]],
    allowedDTypes: FLOAT,
    outputs: [
      { name: "dxp", typeAttr: "T" },
      { name: "dhp", typeAttr: "T" },
      { name: "dh_prev", typeAttr: "T" },
    ],
    infer: (inputs) => {
      const [b, u] = stepDims("GRUCellStepGrad", inputs, [0, 2], [1, 3], 3);
      const t = inputs[0].dtype;
      return [spec(t, b, times(3, u)), spec(t, b, times(3, u)), spec(t, b, u)];
    },
  },
]);
