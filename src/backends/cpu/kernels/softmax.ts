import { allocValues } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { broadcastShapes, sizeOf } from "../../../core/shape.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { broadcastOffsets } from "./util.js";

/**
 * Kernels of tf.nn's softmax family: Softmax, LogSoftmax and the softmax cross-entropy losses. Every row (the last axis) is shifted by its max before
 * exp, so that logits of any magnitude give finite results; sums are taken in float64.
 */

function rows(x: CpuTensor, op: string): [number, number] {
  if (x.shape.length < 1) throw new InvalidArgumentError(`${op}: logits must have >= 1 dimension, got [${x.shape}]`);
  const c = x.shape[x.shape.length - 1];
  return [c === 0 ? 0 : x.values.length / c, c];
}

/** max and log(sum(exp(x - max))) of one row. */
function rowStats(v: ArrayLike<number>, off: number, c: number): [number, number] {
  let m = -Infinity;
  for (let j = 0; j < c; j++) if (v[off + j] > m || v[off + j] !== v[off + j]) m = v[off + j];
  // A row of -inf (or +inf) logits: shifting by an infinite max would give NaN; keep it as TensorFlow does.
  if (!Number.isFinite(m)) m = Number.isNaN(m) ? m : 0;
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(v[off + j] - m);
  return [m, Math.log(s)];
}

function softmaxKernel(x: CpuTensor, log: boolean): CpuTensor {
  const [n, c] = rows(x, log ? "LogSoftmax" : "Softmax");
  const xv = x.values as ArrayLike<number>;
  const o = allocValues(x.dtype, x.values.length) as Float64Array;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const [m, lse] = rowStats(xv, off, c);
    if (log) for (let j = 0; j < c; j++) o[off + j] = xv[off + j] - m - lse;
    else {
      const inv = Math.exp(-lse);
      for (let j = 0; j < c; j++) o[off + j] = Math.exp(xv[off + j] - m) * inv;
    }
  }
  return out(x.dtype, x.shape, o);
}

/** Both inputs broadcast to one shape (SoftmaxCrossEntropyWithLogits accepts broadcastable logits and labels). */
function broadcastPair(a: CpuTensor, b: CpuTensor): [ArrayLike<number>, ArrayLike<number>, number[]] {
  const s = broadcastShapes(a.shape as number[], b.shape as number[]);
  if (s === "incompatible" || s === null) {
    throw new InvalidArgumentError(`logits and labels must be broadcastable: logits_size=[${a.shape}] labels_size=[${b.shape}]`);
  }
  const shape = s as number[];
  const expand = (t: CpuTensor): ArrayLike<number> => {
    if (t.values.length === sizeOf(shape)) return t.values as ArrayLike<number>;
    const offs = broadcastOffsets(t.shape, shape);
    const v = t.values as ArrayLike<number>;
    return Float64Array.from(offs, (i) => v[i]);
  };
  return [expand(a), expand(b), shape];
}

export const softmaxKernels: KernelTable = {
  Softmax: ([x]) => [softmaxKernel(x, false)],
  LogSoftmax: ([x]) => [softmaxKernel(x, true)],

  // loss = -sum(labels * log_softmax(logits)), backprop = softmax(logits) - labels.
  SoftmaxCrossEntropyWithLogits: ([logits, labels]) => {
    const [lv, yv, shape] = broadcastPair(logits, labels);
    if (shape.length < 1) throw new InvalidArgumentError(`SoftmaxCrossEntropyWithLogits: logits must have >= 1 dimension, got [${shape}]`);
    const c = shape[shape.length - 1];
    const total = sizeOf(shape);
    const n = c === 0 ? sizeOf(shape.slice(0, -1)) : total / c;
    const loss = allocValues(logits.dtype, n) as Float64Array;
    const back = allocValues(logits.dtype, total) as Float64Array;
    for (let r = 0; r < n; r++) {
      const off = r * c;
      const [m, lse] = rowStats(lv, off, c);
      let l = 0;
      for (let j = 0; j < c; j++) {
        const logp = lv[off + j] - m - lse;
        const y = yv[off + j];
        // 0 * log(0) counts as 0, so that a -inf logit with a zero label gives a finite loss.
        if (y !== 0) l -= y * logp;
        back[off + j] = Math.exp(logp) - y;
      }
      loss[r] = l;
    }
    return [out(logits.dtype, shape.slice(0, -1), loss), out(logits.dtype, shape, back)];
  },

  SparseSoftmaxCrossEntropyWithLogits: ([logits, labels]) => {
    const [n, c] = rows(logits, "SparseSoftmaxCrossEntropyWithLogits");
    const lv = logits.values as ArrayLike<number>;
    const yv = labels.values as ArrayLike<number | bigint>;
    if (yv.length !== n) {
      throw new InvalidArgumentError(
        `logits and labels must have the same first dimension, got logits shape [${logits.shape}] and labels shape [${labels.shape}]`,
      );
    }
    for (let r = 0; r < n; r++) {
      const y = Number(yv[r]);
      if (!(y >= 0 && y < c)) {
        const all = Array.from(yv, (v) => String(v)).join(" ");
        throw new InvalidArgumentError(`Received a label value of ${y} which is outside the valid range of [0, ${c}).  Label values: ${all}`);
      }
    }
    const loss = allocValues(logits.dtype, n) as Float64Array;
    const back = allocValues(logits.dtype, logits.values.length) as Float64Array;
    for (let r = 0; r < n; r++) {
      const off = r * c;
      const y = Number(yv[r]);
      const [m, lse] = rowStats(lv, off, c);
      for (let j = 0; j < c; j++) back[off + j] = Math.exp(lv[off + j] - m - lse) - (j === y ? 1 : 0);
      loss[r] = -(lv[off + y] - m - lse);
    }
    return [out(logits.dtype, logits.shape.slice(0, -1), loss), out(logits.dtype, logits.shape, back)];
  },
};
