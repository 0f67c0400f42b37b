import { FailedPreconditionError, InvalidArgumentError, OpError, OutOfRangeError } from "../core/errors.js";
import { isFullyDefined, sameShape, shapeStr } from "../core/shape.js";
import { checkAllocation, checkDims } from "../core/shape_check.js";
import type { TensorSpec } from "../core/schema/types.js";
import type {
  Backend,
  CapturedStep,
  DeviceMark,
  DeviceTimer,
  Handle,
  KernelEnv,
  RandomSource,
  StepCapture,
  StepRun,
  UpdateGroupCall,
} from "../core/backend.js";
import { fusedShape } from "../core/fused.js";
import { allocationDevice } from "../backends/placement.js";
import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { sessionRandomSource } from "../ops/random_state.js";
import { describePlaceholder } from "./feeds.js";
import {
  type CopyStep,
  type EpilogueStep,
  type FusedStep,
  type IfStep,
  type OpStep,
  type Plan,
  type PlanStep,
  stepOps,
  type UpdateGroupStep,
  type WhileGradStep,
  type WhileStep,
} from "./plan.js";
import { type HostIterator, ITERATOR, type IteratorFactory, ResourceStore, ResourceTable, type SummarySink, VARIABLE } from "./resources.js";
import type { RunMetadata } from "./session_config.js";
import { type NodeClock, type NodeExecStats, nodeExecStats, StepStatsBuilder } from "../core/step_stats.js";
import { DeviceSpans } from "../core/device_spans.js";
import { profiling, recordingSpans, recordStepStats } from "../core/profiler.js";

/**
 * A variable's output before it is read: Assign writes through it, everything else reads it. An iterator op's
 * handle is one too (its op finds the session's iterator).
 */
class VarRef {
  constructor(readonly op: Operation) {}
}
/**
 * TensorFlow 1 control flow's "dead" value: the output of a Switch that its predicate did not choose, and of
 * every op that reads a dead value or waits on a dead op (Merge excepted). Only plans holding a Switch meet it.
 */
class Dead {
  readonly dead = true;
}
const DEAD = new Dead();
type SlotValue = Handle | VarRef | Dead | undefined;

/** Plans holding a Switch (whose steps then check for dead inputs), found once per plan. */
const deadnessPlans = new WeakMap<Plan, boolean>();
function hasDeadness(plan: Plan): boolean {
  let d = deadnessPlans.get(plan);
  if (d === undefined) {
    d = plan.steps.some((s) => s.kind === "op" && s.op.type === "Switch");
    deadnessPlans.set(plan, d);
  }
  return d;
}

/**
 * Whether a step is dead (TensorFlow's deadness rules): a Merge only when every input is dead; any other step
 * when an input is dead or one of its nodes waits (control input) on a dead node. Dead nodes join `deadOps`.
 */
function isDeadStep(step: PlanStep, slots: readonly SlotValue[], deadOps: Set<Operation>): boolean {
  const ops = stepOps(step);
  let dead: boolean;
  if (step.kind === "op" && step.op.type === "Merge") dead = step.inputSlots.every((s) => slots[s] === DEAD);
  else dead = step.inputSlots.some((s) => slots[s] === DEAD) || (deadOps.size > 0 && ops.some((op) => op.controlInputs.some((c) => deadOps.has(c))));
  if (dead) for (const op of ops) deadOps.add(op);
  return dead;
}

/** Variable writes of a running step, committed to the resource store only when the whole step succeeds. */
type Overlay = Map<Operation, Handle>;

/**
 * A traced step (RunOptions FULL_TRACE, or the profiler recording): stats per device, the device marks of
 * GPU work, and the kernel clock of the node running (set around its kernel call; NaN when a step has none).
 */
class Trace {
  readonly stats = new StepStatsBuilder();
  op0 = Number.NaN;
  op1 = Number.NaN;
  constructor(readonly spans: DeviceSpans | null) {}
}

/**
 * Runs compiled plans (runtime/plan.ts) for one session: the loop over the plan's steps, reading and freeing
 * value slots; variable writes staged and committed on success; FULL_TRACE step stats; and, where the plan's
 * backend offers the capability (Backend.stepCapture), recording a step the second time its signature runs
 * and replaying it from then on.
 */
export class Executor {
  readonly #vars: ResourceTable<Handle>;
  readonly #iterators: ResourceTable<HostIterator>;
  /** Const values uploaded once per session, per device (an op placed on two devices gets two copies). */
  readonly #constants = new Map<Backend, Map<Operation, Handle>>();
  readonly #rngs = new Map<Operation, RandomSource>();
  /** Per plan and feed signature: runs so far, or the recorded step, or "never" (see run). */
  readonly #recorded = new WeakMap<Plan, Map<string, CapturedStep | number | "never">>();
  readonly #captured = new Set<CapturedStep>();
  /** Per While node of the running step whose gradient comes later in it: each iteration's loop variables. */
  readonly #states = new Map<Operation, SlotValue[][]>();
  /** How the last step that may be recorded ran (#runRecorded sets it, #recordWhole reads it). */
  #lastRun: "uncaptured" | "capture" | "replay" = "uncaptured";
  /** A timed replay's marks between the plan's steps (#runRecorded sets them, #recordWhole takes them). */
  #lastMarks: DeviceMark[] | null = null;
  /** The step being traced, whose kernel calls note their clock (#runOp, #runFused, #runEpilogue). */
  #trace: Trace | null = null;

  constructor(resources: ResourceStore) {
    this.#vars = resources.table(VARIABLE);
    this.#iterators = resources.table(ITERATOR);
  }

  /** Releases what the executor holds (recorded steps, uploaded constants); the session clears its resources. */
  close(): void {
    for (const st of this.#captured) (st.backend.stepCapture as StepCapture).release(st);
    this.#captured.clear();
  }

  /** Releases the cached constants (after the variables, as a session closes). */
  releaseConstants(): void {
    for (const m of this.#constants.values()) for (const h of m.values()) h.backend.dispose(h);
    this.#constants.clear();
  }

  /**
   * Runs a step and returns the fetched values (the caller owns them). A plan that can be recorded (all its
   * steps on one backend with Backend.stepCapture: a GPU) is recorded the second time it is run with the
   * same fetches, feeds and feed shapes (the first run fills the constant caches and compiles the kernels),
   * and replayed from then on: one launch instead of one per op. A step the backend cannot record (a host
   * read inside a kernel) runs as before, for good. FULL_TRACE runs uncaptured until the step is recorded.
   */
  run(plan: Plan, feeds: Map<SymbolicTensor, Handle>, options?: { traceLevel?: number }, meta?: RunMetadata): Handle[] {
    const cap = plan.captureOn?.stepCapture;
    if (!cap?.enabled) return this.#execute(plan, feeds, options, meta);
    const fullTrace = options?.traceLevel === 3;
    if (!profiling && !fullTrace) return this.#runRecorded(plan, feeds, cap, false);
    if (fullTrace && typeof this.#bySignature(plan).get(this.#signature(plan, feeds)) !== "object") {
      return this.#execute(plan, feeds, options, meta);
    }
    return this.#recordWhole(plan, feeds, cap, fullTrace, meta);
  }

  /**
   * A step that may be recorded, traced (the profiler, or FULL_TRACE once it is recorded): its nodes are
   * traced when it runs uncaptured; a capture or a replay is one host entry ("CudaGraphCapture",
   * "CudaGraphReplay"), because the nodes of a CUDA graph run inside one launch. A replay's device work is
   * timed node by node where the backend replays a timed variant of the graph (StepCapture.replayTimed: marks
   * recorded inside it), else, like a capture, as one span around the launch.
   */
  #recordWhole(plan: Plan, feeds: Map<SymbolicTensor, Handle>, cap: StepCapture, fullTrace: boolean, meta: RunMetadata | undefined): Handle[] {
    const b = plan.captureOn!;
    const spans = fullTrace ? new DeviceSpans() : recordingSpans();
    const timer = spans ? b.deviceTimer : undefined;
    // The first mark anchors the device's clock, before any mark a timed replay queues.
    const from = timer ? spans!.begin(timer) : null;
    const bytesBefore = b.memory().numBytes;
    const t0 = performance.now();
    let outs: Handle[];
    try {
      outs = this.#runRecorded(plan, feeds, cap, timer !== undefined);
    } catch (e) {
      if (from) timer!.release(from);
      if (fullTrace) spans!.discard();
      throw e;
    }
    const t1 = performance.now();
    const kind = this.#lastRun;
    const marks = this.#lastMarks;
    this.#lastMarks = null;
    if (kind === "uncaptured") {
      if (from) timer!.release(from);
      return outs;
    }
    const name = kind === "capture" ? "CudaGraphCapture" : "CudaGraphReplay";
    const label = `${plan.steps.length} steps`;
    if (timer && marks) {
      timer.release(from!);
      spans!.chain(timer, plan.steps.map(spanOf), marks);
    } else if (timer) spans!.end(timer, label, name, from!);
    const stats = new StepStatsBuilder();
    stats.add(plan.steps[0]?.device.name ?? "", nodeExecStats(label, name, [], { all0: t0, op0: t0, op1: t1, all1: t1 }, outs, b, bytesBefore));
    // FULL_TRACE resolves its own marks now (RunMetadata gets the kernel times); the profiler's at stop().
    if (fullTrace) spans!.resolveInto(stats);
    const built = stats.build();
    if (fullTrace && meta) meta.stepStats = built;
    if (profiling) recordStepStats(built);
    return outs;
  }

  /** Per feed signature, how a plan's step runs (see run). */
  #bySignature(plan: Plan): Map<string, CapturedStep | number | "never"> {
    let bySig = this.#recorded.get(plan);
    if (!bySig) this.#recorded.set(plan, (bySig = new Map()));
    return bySig;
  }

  /** The fed values' dtypes and shapes: a recorded step replays only on the same. */
  #signature(plan: Plan, feeds: Map<SymbolicTensor, Handle>): string {
    let sig = "";
    for (const t of plan.feedSlots.keys()) {
      const h = feeds.get(t)!;
      sig += `${h.dtype}[${h.shape.join(",")}];`;
    }
    return sig;
  }

  /**
   * Runs a step that may be recorded: uncaptured (its first run, or for good), captured, or replayed. With
   * `timed` (a traced run on a device with a timer) a replay is timed node by node where the backend can
   * (#lastMarks: the marks between the plan's steps).
   */
  #runRecorded(plan: Plan, feeds: Map<SymbolicTensor, Handle>, cap: StepCapture, timed: boolean): Handle[] {
    this.#lastRun = "uncaptured";
    const bySig = this.#bySignature(plan);
    const sig = this.#signature(plan, feeds);
    const st = bySig.get(sig);
    if (st === "never" || st === undefined) {
      if (st === undefined) bySig.set(sig, 1);
      return this.#execute(plan, feeds);
    }
    const fed = [...plan.feedSlots.keys()];
    const values = fed.map((t) => feeds.get(t)!);
    if (typeof st !== "number") {
      this.#lastRun = "replay";
      if (timed && cap.replayTimed) {
        const r = cap.replayTimed(st, values, this.#vars, (owned, mark) => this.#runForCapture(plan, owned, mark));
        this.#lastMarks = r.marks;
        return r.fetched;
      }
      return cap.replay(st, values, this.#vars);
    }
    const r = cap.capture(
      plan.variables,
      values,
      fed.map((t) => t.name),
      this.#vars,
      (owned) => this.#runForCapture(plan, owned),
    );
    if (r === "retry") return this.#execute(plan, feeds);
    if (r === null) {
      bySig.set(sig, "never");
      return this.#execute(plan, feeds);
    }
    bySig.set(sig, r.step);
    this.#captured.add(r.step);
    this.#lastRun = "capture";
    return r.fetched;
  }

  /**
   * The step run while a backend records it: the fed buffers it is given, slots and staged writes kept until
   * release; `mark` (a timed recording) before the first step and after each.
   */
  #runForCapture(plan: Plan, feeds: readonly Handle[], mark?: () => void): StepRun<Operation> {
    const slots: SlotValue[] = new Array(plan.numSlots);
    let i = 0;
    for (const s of plan.feedSlots.values()) {
      const h = feeds[i++];
      slots[s] = h.backend.alias(h);
    }
    const overlay: Overlay = new Map();
    const release = () => {
      for (const v of slots) releaseSlot(v);
      for (const h of overlay.values()) h.backend.dispose(h);
    };
    try {
      mark?.();
      this.#runSteps(plan, slots, overlay, null, mark);
      return { fetched: this.#fetch(plan, slots, overlay), written: overlay, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  #execute(plan: Plan, feeds: Map<SymbolicTensor, Handle>, options?: { traceLevel?: number }, meta?: RunMetadata): Handle[] {
    const slots: SlotValue[] = new Array(plan.numSlots);
    for (const [t, s] of plan.feedSlots) {
      const h = feeds.get(t)!;
      slots[s] = h.backend.alias(h);
    }
    // Variable writes go to an overlay committed only when the whole step succeeds.
    const overlay: Overlay = new Map();
    const fullTrace = options?.traceLevel === 3;
    // FULL_TRACE resolves its own device marks when the step ends (RunMetadata gets the kernel times); the
    // profiler's alone resolve when it stops.
    const trace = fullTrace || profiling ? new Trace(fullTrace ? new DeviceSpans() : recordingSpans()) : null;
    const previous = this.#trace;
    this.#trace = trace;
    try {
      this.#runSteps(plan, slots, overlay, trace);
      const results = this.#fetch(plan, slots, overlay);
      for (const [op, h] of overlay) this.#vars.replace(op, h);
      overlay.clear();
      if (trace) this.#finishTrace(trace, fullTrace ? meta : undefined);
      return results;
    } catch (e) {
      if (fullTrace) trace!.spans!.discard();
      throw e;
    } finally {
      this.#trace = previous;
      for (const v of slots) releaseSlot(v);
      for (const h of overlay.values()) h.backend.dispose(h);
      if (this.#states.size > 0) this.#releaseStates();
    }
  }

  /** The traced step's stats: into RunMetadata (FULL_TRACE, device times resolved), and to the profiler when recording. */
  #finishTrace(trace: Trace, meta: RunMetadata | undefined): void {
    const own = trace.spans !== null && trace.spans !== recordingSpans();
    if (own) trace.spans!.resolveInto(trace.stats);
    const stats = trace.stats.build();
    if (meta) meta.stepStats = stats;
    if (profiling) recordStepStats(stats);
  }

  /** Loop states a step kept for a gradient that did not run (pruned, or an error came first). */
  #releaseStates(): void {
    for (const states of this.#states.values()) releaseStates(states);
    this.#states.clear();
  }

  /** The fetched values of a finished step (aliases the caller owns). */
  #fetch(plan: Plan, slots: SlotValue[], overlay: Overlay): Handle[] {
    return plan.fetchSlots.map((s, i) => {
      const v = slots[s];
      if (v instanceof Dead) throw new InvalidArgumentError(`Retval[${i}] does not have value: fetch #${i} is on a branch of a Switch that did not run`);
      const h = v instanceof VarRef ? this.#readVar(v.op, overlay) : v;
      if (!h) throw new InvalidArgumentError(`fetch #${i} produced no value`);
      return h.backend.alias(h);
    });
  }

  /** The loop: each step in order, its outputs into their slots, then the slots it read last freed; `after` each step. */
  #runSteps(plan: Plan, slots: SlotValue[], overlay: Overlay, trace: Trace | null, after?: () => void): void {
    const deadOps = hasDeadness(plan) ? new Set<Operation>() : null;
    for (const step of plan.steps) {
      if (deadOps !== null && isDeadStep(step, slots, deadOps)) {
        storeOutputs(
          step,
          step.outputSlots.map(() => DEAD),
          slots,
        );
        freeSlots(step.freeAfter, slots);
        after?.();
        continue;
      }
      let clock: StepClock | null = null;
      if (trace) clock = startClock(step, trace);
      let outs: SlotValue[];
      try {
        switch (step.kind) {
          case "op":
            outs = this.#runOp(step, slots, overlay);
            break;
          case "fused":
            outs = this.#runFused(step, slots, overlay);
            break;
          case "epilogue":
            outs = this.#runEpilogue(step, slots, overlay);
            break;
          case "update_group":
            outs = this.#runUpdateGroup(step, slots, overlay);
            break;
          case "copy":
            outs = [this.#copy(step, slots)];
            break;
          case "if":
            outs = this.#runIf(step, slots, overlay, trace);
            break;
          case "while":
            outs = this.#runWhile(step, slots, overlay, trace);
            break;
          case "while_grad":
            outs = this.#runWhileGrad(step, slots, overlay, trace);
            break;
        }
      } catch (e) {
        throw atNode(e, step.kind === "copy" ? step.tensor.op : step.kind === "update_group" ? step.members[0].op : step.op);
      }
      if (clock) traceStep(step, clock, outs, trace!);
      storeOutputs(step, outs, slots);
      freeSlots(step.freeAfter, slots);
      after?.();
    }
  }

  /**
   * Runs a function body's plan (runtime/control_flow.ts) in this step: `args` fed to its argument slots
   * (borrowed: aliased here, variables passed as references), its outputs returned owned by the caller.
   */
  #call(plan: Plan, args: readonly SlotValue[], overlay: Overlay, trace: Trace | null): SlotValue[] {
    const slots: SlotValue[] = new Array(plan.numSlots);
    let i = 0;
    for (const s of plan.feedSlots.values()) slots[s] = retain(args[i++]);
    try {
      this.#runSteps(plan, slots, overlay, trace);
      return plan.fetchSlots.map((s) => retain(slots[s]));
    } finally {
      for (const v of slots) releaseSlot(v);
    }
  }

  /** A scalar bool slot value, read on the host. */
  #truth(v: SlotValue, overlay: Overlay): boolean {
    const h = v instanceof VarRef ? this.#readVar(v.op, overlay) : v;
    if (!h || h instanceof Dead) throw new InvalidArgumentError("the predicate has no value");
    return h.backend.readSync(h)[0] !== 0;
  }

  /** If: the branch the predicate selects, on the arguments. */
  #runIf(step: IfStep, slots: SlotValue[], overlay: Overlay, trace: Trace | null): SlotValue[] {
    const pred = this.#truth(slots[step.inputSlots[0]], overlay);
    const args = step.inputSlots.slice(1).map((s) => slots[s]);
    return this.#call(step.branches[pred ? 0 : 1], args, overlay, trace);
  }

  /** Whether `cond` holds for the loop variables `vars`. */
  #holds(cond: Plan, vars: readonly SlotValue[], overlay: Overlay, trace: Trace | null): boolean {
    const [c] = this.#call(cond, vars, overlay, trace);
    try {
      return this.#truth(c, overlay);
    } finally {
      releaseSlot(c);
    }
  }

  /**
   * While: the body's plan per iteration, each iteration's outputs the next one's arguments. A While whose
   * gradient runs later in the step keeps each iteration's loop variables for it (`#states`).
   */
  #runWhile(step: WhileStep, slots: SlotValue[], overlay: Overlay, trace: Trace | null): SlotValue[] {
    let vars: SlotValue[] = step.inputSlots.map((s) => slots[s]);
    let owned = false;
    const states: SlotValue[][] | null = step.keepStates ? [] : null;
    try {
      while (this.#holds(step.cond, vars, overlay, trace)) {
        let next = this.#call(step.body, vars, overlay, trace);
        if (states) {
          // An iteration's state: its loop variables, then the random numbers its body drew.
          const n = step.inputSlots.length;
          const state = owned ? vars : vars.map(retain);
          if (step.drawn > 0) {
            states.push([...state, ...next.slice(n)]);
            next = next.slice(0, n);
          } else states.push(state);
        } else if (owned) for (const v of vars) releaseSlot(v);
        vars = next;
        owned = true;
      }
      if (!owned) vars = vars.map(retain);
      owned = false;
      if (states) {
        releaseStates(this.#states.get(step.op));
        this.#states.set(step.op, states);
      }
      return vars;
    } catch (e) {
      releaseStates(states ?? undefined);
      throw e;
    } finally {
      if (owned) for (const v of vars) releaseSlot(v);
    }
  }

  /**
   * WhileGrad: each iteration's loop variables (kept by the forward While of this step, else from running
   * the forward loop again), then the body's gradient plan from the last iteration back to the first, each
   * step's input gradients the previous one's output gradients. maximum_iterations holds because the
   * forward cond checks the loop counter.
   */
  #runWhileGrad(step: WhileGradStep, slots: SlotValue[], overlay: Overlay, trace: Trace | null): SlotValue[] {
    const n = step.inputSlots.length / 2;
    const kept = step.forward ? this.#states.get(step.forward) : undefined;
    if (kept) this.#states.delete(step.forward!);
    // Kept states carry the forward pass's random draws after the loop variables; the gradient takes them.
    const bodyGrad = kept && step.keptBodyGrad ? step.keptBodyGrad : step.bodyGrad;
    // Whether states[0] is owned: kept states are; a re-run's first state is the step's own inputs.
    const firstOwned = kept !== undefined;
    const states: SlotValue[][] = kept ?? [];
    let vars: SlotValue[] = [];
    let grads: SlotValue[] = step.inputSlots.slice(n).map((s) => slots[s]);
    let gradsOwned = false;
    try {
      if (!kept) {
        vars = step.inputSlots.slice(0, n).map((s) => slots[s]);
        while (this.#holds(step.cond, vars, overlay, trace)) {
          states.push(vars);
          vars = this.#call(step.body, vars, overlay, trace);
        }
        if (states.length > 0) for (const v of vars) releaseSlot(v);
        vars = [];
      }
      for (let k = states.length - 1; k >= 0; k--) {
        const state = states[k];
        const args = state.length > n ? [...state.slice(0, n), ...grads, ...state.slice(n)] : [...state, ...grads];
        const next = this.#call(bodyGrad, args, overlay, trace);
        if (gradsOwned) for (const v of grads) releaseSlot(v);
        grads = next;
        gradsOwned = true;
        if (k > 0 || firstOwned) for (const v of states[k]) releaseSlot(v);
        states.pop();
      }
      if (!gradsOwned) grads = grads.map(retain);
      gradsOwned = false;
      return grads;
    } finally {
      // On an error: what this step owns (kept or re-run iterations, gradients it computed) is released.
      for (let k = firstOwned ? 0 : 1; k < states.length; k++) for (const v of states[k]) releaseSlot(v);
      if (states.length > 0) for (const v of vars) releaseSlot(v);
      if (gradsOwned) for (const v of grads) releaseSlot(v);
    }
  }

  #readVar(op: Operation, overlay: Overlay): Handle {
    const h = overlay.get(op) ?? this.#vars.get(op);
    if (!h) throw new FailedPreconditionError(`Attempting to use uninitialized value ${op.name}`);
    return h;
  }

  /**
   * Resolves an input slot to a buffer on the step's device (reading variables). Values whose device is known
   * only now (feeds, variables, a backend's CPU fallback) move here; the plan's copy steps move the others.
   */
  #input(node: OpStep | FusedStep | EpilogueStep, slots: SlotValue[], i: number, overlay: Overlay): Handle {
    const v = slots[node.inputSlots[i]];
    let h = v instanceof VarRef ? this.#readVar(v.op, overlay) : v;
    if (!h || h instanceof Dead) throw new InvalidArgumentError(`input ${i} of ${node.op.name} has no value`);
    const b = node.device.backend;
    if (h.backend !== b) h = b.write(h.backend.readSync(h), h.dtype, h.shape);
    else h = b.alias(h);
    return h;
  }

  /** A value moved to the device of its readers (runtime/copies.ts). */
  #copy(step: CopyStep, slots: SlotValue[]): Handle {
    const h = slots[step.inputSlots[0]];
    if (!h || h instanceof VarRef || h instanceof Dead) throw new InvalidArgumentError(`copy of ${step.tensor.name} to ${step.device.name}: no value`);
    const b = step.device.backend;
    const move = () => (h.backend === b ? b.alias(h) : b.write(h.backend.readSync(h), h.dtype, h.shape));
    return step.folded ? this.#foldedValue(b, step.tensor.op, move) : move();
  }

  #runOp(node: OpStep, slots: SlotValue[], overlay: Overlay): SlotValue[] {
    const op = node.op;
    const b = node.device.backend;
    switch (op.type) {
      case "Const": {
        let perDevice = this.#constants.get(b);
        if (!perDevice) this.#constants.set(b, (perDevice = new Map()));
        let h = perDevice.get(op);
        if (!h) {
          h = b.write(op.attrs.value as never, op.attrs.dtype as never, op.attrs.shape as number[]);
          perDevice.set(op, h);
        }
        return [b.alias(h)];
      }
      case "Placeholder":
        throw new InvalidArgumentError(describePlaceholder(op.outputs[0]));
      case "VariableV2":
        return [new VarRef(op)];
      case "NoOp":
        return [];
      case "IsVariableInitialized": {
        const ref = slots[node.inputSlots[0]];
        const ok = ref instanceof VarRef && (overlay.has(ref.op) || this.#vars.has(ref.op));
        return [b.write(Uint8Array.of(ok ? 1 : 0), "bool", [])];
      }
      case "Assign":
      case "AssignAdd":
      case "AssignSub":
        return [this.#assign(node, slots, overlay)];
      case "OneShotIterator":
      case "IteratorV2":
        return [new VarRef(op)];
      case "MakeIterator": {
        const inputs = op.inputs.slice(1).map((_, k) => this.#input(node, slots, k + 1, overlay));
        try {
          this.#iterators.replace(this.#iteratorOp(node, slots), (op.attrs.dataset_factory as unknown as IteratorFactory).make(inputs));
        } finally {
          for (const h of inputs) h.backend.dispose(h);
        }
        return [];
      }
      case "IteratorGetNext":
        return this.#getNext(node, slots);
      case "WriteSummary":
        return [this.#writeSummary(node, slots, overlay)];
      case "Switch": {
        const data = retain(slots[node.inputSlots[0]]);
        return this.#truth(slots[node.inputSlots[1]], overlay) ? [DEAD, data] : [data, DEAD];
      }
      case "Merge": {
        const i = node.inputSlots.findIndex((s) => slots[s] !== DEAD);
        return [retain(slots[node.inputSlots[i]]), b.write(Int32Array.of(i), "int32", [])];
      }
    }
    if (op.def.refInputs) return [this.#applyTraining(node, slots, overlay)];
    if (node.folded) return [this.#foldedValue(b, op, () => this.#runKernel(node, slots, overlay)[0] as Handle)];
    return this.#runKernel(node, slots, overlay);
  }

  /**
   * A folded node's or copy's value (runtime/constant_folding.ts): made on its first run, then kept with the
   * Const values of its device. A kernel may return a handle of another backend (a host-side output).
   */
  #foldedValue(device: Backend, op: Operation, make: () => Handle): Handle {
    let perDevice = this.#constants.get(device);
    if (!perDevice) this.#constants.set(device, (perDevice = new Map()));
    let h = perDevice.get(op);
    if (!h) perDevice.set(op, (h = make()));
    return h.backend.alias(h);
  }

  /** A graph node run by its device's kernel. */
  #runKernel(node: OpStep, slots: SlotValue[], overlay: Overlay): SlotValue[] {
    const op = node.op;
    const b = node.device.backend;
    const inputs = op.inputs.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      checkAtRunTime(op, inputs, b);
      const env: KernelEnv = op.def.stateful && "seed" in op.attrs ? { rng: this.#rng(op) } : {};
      const t = this.#trace;
      if (t === null) return b.runKernel(op.type, inputs, op.attrs, env);
      t.op0 = performance.now();
      const outs = b.runKernel(op.type, inputs, op.attrs, env);
      t.op1 = performance.now();
      return outs;
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
  }

  /** A summary write of a tf.function: its step, tensor and tag go to the host writer of the `writer` attr. */
  #writeSummary(node: OpStep, slots: SlotValue[], overlay: Overlay): Handle {
    const b = node.device.backend;
    const inputs = node.op.inputs.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      const [step, tensor, tag] = inputs;
      const written = (node.op.attrs.writer as unknown as SummarySink).write(step, tensor, tag);
      return b.write(Uint8Array.of(written ? 1 : 0), "bool", []);
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
  }

  #iteratorOp(node: OpStep, slots: SlotValue[]): Operation {
    const ref = slots[node.inputSlots[0]];
    if (!(ref instanceof VarRef)) throw new InvalidArgumentError(`${node.op.type} ${node.op.name}: input 0 must be an iterator`);
    return ref.op;
  }

  /**
   * The next element of a tf.data iterator, pulled from its host pipeline onto the step's device. A one-shot
   * iterator opens on its first read in the session; the end of the data is TensorFlow's OutOfRangeError.
   */
  #getNext(node: OpStep, slots: SlotValue[]): Handle[] {
    const itOp = this.#iteratorOp(node, slots);
    let it = this.#iterators.get(itOp);
    if (it === undefined) {
      if (itOp.type !== "OneShotIterator") {
        throw new FailedPreconditionError(
          "GetNext() failed because the iterator has not been initialized. Ensure that you have run the initializer operation for this iterator before getting the next element.",
        );
      }
      it = (itOp.attrs.dataset_factory as unknown as IteratorFactory).make([]);
      this.#iterators.set(itOp, it);
    }
    const out = it.next(node.device.backend);
    if (out === null) throw new OutOfRangeError("End of sequence");
    return out;
  }

  /**
   * A fused group (runtime/fusion.ts): one kernel over the group's inputs where the backend runs it (shapes
   * that broadcast, a supported layout), else its nodes one by one in their order, freeing intermediates after
   * their last reader (so errors, e.g. shapes that do not broadcast, name the node that raises them).
   */
  #runFused(node: FusedStep, slots: SlotValue[], overlay: Overlay): SlotValue[] {
    const inputs = node.inputSlots.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      const shape = fusedShape(
        node.program,
        inputs.map((h) => h.shape),
      );
      const t = this.#trace;
      if (t) t.op0 = performance.now();
      const out = shape && node.device.backend.runFused?.(node.program, inputs, shape);
      if (t) t.op1 = performance.now();
      if (out) return [out];
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
    return this.#runMembers(node.members, node.innerFree, slots, overlay);
  }

  /**
   * A MatMul or Conv2D + bias (+ Relu) group (runtime/epilogue.ts): one product where the backend computes it, else its
   * nodes one by one (so shape errors name the node that raises them, as unfused).
   */
  #runEpilogue(node: EpilogueStep, slots: SlotValue[], overlay: Overlay): SlotValue[] {
    const inputs = node.inputSlots.map((_, i) => this.#input(node, slots, i, overlay));
    let out: Handle | null = null;
    try {
      checkAtRunTime(node.members[0].op, inputs.slice(0, 2), node.device.backend);
      const t = this.#trace;
      if (t) t.op0 = performance.now();
      const be = node.device.backend;
      const product = node.members[0].op;
      out =
        (product.type === "Conv2D"
          ? be.conv2dEpilogue?.(inputs[0], inputs[1], inputs[2], product.attrs, node.relu)
          : be.matmulEpilogue?.(inputs[0], inputs[1], inputs[2], node.transposeA, node.transposeB, node.relu)) ?? null;
      if (t) t.op1 = performance.now();
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
    if (!out) return this.#runMembers(node.members, node.innerFree, slots, overlay);
    // Shape nodes reading an intermediate get the result: same shape and dtype.
    for (const s of node.shapeSlots) slots[s] = out.backend.alias(out);
    return [out];
  }

  /** A group's original nodes in order, freeing each intermediate after its last reader in the group. */
  #runMembers(members: readonly OpStep[], innerFree: readonly (readonly number[])[], slots: SlotValue[], overlay: Overlay): SlotValue[] {
    const last = members.length - 1;
    for (let k = 0; k < last; k++) {
      const m = members[k];
      let outs: SlotValue[];
      try {
        outs = this.#runOp(m, slots, overlay);
      } catch (e) {
        throw atNode(e, m.op);
      }
      storeOutputs(m, outs, slots);
      freeSlots(innerFree[k], slots);
    }
    const outs = this.#runOp(members[last], slots, overlay);
    freeSlots(innerFree[last], slots);
    return outs;
  }

  #rng(op: Operation): RandomSource {
    let r = this.#rngs.get(op);
    if (!r) this.#rngs.set(op, (r = sessionRandomSource(op.attrs)));
    return r;
  }

  #assign(node: OpStep, slots: SlotValue[], overlay: Overlay): VarRef {
    const op = node.op;
    const ref = slots[node.inputSlots[0]];
    if (!(ref instanceof VarRef)) throw new InvalidArgumentError(`${op.type} ${op.name}: input 0 must be a variable`);
    const value = this.#input(node, slots, 1, overlay);
    const varShape = ref.op.outputs[0].shape;
    if (op.type === "Assign") {
      if (op.attrs.validate_shape !== false && varShape !== null && !sameShape(varShape as number[], value.shape)) {
        value.backend.dispose(value);
        throw new InvalidArgumentError(
          `Assign requires shapes of both tensors to match. lhs shape= ${shapeStr(varShape)} rhs shape= ${shapeStr([...value.shape])}`,
        );
      }
      stage(ref.op, value, overlay);
      return ref;
    }
    const current = this.#readVar(ref.op, overlay);
    try {
      const [next] = node.device.backend.runKernel(op.type === "AssignAdd" ? "AddV2" : "Sub", [current, value], {}, {});
      if (!sameShape(next.shape, current.shape)) {
        next.backend.dispose(next);
        throw new InvalidArgumentError(
          `${op.type} requires shapes of both tensors to match. lhs shape= ${shapeStr([...current.shape])} rhs shape= ${shapeStr([...value.shape])}`,
        );
      }
      stage(ref.op, next, overlay);
    } finally {
      value.backend.dispose(value);
    }
    return ref;
  }

  /** A training op: reads its variables, runs the fused update kernel, stages the new values. */
  #applyTraining(node: OpStep, slots: SlotValue[], overlay: Overlay): VarRef {
    const op = node.op;
    const refIdx = op.def.refInputs!;
    const refs = refIdx.map((i) => {
      const r = slots[node.inputSlots[i]];
      if (!(r instanceof VarRef)) throw new InvalidArgumentError(`${op.type} ${op.name}: input ${i} must be a variable`);
      return r;
    });
    const inputs = op.inputs.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      const outs = node.device.backend.runKernel(op.type, inputs, op.attrs, IN_PLACE);
      refs.forEach((r, k) => stage(r.op, outs[k], overlay));
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
    return refs[0];
  }

  /**
   * Variable updates of one device (runtime/grouped_updates.ts): every member's inputs are read first; then the
   * groups of all op types in one backend call where it mixes them (runUpdateGroups: an optimizer's updates with
   * a Keras step's counters), else per op type in the order the types first appear one grouped call where the
   * backend groups them (runKernelGroup; AssignAdd and AssignSub as AddV2 and Sub of the variable's value), else
   * the members one by one. The plan never puts two updates of one variable in a group.
   */
  #runUpdateGroup(step: UpdateGroupStep, slots: SlotValue[], overlay: Overlay): SlotValue[] {
    const byType = new Map<string, OpStep[]>();
    for (const m of step.members) {
      const list = byType.get(m.op.type);
      if (list) list.push(m);
      else byType.set(m.op.type, [m]);
    }
    const b = step.device.backend;
    const groups: PreparedGroup[] = [];
    try {
      for (const [type, members] of byType)
        groups.push(
          type === "AssignAdd" || type === "AssignSub" ? this.#prepareAssigns(members, b, slots, overlay) : this.#prepareUpdates(members, b, slots, overlay),
        );
      const mixable = groups.filter((g) => g.call !== null);
      const outs = mixable.length > 1 && mixable.length === groups.length ? (b.runUpdateGroups?.(mixable.map((g) => g.call!)) ?? null) : null;
      if (outs) groups.forEach((g, k) => g.stage(outs[k]));
      else for (const g of groups) g.runAlone();
    } finally {
      for (const g of groups) g.release();
    }
    return step.members.map((m) => slots[m.inputSlots[0]]);
  }

  /** Training ops of one type, their inputs read: their kernel's group call, else one by one; each stages its variable and slots. */
  #prepareUpdates(members: readonly OpStep[], b: Backend, slots: SlotValue[], overlay: Overlay): PreparedGroup {
    const refs: VarRef[][] = [];
    const items: Handle[][] = [];
    const stageAll = (k: number, outs: readonly Handle[]) => refs[k].forEach((r, j) => stage(r.op, outs[j], overlay));
    const release = () => {
      for (const it of items) for (const h of it) h.backend.dispose(h);
    };
    try {
      for (const m of members) {
        refs.push((m.op.def.refInputs ?? [0]).map((i) => groupRef(m, slots, i)));
        items.push(m.op.inputs.map((_, i) => this.#input(m, slots, i, overlay)));
      }
    } catch (e) {
      release();
      throw e;
    }
    const first = members[0];
    return {
      call: { type: first.op.type, items, attrs: first.op.attrs },
      stage: (outs) => outs.forEach((o, k) => stageAll(k, o)),
      runAlone: () => {
        const outs = items.length > 1 ? b.runKernelGroup?.(first.op.type, items, first.op.attrs, IN_PLACE) : null;
        if (outs) outs.forEach((o, k) => stageAll(k, o));
        else {
          members.forEach((m, k) => {
            try {
              stageAll(k, b.runKernel(m.op.type, items[k], m.op.attrs, IN_PLACE));
            } catch (e) {
              throw atNode(e, m.op);
            }
          });
        }
      },
      release,
    };
  }

  /**
   * AssignAdds (or AssignSubs), their deltas read: one AddV2 (Sub) group call on [value, delta] pairs of equal
   * shapes and dtypes; any other case (a broadcast delta, a backend without the group) assigns one by one.
   */
  #prepareAssigns(members: readonly OpStep[], b: Backend, slots: SlotValue[], overlay: Overlay): PreparedGroup {
    const refs = members.map((m) => groupRef(m, slots));
    const currents = refs.map((r) => this.#readVar(r.op, overlay));
    const oneByOne = () => {
      for (const m of members) this.#assign(m, slots, overlay);
    };
    if (!b.runKernelGroup || currents.some((c) => c.backend !== b)) return { call: null, stage: () => {}, runAlone: oneByOne, release: () => {} };
    const deltas: Handle[] = [];
    const release = () => {
      for (const h of deltas) h.backend.dispose(h);
    };
    try {
      for (const m of members) deltas.push(this.#input(m, slots, 1, overlay));
    } catch (e) {
      release();
      throw e;
    }
    const type = members[0].op.type === "AssignAdd" ? "AddV2" : "Sub";
    const stageAll = (outs: Handle[][]) => refs.forEach((r, k) => stage(r.op, outs[k][0], overlay));
    const pairs = deltas.every((d, k) => sameShape(d.shape, currents[k].shape) && d.dtype === currents[k].dtype)
      ? currents.map((c, k) => [c, deltas[k]])
      : null;
    return {
      call: pairs && { type, items: pairs, attrs: {} },
      stage: stageAll,
      runAlone: () => {
        const outs = pairs && b.runKernelGroup!(type, pairs, {});
        if (outs) stageAll(outs);
        else oneByOne();
      },
      release,
    };
  }
}

/**
 * One op type's members of an update group, their inputs read (runtime/grouped_updates.ts): `call` is what a
 * backend's runUpdateGroups takes of them (null: they cannot be mixed with others), `stage` stages its
 * outputs, `runAlone` runs them without the other types, `release` drops the inputs read.
 */
interface PreparedGroup {
  readonly call: UpdateGroupCall | null;
  stage(outs: Handle[][]): void;
  runAlone(): void;
  release(): void;
}

/**
 * What an update's kernel may overwrite: a variable's value is held by the step's state (the variable's value or
 * the value staged for it) and by the executor's alias of it; any other holder (a fetch, a later read) keeps the
 * old value as it was.
 */
const IN_PLACE: KernelEnv = { ownedRefs: 2 };

/** A grouped update's variable input `i` (its variable, 0, or a slot). */
function groupRef(m: OpStep, slots: SlotValue[], i = 0): VarRef {
  const ref = slots[m.inputSlots[i]];
  if (!(ref instanceof VarRef)) throw atNode(new InvalidArgumentError(`${m.op.type} ${m.op.name}: input ${i} must be a variable`), m.op);
  return ref;
}

/** Stages a variable's new value for the end of the step, releasing a value staged earlier in it. */
function stage(v: Operation, h: Handle, overlay: Overlay): void {
  const prev = overlay.get(v);
  if (prev) prev.backend.dispose(prev);
  overlay.set(v, h);
}

/** Adds the node's name to an op error raised while it ran (TensorFlow's "[[{{node name}}]]"), once. */
function atNode(e: unknown, op: Operation): unknown {
  if (e instanceof OpError && !e.message.includes("[[")) e.message += `\n\t [[{{node ${op.name}}}]]`;
  return e;
}

/** Puts a step's outputs in their slots; outputs nothing reads are released at once. */
function storeOutputs(step: PlanStep, outs: readonly SlotValue[], slots: SlotValue[]): void {
  const outSlots = step.outputSlots;
  for (let j = 0; j < outSlots.length; j++) {
    const s = outSlots[j];
    if (s >= 0) slots[s] = outs[j];
    else releaseSlot(outs[j]);
  }
}

function freeSlots(list: readonly number[], slots: SlotValue[]): void {
  for (const s of list) {
    releaseSlot(slots[s]);
    slots[s] = undefined;
  }
}

function releaseStates(states: SlotValue[][] | undefined): void {
  if (states) for (const vars of states) for (const v of vars) releaseSlot(v);
}

/** A slot value held once more: an alias of a buffer (a variable reference is shared as is). */
function retain(v: SlotValue): SlotValue {
  if (v === undefined) throw new InvalidArgumentError("a function body's argument or output has no value");
  return v instanceof VarRef || v instanceof Dead ? v : v.backend.alias(v);
}

function releaseSlot(v: SlotValue): void {
  if (v && !(v instanceof VarRef) && !(v instanceof Dead)) v.backend.dispose(v);
}

/** A traced step's start: the host clock, the bytes in use, and a mark on its device's queue (GPUs). */
interface StepClock {
  all0: number;
  bytesBefore: number;
  timer: DeviceTimer | undefined;
  from: DeviceMark | null;
}

/** Control flow runs its bodies' steps, which are traced themselves: no device span of its own. */
function startClock(step: PlanStep, trace: Trace): StepClock {
  const b = step.device.backend;
  const nested = step.kind === "if" || step.kind === "while" || step.kind === "while_grad";
  const timer = trace.spans && !nested ? b.deviceTimer : undefined;
  const from = timer ? trace.spans!.begin(timer) : null;
  trace.op0 = Number.NaN;
  trace.op1 = Number.NaN;
  return { all0: performance.now(), bytesBefore: b.memory().numBytes, timer, from };
}

/** How a tensor is named among a node's inputs in TensorFlow's NodeDef: "op" for output 0, else "op:i". */
function inputName(t: SymbolicTensor): string {
  return t.name.endsWith(":0") ? t.op.name : t.name;
}

/**
 * An op step's inputs as its trace names them, and the nodes it ran: an update that absorbed its gradient's
 * Cast (runtime/cast_updates.ts) reads the Cast's input and ran both nodes, as a fused step names its nodes.
 */
function opInputs(step: OpStep): { inputs: string[]; extra?: Partial<NodeExecStats> } {
  const c = step.foldedCast;
  const inputs = step.op.inputs.map((t) => inputName(c !== undefined && t.op === c ? c.inputs[0] : t));
  return c === undefined ? { inputs } : { inputs, extra: { fusedNodes: [c.name, step.op.name] } };
}

/** The inputs a group of nodes reads from outside the group. */
function groupInputs(members: readonly OpStep[]): string[] {
  const inside = new Set(members.map((m) => m.op));
  return members.flatMap((m) => m.op.inputs.filter((t) => !inside.has(t.op)).map(inputName));
}

/**
 * Traced step stats: one NodeExecStats per step (per member of an update group, each given an equal slice of its time),
 * under the step's device, and the span of its device work where the device has a timer.
 */
function traceStep(step: PlanStep, clock: StepClock, outs: readonly SlotValue[], trace: Trace): void {
  const all1 = performance.now();
  // A control-flow step's clock holds its body's last kernel: it has no kernel of its own.
  const nested = step.kind === "if" || step.kind === "while" || step.kind === "while_grad";
  const kernel = !nested && !Number.isNaN(trace.op0) && !Number.isNaN(trace.op1);
  const times = { all0: clock.all0, op0: kernel ? trace.op0 : clock.all0, op1: kernel ? trace.op1 : all1, all1 };
  const b = step.device.backend;
  const handles = outs.filter((v): v is Handle => v !== undefined && !(v instanceof VarRef) && !(v instanceof Dead));
  const device = step.device.name;
  const add = (name: string, type: string, inputs: readonly string[], extra?: Partial<NodeExecStats>, clockOf: NodeClock = times, outputs = handles) => {
    const st = nodeExecStats(name, type, inputs, clockOf, outputs, b, clock.bytesBefore);
    trace.stats.add(device, extra ? { ...st, ...extra } : st);
  };
  const { nodeName: name, opType: type } = spanOf(step);
  switch (step.kind) {
    case "op": {
      const { inputs, extra } = opInputs(step);
      add(name, type, inputs, extra);
      break;
    }
    case "if":
    case "while":
    case "while_grad":
      add(name, type, step.op.inputs.map(inputName));
      break;
    case "fused":
      add(name, type, groupInputs(step.members), { fusedNodes: step.members.map((m) => m.op.name) });
      break;
    case "epilogue":
      add(name, type, groupInputs(step.members));
      break;
    case "update_group":
      // One call updates every member: each gets an equal slice of its time, so that a profile adds up.
      step.members.forEach((m, k) => {
        const slice = (times.all1 - times.all0) / step.members.length;
        const t0 = times.all0 + k * slice;
        const { inputs, extra } = opInputs(m);
        add(m.op.name, m.op.type, inputs, extra, { all0: t0, op0: t0, op1: t0 + slice, all1: t0 + slice }, handles.slice(k, k + 1));
      });
      break;
    case "copy":
      add(name, type, [inputName(step.tensor)]);
      break;
  }
  if (clock.timer) trace.spans!.end(clock.timer, name, type, clock.from!);
}

/** How a step's device work is named in the stream entry: its node, or a group's first, and TensorFlow's op type. */
function spanOf(step: PlanStep): { nodeName: string; opType: string } {
  switch (step.kind) {
    case "op":
    case "if":
    case "while":
    case "while_grad":
      return { nodeName: step.op.name, opType: step.op.type };
    case "fused":
      return { nodeName: step.op.name, opType: "FusedElementwise" };
    case "epilogue":
      // TensorFlow's names for its remapper's fused products.
      return { nodeName: step.op.name, opType: step.members[0].op.type === "Conv2D" ? "_FusedConv2D" : "_FusedMatMul" };
    case "update_group":
      return { nodeName: step.members[0].op.name, opType: step.members[0].op.type };
    case "copy":
      return { nodeName: step.tensor.name, opType: "_Copy" };
  }
}

/**
 * Per node, whether its inputs' shapes or host values (shapes, axes) are known only when it runs: then shape
 * inference runs again on the real inputs before the kernel, so that a graph checks what eager mode checks
 * (the kernels' preconditions, before launching one on a GPU) and sizes are checked before allocating.
 * Nodes known statically were checked when built; only their outputs' sizes are checked, once.
 */
const staticallyChecked = new WeakSet<Operation>();

function checkAtRunTime(op: Operation, inputs: readonly Handle[], backend: Backend): void {
  if (staticallyChecked.has(op)) return;
  const device = allocationDevice(
    backend,
    op.type,
    inputs.map((h) => h.dtype),
    op.attrs,
  );
  const def = op.def;
  const host = def.hostInputs;
  const dynamic = op.inputs.some((t, i) => !isFullyDefined(t.shape) || (host?.includes(i) === true && t.op.type !== "Const"));
  if (!dynamic) {
    for (const o of op.outputs) if (isFullyDefined(o.shape)) checkAllocation(o.shape, o.dtype, op.name, device);
    staticallyChecked.add(op);
    return;
  }
  const specs: TensorSpec[] = inputs.map((h, i) => ({
    dtype: h.dtype,
    shape: [...h.shape],
    value: host?.includes(i) ? h.backend.readSync(h) : undefined,
  }));
  for (const o of def.infer(specs, op.attrs, op.name)) {
    if (isFullyDefined(o.shape)) checkAllocation(o.shape, o.dtype, op.name, device);
    else checkDims(o.shape, op.name);
  }
}
