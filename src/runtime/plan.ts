import type { Backend } from "../core/backend.js";
import type { FusedProgram } from "../core/fused.js";
import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import type { LocalDevice } from "../backends/placement.js";

/**
 * A compiled Session.run (runtime/compile.ts builds it, runtime/executor.ts runs it): the pruned, ordered
 * subgraph for one (fetches, feeds, targets) as a list of steps over numbered value slots. Each step reads
 * its input slots, writes its output slots and frees the slots whose last reader it is. The steps are a
 * tagged union, one kind per way of running:
 *
 * - "op": one graph node, run by its device's backend (or by the executor for the runtime's own ops); an
 *   optimizer update may read its gradient's 16-bit value in place of a Cast to float32 (runtime/cast_updates.ts);
 *   a node computed from constants alone runs once and is kept (runtime/constant_folding.ts).
 * - "fused": a chain of elementwise nodes as one kernel (runtime/fusion.ts).
 * - "epilogue": MatMul or Conv2D + bias (+ Relu) as one product (runtime/epilogue.ts).
 * - "update_group": variable updates of one device run together (runtime/grouped_updates.ts).
 * - "if", "while", "while_grad": functional control flow (runtime/control_flow.ts): a node whose function
 *   bodies are compiled into plans of their own once, with the plan, and run by the executor per call.
 * - "copy": a value moved to the device of its readers (runtime/copies.ts), inserted where a value crosses
 *   devices. A transfer between processes will be a pair of steps of two further kinds, "send" on the
 *   producing task's plan and "recv" on the reading one's, meeting at a rendezvous key; a plan then belongs
 *   to one task, and compile.ts partitions the graph before these passes.
 */
export type PlanStep = OpStep | FusedStep | EpilogueStep | UpdateGroupStep | CopyStep | IfStep | WhileStep | WhileGradStep;

/** What every step has: where its inputs are, where its outputs go, what can be freed after it. */
interface StepSlots {
  readonly inputSlots: readonly number[];
  /** Slot per output, or -1 when nothing in the step reads it. */
  readonly outputSlots: readonly number[];
  /** Slots whose last reader is this step (freed right after it runs). */
  readonly freeAfter: readonly number[];
  /** Where the step runs. */
  readonly device: LocalDevice;
}

/** One graph node. */
export interface OpStep extends StepSlots {
  readonly kind: "op";
  readonly op: Operation;
  /**
   * An optimizer update only: the Cast to float32 of its gradient that it absorbed (runtime/cast_updates.ts).
   * Its input slot holds the Cast's 16-bit input, which the update's kernel widens as it reads it.
   */
  readonly foldedCast?: Operation;
  /** Its value depends on constants only: computed once per session and device, then reused (runtime/constant_folding.ts). */
  readonly folded?: true;
}

/** A fused group of elementwise nodes ending at `op` (the root); inputSlots are the group's external inputs. */
export interface FusedStep extends StepSlots {
  readonly kind: "fused";
  readonly op: Operation;
  readonly program: FusedProgram;
  /** The original nodes, run one by one when the backend declines the program. */
  readonly members: readonly OpStep[];
  /**
   * Per member, the intermediates (members' outputs) to free after it when the members run one by one. The
   * group's inputs are freed by the fused step itself: other groups' steps may read them later now.
   */
  readonly innerFree: readonly (readonly number[])[];
}

/** A MatMul + bias (+ Relu) ending at `op`, run as one product; inputSlots are [a, b, bias]. */
export interface EpilogueStep extends StepSlots {
  readonly kind: "epilogue";
  readonly op: Operation;
  readonly members: readonly OpStep[];
  /** Per member, the intermediates to free after it when the members run one by one (as FusedStep's). */
  readonly innerFree: readonly (readonly number[])[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly relu: boolean;
  /** Intermediate slots read (after the group) by Shape nodes only: they get the result. */
  readonly shapeSlots: readonly number[];
}

/**
 * Variable updates of one device (optimizer updates, AssignAdd, AssignSub) run together: per op type, one
 * launch for many variables where the backend groups them (Backend.runKernelGroup), else one by one. inputSlots are the members' input slots, concatenated;
 * outputSlots the members' outputs (variable references).
 */
export interface UpdateGroupStep extends StepSlots {
  readonly kind: "update_group";
  readonly members: readonly OpStep[];
}

/** A value moved from the device that produced it to the device of the steps that read `outputSlots[0]`. */
export interface CopyStep extends StepSlots {
  readonly kind: "copy";
  /** The tensor whose value moves (for plans and traces). */
  readonly tensor: SymbolicTensor;
  readonly from: LocalDevice;
  /** The value is a constant's (runtime/constant_folding.ts): copied once per session, then reused. */
  readonly folded?: true;
}

/** An If node (inputSlots: the predicate, then the arguments): runs the plan of the branch it selects. */
export interface IfStep extends StepSlots {
  readonly kind: "if";
  readonly op: Operation;
  /** The then and else branches' plans: fed the arguments, fetching the outputs. */
  readonly branches: readonly [Plan, Plan];
}

/** A While node: runs `body` on the loop variables while `cond` says so. */
export interface WhileStep extends StepSlots {
  readonly kind: "while";
  readonly op: Operation;
  readonly cond: Plan;
  readonly body: Plan;
  /** A WhileGrad of this plan differentiates it: keep each iteration's loop variables for it. */
  readonly keepStates: boolean;
  /** Outputs of `body` after the loop variables: random draws kept with each iteration's state. */
  readonly drawn: number;
}

/**
 * A WhileGrad node (inputSlots: the While's inputs, then the gradients of its outputs): takes every
 * iteration's loop variables from its forward While (`forward`, when in this plan and kept), else re-runs the
 * loop to get them, then runs `bodyGrad` on them from the last iteration back.
 */
export interface WhileGradStep extends StepSlots {
  readonly kind: "while_grad";
  readonly op: Operation;
  readonly cond: Plan;
  /** The body without the ops run only for their effect (a re-run must not assign twice). */
  readonly body: Plan;
  readonly bodyGrad: Plan;
  /** `bodyGrad` fed the forward pass's random draws (kept with the states) after its inputs; null: none. */
  readonly keptBodyGrad: Plan | null;
  /** The forward While node when the same plan runs it first. */
  readonly forward: Operation | null;
}

/** A compiled Session.run, as plain data. Cached by the session and run on every call with the same signature. */
export interface Plan {
  readonly steps: readonly PlanStep[];
  readonly numSlots: number;
  readonly feedSlots: ReadonlyMap<SymbolicTensor, number>;
  readonly fetchSlots: readonly number[];
  /** The variables the plan touches (VariableV2 ops), in order. */
  readonly variables: readonly Operation[];
  /**
   * The backend that may record this plan as one replayable step (Backend.stepCapture): every step there,
   * no random op, no host-side state check; null otherwise.
   */
  readonly captureOn: Backend | null;
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

/** `steps` with each slot freed after its last reader, except `keep` (fetched and fed slots). */
export function withFrees(steps: readonly PlanStep[], keep: ReadonlySet<number>): PlanStep[] {
  const lastUse = new Map<number, number>();
  steps.forEach((n, i) => {
    for (const s of n.inputSlots) lastUse.set(s, i);
  });
  const freeAfter: number[][] = steps.map(() => []);
  for (const [s, i] of lastUse) if (!keep.has(s)) freeAfter[i].push(s);
  return steps.map((n, i) => ({ ...n, freeAfter: freeAfter[i] }));
}

/** Slots read from outside the plan (fetched and fed): never freed, never computed inside a group. */
export function keptSlots(plan: Plan): Set<number> {
  return new Set<number>([...plan.fetchSlots, ...plan.feedSlots.values()]);
}

/** Ops whose outputs are variable references: their readers must read the variable when they run. */
const REF_PRODUCERS: ReadonlySet<string> = new Set(["VariableV2", "Assign", "AssignAdd", "AssignSub"]);

/** Whether a tensor is a variable reference (a variable, an assignment, a training op's output). */
export function isRef(t: SymbolicTensor): boolean {
  return REF_PRODUCERS.has(t.op.type) || t.op.def.refInputs !== undefined;
}

/** Ops the executor runs itself (state, feeds), on whatever device they are placed. */
export const RUNTIME_OPS: ReadonlySet<string> = new Set([
  "Const",
  "Placeholder",
  "VariableV2",
  "NoOp",
  "IsVariableInitialized",
  "Assign",
  "AssignAdd",
  "AssignSub",
  // Functional control flow: the executor runs the bodies' plans (runtime/control_flow.ts).
  "If",
  "StatelessIf",
  "While",
  "StatelessWhile",
  "WhileGrad",
  // TensorFlow 1's dataflow control flow: the executor forwards values and dead values (executor.ts).
  "Switch",
  "Merge",
  "OneShotIterator",
  "IteratorV2",
  "MakeIterator",
  "IteratorGetNext",
  // tf.summary inside a tf.function: the host writer captured at trace time writes (runtime/executor.ts).
  "WriteSummary",
]);

/** Runtime ops that read or write the host (tf.data iterators, summary writes): a step holding one is never recorded for replay. */
export const HOST_INPUT_OPS: ReadonlySet<string> = new Set(["MakeIterator", "IteratorGetNext", "WriteSummary"]);

/** The graph nodes a step runs (a copy runs none). */
export function stepOps(step: PlanStep): readonly Operation[] {
  return step.kind === "copy"
    ? []
    : step.kind === "op" || step.kind === "if" || step.kind === "while" || step.kind === "while_grad"
      ? [step.op]
      : step.members.map((m) => m.op);
}

/** The plan suffix naming the Casts folded into these op steps (runtime/cast_updates.ts), or "". */
function folded(steps: readonly OpStep[]): string {
  const casts = steps.flatMap((s) => (s.foldedCast ? [s.foldedCast.name] : []));
  return casts.length > 0 ? ` folded=[${casts.join(",")}]` : "";
}

/** The graph node a step is named after in plans and traces (a group's last node), or null for a copy. */
function stepOp(s: PlanStep): Operation | null {
  return s.kind === "copy" ? null : s.kind === "update_group" ? s.members[s.members.length - 1].op : s.op;
}

/** One line per step: `describePlan`'s output. */
export function planToString(p: Plan): string {
  return p.steps
    .map((n, i) => {
      const where = `on ${n.device.name} in=[${n.inputSlots}] out=[${n.outputSlots}] free=[${n.freeAfter}]`;
      switch (n.kind) {
        case "op":
          return `${i}: ${n.op.name} (${n.op.type}) ${where}${folded([n])}${n.folded ? " constant-folded" : ""}`;
        case "fused":
          return `${i}: ${n.op.name} (${n.op.type}) ${where} fused=[${n.members.map((m) => m.op.name).join(",")}]`;
        case "epilogue":
          return `${i}: ${n.op.name} (${n.op.type}) ${where} epilogue=[${n.members.map((m) => m.op.name).join(",")}]`;
        case "update_group":
          return `${i}: ${stepOp(n)!.name} (${[...new Set(n.members.map((m) => m.op.type))].join("+")}) ${where} group=[${n.members.map((m) => m.op.name).join(",")}]${folded(n.members)}`;
        case "copy":
          return `${i}: ${n.tensor.name} (copy from ${n.from.name}) ${where}${n.folded ? " constant-folded" : ""}`;
        case "if":
        case "while":
        case "while_grad":
          return `${i}: ${n.op.name} (${n.op.type}) ${where}`;
      }
    })
    .join("\n");
}
