/**
 * Reading checkpoints by name, whatever wrote them: tf.train.loadCheckpoint (TensorFlow's
 * NewCheckpointReader / tf.train.load_checkpoint), listVariables and loadVariable. A directory means its
 * latest checkpoint (per its `checkpoint` file).
 */
import * as fs from "node:fs";
import type { DType } from "../core/dtype.js";
import { defaultBackend } from "../core/devices.js";
import { NotFoundError } from "../core/errors.js";
import { K, kind, param } from "../core/signature.js";
import { EagerTensor } from "../eager/tensor.js";
import { BundleReader, hostValues } from "../io/tensor_bundle.js";
import { latestCheckpoint } from "./checkpoint_state.js";

export const CKPT_DIR_OR_FILE = param("ckptDirOrFile", K.string, "A checkpoint prefix, or a directory (its latest checkpoint).");
export const TENSOR_NAME = param("name", kind<string>("string"), "The name of the tensor in the checkpoint.");

/** The checkpoint prefix a directory or prefix names. */
export function resolveCheckpoint(ckptDirOrFile: string): string {
  let isDir = false;
  try {
    isDir = fs.statSync(ckptDirOrFile).isDirectory();
  } catch {
    // not a directory: a prefix
  }
  if (!isDir) return ckptDirOrFile;
  const latest = latestCheckpoint(ckptDirOrFile);
  if (latest === null) throw new NotFoundError(`Couldn't find 'checkpoint' file or checkpoints in given directory ${ckptDirOrFile}`);
  return latest;
}

/** TensorFlow's CheckpointReader: the tensors of one checkpoint by name. */
export class CheckpointReader {
  readonly #reader: BundleReader;
  readonly prefix: string;

  constructor(ckptDirOrFile: string) {
    this.prefix = resolveCheckpoint(ckptDirOrFile);
    this.#reader = BundleReader.open(this.prefix);
  }

  hasTensor(name: string): boolean {
    return this.#reader.has(name);
  }

  /** The tensor's value (an eager tf.Tensor). */
  getTensor(name: string): EagerTensor {
    const t = this.#reader.read(name);
    return new EagerTensor(defaultBackend().write(hostValues(t), t.dtype, t.shape));
  }

  getVariableToShapeMap(): Record<string, number[]> {
    return Object.fromEntries(this.#reader.keys().map((k) => [k, this.#reader.entry(k).shape]));
  }

  getVariableToDtypeMap(): Record<string, DType> {
    return Object.fromEntries(this.#reader.keys().map((k) => [k, this.#reader.entry(k).dtype]));
  }

  /** Tensor names, sorted. */
  keys(): string[] {
    return this.#reader.keys();
  }
}
