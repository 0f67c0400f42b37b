import { sizeOf } from "../../../core/shape.js";
import type { CudaKernelDef, CudaKernelTable } from "../kernel.js";
import { softmaxSource } from "../sources/softmax.js";
import { argI, FLOATS, idx64, NARROW } from "./util.js";

/**
 * The softmax family on the GPU: Softmax, LogSoftmax and the two softmax cross-entropy losses, one block per
 * row of the last axis. Sources: sources/softmax.ts.
 */

function softmaxKernel(mode: 0 | 1): CudaKernelDef {
  return {
    supports: (d) => FLOATS.has(d[0]) || NARROW.has(d[0]),
    run: (b, [x]) => {
      const r = x.shape.length;
      if (r === 0) return null;
      const C = x.shape[r - 1];
      const n = sizeOf(x.shape);
      const out = b.empty(x.dtype, x.shape, mode === 0 ? "Softmax" : "LogSoftmax");
      if (n === 0) return [out];
      const rows = n / C;
      const i64 = idx64(n);
      const fn = b.fn(`softmax.${x.dtype}.int32.${i64 ? 64 : 32}`, "softmax", () => softmaxSource(x.dtype, "int32", i64));
      b.ctx.argPtr(x.ptr).argPtr(out.ptr);
      argI(b, i64, rows);
      argI(b, i64, C);
      b.ctx.argI32(mode);
      b.launch(fn, Math.min(rows, b.maxBlocks * 4), C >= 512 ? 256 : C >= 128 ? 128 : 32);
      return [out];
    },
  };
}

const xentKernel: CudaKernelDef = {
  supports: (d) => (FLOATS.has(d[0]) || NARROW.has(d[0])) && d[1] === d[0],
  run: (b, [x, l]) => {
    // Only the common case of equal shapes; broadcast labels go to the CPU.
    if (x.shape.length < 1 || x.shape.join(",") !== l.shape.join(",")) return null;
    const C = x.shape[x.shape.length - 1];
    const n = sizeOf(x.shape);
    const loss = b.empty(x.dtype, x.shape.slice(0, -1), "SoftmaxCrossEntropyWithLogits");
    const grad = b.empty(x.dtype, x.shape, "SoftmaxCrossEntropyWithLogits");
    if (n === 0) {
      b.dispose(loss);
      b.dispose(grad);
      return null;
    }
    const rows = n / C;
    const i64 = idx64(n);
    const fn = b.fn(`softmax.${x.dtype}.int32.${i64 ? 64 : 32}`, "xent", () => softmaxSource(x.dtype, "int32", i64));
    b.ctx.argPtr(x.ptr).argPtr(l.ptr).argPtr(loss.ptr).argPtr(grad.ptr);
    argI(b, i64, rows);
    argI(b, i64, C);
    b.launch(fn, Math.min(rows, b.maxBlocks * 4), C >= 512 ? 256 : C >= 128 ? 128 : 32);
    return [loss, grad];
  },
};

const sparseXentKernel: CudaKernelDef = {
  supports: (d) => (FLOATS.has(d[0]) || NARROW.has(d[0])) && (d[1] === "int32" || d[1] === "int64"),
  run: (b, [x, l]) => {
    const r = x.shape.length;
    if (r < 1) return null;
    const C = x.shape[r - 1];
    const n = sizeOf(x.shape);
    const rows = C === 0 ? 0 : n / C;
    if (n === 0 || sizeOf(l.shape) !== rows) return null;
    // Labels known on the host (fed from JS) are checked as the CPU kernel checks them; labels computed on
    // the GPU give NaN rows when out of range, as TensorFlow's GPU kernel does.
    const host = l.storage.host;
    if (host) {
      for (let i = 0; i < rows; i++) {
        const y = Number(host[i]);
        if (!(y >= 0 && y < C)) return null; // the CPU kernel raises TensorFlow's error
      }
    }
    const loss = b.empty(x.dtype, x.shape.slice(0, -1), "SparseSoftmaxCrossEntropyWithLogits");
    const grad = b.empty(x.dtype, x.shape, "SparseSoftmaxCrossEntropyWithLogits");
    const i64 = idx64(n);
    const fn = b.fn(`softmax.${x.dtype}.${l.dtype}.${i64 ? 64 : 32}`, "sxent", () => softmaxSource(x.dtype, l.dtype, i64));
    b.ctx.argPtr(x.ptr).argPtr(l.ptr).argPtr(loss.ptr).argPtr(grad.ptr);
    argI(b, i64, rows);
    argI(b, i64, C);
    b.launch(fn, Math.min(rows, b.maxBlocks * 4), C >= 512 ? 256 : C >= 128 ? 128 : 32);
    return [loss, grad];
  },
};

export const softmaxKernels: CudaKernelTable = {
  Softmax: softmaxKernel(0),
  LogSoftmax: softmaxKernel(1),
  SoftmaxCrossEntropyWithLogits: xentKernel,
  SparseSoftmaxCrossEntropyWithLogits: sparseXentKernel,
};
