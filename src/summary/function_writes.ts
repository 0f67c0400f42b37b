/**
 * tf.summary inside a tf.function: a WriteSummary node (inputs step int64, tensor, tag) whose `writer` attr
 * is a host writer (runtime/resources.ts SummarySink) that the executor calls each time the node runs (once
 * per call, per tf.cond branch taken, per tf.whileLoop iteration). The writer is the default writer of trace
 * time; a WriteSummary read back from a GraphDef or SavedModel (through the factory registered here) writes
 * to the default writer of call time instead, since a SavedModel does not save a summary writer.
 */
import { registerSummaryWriterFactory, type SummaryWriterAttr } from "../core/summary_writer_attr.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { AttrValue } from "../core/schema/types.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { fullNameScope, rootGraph } from "../graph/func_graph.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Graph } from "../graph/graph.js";
import { nameScope } from "../graph/scopes.js";
import { cast } from "../ops/cast.js";
import { cond } from "../ops/control_flow.js";
import { convertToTensor } from "../ops/creation.js";
import { execute1 } from "../ops/dispatch.js";
import type { SummarySink } from "../runtime/resources.js";
import { shouldRecord, type StepLike, stepValue, summaryState, type ValueWriter } from "./default_state.js";
import { type ValueSpec, valueBuilder } from "./value_spec.js";

/** What a WriteSummary's host writer does besides reading its inputs; the `_tsflow_summary` attr as JSON. */
interface WriteSpec {
  readonly value: ValueSpec;
  /** The step is the number default step at the call (the node's step input is a placeholder -1). */
  readonly liveStep: boolean;
  /** Whether the recordIf in force at the call decides (false when a recordIf inside the function did). */
  readonly gated: boolean;
}

/** The host writer of a WriteSummary: writes to `fixed`, or to the default writer of call time when null. */
function makeSink(spec: WriteSpec, fixed: ValueWriter | null): SummarySink {
  const build = valueBuilder(spec.value);
  return {
    name: "summary_writer",
    spec: JSON.stringify(spec),
    write: (stepH, tensorH, tagH) => {
      const w = fixed ?? summaryState.writer;
      if (w === null || (spec.gated && !shouldRecord())) return false;
      const step = spec.liveStep ? stepValue(undefined, spec.value.where) : BigInt((stepH.backend.readSync(stepH) as BigInt64Array)[0]);
      const tag = String((tagH.backend.readSync(tagH) as ArrayLike<unknown>)[0]);
      w.writeValue(build({ dtype: tensorH.dtype, shape: [...tensorH.shape], values: tensorH.backend.readSync(tensorH) }, tag), step);
      return true;
    },
  };
}

registerSummaryWriterFactory((json: string, what: string): SummaryWriterAttr => {
  let spec: WriteSpec;
  try {
    spec = JSON.parse(json) as WriteSpec;
    valueBuilder(spec.value);
  } catch (e) {
    throw new InvalidArgumentError(`${what}: attr _tsflow_summary is not a summary spec (${(e as Error).message}): ${json}`);
  }
  return makeSink(spec, null);
});

/** TensorFlow 2's summary tag: the name inside the current name scopes (`scope` without its slash). */
export const scopedTag = (scope: string, name: string) => (scope ? `${scope.replace(/\/$/, "")}/${name}` : name);

/** A summary call of one kind: the tag's name, the op scope's default name, data, step, what to build. */
export interface SummaryRequest {
  readonly name: string;
  readonly defaultName: string;
  readonly data: unknown;
  readonly step: StepLike | undefined;
  readonly value: ValueSpec;
}

/** Whether ops are being built into a tf.function trace, directly or in a tf.cond/tf.whileLoop body of one. */
export function buildingFunction(): Graph | null {
  const trace = rootGraph(getDefaultGraph());
  return trace.isFunctionGraph ? trace : null;
}

/** A step's graph value inside a trace: a tensor or variable read when the function runs, cast to int64. */
function stepTensor(step: StepLike): Tensor {
  if (typeof step === "number" || typeof step === "bigint") return convertToTensor(step, "int64");
  const t = convertToTensor(step as TensorLike);
  return t.dtype === "int64" ? t : cast(t, "int64");
}

const isNumberStep = (s: StepLike | null | undefined) => s === null || s === undefined || typeof s === "number" || typeof s === "bigint";

/**
 * The recordIf condition entered inside the trace being built (TensorFlow resolves it at trace time: a
 * function is called now, a boolean decides whether a node is built, a bool tensor guards the write with a
 * tf.cond), or undefined when every recordIf in force was entered outside the function: those are read on
 * the host each time the node runs (so recordIf around a call of a traced function works as it does eagerly).
 */
function tracedCondition(trace: Graph): boolean | Tensor | undefined {
  const scopes = summaryState.recordScopes;
  const scope = scopes[scopes.length - 1];
  if (scope === undefined || scope.graph === null || rootGraph(scope.graph) !== trace) return undefined;
  const c = typeof scope.condition === "function" ? scope.condition() : scope.condition;
  return typeof c === "boolean" ? c : convertToTensor(c as TensorLike);
}

/**
 * The WriteSummary node of a summary call in a trace (false, and no node, without a default writer or under
 * a recordIf(false) entered in the function). Its step is the `step` given, or the default step (a tensor
 * or tf.Variable is read by the graph when the function runs; a number default step is read on the host at
 * the call, so setStep(i) before each call works as it does eagerly).
 */
export function traceWrite(req: SummaryRequest, trace: Graph): boolean | Tensor {
  const { name, step } = req;
  const where = req.value.where;
  const w = summaryState.writer;
  if (w === null) return false;
  const inner = tracedCondition(trace);
  if (inner === false) return false;
  const liveStep = step === undefined && isNumberStep(summaryState.step);
  if (step === undefined && summaryState.step === null) stepValue(undefined, where);
  const tag = scopedTag(fullNameScope(getDefaultGraph()), name);
  const sink = makeSink({ value: req.value, liveStep, gated: inner === undefined }, w);
  // TensorFlow's summary_scope: the op's scope is the name without the characters a scope may not hold.
  const scopeName = name.replace(/[^-_/.A-Za-z0-9]/g, "") || req.defaultName;
  return nameScope(scopeName, () => {
    const write = () => {
      const stepT = liveStep ? -1 : stepTensor(step ?? summaryState.step);
      return execute1("WriteSummary", [stepT, req.data as TensorLike, tag], { writer: sink as unknown as AttrValue }, "write_summary");
    };
    return inner === undefined || inner === true ? write() : (cond(inner, write, () => false, { name: "summary_cond" }) as Tensor);
  });
}
