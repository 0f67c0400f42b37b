import { DType } from "../../../core/dtype.js";
import { broadcastGradientArgs } from "../../../core/geometry/array_shapes.js";
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
    const [r0, r1] = broadcastGradientArgs(ints(s0.values), ints(s1.values));
    return [out("int32", [r0.length], Int32Array.from(r0)), out("int32", [r1.length], Int32Array.from(r1))];
  },
};
