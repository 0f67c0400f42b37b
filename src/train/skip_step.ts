/**
 * Graph mode: how dynamic loss scaling skips an optimizer step whose gradients are not all finite.
 *
 * TensorFlow builds the step inside a tf.cond on `finite`. Its predicate is read on the host, and a Session
 * plan with an If step is never recorded as a CUDA graph (runtime/executor.ts), so every mixed-precision
 * step on a GPU ran op by op. The default form here has no branch: the step always runs, and every variable
 * it writes ends the step at where(finite, updated, before), with the same result as skipping it (a select
 * only chooses, so the values are bit-identical to the branch's, Infinity and NaN of a discarded update
 * included). PyTorch's GradScaler and JAX/XLA skip the same way, by selecting on the device.
 *
 * Why the snapshots are real: a Session reads a variable as an alias of its current buffer, and every
 * write (Assign*, the fused training ops) stages a NEW buffer, committed when the step ends (and copied into
 * the variable's home buffer at the end of a captured CUDA graph); nothing updates a variable's buffer in
 * place. A read taken before the update therefore keeps the old value, as long as it runs before the update:
 * in a TensorFlow 1 graph the update waits for the reads through control dependencies, in a tf.function trace
 * the automatic ones order a captured variable's reads and writes (variables/variable.ts tracedWrite). The
 * reads of the updated values wait for the whole update, and the final assignments for those reads.
 *
 * The cost is two reads, one select and one assignment per written variable and step (the update itself
 * always runs; on the CPU a select with one condition shares the chosen buffer). TensorFlow 1's SGD and
 * Momentum and Keras's SGD avoid it (Optimizer._applyGradientsIfFinite, the `byInputs` form below):
 * their update's own inputs are selected on `finite` (a learning rate 0, a momentum 1, a gradient -0, the
 * global step's increment 0), which makes a skipped update leave every variable as it was, and a taken one
 * the plain update bit for bit; nothing is read before, so on a GPU the update may write in place. The `lossScaleSkip` setting
 * "cond" keeps TensorFlow's branch: where nothing is captured it can be the cheaper form (a skipped step
 * computes nothing; fewer nodes run), and it is needed for an optimizer that writes a variable this module
 * cannot know beforehand (neither a variable it updates, nor one of its slots or non-slot variables).
 */
import { getSetting } from "../core/settings.js";
import { UnimplementedError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Operation } from "../graph/operation.js";
import { group } from "../graph/state_ops.js";
import { cond } from "../ops/control_flow.js";
import { constant, where } from "../ops/creation.js";
import type { TensorLike } from "../core/tensor_like.js";
import type { Variable } from "../variables/variable.js";

/** What a step writes: `restored` end at their value before it when it is skipped; `advanced` keep the update either way. */
export interface StepWrites {
  restored: readonly Variable[];
  advanced: readonly Variable[];
}

/**
 * The optimizer step `apply` (graph mode), which writes `writes.restored` and `writes.advanced` and no other
 * variable, taking effect only where `finite` (a bool scalar) holds. `skipped` builds what a skipped step
 * does in the branch form (Keras advances its iteration counter). `byInputs` builds the step skipped by its
 * update's own inputs where the optimizer can (Optimizer._applyGradientsIfFinite), else returns null and the
 * snapshot form is built. Returns the op to run.
 */
export function applyIfFinite(
  who: string,
  finite: Tensor,
  writes: StepWrites,
  apply: () => Operation | null,
  skipped: () => void,
  byInputs: () => Operation | null = () => null,
): Operation {
  if (getSetting("lossScaleSkip") === "cond") return asBranch(finite, apply, skipped);
  const guarded = byInputs();
  if (guarded) return guarded;
  const g = getDefaultGraph();
  const first = g.getOperations().length;
  const vars = writes.restored;
  const before = g.nameScope("skip_nonfinite", () => vars.map((v) => v.readValue() as SymbolicTensor));
  const applied = g.controlDependencies(
    before.map((t) => t.op),
    apply,
  );
  checkWrites(who, g.getOperations().slice(first), writes);
  return g.nameScope("skip_nonfinite", () =>
    g.controlDependencies(applied ? [applied] : [], () => {
      const kept = vars.map((v, i) => v.assign(where(finite, v.readValue() as Tensor, before[i])));
      return group([applied, ...kept]) as Operation;
    }),
  );
}

/** TensorFlow's form: the step in a tf.cond branch, `skipped` in the other. */
function asBranch(finite: Tensor, apply: () => Operation | null, skipped: () => void): Operation {
  const taken = cond(
    finite,
    () => {
      apply();
      return constant(true);
    },
    () => {
      skipped();
      return constant(false);
    },
  ) as SymbolicTensor;
  return taken.op;
}

/** Every variable the step's ops write must be one of `writes`, else a skipped step would keep its update. */
function checkWrites(who: string, ops: readonly Operation[], writes: StepWrites): void {
  const known = new Set([...writes.restored, ...writes.advanced].map((v) => v.ref.op));
  for (const op of ops) {
    const refs = op.type === "Assign" || op.type === "AssignAdd" || op.type === "AssignSub" ? [0] : (op.def.refInputs ?? []);
    for (const i of refs) {
      const target = op.inputs[i].op;
      if (target.type !== "VariableV2" || known.has(target)) continue;
      throw new UnimplementedError(
        `${who}: the wrapped optimizer's step writes ${target.name} (${op.type} ${op.name}), which is neither a variable it updates nor one of its slots or non-slot variables, so a skipped step could not restore it; build the skip as a tf.cond with tf.config.experimental.setTsflowOptions({ lossScaleSkip: "cond" })`,
      );
    }
  }
}

/**
 * The selects of a step skipped by its update's inputs (Optimizer._applyGradientsIfFinite, TensorFlow 1's and
 * Keras's): `x` where `finite`, else `skipped`, one select per input and value, so that variables sharing a
 * hyperparameter still share one tensor (and their updates one grouped launch).
 */
export class SkipByInputs {
  readonly #made = new Map<TensorLike | string, Map<string, Tensor>>();
  constructor(private readonly finite: Tensor) {}
  guard(x: TensorLike, skipped: number, toTensor: (x: TensorLike) => TensorLike = (v) => v, dtypeKey = ""): Tensor {
    const key = typeof x === "number" ? `${Object.is(x, -0) ? "-0" : x}:${dtypeKey}` : x;
    let bySkipped = this.#made.get(key);
    if (!bySkipped) this.#made.set(key, (bySkipped = new Map()));
    const k = Object.is(skipped, -0) ? "-0" : String(skipped);
    let t = bySkipped.get(k);
    if (!t) bySkipped.set(k, (t = where(this.finite, toTensor(x), skipped)));
    return t;
  }
}
