/**
 * TensorFlow 2's summary state: the default writer, the default step and the recordIf scopes, as module
 * state (TensorFlow keeps it per thread), and the two questions every write asks of it: which step, and
 * whether to record.
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { Graph } from "../graph/graph.js";
import type { Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";
import { asNumbers, hostData } from "./host_values.js";

/** A step: a number, a bigint, or a tensor/variable read when the summary is written. */
export type StepLike = number | bigint | unknown;
/** recordIf's condition: a boolean, a bool tensor, or a function returning either. */
export type RecordCondition = boolean | Tensor | (() => boolean | Tensor);

/** What a summary write needs of a writer (tf2.ts SummaryWriter). */
export interface ValueWriter {
  writeValue(value: Summary_Value, step: bigint): void;
}

export const summaryState: {
  writer: ValueWriter | null;
  step: StepLike | null;
  /** recordIf scopes, innermost last; `graph` is the graph being built when it was entered (null eagerly). */
  readonly recordScopes: { condition: RecordCondition; graph: Graph | null }[];
} = { writer: null, step: null, recordScopes: [] };

/** The step of a write: `step`, else the default step, read now (a tensor or variable's value). */
export function stepValue(step: StepLike | null | undefined, where: string): bigint {
  const s = step ?? summaryState.step;
  if (s === null || s === undefined) throw new InvalidArgumentError(`${where}: no step set via the 'step' argument or tf.summary.experimental.setStep()`);
  if (typeof s === "bigint") return s;
  const v = typeof s === "number" ? s : Number(asNumbers(hostData(s, `${where} (step)`), where)[0]);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`${where}: the step must be an integer, got ${v}`);
  return BigInt(v);
}

/** Whether the innermost recordIf (default: on) records now, read on the host (eagerly, or when a tf.function runs). */
export function shouldRecord(): boolean {
  const scopes = summaryState.recordScopes;
  const scope = scopes[scopes.length - 1];
  if (scope === undefined) return true;
  const c = typeof scope.condition === "function" ? scope.condition() : scope.condition;
  return typeof c === "boolean" ? c : Boolean(asNumbers(hostData(c, "tf.summary.recordIf (condition)"), "tf.summary.recordIf")[0]);
}
