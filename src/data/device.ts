import type { Backend } from "../core/backend.js";
import { gpuBackend, visibleGpuCount } from "../core/devices.js";
import { InvalidArgumentError } from "../core/errors.js";
import { defineFunction, K, kind, optional, signature, withDefault } from "../core/signature.js";
import type { EagerTensor } from "../eager/tensor.js";
import { Dataset } from "./dataset.js";
import { PrefetchNode } from "./transforms.js";

/** The backend a device name means for a dataset: a visible GPU, else the CPU (null: host elements). */
function backendOf(name: string, where: string): Backend | null {
  const m = /(?:^|\/)(?:device:)?(gpu|cpu):(\d+)$/i.exec(name.trim());
  if (!m) throw new InvalidArgumentError(`${where}: "${name}" is not a device name (such as "/gpu:0" or "/cpu:0")`);
  if (m[1].toLowerCase() === "cpu") return null;
  const i = Number(m[2]);
  // As soft placement does: a GPU that is not there means the CPU.
  return i < visibleGpuCount() ? gpuBackend(i) : null;
}

export const prefetchToDevice = defineFunction(
  signature(
    "data.experimental.prefetch_to_device",
    "A transformation (for dataset.apply) that puts elements on `device` ahead of the consumer.",
    [optional("device", K.string, 'The device ("/gpu:0").'), optional("bufferSize", K.int, "Elements kept ready (default 1).")],
    { skip: "returns a transformation function (compared by behaviour in test/data_sources.test.ts)" },
  ),
  (device, bufferSize) => {
    if (device === undefined) throw new InvalidArgumentError('tf.data.experimental.prefetchToDevice: missing required argument "device"');
    const b = backendOf(device, "tf.data.experimental.prefetchToDevice");
    return (ds: Dataset) => new Dataset(new PrefetchNode(ds.node, bufferSize ?? 1, b));
  },
);

export const copyToDevice = defineFunction(
  signature(
    "data.experimental.copy_to_device",
    "A transformation (for dataset.apply) that copies elements to `targetDevice`.",
    [optional("targetDevice", K.string, 'The device ("/gpu:0").'), withDefault("sourceDevice", K.string, "/cpu:0", "Where the elements are.")],
    { skip: "returns a transformation function (compared by behaviour in test/data_sources.test.ts)" },
  ),
  (targetDevice) => {
    if (targetDevice === undefined) throw new InvalidArgumentError('tf.data.experimental.copyToDevice: missing required argument "targetDevice"');
    const b = backendOf(targetDevice, "tf.data.experimental.copyToDevice");
    return (ds: Dataset) => new Dataset(new PrefetchNode(ds.node, 1, b));
  },
);

export const cardinality = defineFunction(
  signature(
    "data.experimental.cardinality",
    "dataset.cardinality(): the number of elements as an int64 scalar (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY).",
    [optional("dataset", kind<Dataset>("Dataset"), "The dataset.")],
    { args: (tf) => [tf.data.Dataset.range(3)] },
  ),
  (dataset): EagerTensor => {
    if (!(dataset instanceof Dataset)) throw new InvalidArgumentError("tf.data.experimental.cardinality: `dataset` must be a Dataset");
    return dataset.cardinality();
  },
);
