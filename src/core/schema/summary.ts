import type { DType } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { type OutSpec, schemaRows, type TensorSpec } from "./types.js";

/**
 * Summary ops. TensorFlow 1's ScalarSummary, HistogramSummary, ImageSummary, AudioSummaryV2,
 * TensorSummaryV2 and MergeSummary, with TensorFlow's input names, attrs and a scalar string output (a
 * serialized Summary proto; CPU kernels in backends/cpu/kernels/summary.ts, no GPU kernel: placement runs
 * them on the CPU). WriteSummary is tf.summary's write inside a tf.function trace: the executor runs it
 * (runtime/plan.ts RUNTIME_OPS) by handing the step, tag and tensor to the host-side `writer` captured at
 * trace time (summary/ builds the event); its output says whether it wrote.
 */
const REAL: readonly DType[] = ["float32", "float64", "int32", "int64", "uint8", "float16", "bfloat16"];
const summaryOut = (): OutSpec[] => [{ dtype: "string", shape: [] }];
const str = (name: string) => ({ name, type: "string" as DType });

function stringInputs(op: string, indices: readonly number[]) {
  return (inputs: readonly TensorSpec[]): OutSpec[] => {
    for (const i of indices) {
      if (inputs[i].dtype !== "string") throw new InvalidArgumentError(`${op}: input ${i} must be a string tensor, got ${inputs[i].dtype}`);
    }
    return summaryOut();
  };
}

export const SUMMARY_OPS = schemaRows([
  {
    type: "ScalarSummary",
    inputNames: ["tags", "values"],
    inputs: [str("tags"), { name: "values", typeAttr: "T" }],
    outputs: [str("summary")],
    dtypeGroups: [[1]],
    inputDTypes: { 0: "string" },
    allowedDTypes: REAL,
    infer: stringInputs("ScalarSummary", [0]),
    doc: "A Summary of simple_value per tag (tags and values of one shape).",
  },
  {
    type: "HistogramSummary",
    inputNames: ["tag", "values"],
    inputs: [str("tag"), { name: "values", typeAttr: "T" }],
    outputs: [str("summary")],
    dtypeGroups: [[1]],
    inputDTypes: { 0: "string" },
    allowedDTypes: REAL,
    infer: stringInputs("HistogramSummary", [0]),
    doc: "A Summary holding a HistogramProto of the values (NaN or Inf is an InvalidArgumentError).",
  },
  {
    type: "ImageSummary",
    inputNames: ["tag", "tensor"],
    inputs: [str("tag"), { name: "tensor", typeAttr: "T" }],
    outputs: [str("summary")],
    dtypeGroups: [[1]],
    inputDTypes: { 0: "string" },
    allowedDTypes: ["uint8", "float32", "float16", "float64"],
    attrs: [
      { name: "max_images", type: "int", default: 3, minimum: 1 },
      { name: "bad_color", type: "tensor", default: { dtype: "uint8", shape: [4], values: Uint8Array.of(255, 0, 0, 255) } },
    ],
    infer: stringInputs("ImageSummary", [0]),
    doc: "A Summary of PNG images (tags name/image/i) from a [batch, height, width, 1|3|4] tensor.",
  },
  {
    type: "AudioSummaryV2",
    inputNames: ["tag", "tensor", "sample_rate"],
    inputs: [str("tag"), { name: "tensor", type: "float32" }, { name: "sample_rate", type: "float32" }],
    outputs: [str("summary")],
    inputDTypes: { 0: "string", 1: "float32", 2: "float32" },
    attrs: [{ name: "max_outputs", type: "int", default: 3, minimum: 1 }],
    infer: (inputs) => {
      if (inputs[1].dtype !== "float32") throw new InvalidArgumentError(`AudioSummaryV2: the audio must be float32, got ${inputs[1].dtype}`);
      return stringInputs("AudioSummaryV2", [0])(inputs);
    },
    doc: "A Summary of 16-bit WAV clips (tags name/audio/i) from a [batch, frames(, channels)] float tensor.",
  },
  {
    type: "TensorSummaryV2",
    inputNames: ["tag", "tensor", "serialized_summary_metadata"],
    inputs: [str("tag"), { name: "tensor", typeAttr: "T" }, str("serialized_summary_metadata")],
    outputs: [str("summary")],
    dtypeGroups: [[1]],
    inputDTypes: { 0: "string", 2: "string" },
    infer: stringInputs("TensorSummaryV2", [0, 2]),
    doc: "A Summary holding the tensor with the given SummaryMetadata (tf.summary.text's op).",
  },
  {
    type: "MergeSummary",
    inputNames: [],
    inputs: [{ name: "inputs", type: "string", numberAttr: "N" }],
    outputs: [str("summary")],
    infer: (inputs) => {
      if (inputs.length === 0) throw new InvalidArgumentError("MergeSummary needs at least one input");
      return stringInputs(
        "MergeSummary",
        inputs.map((_, i) => i),
      )(inputs);
    },
    doc: "The values of several serialized Summaries in one (a tag seen twice is an error).",
  },
  {
    type: "WriteSummary",
    inputNames: ["step", "tensor", "tag"],
    inputs: [{ name: "step", type: "int64" }, { name: "tensor", typeAttr: "T" }, str("tag")],
    outputs: [{ name: "written", type: "bool" }],
    dtypeGroups: [[1]],
    inputDTypes: { 0: "int64", 2: "string" },
    attrs: [{ name: "writer", type: "func" }],
    stateful: true,
    infer: () => [{ dtype: "bool", shape: [] }],
    doc: "Writes the tensor as a summary at the step through the host writer captured at trace time (tf.function); true if written.",
  },
]);
