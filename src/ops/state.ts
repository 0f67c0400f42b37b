import { checkDType, DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { executingEagerly } from "../eager/context.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Operation } from "../graph/operation.js";
import { Shape, shapesCompatible, shapeStr } from "../core/shape.js";
import { pyArgs, PyArgs } from "./args.js";
import { buildNode } from "./dispatch.js";
import { defineOps, getOpDef, TensorSpec } from "./registry.js";
import { sameAsInput } from "./infer.js";
import type { TensorLike } from "../eager/tensor_types.js";
import type { Variable } from "../variables/variable.js";
import { asOperation } from "../graph/scopes.js";

/**
 * Ops that hold or feed state. Their work needs the Session (its variable store, its feeds), so the
 * executor runs them itself; no backend kernel exists for them.
 */
function assignInfer(op: string) {
  return (inputs: readonly TensorSpec[]) => {
    const [ref, value] = inputs;
    if (ref.dtype !== value.dtype) {
      throw new InvalidArgumentError(`${op}: value of dtype ${value.dtype} cannot be assigned to a variable of dtype ${ref.dtype}`);
    }
    if (op !== "Assign" && !shapesCompatible(ref.shape, value.shape)) {
      throw new InvalidArgumentError(`${op}: Shapes must be equal rank, but are ${shapeStr(ref.shape)} and ${shapeStr(value.shape)}`);
    }
    return [{ dtype: ref.dtype, shape: ref.shape }];
  };
}

defineOps([
  {
    type: "Const",
    infer: (_i, attrs) => [{ dtype: attrs.dtype as DType, shape: attrs.shape as number[] }],
    grad: null,
    doc: "A constant; its value is the attr `value`.",
  },
  {
    type: "Placeholder",
    infer: (_i, attrs) => [{ dtype: attrs.dtype as DType, shape: attrs.shape as Shape }],
    grad: null,
    doc: "A value that must be fed to Session.run.",
  },
  {
    type: "PlaceholderWithDefault",
    inputNames: ["input"],
    infer: (i, attrs) => [{ dtype: i[0].dtype, shape: attrs.shape as Shape }],
    grad: (_op, [dy]) => [dy],
    doc: "Its input unless a value is fed.",
  },
  {
    type: "VariableV2",
    stateful: true,
    infer: (_i, attrs) => [{ dtype: attrs.dtype as DType, shape: attrs.shape as Shape }],
    grad: () => [],
    doc: "A TensorFlow 1 variable: its value lives in each Session.",
  },
  { type: "Assign", stateful: true, inputNames: ["ref", "value"], dtypeGroups: [[0, 1]], infer: assignInfer("Assign"), grad: null },
  { type: "AssignAdd", stateful: true, inputNames: ["ref", "value"], dtypeGroups: [[0, 1]], infer: assignInfer("AssignAdd"), grad: null },
  { type: "AssignSub", stateful: true, inputNames: ["ref", "value"], dtypeGroups: [[0, 1]], infer: assignInfer("AssignSub"), grad: null },
  {
    type: "IsVariableInitialized",
    stateful: true,
    inputNames: ["ref"],
    infer: () => [{ dtype: "bool", shape: [] }],
    grad: null,
  },
  { type: "NoOp", infer: () => [], grad: null, doc: "Does nothing; groups control dependencies." },
  {
    type: "Identity",
    inputNames: ["input"],
    infer: sameAsInput(),
    grad: (_op, [dy]) => [dy],
  },
]);

export interface PlaceholderOptions {
  shape?: Shape;
  name?: string;
}

/** tf.compat.v1.placeholder(dtype, shape, name): a graph input that Session.run must feed. */
export function placeholder(dtype: DType, ...args: PyArgs<[shape: Shape, name: string], PlaceholderOptions>): Tensor {
  const a = pyArgs<PlaceholderOptions>(args, ["shape", "name"]);
  if (executingEagerly()) {
    throw new InvalidArgumentError("tf.placeholder() is not compatible with eager execution; build a tf.Graph (g.asDefault) or call tf.compat.v1.disableEagerExecution()");
  }
  const dt = checkDType(dtype, "tf.placeholder");
  const shape = a.shape === undefined ? null : a.shape;
  return buildNode(getOpDef("Placeholder")!, [], { dtype: dt, shape }, a.name ?? "Placeholder").outputs[0];
}

/** tf.compat.v1.placeholder_with_default(input, shape, name). */
export function placeholderWithDefault(input: TensorLike, ...args: PyArgs<[shape: Shape, name: string], PlaceholderOptions>): Tensor {
  const a = pyArgs<PlaceholderOptions>(args, ["shape", "name"]);
  if (executingEagerly()) {
    throw new InvalidArgumentError("tf.placeholderWithDefault() is not compatible with eager execution");
  }
  const op = buildNode(getOpDef("PlaceholderWithDefault")!, [input], { shape: a.shape ?? null }, a.name ?? "PlaceholderWithDefault");
  const out = op.outputs[0];
  if (a.shape === undefined) out.setShape(op.inputs[0].shape);
  return out;
}

/** tf.no_op(): an op that does nothing, for control dependencies. */
export function noOp(opts: { name?: string } = {}): Operation | null {
  if (executingEagerly()) return null;
  return buildNode(getOpDef("NoOp")!, [], {}, opts.name ?? "NoOp");
}

/** tf.group(...inputs): one op that runs after all the given ops/tensors. */
export function group(inputs: readonly (Tensor | Operation | Variable | null)[], opts: { name?: string } = {}): Operation | null {
  if (executingEagerly()) return null;
  const g = getDefaultGraph();
  const deps = inputs.filter((x): x is Tensor | Operation | Variable => x !== null).map(asOperation);
  return g.controlDependencies(deps, () => buildNode(getOpDef("NoOp")!, [], {}, opts.name ?? "group_deps"));
}
