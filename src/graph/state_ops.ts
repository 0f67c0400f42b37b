import { executingEagerly } from "../core/context.js";
import { checkDType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { defineFunction, kind, optional, param, signature, variadic } from "../core/signature.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorConvertible } from "../core/tensor_like.js";
import { NAME, T } from "../ops/params.js";
import { getOpDef } from "../ops/registry.js";
import { buildNode } from "./build.js";
import { getDefaultGraph } from "./default_graph.js";
import type { Operation } from "./operation.js";
import { asOperation } from "./scopes.js";

/** Public ops that exist only in a graph (their rows are in ops/state.ts): placeholders, tf.no_op, tf.group. */

const SHAPE = optional("shape", kind<Shape>("Shape"), "The shape (null dimensions: any size); absent: any shape.");

/** tf.compat.v1.placeholder(dtype, shape, name): a graph input that Session.run must feed. */
export const placeholder = defineFunction(
  signature(
    "compat.v1.placeholder",
    "A graph input whose value Session.run must be fed.",
    [param("dtype", T.dtype, "The dtype of the value fed."), SHAPE, NAME],
    {
      graph: true,
      args: () => ["float32", [null, 2], "x"],
    },
  ),
  (dtype, shape, name): Tensor => {
    if (executingEagerly()) {
      throw new InvalidArgumentError(
        "tf.placeholder() is not compatible with eager execution; build a tf.Graph (g.asDefault) or call tf.compat.v1.disableEagerExecution()",
      );
    }
    const dt = checkDType(dtype, "tf.placeholder");
    return buildNode(getOpDef("Placeholder")!, [], { dtype: dt, shape: shape === undefined ? null : shape }, name ?? "Placeholder").outputs[0];
  },
);

/** tf.compat.v1.placeholder_with_default(input, shape, name). */
export const placeholderWithDefault = defineFunction(
  signature(
    "compat.v1.placeholder_with_default",
    "A graph input that takes `input`'s value unless fed.",
    [param("input", T.tensor, "The default value."), SHAPE, NAME],
    {
      graph: true,
      args: () => [[1, 2], [null], "x"],
    },
  ),
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
export const noOp = defineFunction(
  signature("no_op", "An op that does nothing (null eagerly), for control dependencies.", [NAME], { args: () => ["nothing"] }),
  (name): Operation | null => {
    if (executingEagerly()) return null;
    return buildNode(getOpDef("NoOp")!, [], {}, name ?? "NoOp");
  },
);

type Groupable = Tensor | Operation | TensorConvertible | null;

/**
 * tf.group(*inputs, name): one op that runs after all the given ops/tensors; null eagerly. As in Python, the
 * inputs may also be given as one list (tf.group([a, b])), which is flattened.
 */
export const group = defineFunction(
  signature(
    "group",
    "One op that runs after all the given ops and tensors (null eagerly).",
    [variadic("inputs", kind<Groupable | readonly Groupable[]>("Tensor | Operation | Variable"), "The ops, tensors or variables to wait for."), NAME],
    {
      graph: true,
      args: (tf: { constant: (v: number) => unknown }) => [tf.constant(1), tf.constant(2)],
    },
  ),
  (inputs, name): Operation | null => {
    if (executingEagerly()) return null;
    const g = getDefaultGraph();
    const deps = inputs
      .flat()
      .filter((x): x is Tensor | Operation | TensorConvertible => x !== null && x !== undefined)
      .map(asOperation);
    return g.controlDependencies(deps, () => buildNode(getOpDef("NoOp")!, [], {}, name ?? "group_deps"));
  },
);
