import { type DType, FLOAT_DTYPES } from "../dtype.js";
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
 *
 * And a whole LSTM layer's sequence as one op (the op TensorFlow's Keras LSTM becomes on a GPU, CudnnRNNV3,
 * but with Keras's weights as they are, so no op outside it reorders them):
 *  LSTMSequence(x [batch, time, input], h0, c0 [batch, units], kernel [input, 4 units], recurrent_kernel
 *    [units, 4 units], bias [4 units]) -> (y [batch, time, units], h, c [batch, units], reserve): the LSTMCellStep
 *    recurrence over every step; reserve is what the gradient op needs besides the inputs and y, in a layout
 *    of the kernel's own (the CPU kernel: every step's gates and cell state; cuDNN: its reserve space), so a
 *    reserve is only ever read by the gradient of the op, on the device that made it.
 *  LSTMSequenceGrad(x, h0, c0, kernel, recurrent_kernel, bias, y, reserve, dy, dh, dc) -> (dx, dh0, dc0,
 *    dkernel, drecurrent_kernel, dbias).
 *
 * And a whole GRU layer's sequence, likewise (Keras's weights, gates z, r, h):
 *  GRUSequence(x [batch, time, input], h0 [batch, units], kernel [input, 3 units], recurrent_kernel [units,
 *    3 units], bias) -> (y [batch, time, units], h [batch, units], reserve), attr reset_after: true (TF2's
 *    and cuDNN's GRU, the GRUCellStep recurrence; bias [2, 3 units], the input and recurrent halves) or false
 *    (hh = tanh(x W_h + b_h + (r * h) U_h); bias [3 units], on the input side only).
 *  GRUSequenceGrad(x, h0, kernel, recurrent_kernel, bias, y, reserve, dy, dh) -> (dx, dh0, dkernel,
 *    drecurrent_kernel, dbias), attr reset_after as the forward op's.
 */
const FLOAT = FLOAT_DTYPES;

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

type SeqRole = "b" | "t" | "i" | "u" | "uk" | "two";

/**
 * [batch, time, input, units] of a whole-sequence op's inputs, checked as far as known: `roles` names each
 * input's dims (batch, time, input features, units, k * units for the gate columns, or 2), `expected` says so
 * in words for the error.
 */
function sequenceDims(op: string, inputs: readonly TensorSpec[], roles: readonly (readonly SeqRole[])[], k: number, expected: string): [Dim, Dim, Dim, Dim] {
  const at: Record<SeqRole, Dim> = { b: null, t: null, i: null, u: null, uk: null, two: 2 };
  const fail = () =>
    new InvalidArgumentError(
      `${op}: expected ${expected}, got ${inputs
        .slice(0, roles.length)
        .map((t) => shapeStr(t.shape))
        .join(", ")}`,
    );
  const meet = (r: SeqRole, d: Dim) => {
    if (d === null) return;
    if (at[r] !== null && at[r] !== d) throw fail();
    at[r] = d;
  };
  roles.forEach((r, n) => {
    const s = inputs[n].shape;
    if (s === null) return;
    if (s.length !== r.length) throw fail();
    r.forEach((role, j) => meet(role, s[j]));
  });
  if (at.uk !== null) {
    if (at.uk % k !== 0) throw fail();
    meet("u", at.uk / k);
  }
  if (at.u !== null) meet("uk", k * at.u);
  return [at.b, at.t, at.i, at.u];
}

const LSTM_ROLES: SeqRole[][] = [["b", "t", "i"], ["b", "u"], ["b", "u"], ["i", "uk"], ["u", "uk"], ["uk"]];
const LSTM_EXPECTED = "x [batch, time, input], h0 and c0 [batch, units], kernel [input, 4 * units], recurrent_kernel [units, 4 * units] and bias [4 * units]";
const lstmDims = (op: string, inputs: readonly TensorSpec[]) => sequenceDims(op, inputs, LSTM_ROLES, 4, LSTM_EXPECTED);

const GRU_ROLES: SeqRole[][] = [
  ["b", "t", "i"],
  ["b", "u"],
  ["i", "uk"],
  ["u", "uk"],
];
/** GRUSequence's dims: its bias is [2, 3 units] (input and recurrent halves) with reset_after, else [3 units]. */
function gruDims(op: string, inputs: readonly TensorSpec[], resetAfter: boolean): [Dim, Dim, Dim, Dim] {
  const bias: SeqRole[] = resetAfter ? ["two", "uk"] : ["uk"];
  const expected = `x [batch, time, input], h0 [batch, units], kernel [input, 3 * units], recurrent_kernel [units, 3 * units] and bias ${resetAfter ? "[2, 3 * units] (reset_after)" : "[3 * units] (reset_after false)"}`;
  return sequenceDims(op, inputs, [...GRU_ROLES, bias], 3, expected);
}
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
  {
    type: "LSTMSequence",
    inputNames: ["x", "h0", "c0", "kernel", "recurrent_kernel", "bias"],
    dtypeGroups: [[0, 1, 2, 3, 4, 5]],
    allowedDTypes: FLOAT,
    outputs: [
      { name: "y", typeAttr: "T" },
      { name: "h", typeAttr: "T" },
      { name: "c", typeAttr: "T" },
      { name: "reserve", typeAttr: "T" },
    ],
    infer: (inputs) => {
      const [b, t, , u] = lstmDims("LSTMSequence", inputs);
      const d = inputs[0].dtype;
      return [spec(d, b, t, u), spec(d, b, u), spec(d, b, u), spec(d, null)];
    },
  },
  {
    type: "LSTMSequenceGrad",
    inputNames: ["x", "h0", "c0", "kernel", "recurrent_kernel", "bias", "y", "reserve", "dy", "dh", "dc"],
    dtypeGroups: [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    allowedDTypes: FLOAT,
    outputs: [
      { name: "dx", typeAttr: "T" },
      { name: "dh0", typeAttr: "T" },
      { name: "dc0", typeAttr: "T" },
      { name: "dkernel", typeAttr: "T" },
      { name: "drecurrent_kernel", typeAttr: "T" },
      { name: "dbias", typeAttr: "T" },
    ],
    infer: (inputs) => {
      const [b, t, i, u] = lstmDims("LSTMSequenceGrad", inputs);
      const d = inputs[0].dtype;
      return [spec(d, b, t, i), spec(d, b, u), spec(d, b, u), spec(d, i, times(4, u)), spec(d, u, times(4, u)), spec(d, times(4, u))];
    },
  },
  {
    type: "GRUSequence",
    inputNames: ["x", "h0", "kernel", "recurrent_kernel", "bias"],
    dtypeGroups: [[0, 1, 2, 3, 4]],
    allowedDTypes: FLOAT,
    attrs: [{ name: "reset_after", type: "bool", default: true }],
    outputs: [
      { name: "y", typeAttr: "T" },
      { name: "h", typeAttr: "T" },
      { name: "reserve", typeAttr: "T" },
    ],
    infer: (inputs, attrs) => {
      const [b, t, , u] = gruDims("GRUSequence", inputs, attrs.reset_after !== false);
      const d = inputs[0].dtype;
      return [spec(d, b, t, u), spec(d, b, u), spec(d, null)];
    },
  },
  {
    type: "GRUSequenceGrad",
    inputNames: ["x", "h0", "kernel", "recurrent_kernel", "bias", "y", "reserve", "dy", "dh"],
    dtypeGroups: [[0, 1, 2, 3, 4, 5, 6, 7, 8]],
    allowedDTypes: FLOAT,
    attrs: [{ name: "reset_after", type: "bool", default: true }],
    outputs: [
      { name: "dx", typeAttr: "T" },
      { name: "dh0", typeAttr: "T" },
      { name: "dkernel", typeAttr: "T" },
      { name: "drecurrent_kernel", typeAttr: "T" },
      { name: "dbias", typeAttr: "T" },
    ],
    infer: (inputs, attrs) => {
      const resetAfter = attrs.reset_after !== false;
      const [b, t, i, u] = gruDims("GRUSequenceGrad", inputs, resetAfter);
      const d = inputs[0].dtype;
      const u3 = times(3, u);
      return [spec(d, b, t, i), spec(d, b, u), spec(d, i, u3), spec(d, u, u3), resetAfter ? spec(d, 2, u3) : spec(d, u3)];
    },
  },
]);
