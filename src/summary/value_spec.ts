/**
 * A TensorFlow 2 summary kind and its options as plain data (a ValueSpec), and the builder of its
 * Summary.Value from host data: the eager write, a tf.function's WriteSummary host writer and a WriteSummary
 * loaded from a SavedModel (the spec travels as JSON in the node's `_tsflow_summary` attr) share it.
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";
import { histogramBuckets } from "./histogram_buckets.js";
import { asNumbers, type HostData } from "./host_values.js";
import { audioValue, histogramValue, imageValue, scalarValue, textValue } from "./values.js";

export type ValueSpec =
  | { readonly kind: "scalar"; readonly where: string; readonly description: string }
  | { readonly kind: "histogram"; readonly where: string; readonly description: string; readonly buckets: number }
  | { readonly kind: "image"; readonly where: string; readonly description: string; readonly maxOutputs: number }
  | { readonly kind: "audio"; readonly where: string; readonly description: string; readonly maxOutputs: number; readonly sampleRate: number }
  | { readonly kind: "text"; readonly where: string; readonly description: string };

/** The Summary.Value of host data under a tag, checked. */
export type Build = (h: HostData, tag: string) => Summary_Value;

/** uint8 pixels of an image batch; floats in [0, 1] are scaled as tf.image.convert_image_dtype(saturate=True) does. */
function imagePixels(values: Float64Array, dtype: string): Uint8Array {
  const out = new Uint8Array(values.length);
  const scale = dtype === "uint8" ? 1 : 255.5;
  for (let i = 0; i < values.length; i++) {
    const v = Math.trunc(values[i] * scale);
    out[i] = Math.max(0, Math.min(255, v));
  }
  return out;
}

const IMAGE_DTYPES: ReadonlySet<string> = new Set(["uint8", "float32", "float64", "float16"]);

export function valueBuilder(spec: ValueSpec): Build {
  const { where, description } = spec;
  switch (spec.kind) {
    case "scalar":
      return (h, tag) => {
        if (h.shape.length !== 0) throw new InvalidArgumentError(`${where}: data must be a scalar (rank 0), got shape [${h.shape.join(",")}]`);
        return scalarValue(tag, asNumbers(h, where)[0], description);
      };
    case "histogram":
      return (h, tag) => histogramValue(tag, histogramBuckets(asNumbers(h, where), spec.buckets), description);
    case "image":
      return (h, tag) => {
        if (!IMAGE_DTYPES.has(h.dtype)) throw new InvalidArgumentError(`${where}: images must be uint8 or floating point, got dtype ${h.dtype}`);
        return imageValue(tag, h.shape, imagePixels(asNumbers(h, where), h.dtype), spec.maxOutputs, description);
      };
    case "audio":
      return (h, tag) => {
        if (h.shape.length !== 3) throw new InvalidArgumentError(`${where}: data must be [k, frames, channels], got shape [${h.shape.join(",")}]`);
        return audioValue(tag, h.shape, asNumbers(h, where), spec.sampleRate, spec.maxOutputs, description);
      };
    case "text":
      return (h, tag) => {
        if (h.dtype !== "string") throw new InvalidArgumentError(`${where}: data must be strings, got dtype ${h.dtype}`);
        return textValue(tag, h.shape, h.values as string[], description);
      };
  }
}
