import { checkDType } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { executingEagerly } from "../eager/context.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Operation } from "../graph/operation.js";
import type { Shape } from "../core/shape.js";
import { defineFunction, K, kind, optional, param, signature, variadic } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { buildNode } from "./dispatch.js";
import { defineGradients, getOpDef } from "./registry.js";
import type { Variable } from "../variables/variable.js";
import { asOperation } from "../graph/scopes.js";

defineGradients({
  Const: null,
  Placeholder: null,
  PlaceholderWithDefault: (_op, [dy]) => [dy],
  VariableV2: () => [],
  Assign: null,
  AssignAdd: null,
  AssignSub: null,
  IsVariableInitialized: null,
  NoOp: null,
  Identity: (_op, [dy]) => [dy],
});

const SHAPE = optional("shape", kind<Shape>("Shape"), "The shape (null dimensions: any size); absent: any shape.");

/** tf.compat.v1.placeholder(dtype, shape, name): a graph input that Session.run must feed. */
export const placeholder = defineFunction(
  signature("compat.v1.placeholder", "A graph input whose value Session.run must be fed.", [param("dtype", T.dtype, "The dtype of the value fed."), SHAPE, NAME], {
    graph: true,
    args: () => ["float32", [null, 2], "x"],
  }),
  (dtype, shape, name): Tensor => {
    if (executingEagerly()) {
      throw new InvalidArgumentError("tf.placeholder() is not compatible with eager execution; build a tf.Graph (g.asDefault) or call tf.compat.v1.disableEagerExecution()");
    }
    const dt = checkDType(dtype, "tf.placeholder");
    return buildNode(getOpDef("Placeholder")!, [], { dtype: dt, shape: shape === undefined ? null : shape }, name ?? "Placeholder").outputs[0];
  },
);

/** tf.compat.v1.placeholder_with_default(input, shape, name). */
export const placeholderWithDefault = defineFunction(
  signature("compat.v1.placeholder_with_default", "A graph input that takes `input`'s value unless fed.", [param("input", T.tensor, "The default value."), SHAPE, NAME], {
    graph: true,
    args: () => [[1, 2], [null], "x"],
  }),
  (input, shape, name): Tensor => {
    if (executingEagerly()) {
      throw new InvalidArgumentError("tf.placeholderWithDefault() is not compatible with eager execution");
    }
    const op = buildNode(getOpDef("PlaceholderWithDefault")!, [input], { shape: shape ?? null }, name ?? "PlaceholderWithDefault");
    const out = op.outputs[0];
    if (shape === undefined) out.setShape(op.inputs[0].shape);
    return out;
  },
);

/** tf.no_op(): an op that does nothing, for control dependencies. */
export const noOp = defineFunction(signature("no_op", "An op that does nothing (null eagerly), for control dependencies.", [NAME], { args: () => ["nothing"] }), (name): Operation | null => {
  if (executingEagerly()) return null;
  return buildNode(getOpDef("NoOp")!, [], {}, name ?? "NoOp");
});

type Groupable = Tensor | Operation | Variable | null;

/**
 * tf.group(*inputs, name): one op that runs after all the given ops/tensors; null eagerly. As in Python, the
 * inputs may also be given as one list (tf.group([a, b])), which is flattened.
 */
export const group = defineFunction(
  signature("group", "One op that runs after all the given ops and tensors (null eagerly).", [variadic("inputs", kind<Groupable | readonly Groupable[]>("Tensor | Operation | Variable"), "The ops, tensors or variables to wait for."), NAME], {
    graph: true,
    args: (tf: { constant: (v: number) => unknown }) => [tf.constant(1), tf.constant(2)],
  }),
  (inputs, name): Operation | null => {
    if (executingEagerly()) return null;
    const g = getDefaultGraph();
    const deps = inputs.flat().filter((x): x is Tensor | Operation | Variable => x !== null && x !== undefined).map(asOperation);
    return g.controlDependencies(deps, () => buildNode(getOpDef("NoOp")!, [], {}, name ?? "group_deps"));
  },
);

const REF = param("ref", kind<Variable>("Variable"), "The variable to update.");
const USE_LOCKING = optional("useLocking", K.boolean, "Use a lock for the update (no effect here: updates never race).");
const assignExample = { graph: true, args: (tf: { Variable: new (v: unknown) => unknown }) => [new tf.Variable([1, 2]), [3, 4]] };

/** tf.compat.v1.assign(ref, value, validate_shape, use_locking, name): ref.assign(value). */
export const assign = defineFunction(
  signature(
    "compat.v1.assign",
    "Assigns a value to a variable: the Assign op's output in a graph, the variable eagerly.",
    [REF, param("value", T.tensor, "The new value."), optional("validateShape", K.boolean, "Require value's shape to be compatible with the variable's (the default)."), USE_LOCKING, NAME],
    assignExample,
  ),
  (ref, value, validateShape, useLocking, name) => {
    if (validateShape === false) throw new UnimplementedError("tf.assign with validate_shape=False (changing a variable's shape) is not implemented yet in tsflow");
    return ref.assign(value, useLocking, name);
  },
);
/** tf.compat.v1.assign_add(ref, value, use_locking, name): ref.assignAdd(value). */
export const assignAdd = defineFunction(
  signature("compat.v1.assign_add", "Adds a value to a variable.", [REF, param("value", T.tensor, "The value to add."), USE_LOCKING, NAME], assignExample),
  (ref, value, useLocking, name) => ref.assignAdd(value, useLocking, name),
);
/** tf.compat.v1.assign_sub(ref, value, use_locking, name): ref.assignSub(value). */
export const assignSub = defineFunction(
  signature("compat.v1.assign_sub", "Subtracts a value from a variable.", [REF, param("value", T.tensor, "The value to subtract."), USE_LOCKING, NAME], assignExample),
  (ref, value, useLocking, name) => ref.assignSub(value, useLocking, name),
);
