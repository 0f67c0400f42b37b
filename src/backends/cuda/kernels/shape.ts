import type { DType } from "../../../core/dtype.js";
import { sizeOf } from "../../../core/shape.js";
import { broadcastGradientArgs } from "../../../core/geometry/array_shapes.js";
import type { Attrs } from "../../../core/schema/types.js";
import type { CudaKernelTable } from "../kernel.js";
import { hostInts } from "./util.js";

/**
 * The shape family on the GPU: ops computed on the host from shapes (TensorFlow keeps their outputs in host
 * memory on a GPU). Their small integer results are written through the backend's cache of small values, so
 * nothing is uploaded once a step has run (and the step can be captured as a CUDA graph).
 */

const outType = (attrs: Attrs) => attrs.out_type as DType;
const ints = (d: DType, v: readonly number[]) => (d === "int64" ? BigInt64Array.from(v.map((x) => BigInt(x))) : Int32Array.from(v));

export const shapeKernels: CudaKernelTable = {
  Shape: {
    host: [0],
    supports: (_d, a) => outType(a) === "int32" || outType(a) === "int64",
    attrKey: (a) => outType(a),
    run: (b, [x], a) => [b.write(ints(outType(a), x.shape), outType(a), [x.shape.length])],
  },
  Size: {
    host: [0],
    supports: (_d, a) => outType(a) === "int32" || outType(a) === "int64",
    attrKey: (a) => outType(a),
    run: (b, [x], a) => [b.write(ints(outType(a), [sizeOf(x.shape)]), outType(a), [])],
  },
  Rank: { host: [0], run: (b, [x]) => [b.write(Int32Array.of(x.shape.length), "int32", [])] },
  BroadcastGradientArgs: {
    host: [0, 1],
    supports: (d) => d.every((x) => x === "int32"),
    run: (b, [s0, s1]) => broadcastGradientArgs(hostInts(b, s0), hostInts(b, s1)).map((r) => b.write(Int32Array.from(r), "int32", [r.length])),
  },
};
