import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { executingEagerly } from "../core/context.js";
import { isTensorConvertible, TensorConvertible } from "../core/tensor_like.js";
import { backprop, BackpropNode } from "../autodiff/backprop.js";
import type { Graph } from "./graph.js";
import { FuncGraph } from "./func_graph.js";
import { SymbolicTensor } from "./tensor.js";
import { addN } from "../ops/reduce.js";
import { onesLike, zerosLike } from "../ops/creation.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";

const gradientsSignature = signature(
  "gradients",
  "Builds the graph of the derivatives of sum(ys) with respect to each of xs (graph mode).",
  [
    param("ys", kind<Tensor | readonly Tensor[]>("Tensor | Tensor[]"), "The tensors to differentiate."),
    param(
      "xs",
      kind<Tensor | TensorConvertible | readonly (Tensor | TensorConvertible)[]>("Tensor | Variable | (Tensor | Variable)[]"),
      "What to differentiate with respect to.",
    ),
    optional(
      "gradYs",
      kind<readonly (Tensor | null)[] | Tensor | null>("(Tensor | null)[] | Tensor | null"),
      "The initial gradient of each y (default: ones).",
    ),
    withDefault("name", K.string, "gradients", "The name scope of the gradient ops."),
    withDefault("colocateGradientsWithOps", K.boolean, false, "Place gradients with their ops (no effect here)."),
    withDefault("gateGradients", K.boolean, false, "Group the gradients of an op (no effect here)."),
    optional("aggregationMethod", kind<unknown>("unknown"), "How gradient terms are combined (only adding is implemented)."),
    optional("stopGradients", kind<readonly Tensor[]>("Tensor[]"), "Tensors through which no gradient flows."),
    withDefault("unconnectedGradients", kind<"none" | "zero">('"none" | "zero"'), "none", "What an unconnected x gets: null (none) or zeros."),
  ],
  {
    graph: true,
    args: (tf: { placeholder: (d: string, s: number[]) => Tensor; square: (x: Tensor) => Tensor }) => {
      const x = tf.placeholder("float32", [2]);
      return [tf.square(x), x];
    },
  },
);

function asSymbolic(x: Tensor | TensorConvertible, what: string): SymbolicTensor {
  if (isTensorConvertible(x)) return x.ref as SymbolicTensor;
  if (!(x instanceof SymbolicTensor)) {
    throw new InvalidArgumentError(`tf.gradients is not supported when eager execution is enabled; use tf.GradientTape (${what} is an eager tensor)`);
  }
  return x;
}

/**
 * tf.gradients(ys, xs, grad_ys, name, ...): builds the graph of d(sum ys)/d(xs) from the op table's
 * gradient rules, under the name scope "gradients". Unconnected xs give null (or zeros).
 */
export const gradients = defineFunction(
  gradientsSignature,
  (ys, xs, gradYs, name, _colocate, _gate, _aggregation, stopGradients, unconnectedGradients): (Tensor | null)[] => {
    const a = { gradYs, name, stopGradients, unconnectedGradients };
    if (executingEagerly()) throw new InvalidArgumentError("tf.gradients is not supported when eager execution is enabled. Use tf.GradientTape instead.");
    const yList = (Array.isArray(ys) ? ys : [ys]).map((y) => asSymbolic(y as Tensor, "ys"));
    const g: Graph = yList[0].graph;
    // In a function body, a tensor of an enclosing graph is differentiated through its capture.
    const xList = (Array.isArray(xs) ? xs : [xs]).map((x) => {
      const sym = asSymbolic(x as Tensor | TensorConvertible, "xs");
      return g instanceof FuncGraph && sym.graph !== g ? g.capture(sym) : sym;
    });
    const gys = a.gradYs == null ? [] : Array.isArray(a.gradYs) ? (a.gradYs as (Tensor | null)[]) : [a.gradYs as Tensor];
    const stop = new Set((a.stopGradients ?? []).map((t) => asSymbolic(t, "stopGradients")));
    return g.asDefault(() =>
      g.nameScope(a.name ?? "gradients", () => {
        const seeds = new Map<unknown, Tensor>();
        yList.forEach((y, i) => {
          const seed = gys[i] ?? onesLike(y);
          seeds.set(y, seeds.has(y) ? addN([seeds.get(y)!, seed]) : seed);
        });
        const nodes: BackpropNode[] = g.getOperations().map((op) => ({
          def: op.def,
          name: op.name,
          inputKeys: op.inputs.map((t) => (stop.has(t) ? null : t)),
          outputKeys: op.outputs,
          op: { type: op.type, inputs: op.inputs, outputs: op.outputs, attrs: op.attrs },
        }));
        const grads = backprop(nodes, seeds, xList, {
          aggregate: (ts) => addN(ts),
          zerosLike: (t) => zerosLike(t),
          scoped: (n, fn) => g.nameScope(`${n.name}_grad`, fn),
        });
        return grads.map((gr, i) => (gr === null && a.unconnectedGradients === "zero" ? zerosLike(xList[i]) : gr));
      }),
    );
  },
);
