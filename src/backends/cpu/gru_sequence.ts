import { allocValues } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { gemm } from "./gemm.js";
import { type CpuTensor, type KernelTable, out } from "./kernel.js";

/**
 * A whole GRU sequence on the CPU (GRUSequence and its gradient, rows in core/schema/recurrent.ts; part of
 * the recurrent family, kernels/recurrent.ts), as ./lstm_sequence.ts does for the LSTM: the input
 * projection of all steps is one product before the loop, each step one recurrent product (two without
 * reset_after: r must scale h before the candidate's product) and one pass over the gates; the gradient
 * gathers every step's gate gradients and multiplies them with the inputs and the kernel once after its loop.
 *
 * The reserve holds, time-major, [time, batch, 4 units] per step: z, r, hh, and the candidate's recurrent
 * term the gradient needs (reset_after: h U_h + b_rh, which r scales; else r * h, which U_h multiplies).
 */

type F = Float32Array | Float64Array;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const same = (s: readonly number[], want: readonly number[]) => s.length === want.length && s.every((d, j) => d === want[j]);

interface Dims {
  b: number;
  t: number;
  i: number;
  u: number;
}

function dims(op: string, [x, h0, k, r, bias]: readonly CpuTensor[], resetAfter: boolean): Dims {
  const fail = () =>
    new InvalidArgumentError(
      `${op}: expected x [batch, time, input], h0 [batch, units], kernel [input, 3 * units], recurrent_kernel [units, 3 * units] and bias ${resetAfter ? "[2, 3 * units] (reset_after)" : "[3 * units] (reset_after false)"}, got ${[x, h0, k, r, bias].map((t) => `[${t.shape}]`).join(", ")}`,
    );
  if (x.shape.length !== 3 || r.shape.length !== 2) throw fail();
  const [b, t, i] = x.shape;
  const u = r.shape[0];
  if (!same(h0.shape, [b, u]) || !same(k.shape, [i, 3 * u]) || !same(r.shape, [u, 3 * u]) || !same(bias.shape, resetAfter ? [2, 3 * u] : [3 * u])) throw fail();
  return { b, t, i, u };
}

const alloc = (like: CpuTensor, n: number): F => allocValues(like.dtype, n) as F;

/** Where the state before step t of batch row n starts: h0's row, or y's step t - 1 (rows of stride time * units). */
function prevAt(h0: F, y: F, n: number, t: number, T: number, u: number): [F, number] {
  return t === 0 ? [h0, n * u] : [y, (n * T + t - 1) * u];
}

/** The matrix of every batch row's previous state as gemm's A: h0, or y's column t - 1. */
function prevRows(h0: F, y: F, t: number, T: number, u: number): { a: F; aOffset: number; lda: number } {
  return t === 0 ? { a: h0, aOffset: 0, lda: u } : { a: y, aOffset: (t - 1) * u, lda: T * u };
}

export const gruSequenceKernels: KernelTable = {
  GRUSequence: (inputs, attrs) => {
    const resetAfter = attrs.reset_after !== false;
    const { b, t: T, i: I, u } = dims("GRUSequence", inputs, resetAfter);
    const [xT, h0T, kT, rT, biasT] = inputs;
    const [x, h0, k, r, bias] = [xT, h0T, kT, rT, biasT].map((v) => v.values as F);
    const u3 = 3 * u;
    const u4 = 4 * u;
    const y = alloc(xT, b * T * u);
    const hOut = alloc(xT, b * u);
    const reserve = alloc(xT, T * b * u4);
    // Every step's input projection at once: rows n * T + t of [batch * time, 3 units]; the input bias is added per element.
    const xp = alloc(xT, b * T * u3);
    gemm({ transA: false, transB: false, m: b * T, n: u3, k: I, a: x, b: k, c: xp });
    // The recurrent product of a step: [batch, 3 units] (reset_after), or z's and r's [batch, 2 units] then the candidate's [batch, units].
    const hp = alloc(xT, b * u3);
    const hc = alloc(xT, b * u);
    const recBias = resetAfter ? u3 : -1;
    for (let t = 0; t < T; t++) {
      const prev = prevRows(h0, y, t, T, u);
      gemm({ transA: false, transB: false, m: b, n: resetAfter ? u3 : 2 * u, k: u, ...prev, b: r, ldb: u3, c: hp, ldc: u3 });
      for (let n = 0; n < b; n++) {
        const xRow = (n * T + t) * u3;
        const hRow = n * u3;
        const gRow = (t * b + n) * u4;
        const [hs, ho] = prevAt(h0, y, n, t, T, u);
        for (let j = 0; j < u; j++) {
          const rz = resetAfter ? bias[recBias + j] : 0;
          const rr = resetAfter ? bias[recBias + u + j] : 0;
          const z = sigmoid(xp[xRow + j] + bias[j] + hp[hRow + j] + rz);
          const rg = sigmoid(xp[xRow + u + j] + bias[u + j] + hp[hRow + u + j] + rr);
          reserve[gRow + j] = z;
          reserve[gRow + u + j] = rg;
          // reset_after: the candidate's recurrent term h U_h + b_rh; else r * h, multiplied by U_h below.
          reserve[gRow + 3 * u + j] = resetAfter ? hp[hRow + 2 * u + j] + bias[recBias + 2 * u + j] : rg * hs[ho + j];
        }
      }
      if (!resetAfter) {
        gemm({ transA: false, transB: false, m: b, n: u, k: u, a: reserve, aOffset: t * b * u4 + 3 * u, lda: u4, b: r, bOffset: 2 * u, ldb: u3, c: hc });
      }
      for (let n = 0; n < b; n++) {
        const xRow = (n * T + t) * u3;
        const gRow = (t * b + n) * u4;
        const [hs, ho] = prevAt(h0, y, n, t, T, u);
        for (let j = 0; j < u; j++) {
          const z = reserve[gRow + j];
          const term = reserve[gRow + 3 * u + j];
          const pre = xp[xRow + 2 * u + j] + bias[2 * u + j] + (resetAfter ? reserve[gRow + u + j] * term : hc[n * u + j]);
          const hh = Math.tanh(pre);
          reserve[gRow + 2 * u + j] = hh;
          y[(n * T + t) * u + j] = hh + z * (hs[ho + j] - hh);
        }
      }
    }
    for (let n = 0; n < b; n++) for (let j = 0; j < u; j++) hOut[n * u + j] = T === 0 ? h0[n * u + j] : y[(n * T + T - 1) * u + j];
    const d = xT.dtype;
    return [out(d, [b, T, u], y), out(d, [b, u], hOut), out(d, [reserve.length], reserve)];
  },

  GRUSequenceGrad: (inputs, attrs) => {
    const resetAfter = attrs.reset_after !== false;
    const { b, t: T, i: I, u } = dims("GRUSequenceGrad", inputs, resetAfter);
    const [xT, h0T, kT, rT, , yT, resT, dyT, dhT] = inputs;
    const u2 = 2 * u;
    const u3 = 3 * u;
    const u4 = 4 * u;
    if (!same(yT.shape, [b, T, u]) || !same(dyT.shape, [b, T, u]) || !same(dhT.shape, [b, u]) || !same(resT.shape, [T * b * u4])) {
      throw new InvalidArgumentError(
        `GRUSequenceGrad: expected y and dy [${b}, ${T}, ${u}], dh [${b}, ${u}] and the CPU kernel's reserve [${T * b * u4}], got ${[yT, resT, dyT, dhT].map((v) => `[${v.shape}]`).join(", ")}`,
      );
    }
    const [x, h0, k, r, y, res, dy, dhIn] = [xT, h0T, kT, rT, yT, resT, dyT, dhT].map((v) => v.values as F);
    // Every step's gradients of the input projection, rows n * T + t as x's, for the products after the loop.
    const dxp = alloc(xT, b * T * u3);
    const dr = alloc(xT, u * u3);
    dr.fill(0);
    const dbRec = alloc(xT, u3);
    dbRec.fill(0);
    const dh = alloc(xT, b * u);
    dh.set(dhIn);
    // A step's gradient of its recurrent product: [batch, 3 units] (reset_after), else z's and r's [batch, 2 units].
    const dhp = alloc(xT, b * u3);
    // Without reset_after: the candidate's pre-activation gradient and that of r * h.
    const dcand = alloc(xT, b * u);
    const drh = alloc(xT, b * u);
    for (let t = T - 1; t >= 0; t--) {
      for (let n = 0; n < b; n++) {
        const gRow = (t * b + n) * u4;
        const xRow = (n * T + t) * u3;
        const [hs, ho] = prevAt(h0, y, n, t, T, u);
        for (let j = 0; j < u; j++) {
          const s = n * u + j;
          const z = res[gRow + j];
          const rg = res[gRow + u + j];
          const hh = res[gRow + 2 * u + j];
          const dht = dh[s] + dy[(n * T + t) * u + j];
          const dpz = dht * (hs[ho + j] - hh) * z * (1 - z);
          const dph = dht * (1 - z) * (1 - hh * hh);
          dxp[xRow + j] = dpz;
          dxp[xRow + 2 * u + j] = dph;
          // The direct path h_prev -> h; the recurrent products' paths are added below.
          dh[s] = dht * z;
          if (resetAfter) {
            const dpr = dph * res[gRow + 3 * u + j] * rg * (1 - rg);
            dxp[xRow + u + j] = dpr;
            dhp[n * u3 + j] = dpz;
            dhp[n * u3 + u + j] = dpr;
            dhp[n * u3 + 2 * u + j] = dph * rg;
          } else {
            dhp[n * u2 + j] = dpz;
            dcand[s] = dph;
          }
        }
      }
      const prev = prevRows(h0, y, t, T, u);
      if (resetAfter) {
        // dh_prev += dhp U^T; dU += h_prev^T dhp; db_rec += the column sums of dhp.
        gemm({ transA: false, transB: true, m: b, n: u, k: u3, a: dhp, b: r, c: dh, beta: 1 });
        gemm({ transA: true, transB: false, m: u, n: u3, k: b, ...prev, b: dhp, c: dr, beta: 1 });
        for (let row = 0; row < b; row++) for (let j = 0; j < u3; j++) dbRec[j] += dhp[row * u3 + j];
        continue;
      }
      // d(r * h) = dcand U_h^T; dU_h += (r * h)^T dcand.
      gemm({ transA: false, transB: true, m: b, n: u, k: u, a: dcand, b: r, bOffset: 2 * u, ldb: u3, c: drh });
      gemm({ transA: true, transB: false, m: u, n: u, k: b, a: res, aOffset: t * b * u4 + 3 * u, lda: u4, b: dcand, c: dr, cOffset: 2 * u, ldc: u3, beta: 1 });
      for (let n = 0; n < b; n++) {
        const gRow = (t * b + n) * u4;
        const xRow = (n * T + t) * u3;
        const [hs, ho] = prevAt(h0, y, n, t, T, u);
        for (let j = 0; j < u; j++) {
          const s = n * u + j;
          const rg = res[gRow + u + j];
          const dpr = drh[s] * hs[ho + j] * rg * (1 - rg);
          dxp[xRow + u + j] = dpr;
          dhp[n * u2 + u + j] = dpr;
          dh[s] += drh[s] * rg;
        }
      }
      // dh_prev += [dz, dr] U_zr^T; dU_zr += h_prev^T [dz, dr].
      gemm({ transA: false, transB: true, m: b, n: u, k: u2, a: dhp, b: r, ldb: u3, c: dh, beta: 1 });
      gemm({ transA: true, transB: false, m: u, n: u2, k: b, ...prev, b: dhp, c: dr, ldc: u3, beta: 1 });
    }
    const dx = alloc(xT, b * T * I);
    const dk = alloc(xT, I * u3);
    const db = alloc(xT, resetAfter ? 2 * u3 : u3);
    gemm({ transA: false, transB: true, m: b * T, n: I, k: u3, a: dxp, b: k, c: dx });
    gemm({ transA: true, transB: false, m: I, n: u3, k: b * T, a: x, b: dxp, c: dk });
    db.fill(0);
    for (let row = 0; row < b * T; row++) for (let j = 0; j < u3; j++) db[j] += dxp[row * u3 + j];
    if (resetAfter) db.set(dbRec, u3);
    const d = xT.dtype;
    return [out(d, [b, T, I], dx), out(d, [b, u], dh), out(d, [I, u3], dk), out(d, [u, u3], dr), out(d, resetAfter ? [2, u3] : [u3], db)];
  },
};
