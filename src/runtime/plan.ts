import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import type { LocalDevice } from "./devices.js";
import type { FusedStep } from "./fusion.js";
import type { EpilogueStep } from "./epilogue.js";

/** One node of a compiled step: where its inputs are, where its outputs go, what can be freed after it. */
export interface PlanNode {
  readonly op: Operation;
  readonly inputSlots: readonly number[];
  /** Slot per output, or -1 when nothing in the step reads it. */
  readonly outputSlots: readonly number[];
  /** Slots whose last reader is this node (freed right after it runs). */
  readonly freeAfter: readonly number[];
  readonly device: LocalDevice;
  /** A fused group of elementwise nodes ending at `op` (runtime/fusion.ts); inputSlots are the group's. */
  readonly fused?: FusedStep;
  /** A MatMul + bias (+ Relu) ending at `op`, run as one product (runtime/epilogue.ts); inputSlots are [a, b, bias]. */
  readonly epilogue?: EpilogueStep;
}

/**
 * A compiled Session.run: the pruned, topologically ordered subgraph for one (fetches, feeds, targets),
 * as plain data. Cached by the session and replayed on every call with the same signature.
 */
export interface Plan {
  readonly nodes: readonly PlanNode[];
  readonly numSlots: number;
  readonly feedSlots: ReadonlyMap<SymbolicTensor, number>;
  readonly fetchSlots: readonly number[];
}

/** Ops needed to compute `fetches` and run `targets`, not looking behind fed tensors, in topological order. */
export function pruneAndOrder(fetches: readonly SymbolicTensor[], targets: readonly Operation[], fed: ReadonlySet<SymbolicTensor>): Operation[] {
  const order: Operation[] = [];
  const state = new Map<Operation, 1 | 2>();
  const roots = [...fetches.filter((t) => !fed.has(t)).map((t) => t.op), ...targets];
  for (const root of roots) {
    if (state.has(root)) continue;
    // Iterative DFS: deep graphs (long training unrolls) must not overflow the JS stack.
    const stack: { op: Operation; next: number }[] = [{ op: root, next: 0 }];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const deps = top.op.inputs.length + top.op.controlInputs.length;
      if (top.next < deps) {
        const i = top.next++;
        let dep: Operation | null;
        if (i < top.op.inputs.length) {
          const t = top.op.inputs[i];
          dep = fed.has(t) ? null : t.op;
        } else dep = top.op.controlInputs[i - top.op.inputs.length];
        if (dep && !state.has(dep)) {
          state.set(dep, 1);
          stack.push({ op: dep, next: 0 });
        }
      } else {
        state.set(top.op, 2);
        order.push(top.op);
        stack.pop();
      }
    }
  }
  return order;
}

export function planToString(p: Plan): string {
  return p.nodes
    .map((n, i) => `${i}: ${n.op.name} (${n.op.type}) on ${n.device.name} in=[${n.inputSlots}] out=[${n.outputSlots}] free=[${n.freeAfter}]` +
      (n.fused ? ` fused=[${n.fused.members.map((m) => m.op.name).join(",")}]` : "") +
      (n.epilogue ? ` epilogue=[${n.epilogue.members.map((m) => m.op.name).join(",")}]` : ""))
    .join("\n");
}
