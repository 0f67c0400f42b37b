import { InvalidArgumentError } from "../core/errors.js";
import { isTensorConvertible } from "../core/tensor_like.js";
import { EagerTensor } from "../eager/tensor.js";
import { Operation } from "../graph/operation.js";
import { placeholder } from "../graph/state_ops.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { convertToTensor } from "../ops/creation.js";
import { identity } from "../ops/movement.js";
import { OutputSlot, TraceResult } from "./concrete_function.js";
import { TraceGraph } from "./trace_graph.js";
import { InputSpec, isPlainObject, mapTensors } from "./structure.js";
import { TensorSpec } from "./tensor_spec.js";

/** Stateful ops that need not run unless something reads them (a random op's numbers, a state check). */
const SKIPPED_STATEFUL: ReadonlySet<string> = new Set(["VariableV2", "IsVariableInitialized", "Placeholder"]);

/**
 * Traces `fn` into a new TraceGraph: each tensor leaf of `args` becomes a placeholder of its spec (in order),
 * the other leaves are passed as they are, and fn runs once in graph mode (its JavaScript side effects
 * happen now, and only now). What it returns is flattened: graph tensors are fetched, eager tensors and JS
 * numbers become constants of the graph, variables are read, operations run as targets.
 */
export function traceFunction(
  name: string,
  fn: (...args: unknown[]) => unknown,
  args: readonly unknown[],
  specs: readonly InputSpec[],
  firstTrace: boolean,
  device = "",
): TraceResult {
  const graph = new TraceGraph(name, firstTrace);
  // As TensorFlow 2 does, the tf.device scope around a call reaches the ops of the trace it makes.
  return graph.asDefault(() =>
    graph.device(device || null, () => {
      const placeholders: SymbolicTensor[] = [];
      const traceArgs = mapTensors(args, (_leaf, i) => {
        const spec = specs[i];
        const ph = placeholder(spec.dtype, spec.shape, { name: spec.name ?? `args_${i}` }) as SymbolicTensor;
        placeholders.push(ph);
        return ph;
      }) as unknown[];
      const structuredInputSignature = mapTensors(args, (_leaf, i) => new TensorSpec(specs[i].shape, specs[i].dtype, specs[i].name ?? undefined));
      const result = fn(...traceArgs);
      if (result instanceof Promise) {
        throw new InvalidArgumentError(`tf.function ${name}: the function returned a Promise; a traced function must be synchronous`);
      }
      const outputs: SymbolicTensor[] = [];
      const targets: Operation[] = [];
      const template = flattenOutputs(result, graph, outputs, targets, name);
      // TensorFlow runs every stateful op of a function (automatic control dependencies): variable writes and
      // checks run although nothing returned reads them.
      for (const op of graph.getOperations()) {
        if (op.def.stateful && !SKIPPED_STATEFUL.has(op.type) && !("seed" in op.attrs) && !targets.includes(op)) targets.push(op);
      }
      return { graph, inputSpecs: specs, placeholders, structuredInputSignature, template, outputs, targets };
    }),
  );
}

function flattenOutputs(x: unknown, g: TraceGraph, outputs: SymbolicTensor[], targets: Operation[], name: string): unknown {
  const fetch = (t: SymbolicTensor) => {
    if (t.graph !== g) {
      throw new InvalidArgumentError(
        `tf.function ${name} returned ${t.name}, a tensor of another graph than the function's (return values must come from the function's inputs)`,
      );
    }
    outputs.push(t);
    return new OutputSlot(outputs.length - 1);
  };
  if (x instanceof SymbolicTensor) return fetch(x);
  if (x instanceof EagerTensor) return fetch(identity(x) as SymbolicTensor);
  if (isTensorConvertible(x)) return fetch(identity(x) as SymbolicTensor);
  if (x instanceof Operation) {
    targets.push(x);
    return null;
  }
  if (typeof x === "number" || typeof x === "boolean") return fetch(convertToTensor(x) as SymbolicTensor);
  if (Array.isArray(x)) return x.map((y) => flattenOutputs(y, g, outputs, targets, name));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k in x) out[k] = flattenOutputs(x[k], g, outputs, targets, name);
    return out;
  }
  return x;
}
