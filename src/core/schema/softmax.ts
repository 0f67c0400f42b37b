import { FLOAT_DTYPES } from "../dtype.js";
import { tfName } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { broadcastShapes, Dim, shapeStr, shapesCompatible } from "../shape.js";
import { sameAsInput } from "./infer_util.js";
import { schemaRows, type TensorSpec } from "./types.js";

/**
 * Softmax, log-softmax and the cross-entropy losses (gradients and tf.nn functions in src/ops/softmax.ts).
 * TensorFlow's kernels take 2-D [batch, classes] inputs and its Python wrappers reshape other ranks; here
 * the ops accept any rank >= 1 with classes on the last axis (the leading dims are the batch).
 */
const FLOAT = FLOAT_DTYPES;

function lastAxisInfer(op: string) {
  return (inputs: readonly TensorSpec[]) => {
    const [x] = inputs;
    if (x.shape !== null && x.shape.length < 1) throw new InvalidArgumentError(`${op}: logits must have >= 1 dimension, got ${shapeStr(x.shape)}`);
    return sameAsInput(0)(inputs);
  };
}

function xentInfer(inputs: readonly TensorSpec[]) {
  const [logits, labels] = inputs;
  const s = broadcastShapes(logits.shape, labels.shape);
  if (s === "incompatible") {
    throw new InvalidArgumentError(`logits and labels must be broadcastable: logits_size=${shapeStr(logits.shape)} labels_size=${shapeStr(labels.shape)}`);
  }
  if (s !== null && s.length < 1)
    throw new InvalidArgumentError(`SoftmaxCrossEntropyWithLogits: logits must have >= 1 dimension, got ${shapeStr(logits.shape)}`);
  const loss = s === null ? null : s.slice(0, -1);
  return [
    { dtype: logits.dtype, shape: loss },
    { dtype: logits.dtype, shape: s },
  ];
}

function sparseXentInfer(inputs: readonly TensorSpec[]) {
  const [logits, labels] = inputs;
  if (labels.dtype !== "int32" && labels.dtype !== "int64") {
    throw new InvalidArgumentError(`Value for attr 'Tlabels' of ${tfName(labels.dtype)} is not in the list of allowed values: int32, int64`);
  }
  if (logits.shape !== null && logits.shape.length === 0) throw new InvalidArgumentError(`Logits cannot be scalars - received shape ${shapeStr(logits.shape)}`);
  if (logits.shape !== null && labels.shape !== null) {
    if (labels.shape.length !== logits.shape.length - 1) {
      throw new InvalidArgumentError(
        `Rank mismatch: Rank of labels (received ${labels.shape.length}) should equal rank of logits minus 1 (received ${logits.shape.length}).`,
      );
    }
    if (!shapesCompatible(labels.shape, logits.shape.slice(0, -1))) {
      throw new InvalidArgumentError(
        `logits and labels must have the same first dimension(s), got logits shape ${shapeStr(logits.shape)} and labels shape ${shapeStr(labels.shape)}`,
      );
    }
  }
  const batch: Dim[] | null = logits.shape !== null ? logits.shape.slice(0, -1).map((d, i) => d ?? labels.shape?.[i] ?? null) : labels.shape;
  const backprop = logits.shape === null ? null : [...(batch ?? []), logits.shape[logits.shape.length - 1]];
  return [
    { dtype: logits.dtype, shape: batch },
    { dtype: logits.dtype, shape: backprop },
  ];
}

export const SOFTMAX_OPS = schemaRows([
  {
    type: "Softmax",
    inputNames: ["logits"],
    allowedDTypes: FLOAT,
    infer: lastAxisInfer("Softmax"),
  },
  {
    type: "LogSoftmax",
    inputNames: ["logits"],
    allowedDTypes: FLOAT,
    infer: lastAxisInfer("LogSoftmax"),
  },
  {
    type: "SoftmaxCrossEntropyWithLogits",
    inputNames: ["features", "labels"],
    dtypeGroups: [[0, 1]],
    allowedDTypes: FLOAT,
    infer: xentInfer,
  },
  {
    type: "SparseSoftmaxCrossEntropyWithLogits",
    inputNames: ["features", "labels"],
    inputDTypes: { 1: "int32" },
    allowedDTypes: FLOAT,
    infer: sparseXentInfer,
  },
  {
    type: "L2Loss",
    inputNames: ["t"],
    allowedDTypes: FLOAT,
    infer: (inputs) => [{ dtype: inputs[0].dtype, shape: [] }],
  },
]);
