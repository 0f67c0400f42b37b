/**
 * The values of the object graph's leaves: what is written for a variable or a TrackedValue, and how a
 * value read from a bundle is checked against the leaf (dtype, shape) and assigned. Restores check every
 * value first and assign after, so a restore sets every variable or none.
 */
import { InvalidArgumentError } from "../core/errors.js";
import { shapesCompatible, shapeStr } from "../core/shape.js";
import { EagerTensor } from "../eager/tensor.js";
import { initScope } from "../function/index.js";
import type { BundleTensor, BundleValues } from "../io/tensor_bundle.js";
import { constant } from "../ops/creation.js";
import { Variable } from "../variables/variable.js";
import { TrackedValue, type ValueLeaf } from "./trackable.js";

/** The dtype, shape and values of a leaf now (eager variables only). */
export function leafValue(leaf: ValueLeaf, path: string): BundleTensor {
  if (leaf instanceof TrackedValue) {
    const x = leaf.read();
    const values = leaf.dtype === "int64" ? BigInt64Array.of(BigInt(Math.trunc(x))) : leaf.dtype === "float64" ? Float64Array.of(x) : Float32Array.of(x);
    return { dtype: leaf.dtype, shape: [], values };
  }
  if (leaf.graph !== null) {
    throw new InvalidArgumentError(
      `tf.train.Checkpoint saves eager variables; ${path} (${leaf.name}) belongs to a tf.Graph: save graph variables with tf.train.Saver`,
    );
  }
  const t = leaf.value() as EagerTensor;
  return { dtype: leaf.dtype, shape: t.shape, values: t.dataSync() as BundleValues };
}

/** A value read from a checkpoint, waiting to be assigned to its leaf. */
export interface PendingValue {
  leaf: ValueLeaf;
  key: string;
  path: string;
  value: BundleTensor;
}

/** Throws InvalidArgumentError when the checkpoint's value does not fit the leaf. */
function check(p: PendingValue, prefix: string): void {
  const { leaf, value } = p;
  if (value.dtype !== leaf.dtype) {
    throw new InvalidArgumentError(`${prefix}: ${p.path} has dtype ${leaf.dtype} but the checkpoint's "${p.key}" has dtype ${value.dtype}`);
  }
  const shape = leaf instanceof Variable ? leaf.shape : [];
  if (!shapesCompatible(shape, value.shape) || (shape !== null && shape.length !== value.shape.length)) {
    throw new InvalidArgumentError(`${prefix}: ${p.path} has shape ${shapeStr(shape)} but the checkpoint's "${p.key}" has shape ${shapeStr(value.shape)}`);
  }
  if (leaf instanceof Variable && leaf.graph !== null) {
    throw new InvalidArgumentError(`${prefix}: ${p.path} (${leaf.name}) belongs to a tf.Graph; restore graph variables with tf.train.Saver`);
  }
}

/** Checks every value, then assigns them all (eagerly, also when called while a tf.function is traced). */
export function assignAll(values: readonly PendingValue[], prefix: string): void {
  for (const p of values) check(p, prefix);
  initScope(() => {
    for (const { leaf, value } of values) {
      if (leaf instanceof TrackedValue) {
        leaf.write(Number(value.values[0]));
        continue;
      }
      const t = constant(value.values as never, { dtype: value.dtype, shape: value.shape }) as EagerTensor;
      try {
        leaf.assign(t);
      } finally {
        t.dispose();
      }
    }
  });
}
