import { DType } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { KernelTable, out } from "../kernel.js";
import { castValues, ints } from "./util.js";

/** Ops computed from shapes alone: Shape, Size, Rank, and the reduction axes of a broadcast's gradient. */
export const shapeKernels: KernelTable = {
  Shape: ([x], attrs) => {
    const t = attrs.out_type as DType;
    return [out(t, [x.shape.length], castValues(Int32Array.from(x.shape), "int32", t))];
  },
  Size: ([x], attrs) => {
    const t = attrs.out_type as DType;
    return [out(t, [], castValues(Int32Array.of(x.values.length), "int32", t))];
  },
  Rank: ([x]) => [out("int32", [], Int32Array.of(x.shape.length))],
  BroadcastGradientArgs: ([s0, s1]) => {
    const a = ints(s0.values);
    const b = ints(s1.values);
    const n = Math.max(a.length, b.length);
    const pa = [...new Array(n - a.length).fill(1), ...a];
    const pb = [...new Array(n - b.length).fill(1), ...b];
    const r0: number[] = [];
    const r1: number[] = [];
    for (let i = 0; i < n; i++) {
      if (pa[i] === pb[i]) continue;
      if (pa[i] === 1) r0.push(i);
      else if (pb[i] === 1) r1.push(i);
      else throw new InvalidArgumentError(`Incompatible shapes: [${a}] vs. [${b}]`);
    }
    return [out("int32", [r0.length], Int32Array.from(r0)), out("int32", [r1.length], Int32Array.from(r1))];
  },
};
