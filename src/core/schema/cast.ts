import { type DType, tfName } from "../dtype.js";
import { UnimplementedError } from "../errors.js";
import { schemaRows } from "./types.js";

/** Cast (gradient and tf.cast in src/ops/cast.ts). */
export const CAST_OPS = schemaRows([
  {
    type: "Cast",
    inputNames: ["x"],
    inputs: [{ name: "x", typeAttr: "SrcT" }],
    outputs: [{ name: "y", typeAttr: "DstT" }],
    attrs: [
      { name: "DstT", type: "type" },
      { name: "Truncate", type: "bool", default: false },
    ],
    infer: (i, attrs, name) => {
      const to = attrs.DstT as DType;
      // TensorFlow has no cast between strings and numbers (tf.strings.to_number is another op).
      if ((i[0].dtype === "string") !== (to === "string")) {
        throw new UnimplementedError(`Cast ${tfName(i[0].dtype)} to ${tfName(to)} is not supported (${name}); strings are not numbers`);
      }
      return [{ dtype: to, shape: i[0].shape }];
    },
  },
]);
