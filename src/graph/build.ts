import type { Attrs } from "../core/schema/types.js";
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import { checkDims } from "../core/shape_check.js";
import { Tensor } from "../core/tensor.js";
import { isTensorConvertible, TensorLike } from "../core/tensor_like.js";
import { HostValue, toValues } from "../core/values.js";
import { normalizeAttrs } from "../core/schema/attrs.js";
import { checkAllowed, resolveDTypes, withOpContext } from "../ops/dispatch.js";
import type { OpExecutor } from "../ops/executor.js";
import { getOpDef, OpDef } from "../ops/registry.js";
import type { TensorSpec } from "../core/schema/types.js";
import { getDefaultGraph } from "./default_graph.js";
import type { Graph } from "./graph.js";
import { FuncGraph } from "./func_graph.js";
import type { Operation } from "./operation.js";
import { SymbolicTensor } from "./tensor.js";
import { gradients } from "./gradients.js";

export function constValueOf(t: SymbolicTensor): TensorSpec["value"] {
  return t.op.type === "Const" ? (t.op.attrs.value as TensorSpec["value"]) : undefined;
}

/** A graph tensor for any input: graph tensors of this graph pass, everything else becomes a Const. */
export function toGraphTensor(x: TensorLike, dtype: DType, g: Graph, name: string): SymbolicTensor {
  if (x instanceof SymbolicTensor) {
    // A function body reads tensors of the graphs around it through captures (graph/func_graph.ts).
    if (x.graph !== g && g instanceof FuncGraph) return g.capture(x);
    if (x.graph !== g) {
      throw new InvalidArgumentError(`EagerTensor ${x.toString()} must be from the same graph as the op being built; it belongs to another tf.Graph`);
    }
    return x;
  }
  if (isTensorConvertible(x)) {
    if (g instanceof FuncGraph) return g.capture(toGraphTensor(x, dtype, g.outer, name));
    return x.graphValue(g) as SymbolicTensor;
  }
  let values;
  let shape: number[];
  if (x instanceof Tensor) {
    // An eager tensor: its value becomes the constant.
    values = x.dataSync();
    shape = x.shape as number[];
    dtype = x.dtype;
  } else {
    ({ values, shape } = toValues(x as HostValue, dtype));
  }
  const constDef = getOpDef("Const")!;
  const attrs = { value: values, dtype, shape };
  return g.nameScope("", () => g.createOp(constDef, g.uniqueName(name), [], attrs, [{ dtype, shape }])).outputs[0];
}

/** Adds one node of `def` to the default graph (or `graph`) and returns it. */
export function buildNode(def: OpDef, inputs: readonly TensorLike[], attrs: Attrs, name?: string, graph?: Graph): Operation {
  const g = graph ?? getDefaultGraph();
  // As in TensorFlow, a name ending in "/" (a name scope's own name) is taken exactly, not made unique.
  const opName = name?.endsWith("/") ? name.slice(0, -1) : g.uniqueName(name ?? def.name ?? def.type);
  let dtypes: DType[];
  try {
    attrs = normalizeAttrs(def, attrs, opName);
    dtypes = resolveDTypes(def, inputs);
    checkAllowed(def, dtypes, opName);
  } catch (e) {
    return withOpContext(e, ` for '{{node ${opName}}} = ${def.type}'`);
  }
  const argNames = def.inputNames ?? (inputs.length === 2 ? ["x", "y"] : inputs.map((_, i) => (i === 0 ? "x" : `input_${i}`)));
  const syms = inputs.map((x, i) => toGraphTensor(x, dtypes[i], g, `${opName}/${argNames[i] ?? `input_${i}`}`));
  const specs: TensorSpec[] = syms.map((t) => ({ dtype: t.dtype, shape: t.shape, value: constValueOf(t) }));
  let outSpecs;
  try {
    outSpecs = def.infer(specs, attrs, opName);
    for (const o of outSpecs) checkDims(o.shape, opName);
  } catch (e) {
    return withOpContext(e, ` for '{{node ${opName}}} = ${def.type}' with input shapes: ${syms.map((t) => shapeStr(t.shape)).join(", ")}.`);
  }
  return g.createOp(def, opName, syms, attrs, outSpecs);
}

/** Builds ops as nodes of the default graph (TensorFlow 1's graph mode). */
export const graphExecutor: OpExecutor = {
  execute: (def, inputs, attrs, name) => buildNode(def, inputs, attrs, name).outputs.slice(),
  constant: (values, dtype, shape, name) => buildNode(getOpDef("Const")!, [], { value: values, dtype, shape }, name ?? "Const").outputs[0],
  knownValue: (t: Tensor): Values | undefined => (t instanceof SymbolicTensor ? constValueOf(t) : t.dataSync()),
  refineShape: (t, shape) => {
    if (t instanceof SymbolicTensor) t.setShape(shape);
  },
  gradients: (ys, xs, gradYs, unconnected) => gradients(ys, xs as Tensor[], { gradYs, unconnectedGradients: unconnected }),
};
