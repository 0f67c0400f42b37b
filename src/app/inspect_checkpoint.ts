/**
 * `tsflowjs inspect-checkpoint`: what TensorFlow's inspect_checkpoint tool prints for a checkpoint.
 *   tsflowjs inspect-checkpoint <prefix|dir>            one "name (DT_FLOAT) [2,3]" line per tensor
 *   tsflowjs inspect-checkpoint <prefix> --tensor NAME  "tensor: NAME (float32) [2, 3]" and its values
 *   tsflowjs inspect-checkpoint <prefix> --all          every tensor that way
 *   --all-tensor-names                                the "tensor:" lines without values
 * TensorFlow's own flag names (--file_name, --tensor_name, --all_tensors, --all_tensor_names) work too.
 * Every form ends with "# Total number of params: N".
 */
import { BundleReader } from "../io/tensor_bundle.js";
import { DataType } from "../proto/tensorflow/core/framework/types_pb.js";
import { resolveCheckpoint } from "../saving/checkpoint_reader.js";
import { formatNumpy } from "./numpy_format.js";

export interface InspectOptions {
  tensorName?: string;
  allTensors?: boolean;
  allTensorNames?: boolean;
}

/** The text TensorFlow's print_tensors_in_checkpoint_file prints. */
export function inspectCheckpoint(fileName: string, options: InspectOptions = {}): string {
  const reader = BundleReader.open(resolveCheckpoint(fileName));
  const out: string[] = [];
  const shapeList = (s: number[]) => `[${s.join(", ")}]`;
  const header = (k: string) => {
    const e = reader.entry(k);
    return `tensor: ${k} (${e.dtype}) ${shapeList(e.shape)}`;
  };
  const value = (k: string) => {
    const e = reader.entry(k);
    const values = e.dtype === "string" ? reader.readStringBytes(k) : reader.read(k).values;
    return formatNumpy(values as ArrayLike<number>, e.shape, e.dtype);
  };
  if (options.allTensors || options.allTensorNames) {
    for (const k of reader.keys()) {
      out.push(header(k));
      if (options.allTensors) out.push(value(k));
    }
  } else if (!options.tensorName) {
    for (const k of reader.keys()) {
      const p = reader.protoEntry(k);
      if (p.slices.length > 0) continue;
      const dims = p.shape?.dim.map((d) => String(d.size)) ?? [];
      out.push(`${k} (${DataType[p.dtype] ?? `DataType(${p.dtype})`}) [${dims.join(",")}]`);
    }
    out.push("");
  } else {
    if (!reader.has(options.tensorName)) return `Tensor ${options.tensorName} not found in checkpoint\n`;
    out.push(header(options.tensorName));
    out.push(value(options.tensorName));
  }
  let total = 0;
  for (const k of reader.keys()) total += (reader.protoEntry(k).shape?.dim ?? []).reduce((n, d) => n * Number(d.size), 1);
  out.push(`# Total number of params: ${total}`);
  return `${out.join("\n")}\n`;
}
