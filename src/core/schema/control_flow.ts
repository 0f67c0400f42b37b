import type { DType } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import type { Shape } from "../shape.js";
import { shapeStr } from "../shape.js";
import { type AttrDef, type InferFn, type OpSchema, schemaRows } from "./types.js";

/**
 * Functional control flow, as TensorFlow 2 builds it (cond_v2, while_v2): If and While nodes whose `func`
 * attrs name function bodies (small graphs with argument placeholders and outputs) of the graph's function
 * library (graph/func_graph.ts). The Session's executor runs them itself by running the bodies' compiled
 * plans (runtime/control_flow.ts); they have no backend kernel. The Stateless variants are what TensorFlow
 * emits when no body holds a stateful op. A `func` attr's value is TensorFlow's NameAttrList in JS form,
 * `{ name }`.
 *
 * WhileGrad is tsflow's own: the gradient of a While. It takes each iteration's loop state from the forward
 * While node (attr `forward`) when the same Session step ran it (the executor keeps the states of a While
 * whose gradient is in the plan, as TensorFlow's accumulators do), else re-runs the forward loop to get them,
 * and then applies the body's gradient function (attr `body_grad`) from the last iteration back.
 */

const OUTPUT_SHAPES: AttrDef = { name: "output_shapes", type: "list(shape)", default: [] };

/** Outputs from the dtype-list attr and the shapes attr (an empty list: unknown shapes). */
function fromAttrs(typesAttr: string): InferFn {
  return (_inputs, attrs, name) => {
    const types = attrs[typesAttr] as readonly DType[];
    const shapes = attrs.output_shapes as readonly Shape[];
    if (shapes.length !== 0 && shapes.length !== types.length) {
      throw new InvalidArgumentError(`${name}: ${types.length} output dtypes but ${shapes.length} output shapes`);
    }
    return types.map((dtype, i) => ({ dtype, shape: shapes.length ? shapes[i] : null }));
  };
}

function ifRow<T extends string>(type: T, stateful: boolean) {
  return {
    type,
    name: "cond",
    inputNames: ["cond", "input"],
    inputs: [
      { name: "cond", typeAttr: "Tcond" },
      { name: "input", typeAttr: "Tin" },
    ],
    outputs: [{ name: "output", typeAttr: "Tout" }],
    attrs: [
      { name: "Tin", type: "list(type)", default: [] },
      { name: "Tout", type: "list(type)", default: [] },
      { name: "then_branch", type: "func" },
      { name: "else_branch", type: "func" },
      OUTPUT_SHAPES,
    ],
    stateful,
    infer: ((inputs, attrs, name) => {
      const pred = inputs[0];
      if (pred.dtype !== "bool" || (pred.shape !== null && pred.shape.length !== 0)) {
        throw new InvalidArgumentError(
          `${name}: the predicate of tf.cond must be a scalar bool tensor, got a ${pred.dtype} tensor of shape ${shapeStr(pred.shape)}`,
        );
      }
      return fromAttrs("Tout")(inputs, attrs, name);
    }) as InferFn,
    doc: "Runs then_branch or else_branch (functions of the graph's library) on the inputs, as `cond` says.",
  } as const satisfies OpSchema;
}

function whileRow<T extends string>(type: T, stateful: boolean) {
  return {
    type,
    name: "while",
    inputNames: ["input"],
    inputs: [{ name: "input", typeAttr: "T" }],
    outputs: [{ name: "output", typeAttr: "T" }],
    attrs: [
      { name: "T", type: "list(type)", default: [] },
      { name: "cond", type: "func" },
      { name: "body", type: "func" },
      OUTPUT_SHAPES,
      { name: "parallel_iterations", type: "int", default: 10 },
    ],
    stateful,
    infer: fromAttrs("T"),
    doc: "Runs body on the loop variables while cond (functions of the graph's library) holds; outputs the last values.",
  } as const satisfies OpSchema;
}

/** The most specific shape both `a` and `b` fit (Merge's output: its inputs' shapes may differ). */
function commonShape(a: Shape, b: Shape): Shape {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d === b[i] ? d : null));
}

export const CONTROL_FLOW_OPS = schemaRows([
  // TensorFlow 1's dataflow control flow (tf.cond before cond_v2), as frozen TF1 graphs hold it: Switch sends
  // its data to one output and a "dead" value to the other; an op with a dead input or control input is
  // dead too; Merge forwards its first live input. The Session's executor runs both (runtime/executor.ts).
  {
    type: "Switch",
    inputNames: ["data", "pred"],
    inputs: [
      { name: "data", typeAttr: "T" },
      { name: "pred", type: "bool" },
    ],
    outputs: [
      { name: "output_false", typeAttr: "T" },
      { name: "output_true", typeAttr: "T" },
    ],
    infer: (([data, pred], _attrs, name) => {
      if (pred.dtype !== "bool" || (pred.shape !== null && pred.shape.length !== 0)) {
        throw new InvalidArgumentError(`${name}: Switch's pred must be a scalar bool tensor, got a ${pred.dtype} tensor of shape ${shapeStr(pred.shape)}`);
      }
      return [
        { dtype: data.dtype, shape: data.shape },
        { dtype: data.dtype, shape: data.shape },
      ];
    }) as InferFn,
    doc: "TensorFlow 1 control flow: forwards data to output_true when pred holds, else to output_false; the other output is dead.",
  },
  {
    type: "Merge",
    inputNames: [],
    inputs: [{ name: "inputs", typeAttr: "T", numberAttr: "N" }],
    outputs: [
      { name: "output", typeAttr: "T" },
      { name: "value_index", type: "int32" },
    ],
    infer: ((inputs, _attrs, name) => {
      if (inputs.length === 0) throw new InvalidArgumentError(`${name}: Merge needs at least one input`);
      const d = inputs[0].dtype;
      for (const t of inputs) if (t.dtype !== d) throw new InvalidArgumentError(`${name}: Merge's inputs must all have dtype ${d}, got ${t.dtype}`);
      return [
        { dtype: d, shape: inputs.slice(1).reduce((sh, t) => commonShape(sh, t.shape), inputs[0].shape) },
        { dtype: "int32", shape: [] },
      ];
    }) as InferFn,
    doc: "TensorFlow 1 control flow: forwards the first of its inputs that is not dead, and its index.",
  },
  ifRow("If", true),
  ifRow("StatelessIf", false),
  whileRow("While", true),
  whileRow("StatelessWhile", false),
  {
    type: "WhileGrad",
    name: "while_grad",
    inputNames: ["input", "grad"],
    attrs: [
      { name: "T", type: "list(type)", default: [] },
      { name: "cond", type: "func" },
      { name: "body", type: "func" },
      { name: "body_grad", type: "func" },
      OUTPUT_SHAPES,
      // The forward While node: where the same Session step ran it, its loop states are reused.
      { name: "forward", type: "string", default: "" },
    ],
    // Re-runs the forward loop: it reads the variables the body reads, so it is never folded or moved.
    stateful: true,
    infer: fromAttrs("T"),
    doc: "The gradient of a While: inputs are the While's inputs then the gradients of its outputs; outputs the gradients of its inputs.",
  },
]);
