import { InvalidArgumentError } from "../errors.js";
import { broadcastShapes, Dim, mergeShapes, shapesCompatible, shapeStr } from "../shape.js";
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
  {
    // TensorFlow 1's tf.where (graphs from Python before TF 2): then and else of one shape; the condition of
    // that shape, a scalar, or a vector choosing whole rows along the first dim.
    type: "Select",
    inputNames: ["condition", "t", "e"],
    dtypeGroups: [[1, 2]],
    infer: (i) => {
      const [c, t, e] = i.map((x) => x.shape);
      if (i[0].dtype !== "bool") throw new InvalidArgumentError(`Select: condition must be bool, got ${i[0].dtype}`);
      if (!shapesCompatible(t, e)) throw new InvalidArgumentError(`Select: then ${shapeStr(t)} and else ${shapeStr(e)} must have one shape`);
      const shape = mergeShapes(t, e);
      const rows = c !== null && c.length === 1 && shape !== null && shape.length > 1 && shapesCompatible(c, [shape[0]]);
      if (c !== null && c.length > 0 && !rows && !shapesCompatible(c, shape)) {
        throw new InvalidArgumentError(
          `Select: condition ${shapeStr(c)} must be a scalar, of the shape ${shapeStr(shape)} of then and else, or a vector of its first dim`,
        );
      }
      return [{ dtype: i[1].dtype, shape }];
    },
  },
]);
