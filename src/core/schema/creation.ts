import { InvalidArgumentError } from "../errors.js";
import { broadcastShapes, Dim, shapeStr } from "../shape.js";
import { constInts, sameAsInput } from "./infer_util.js";
import { schemaRows } from "./types.js";

/**
 * Fills and selection: ZerosLike, OnesLike, Fill, SelectV2 (kernels in the backends' elementwise family;
 * gradients and public functions in src/ops/creation.ts).
 */
export const CREATION_OPS = schemaRows([
  { type: "ZerosLike", inputNames: ["x"], infer: sameAsInput() },
  // TensorFlow's OnesLike has no string kernel: a one is a number.
  {
    type: "OnesLike",
    inputNames: ["x"],
    allowedDTypes: ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool"],
    infer: sameAsInput(),
  },
  {
    type: "Fill",
    inputNames: ["dims", "value"],
    inputDTypes: { 0: "int32" },
    hostInputs: [0],
    infer: (i) => {
      if (i[1].shape !== null && i[1].shape.length !== 0) throw new InvalidArgumentError(`Fill: value must be a scalar, got shape ${shapeStr(i[1].shape)}`);
      const dims = constInts(i[0]);
      const r = i[0].shape?.[0];
      return [{ dtype: i[1].dtype, shape: dims ?? (r === null || r === undefined ? null : new Array<Dim>(r).fill(null)) }];
    },
  },
  {
    type: "SelectV2",
    inputNames: ["condition", "t", "e"],
    dtypeGroups: [[1, 2]],
    infer: (i) => {
      const s1 = broadcastShapes(i[1].shape, i[2].shape);
      const s = s1 === "incompatible" ? s1 : broadcastShapes(i[0].shape, s1);
      if (s === "incompatible") {
        throw new InvalidArgumentError(
          `condition ${shapeStr(i[0].shape)}, then ${shapeStr(i[1].shape)} and else ${shapeStr(i[2].shape)} must be broadcastable`,
        );
      }
      if (i[0].dtype !== "bool") throw new InvalidArgumentError(`SelectV2: condition must be bool, got ${i[0].dtype}`);
      return [{ dtype: i[1].dtype, shape: s }];
    },
  },
]);
