import { allocValues } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { gemm } from "./gemm.js";
import { type CpuTensor, type KernelTable, out } from "./kernel.js";

/**
 * A whole LSTM sequence on the CPU (LSTMSequence and its gradient, rows in core/schema/recurrent.ts; part of
 * the recurrent family, kernels/recurrent.ts): the LSTMCellStep recurrence in a loop over the time steps,
 * with the products through ./gemm.ts (BLAS when loaded). The input projection of all steps is one product before the loop, as the
 * per-step Keras path does; the gradient gathers every step's gate gradients and multiplies them with the
 * inputs and the kernel once after its loop, so only the recurrent products run per step.
 *
 * The reserve holds, time-major, every step's activated gates [time, batch, 4 units] (i, f, ci, o) and
 * then every step's cell state [time, batch, units].
 */

type F = Float32Array | Float64Array;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

interface Dims {
  b: number;
  t: number;
  i: number;
  u: number;
}

function dims(op: string, [x, h0, c0, k, r, bias]: readonly CpuTensor[]): Dims {
  const fail = () =>
    new InvalidArgumentError(
      `${op}: expected x [batch, time, input], h0 and c0 [batch, units], kernel [input, 4 * units], recurrent_kernel [units, 4 * units] and bias [4 * units], got ${[x, h0, c0, k, r, bias].map((t) => `[${t.shape}]`).join(", ")}`,
    );
  if (x.shape.length !== 3 || r.shape.length !== 2) throw fail();
  const [b, t, i] = x.shape;
  const u = r.shape[0];
  const same = (s: readonly number[], want: number[]) => s.length === want.length && s.every((d, j) => d === want[j]);
  if (!same(h0.shape, [b, u]) || !same(c0.shape, [b, u]) || !same(k.shape, [i, 4 * u]) || !same(r.shape, [u, 4 * u]) || !same(bias.shape, [4 * u]))
    throw fail();
  return { b, t, i, u };
}

function alloc(like: CpuTensor, n: number): F {
  return allocValues(like.dtype, n) as F;
}

export const lstmSequenceKernels: KernelTable = {
  LSTMSequence: (inputs) => {
    const { b, t: T, i: I, u } = dims("LSTMSequence", inputs);
    const [xT, h0T, c0T, kT, rT, biasT] = inputs;
    const [x, h0, c0, k, r, bias] = [xT, h0T, c0T, kT, rT, biasT].map((v) => v.values as F);
    const u4 = 4 * u;
    const y = alloc(xT, b * T * u);
    const hOut = alloc(xT, b * u);
    const cOut = alloc(xT, b * u);
    const reserve = alloc(xT, T * b * 5 * u);
    const csAt = T * b * u4;
    // Every step's input projection at once: rows n * T + t of [batch * time, 4 units].
    const xp = alloc(xT, b * T * u4);
    gemm({ transA: false, transB: false, m: b * T, n: u4, k: I, a: x, b: k, c: xp });
    const hz = alloc(xT, b * u4);
    for (let t = 0; t < T; t++) {
      // h of the previous step: h0, or y's column t - 1 (rows of stride time * units).
      if (t === 0) gemm({ transA: false, transB: false, m: b, n: u4, k: u, a: h0, b: r, c: hz });
      else gemm({ transA: false, transB: false, m: b, n: u4, k: u, a: y, aOffset: (t - 1) * u, lda: T * u, b: r, c: hz });
      for (let n = 0; n < b; n++) {
        const zRow = (n * T + t) * u4;
        const gRow = (t * b + n) * u4;
        const sRow = (t * b + n) * u;
        const pRow = t === 0 ? n * u : ((t - 1) * b + n) * u;
        const prev = t === 0 ? c0 : reserve;
        const prevAt = t === 0 ? pRow : csAt + pRow;
        for (let j = 0; j < u; j++) {
          const a = zRow + j;
          const h = n * u4 + j;
          const ig = sigmoid(xp[a] + hz[h] + bias[j]);
          const fg = sigmoid(xp[a + u] + hz[h + u] + bias[j + u]);
          const ci = Math.tanh(xp[a + 2 * u] + hz[h + 2 * u] + bias[j + 2 * u]);
          const og = sigmoid(xp[a + 3 * u] + hz[h + 3 * u] + bias[j + 3 * u]);
          const c = fg * prev[prevAt + j] + ig * ci;
          reserve[gRow + j] = ig;
          reserve[gRow + j + u] = fg;
          reserve[gRow + j + 2 * u] = ci;
          reserve[gRow + j + 3 * u] = og;
          reserve[csAt + sRow + j] = c;
          y[(n * T + t) * u + j] = og * Math.tanh(c);
        }
      }
    }
    for (let n = 0; n < b; n++) {
      for (let j = 0; j < u; j++) {
        hOut[n * u + j] = T === 0 ? h0[n * u + j] : y[(n * T + T - 1) * u + j];
        cOut[n * u + j] = T === 0 ? c0[n * u + j] : reserve[csAt + ((T - 1) * b + n) * u + j];
      }
    }
    const d = xT.dtype;
    return [out(d, [b, T, u], y), out(d, [b, u], hOut), out(d, [b, u], cOut), out(d, [reserve.length], reserve)];
  },

  LSTMSequenceGrad: (inputs) => {
    const { b, t: T, i: I, u } = dims("LSTMSequenceGrad", inputs);
    const [xT, h0T, c0T, kT, rT, , yT, resT, dyT, dhT, dcT] = inputs;
    const u4 = 4 * u;
    const same = (s: readonly number[], want: number[]) => s.length === want.length && s.every((v, j) => v === want[j]);
    if (
      !same(yT.shape, [b, T, u]) ||
      !same(dyT.shape, [b, T, u]) ||
      !same(dhT.shape, [b, u]) ||
      !same(dcT.shape, [b, u]) ||
      !same(resT.shape, [T * b * 5 * u])
    ) {
      throw new InvalidArgumentError(
        `LSTMSequenceGrad: expected y and dy [${b}, ${T}, ${u}], dh and dc [${b}, ${u}] and the CPU kernel's reserve [${T * b * 5 * u}], got ${[yT, resT, dyT, dhT, dcT].map((v) => `[${v.shape}]`).join(", ")}`,
      );
    }
    const [x, h0, c0, k, r, y, res, dy, dhIn, dcIn] = [xT, h0T, c0T, kT, rT, yT, resT, dyT, dhT, dcT].map((v) => v.values as F);
    const csAt = T * b * u4;
    // Every step's gate gradients, rows n * T + t as x's, for the products after the loop.
    const dz = alloc(xT, b * T * u4);
    const dr = alloc(xT, u * u4);
    dr.fill(0);
    const dh = alloc(xT, b * u);
    const dc = alloc(xT, b * u);
    dh.set(dhIn);
    dc.set(dcIn);
    for (let t = T - 1; t >= 0; t--) {
      for (let n = 0; n < b; n++) {
        const gRow = (t * b + n) * u4;
        const sRow = (t * b + n) * u;
        const zRow = (n * T + t) * u4;
        const prev = t === 0 ? c0 : res;
        const prevAt = t === 0 ? n * u : csAt + ((t - 1) * b + n) * u;
        for (let j = 0; j < u; j++) {
          const s = n * u + j;
          const ig = res[gRow + j];
          const fg = res[gRow + j + u];
          const ci = res[gRow + j + 2 * u];
          const og = res[gRow + j + 3 * u];
          const th = Math.tanh(res[csAt + sRow + j]);
          const dht = dh[s] + dy[(n * T + t) * u + j];
          const dct = dc[s] + dht * og * (1 - th * th);
          dz[zRow + j] = dct * ci * ig * (1 - ig);
          dz[zRow + j + u] = dct * prev[prevAt + j] * fg * (1 - fg);
          dz[zRow + j + 2 * u] = dct * ig * (1 - ci * ci);
          dz[zRow + j + 3 * u] = dht * th * og * (1 - og);
          dc[s] = dct * fg;
        }
      }
      // dh of the previous step = dz_t R^T; dR += h_prev^T dz_t.
      gemm({ transA: false, transB: true, m: b, n: u, k: u4, a: dz, aOffset: t * u4, lda: T * u4, b: r, c: dh });
      if (t === 0) gemm({ transA: true, transB: false, m: u, n: u4, k: b, a: h0, b: dz, bOffset: 0, ldb: T * u4, c: dr, beta: 1 });
      else
        gemm({ transA: true, transB: false, m: u, n: u4, k: b, a: y, aOffset: (t - 1) * u, lda: T * u, b: dz, bOffset: t * u4, ldb: T * u4, c: dr, beta: 1 });
    }
    const dx = alloc(xT, b * T * I);
    const dk = alloc(xT, I * u4);
    const db = alloc(xT, u4);
    gemm({ transA: false, transB: true, m: b * T, n: I, k: u4, a: dz, b: k, c: dx });
    gemm({ transA: true, transB: false, m: I, n: u4, k: b * T, a: x, b: dz, c: dk });
    db.fill(0);
    for (let row = 0; row < b * T; row++) for (let j = 0; j < u4; j++) db[j] += dz[row * u4 + j];
    const d = xT.dtype;
    return [out(d, [b, T, I], dx), out(d, [b, u], dh), out(d, [b, u], dc), out(d, [I, u4], dk), out(d, [u, u4], dr), out(d, [u4], db)];
  },
};
