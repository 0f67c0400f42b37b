import { allocValues, type DType } from "../../../core/dtype.js";
import { isNarrowFloat } from "../../../core/half.js";
import { GRADIENT_INPUT } from "../../../core/schema/training.js";
import type { KernelEnv } from "../../../core/backend.js";
import { CpuHandle } from "../handle.js";
import { type CpuTensor, KernelTable, out } from "../kernel.js";
import { axpy } from "../blas_ops.js";
import { tryWasmAdam } from "../wasm/runtime.js";

type F = Float32Array | Float64Array;
const scalar = (t: { values: unknown }) => (t.values as F)[0];

/**
 * Whether an update runs on these input dtypes beyond the op table's one-dtype rule (Backend.takesNarrowGradient):
 * a float32 variable's, every input float32 but a float16 or bfloat16 gradient. The host holds 16-bit floats
 * as a Float32Array of values already rounded to the type (core/half.ts), so the float32 kernels below read
 * such a gradient as they read a float32 one: its widening is exact and costs nothing, and the results are
 * those of the Cast to float32 followed by the update.
 */
export function cpuTakesNarrowGradient(type: string, dtypes: readonly DType[]): boolean {
  const g = GRADIENT_INPUT.get(type);
  return g !== undefined && isNarrowFloat(dtypes[g]) && dtypes.every((d, i) => i === g || d === "float32");
}

/**
 * Whether an update may write variable input `h` in place: a float32 or float64 buffer (a 16-bit variable's new
 * values are rounded into a fresh one) that the caller's references alone hold (KernelEnv.ownedRefs) and that
 * was never handed out as an array (dataSync).
 */
function writable(t: CpuTensor, env: KernelEnv): boolean {
  if (env.ownedRefs === undefined || !(t instanceof CpuHandle) || (t.dtype !== "float32" && t.dtype !== "float64")) return false;
  const s = t.storage;
  return s.refs <= env.ownedRefs && !s.exposed;
}

/**
 * Fused optimizer updates: one pass over the parameters, writing fresh (recycled) buffers. The gradient may be
 * a 16-bit float for a float32 variable (cpuTakesNarrowGradient), read from its float32 storage as it is.
 */
export const trainingKernels: KernelTable = {
  ApplyGradientDescent: ([v, alpha, delta], _attrs, env) => {
    const n = v.values.length;
    const x = v.values as F;
    const d = delta.values as F;
    // An axpy into the variable's own buffer where nothing else holds it, else a copy and an axpy: native
    // (memcpy, BLAS) either way, where a JS loop costs ~2 ns per element.
    const o = writable(v, env) ? x : (allocValues(v.dtype, n) as F);
    if (o !== x) o.set(x);
    axpy(n, -scalar(alpha), d, 0, o, 0);
    return [out(v.dtype, v.shape, o)];
  },
  ApplyMomentum: ([v, accum, lr, grad, momentum], attrs, env) => {
    const n = v.values.length;
    const ov = writable(v, env) ? (v.values as F) : (allocValues(v.dtype, n) as F);
    // The accumulator keeps a fresh buffer: accum * momentum + grad as one multiply-add (BLAS's axpy onto a
    // copy of grad) needs grad's copy, and in place it would round twice.
    const oa = allocValues(v.dtype, n) as F;
    const x = v.values as F;
    const acc = accum.values as F;
    const g = grad.values as F;
    const l = scalar(lr);
    const m = scalar(momentum);
    // accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= lr * grad + lr * momentum * accum).
    oa.set(g);
    axpy(n, m, acc, 0, oa, 0);
    if (ov !== x) ov.set(x);
    if (attrs.use_nesterov) {
      axpy(n, -l, g, 0, ov, 0);
      axpy(n, -l * m, oa, 0, ov, 0);
    } else {
      axpy(n, -l, oa, 0, ov, 0);
    }
    return [out(v.dtype, v.shape, ov), out(v.dtype, v.shape, oa)];
  },
  ApplyAdam: ([v, m, s, b1p, b2p, lr, b1, b2, eps, grad]) => {
    const n = v.values.length;
    const ov = allocValues(v.dtype, n) as F;
    const om = allocValues(v.dtype, n) as F;
    const os = allocValues(v.dtype, n) as F;
    const x = v.values as F;
    const mv = m.values as F;
    const sv = s.values as F;
    const g = grad.values as F;
    const beta1 = scalar(b1);
    const beta2 = scalar(b2);
    const e = scalar(eps);
    // TensorFlow 1's Adam: the bias correction folded into the step size.
    const lrT = (scalar(lr) * Math.sqrt(1 - scalar(b2p))) / (1 - scalar(b1p));
    const a1 = 1 - beta1;
    const a2 = 1 - beta2;
    // float32: the WebAssembly kernel computes the same float64 expressions, two lanes at a time.
    if (!tryWasmAdam([x, mv, sv, g], [ov, om, os], { lrT, a1, a2, eps: e })) {
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const mi = mv[i] + (gi - mv[i]) * a1;
        const si = sv[i] + (gi * gi - sv[i]) * a2;
        om[i] = mi;
        os[i] = si;
        ov[i] = x[i] - (lrT * mi) / (Math.sqrt(si) + e);
      }
    }
    return [out(v.dtype, v.shape, ov), out(v.dtype, v.shape, om), out(v.dtype, v.shape, os)];
  },
};
