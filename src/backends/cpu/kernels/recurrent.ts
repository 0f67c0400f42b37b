import { allocValues } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { type CpuTensor, type KernelTable, out } from "../kernel.js";
import { gruSequenceKernels } from "../gru_sequence.js";
import { lstmSequenceKernels } from "../lstm_sequence.js";

/**
 * The recurrent family on the CPU (rows and equations in core/schema/recurrent.ts): one pass over a step's
 * gates, after the MatMul ops that produce their pre-activations. Each loop reads every input once and
 * writes every output once, in the dtype's own typed arrays. A whole LSTM or GRU sequence (LSTMSequence,
 * GRUSequence and their gradients) loops over such steps in ../lstm_sequence.ts and ../gru_sequence.ts.
 */

type F = Float32Array | Float64Array;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** [batch, units] from a [batch, k * units] gate tensor and [batch, units] state tensors, checked. */
function dims(op: string, gates: readonly CpuTensor[], states: readonly CpuTensor[], k: number): [number, number] {
  const g = gates[0].shape;
  const fail = () =>
    new InvalidArgumentError(
      `${op}: expected gate inputs [batch, ${k} * units] and states [batch, units], got ${[...gates, ...states].map((t) => `[${t.shape}]`).join(", ")}`,
    );
  if (g.length !== 2 || g[1] % k !== 0) throw fail();
  const [b, u] = [g[0], g[1] / k];
  for (const t of gates) if (t.shape.length !== 2 || t.shape[0] !== b || t.shape[1] !== k * u) throw fail();
  for (const t of states) if (t.shape.length !== 2 || t.shape[0] !== b || t.shape[1] !== u) throw fail();
  return [b, u];
}

export const recurrentKernels: KernelTable = {
  ...lstmSequenceKernels,
  ...gruSequenceKernels,
  LSTMCellStep: ([xp, hz, csPrev]) => {
    const [b, u] = dims("LSTMCellStep", [xp, hz], [csPrev], 4);
    const x = xp.values as F;
    const r = hz.values as F;
    const cp = csPrev.values as F;
    const h = allocValues(xp.dtype, b * u) as F;
    const cs = allocValues(xp.dtype, b * u) as F;
    const gates = allocValues(xp.dtype, b * 4 * u) as F;
    for (let n = 0; n < b; n++) {
      const row = n * 4 * u;
      for (let j = 0; j < u; j++) {
        const gi = row + j;
        const i = sigmoid(x[gi] + r[gi]);
        const f = sigmoid(x[gi + u] + r[gi + u]);
        const ci = Math.tanh(x[gi + 2 * u] + r[gi + 2 * u]);
        const o = sigmoid(x[gi + 3 * u] + r[gi + 3 * u]);
        const c = f * cp[n * u + j] + i * ci;
        cs[n * u + j] = c;
        h[n * u + j] = o * Math.tanh(c);
        gates[gi] = i;
        gates[gi + u] = f;
        gates[gi + 2 * u] = ci;
        gates[gi + 3 * u] = o;
      }
    }
    return [out(xp.dtype, [b, u], h), out(xp.dtype, [b, u], cs), out(xp.dtype, [b, 4 * u], gates)];
  },

  LSTMCellStepGrad: ([csPrev, csT, gatesT, dhT, dcsT]) => {
    const [b, u] = dims("LSTMCellStepGrad", [gatesT], [csPrev, csT, dhT, dcsT], 4);
    const cp = csPrev.values as F;
    const cs = csT.values as F;
    const g = gatesT.values as F;
    const dh = dhT.values as F;
    const dcs = dcsT.values as F;
    const dz = allocValues(gatesT.dtype, b * 4 * u) as F;
    const dcp = allocValues(gatesT.dtype, b * u) as F;
    for (let n = 0; n < b; n++) {
      const row = n * 4 * u;
      for (let j = 0; j < u; j++) {
        const s = n * u + j;
        const gi = row + j;
        const i = g[gi];
        const f = g[gi + u];
        const ci = g[gi + 2 * u];
        const o = g[gi + 3 * u];
        const th = Math.tanh(cs[s]);
        const dc = dcs[s] + dh[s] * o * (1 - th * th);
        dz[gi] = dc * ci * i * (1 - i);
        dz[gi + u] = dc * cp[s] * f * (1 - f);
        dz[gi + 2 * u] = dc * i * (1 - ci * ci);
        dz[gi + 3 * u] = dh[s] * th * o * (1 - o);
        dcp[s] = dc * f;
      }
    }
    return [out(gatesT.dtype, [b, 4 * u], dz), out(gatesT.dtype, [b, u], dcp)];
  },

  GRUCellStep: ([xpT, hpT, hPrev]) => {
    const [b, u] = dims("GRUCellStep", [xpT, hpT], [hPrev], 3);
    const x = xpT.values as F;
    const r = hpT.values as F;
    const hp = hPrev.values as F;
    const h = allocValues(xpT.dtype, b * u) as F;
    const gates = allocValues(xpT.dtype, b * 3 * u) as F;
    for (let n = 0; n < b; n++) {
      const row = n * 3 * u;
      for (let j = 0; j < u; j++) {
        const gi = row + j;
        const z = sigmoid(x[gi] + r[gi]);
        const rr = sigmoid(x[gi + u] + r[gi + u]);
        const hh = Math.tanh(x[gi + 2 * u] + rr * r[gi + 2 * u]);
        h[n * u + j] = hh + z * (hp[n * u + j] - hh);
        gates[gi] = z;
        gates[gi + u] = rr;
        gates[gi + 2 * u] = hh;
      }
    }
    return [out(xpT.dtype, [b, u], h), out(xpT.dtype, [b, 3 * u], gates)];
  },

  GRUCellStepGrad: ([hpT, hPrev, gatesT, dhT]) => {
    const [b, u] = dims("GRUCellStepGrad", [hpT, gatesT], [hPrev, dhT], 3);
    const r = hpT.values as F;
    const hp = hPrev.values as F;
    const g = gatesT.values as F;
    const dh = dhT.values as F;
    const dxp = allocValues(gatesT.dtype, b * 3 * u) as F;
    const dhp = allocValues(gatesT.dtype, b * 3 * u) as F;
    const dhPrev = allocValues(gatesT.dtype, b * u) as F;
    for (let n = 0; n < b; n++) {
      const row = n * 3 * u;
      for (let j = 0; j < u; j++) {
        const s = n * u + j;
        const gi = row + j;
        const z = g[gi];
        const rr = g[gi + u];
        const hh = g[gi + 2 * u];
        const d = dh[s];
        const dpz = d * (hp[s] - hh) * z * (1 - z);
        const dph = d * (1 - z) * (1 - hh * hh);
        const dpr = dph * r[gi + 2 * u] * rr * (1 - rr);
        dxp[gi] = dpz;
        dxp[gi + u] = dpr;
        dxp[gi + 2 * u] = dph;
        dhp[gi] = dpz;
        dhp[gi + u] = dpr;
        dhp[gi + 2 * u] = dph * rr;
        dhPrev[s] = d * z;
      }
    }
    return [out(gatesT.dtype, [b, 3 * u], dxp), out(gatesT.dtype, [b, 3 * u], dhp), out(gatesT.dtype, [b, u], dhPrev)];
  },
};
