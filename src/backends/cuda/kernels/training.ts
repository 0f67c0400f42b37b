import { sizeOf } from "../../../core/shape.js";
import type { Handle } from "../../../core/backend.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelDef, CudaKernelTable, KernelContext } from "../kernel.js";
import { GD_GROUP, trainingSource } from "../sources/training.js";
import { FLOATS, NARROW } from "./util.js";

/**
 * The training family on the GPU: ApplyGradientDescent (also grouped), ApplyMomentum, ApplyAdam, for float32,
 * float64 and (computed in float32) float16 and bfloat16 variables. Sources: sources/training.ts.
 */

function trainingKernel(name: "gd" | "momentum" | "adam", nIn: number, nOut: number): CudaKernelDef {
  return {
    supports: (d) => (FLOATS.has(d[0]) || NARROW.has(d[0])) && d.every((x) => x === d[0]),
    run: (b, ins, attrs) => {
      const v = ins[0];
      // Shapes must match the variable's exactly; anything else is for the CPU kernel to report.
      const big = name === "gd" ? [0, 2] : name === "momentum" ? [0, 1, 3] : [0, 1, 2, 9];
      if (ins.length !== nIn || big.some((i) => ins[i].shape.join(",") !== v.shape.join(","))) return null;
      const n = sizeOf(v.shape);
      const outs = Array.from({ length: nOut }, () => b.empty(v.dtype, v.shape, name));
      if (n === 0) return outs;
      const fn = b.fn(`train.${v.dtype}`, name, () => trainingSource(v.dtype));
      for (const h of ins) b.ctx.argPtr(h.ptr);
      for (const o of outs) b.ctx.argPtr(o.ptr);
      if (name === "momentum") b.ctx.argI32(attrs.use_nesterov ? 1 : 0);
      b.ctx.argI64(n);
      b.launch(fn, b.grid(n));
      return outs;
    },
    runGroup: name === "gd" ? gdGroup : undefined,
  };
}

/**
 * ApplyGradientDescent on many variables sharing one learning rate: one launch per GD_GROUP variables
 * instead of one each. null (the caller updates them one by one) unless every item is [var, alpha, delta]
 * with the same alpha buffer, one dtype, and deltas shaped like their variables.
 */
function gdGroup(b: KernelContext, items: readonly CudaHandle[][]): Handle[][] | null {
  if (items.length === 0) return [];
  const alpha = items[0][1];
  const dtype = items[0][0].dtype;
  for (const it of items) {
    if (it.length !== 3 || it[1].ptr !== alpha.ptr || it[0].dtype !== dtype || it[2].dtype !== dtype) return null;
    if (it[0].shape.join(",") !== it[2].shape.join(",")) return null;
  }
  const outs = items.map((it) => [b.empty(dtype, it[0].shape, "gd")]);
  const fn = b.fn(`train.${dtype}`, "gd_group", () => trainingSource(dtype));
  for (let k0 = 0; k0 < items.length; k0 += GD_GROUP) {
    const chunk = items.slice(k0, k0 + GD_GROUP);
    const ptrs: number[] = new Array(GD_GROUP * 3 + GD_GROUP + 1).fill(0);
    let total = 0;
    chunk.forEach((it, t) => {
      ptrs[t] = it[0].ptr;
      ptrs[GD_GROUP + t] = it[2].ptr;
      ptrs[2 * GD_GROUP + t] = (outs[k0 + t][0] as CudaHandle).ptr;
      ptrs[3 * GD_GROUP + t] = total;
      total += sizeOf(it[0].shape);
    });
    // Unused entries repeat the end so that the search for a variable stops at the last real one.
    for (let t = chunk.length; t <= GD_GROUP; t++) ptrs[3 * GD_GROUP + t] = total;
    if (total === 0) continue;
    b.ctx.argPtr(alpha.ptr).argI32(chunk.length).argI64s(ptrs);
    b.launch(fn, b.grid(total));
  }
  return outs;
}

export const trainingKernels: CudaKernelTable = {
  ApplyGradientDescent: trainingKernel("gd", 3, 1),
  ApplyMomentum: trainingKernel("momentum", 5, 2),
  ApplyAdam: trainingKernel("adam", 10, 3),
};
