import { isFloating } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor as AnyTensor } from "../core/tensor.js";
import { markKnownZeros } from "../ops/grad_util.js";
import type { GradOp, OpDef } from "../ops/registry.js";

/** One recorded op, seen the same way whether it came from a graph or from a tape. */
export interface BackpropNode {
  readonly def: OpDef;
  readonly name: string;
  readonly inputKeys: readonly unknown[];
  readonly outputKeys: readonly unknown[];
  readonly op: GradOp;
}

export interface BackpropHooks {
  /** Sums gradients that reach one tensor along several paths (AddN). */
  aggregate(grads: AnyTensor[]): AnyTensor;
  zerosLike(t: AnyTensor): AnyTensor;
  /** Wraps the gradient computation of one node (graph mode names it "gradients/<op>_grad"). */
  scoped<T>(node: BackpropNode, fn: () => T): T;
}

/**
 * Reverse-mode differentiation over nodes given in forward (topological) order: the single algorithm
 * behind both tf.gradients and GradientTape. Gradient rules come from the op table only.
 */
export function backprop(
  nodes: readonly BackpropNode[],
  seeds: ReadonlyMap<unknown, AnyTensor>,
  sourceKeys: readonly unknown[],
  hooks: BackpropHooks,
): (AnyTensor | null)[] {
  const reachable = new Set<unknown>(sourceKeys);
  const forward: boolean[] = nodes.map((n) => {
    if (!n.inputKeys.some((k) => reachable.has(k))) return false;
    for (const k of n.outputKeys) reachable.add(k);
    return true;
  });
  const needed = new Set<unknown>(seeds.keys());
  const relevant: boolean[] = new Array(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!forward[i] || !n.outputKeys.some((k) => needed.has(k))) continue;
    relevant[i] = true;
    for (const k of n.inputKeys) needed.add(k);
  }

  const pending = new Map<unknown, AnyTensor[]>();
  for (const [k, g] of seeds) pending.set(k, [g]);
  const take = (k: unknown): AnyTensor | null => {
    const list = pending.get(k);
    if (!list || list.length === 0) return null;
    const g = list.length === 1 ? list[0] : hooks.aggregate(list);
    pending.set(k, [g]);
    return g;
  };

  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!relevant[i]) continue;
    const n = nodes[i];
    const outGrads = n.outputKeys.map(take);
    if (outGrads.every((g) => g === null)) continue;
    if (n.def.grad === null) continue;
    if (n.def.grad === undefined) {
      throw new InvalidArgumentError(`No gradient defined for operation '${n.name}' (op type: ${n.def.type})`);
    }
    const gradFn = n.def.grad;
    const dys = outGrads.map((g, j) => {
      if (g !== null) return g;
      const z = hooks.zerosLike(n.op.outputs[j]);
      markKnownZeros(z);
      return z;
    });
    const src = n.op;
    const op: GradOp = { type: src.type, inputs: src.inputs, outputs: src.outputs, attrs: src.attrs, needsGradient: n.inputKeys.map((k) => reachable.has(k)) };
    const dxs = hooks.scoped(n, () => gradFn(op, dys));
    dxs.forEach((dx, j) => {
      if (dx === null || dx === undefined) return;
      const key = n.inputKeys[j];
      if (!needed.has(key) || !isFloating(n.op.inputs[j].dtype)) return;
      const list = pending.get(key);
      if (list) list.push(dx);
      else pending.set(key, [dx]);
    });
  }
  return sourceKeys.map(take);
}
