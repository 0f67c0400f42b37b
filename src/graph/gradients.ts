import type { PyArgs } from "../ops/args.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { executingEagerly } from "../core/context.js";
import { isTensorConvertible, TensorConvertible } from "../core/tensor_like.js";
import { backprop, BackpropNode } from "../autodiff/backprop.js";
import type { Graph } from "./graph.js";
import { SymbolicTensor } from "./tensor.js";
import { addN } from "../ops/reduce.js";
import { onesLike, zerosLike } from "../ops/array.js";
import { pyArgs } from "../ops/args.js";

export interface GradientsOptions {
  gradYs?: readonly (Tensor | null)[] | Tensor | null;
  name?: string;
  stopGradients?: readonly Tensor[];
  unconnectedGradients?: "none" | "zero";
}

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
export function gradients(
  ys: Tensor | readonly Tensor[],
  xs: Tensor | TensorConvertible | readonly (Tensor | TensorConvertible)[],
  ...args: PyArgs<[gradYs: readonly (Tensor | null)[] | Tensor | null, name: string], GradientsOptions>
): (Tensor | null)[] {
  const a = pyArgs<GradientsOptions>(args, ["gradYs", "name"]);
  if (executingEagerly()) throw new InvalidArgumentError("tf.gradients is not supported when eager execution is enabled. Use tf.GradientTape instead.");
  const yList = (Array.isArray(ys) ? ys : [ys]).map((y) => asSymbolic(y as Tensor, "ys"));
  const xList = (Array.isArray(xs) ? xs : [xs]).map((x) => asSymbolic(x as Tensor | TensorConvertible, "xs"));
  const g: Graph = yList[0].graph;
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
}
