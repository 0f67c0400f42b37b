import type { PyArgs } from "../ops/args.js";
import { FailedPreconditionError, InvalidArgumentError, OpError } from "../core/errors.js";
import { sameShape, shapeStr } from "../core/shape.js";
import type { Handle, KernelEnv, RandomSource } from "../backends/backend.js";
import { EagerTensor } from "../eager/tensor.js";
import type { Tensor } from "../core/tensor.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Graph } from "../graph/graph.js";
import { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { pyArgs } from "../ops/args.js";
import { sessionRandomSource } from "../ops/random_state.js";
import { placeOp } from "./devices.js";
import { convertFeeds, describePlaceholder, FeedDict } from "./feeds.js";
import { Fetch, FetchResult, flattenFetches } from "./fetches.js";
import { Plan, PlanNode, planToString, pruneAndOrder } from "./plan.js";
import { installEval } from "../graph/eval_hook.js";

export interface SessionOptions {
  target?: string;
  graph?: Graph;
  config?: Partial<ConfigProto>;
}

export interface NodeExecStats {
  nodeName: string;
  opType: string;
  allStartMicros: number;
  allEndRelMicros: number;
}

/** tf.compat.v1.ConfigProto(...): `new tf.ConfigProto({ logDevicePlacement: true })`. */
export class ConfigProto {
  allowSoftPlacement?: boolean;
  logDevicePlacement?: boolean;
  deviceCount?: Record<string, number>;
  interOpParallelismThreads?: number;
  intraOpParallelismThreads?: number;
  gpuOptions?: { allowGrowth?: boolean; perProcessGpuMemoryFraction?: number };
  constructor(fields: Partial<ConfigProto> = {}) {
    Object.assign(this, fields);
  }
}

/** tf.compat.v1.RunOptions: traceLevel FULL_TRACE fills a RunMetadata's stepStats. */
export class RunOptions {
  static readonly NO_TRACE = 0;
  static readonly SOFTWARE_TRACE = 1;
  static readonly HARDWARE_TRACE = 2;
  static readonly FULL_TRACE = 3;
  traceLevel?: number;
  constructor(fields: { traceLevel?: number } = {}) {
    this.traceLevel = fields.traceLevel;
  }
}

/** tf.compat.v1.RunMetadata: filled by Session.run when tracing. */
export class RunMetadata {
  stepStats?: { devStats: { device: string; nodeStats: NodeExecStats[] }[] };
}

/** A variable's output before it is read: Assign writes through it, everything else reads it. */
class VarRef {
  constructor(readonly op: Operation) {}
}
type SlotValue = Handle | VarRef | undefined;

let defaultSession: Session | null = null;
export function getDefaultSession(): Session | null {
  return defaultSession;
}

/** tf.compat.v1.Session: runs parts of a graph; holds the values of its variables. */
export class Session {
  readonly graph: Graph;
  readonly config: Partial<ConfigProto>;
  readonly target: string;
  #closed = false;
  readonly #variables = new Map<Operation, Handle>();
  readonly #constants = new Map<Operation, Handle>();
  readonly #rngs = new Map<Operation, RandomSource>();
  readonly #plans = new Map<string, Plan>();
  readonly #placed = new Set<Operation>();

  constructor(...args: PyArgs<[target: string, graph: Graph, config: Partial<ConfigProto>], SessionOptions>) {
    const a = pyArgs<SessionOptions>(args, ["target", "graph", "config"]);
    this.target = a.target ?? "";
    this.graph = a.graph ?? getDefaultGraph();
    this.config = a.config ?? {};
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Makes this the session that tensor.eval() and op.run() use, for the duration of fn. */
  asDefault<T>(fn: () => T): T {
    const saved = defaultSession;
    defaultSession = this;
    try {
      return fn();
    } finally {
      defaultSession = saved;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of [...this.#variables.values(), ...this.#constants.values()]) h.backend.dispose(h);
    this.#variables.clear();
    this.#constants.clear();
    this.#plans.clear();
    if (defaultSession === this) defaultSession = null;
  }
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Runs the subgraph `fetches` need, with `feedDict` substituted, and returns the fetched values in the
   * structure of `fetches` (operations give null). Either the whole step happens or, on error, no
   * variable changes.
   */
  run<const F extends Fetch>(fetches: F, feedDict?: FeedDict, options?: { traceLevel?: number }, runMetadata?: RunMetadata): FetchResult<F> {
    if (this.#closed) throw new FailedPreconditionError("Attempted to use a closed Session.");
    const { leaves, rebuild } = flattenFetches(fetches, this.graph);
    const feeds = convertFeeds(feedDict, this.graph);
    try {
      const fetchTensors = leaves.filter((l): l is SymbolicTensor => l instanceof SymbolicTensor);
      const targets = leaves.filter((l): l is Operation => l instanceof Operation);
      const plan = this.#plan(fetchTensors, targets, [...feeds.keys()]);
      const results = this.#execute(plan, feeds, options, runMetadata);
      let k = 0;
      return rebuild(leaves.map((l) => (l instanceof SymbolicTensor ? results[k++] : null))) as FetchResult<F>;
    } finally {
      for (const h of feeds.values()) h.backend.dispose(h);
    }
  }

  /** The compiled plan for a signature, printable for debugging. */
  describePlan(fetches: Fetch, feeds: readonly Tensor[] = []): string {
    const { leaves } = flattenFetches(fetches, this.graph);
    return planToString(this.#plan(
      leaves.filter((l): l is SymbolicTensor => l instanceof SymbolicTensor),
      leaves.filter((l): l is Operation => l instanceof Operation),
      feeds.map((t) => flattenFetches(t, this.graph).leaves[0] as SymbolicTensor),
    ));
  }

  #plan(fetches: readonly SymbolicTensor[], targets: readonly Operation[], fed: readonly SymbolicTensor[]): Plan {
    const key = `${fetches.map((t) => t.name).join(",")}|${targets.map((o) => o.name).join(",")}|${fed.map((t) => t.name).sort().join(",")}`;
    const cached = this.#plans.get(key);
    if (cached) return cached;
    const fedSet = new Set(fed);
    const order = pruneAndOrder(fetches, targets, fedSet);
    const slotOf = new Map<SymbolicTensor, number>();
    let numSlots = 0;
    const slot = (t: SymbolicTensor) => {
      let s = slotOf.get(t);
      if (s === undefined) slotOf.set(t, (s = numSlots++));
      return s;
    };
    const feedSlots = new Map<SymbolicTensor, number>();
    for (const t of fed) feedSlots.set(t, slot(t));
    const needed = new Set<SymbolicTensor>([...fetches]);
    for (const op of order) for (const t of op.inputs) needed.add(t);
    const lastUse = new Map<number, number>();
    const soft = this.config.allowSoftPlacement ?? false;
    const nodes: PlanNode[] = order.map((op, i) => {
      const inputSlots = op.inputs.map(slot);
      for (const s of inputSlots) lastUse.set(s, i);
      const outputSlots = op.outputs.map((t) => (needed.has(t) && !fedSet.has(t) ? slot(t) : -1));
      const { device, softPlaced } = placeOp(op.name, op.type, op.device, soft, RUNTIME_OPS.has(op.type));
      op.assignedDevice = device.name;
      if (this.config.logDevicePlacement && !this.#placed.has(op)) {
        this.#placed.add(op);
        console.log(`${op.name}: (${op.type}): ${device.name}${softPlaced ? ` (soft placement: requested ${op.device})` : ""}`);
      }
      return { op, inputSlots, outputSlots, freeAfter: [], device };
    });
    const fetchSlots = fetches.map(slot);
    const keep = new Set([...fetchSlots, ...feedSlots.values()]);
    const freeAfter: number[][] = nodes.map(() => []);
    for (const [s, i] of lastUse) if (!keep.has(s)) freeAfter[i].push(s);
    const plan: Plan = {
      nodes: nodes.map((n, i) => ({ ...n, freeAfter: freeAfter[i] })),
      numSlots,
      feedSlots,
      fetchSlots,
    };
    this.#plans.set(key, plan);
    return plan;
  }

  #execute(plan: Plan, feeds: Map<SymbolicTensor, Handle>, options?: { traceLevel?: number }, meta?: RunMetadata): EagerTensor[] {
    const slots: SlotValue[] = new Array(plan.numSlots);
    for (const [t, s] of plan.feedSlots) {
      const h = feeds.get(t)!;
      slots[s] = h.backend.alias(h);
    }
    // Variable writes go to an overlay committed only when the whole step succeeds.
    const overlay = new Map<Operation, Handle>();
    const trace = options?.traceLevel === 3 ? ([] as NodeExecStats[]) : null;
    const t0 = trace ? performance.now() : 0;
    const release = (v: SlotValue) => {
      if (v && !(v instanceof VarRef)) v.backend.dispose(v);
    };
    try {
      for (const node of plan.nodes) {
        const start = trace ? performance.now() : 0;
        let outs: SlotValue[];
        try {
          outs = this.#runNode(node, slots, overlay);
        } catch (e) {
          if (e instanceof OpError && !e.message.includes("[[")) e.message += `\n\t [[{{node ${node.op.name}}}]]`;
          throw e;
        }
        node.outputSlots.forEach((s, j) => {
          if (s >= 0) slots[s] = outs[j];
          else release(outs[j]);
        });
        for (const s of node.freeAfter) {
          release(slots[s]);
          slots[s] = undefined;
        }
        if (trace) trace.push({ nodeName: node.op.name, opType: node.op.type, allStartMicros: Math.round((start - t0) * 1000), allEndRelMicros: Math.round((performance.now() - start) * 1000) });
      }
      const results = plan.fetchSlots.map((s, i) => {
        const v = slots[s];
        const h = v instanceof VarRef ? this.#readVar(v.op, overlay) : v;
        if (!h) throw new InvalidArgumentError(`fetch #${i} produced no value`);
        return h.backend.alias(h);
      });
      for (const [op, h] of overlay) {
        const old = this.#variables.get(op);
        if (old) old.backend.dispose(old);
        this.#variables.set(op, h);
      }
      overlay.clear();
      if (meta && trace) meta.stepStats = { devStats: [{ device: plan.nodes[0]?.device.name ?? "", nodeStats: trace }] };
      return results.map((h) => new EagerTensor(h));
    } finally {
      for (const v of slots) release(v);
      for (const h of overlay.values()) h.backend.dispose(h);
    }
  }

  #readVar(op: Operation, overlay: Map<Operation, Handle>): Handle {
    const h = overlay.get(op) ?? this.#variables.get(op);
    if (!h) throw new FailedPreconditionError(`Attempting to use uninitialized value ${op.name}`);
    return h;
  }

  /** Resolves an input slot to a buffer on `node`'s device (reading variables, copying across devices). */
  #input(node: PlanNode, slots: SlotValue[], i: number, overlay: Map<Operation, Handle>): Handle {
    const v = slots[node.inputSlots[i]];
    let h = v instanceof VarRef ? this.#readVar(v.op, overlay) : v;
    if (!h) throw new InvalidArgumentError(`input ${i} of ${node.op.name} has no value`);
    const b = node.device.backend;
    if (h.backend !== b) h = b.write(h.backend.readSync(h), h.dtype, h.shape);
    else h = b.alias(h);
    return h;
  }

  #runNode(node: PlanNode, slots: SlotValue[], overlay: Map<Operation, Handle>): SlotValue[] {
    const op = node.op;
    const b = node.device.backend;
    switch (op.type) {
      case "Const": {
        let h = this.#constants.get(op);
        if (!h) {
          h = b.write(op.attrs.value as never, op.attrs.dtype as never, op.attrs.shape as number[]);
          this.#constants.set(op, h);
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
        const ok = ref instanceof VarRef && (overlay.has(ref.op) || this.#variables.has(ref.op));
        return [b.write(Uint8Array.of(ok ? 1 : 0), "bool", [])];
      }
      case "Assign":
      case "AssignAdd":
      case "AssignSub":
        return [this.#assign(node, slots, overlay)];
    }
    if (op.def.refInputs) return [this.#applyTraining(node, slots, overlay)];
    const inputs = op.inputs.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      const env: KernelEnv = op.def.stateful && "seed" in op.attrs ? { rng: this.#rng(op) } : {};
      return b.runKernel(op.type, inputs, op.attrs, env);
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
  }

  #rng(op: Operation): RandomSource {
    let r = this.#rngs.get(op);
    if (!r) this.#rngs.set(op, (r = sessionRandomSource(op.attrs)));
    return r;
  }

  #assign(node: PlanNode, slots: SlotValue[], overlay: Map<Operation, Handle>): VarRef {
    const op = node.op;
    const ref = slots[node.inputSlots[0]];
    if (!(ref instanceof VarRef)) throw new InvalidArgumentError(`${op.type} ${op.name}: input 0 must be a variable`);
    const value = this.#input(node, slots, 1, overlay);
    const varShape = ref.op.outputs[0].shape;
    if (op.type === "Assign") {
      if (op.attrs.validate_shape !== false && varShape !== null && !sameShape(varShape as number[], value.shape)) {
        value.backend.dispose(value);
        throw new InvalidArgumentError(`Assign requires shapes of both tensors to match. lhs shape= ${shapeStr(varShape)} rhs shape= ${shapeStr([...value.shape])}`);
      }
      this.#setOverlay(ref.op, value, overlay);
      return ref;
    }
    const current = this.#readVar(ref.op, overlay);
    try {
      const [next] = node.device.backend.runKernel(op.type === "AssignAdd" ? "AddV2" : "Sub", [current, value], {}, {});
      if (!sameShape(next.shape, current.shape)) {
        next.backend.dispose(next);
        throw new InvalidArgumentError(`${op.type} requires shapes of both tensors to match. lhs shape= ${shapeStr([...current.shape])} rhs shape= ${shapeStr([...value.shape])}`);
      }
      this.#setOverlay(ref.op, next, overlay);
    } finally {
      value.backend.dispose(value);
    }
    return ref;
  }

  /** A training op: reads its variables, runs the fused update kernel, stages the new values. */
  #applyTraining(node: PlanNode, slots: SlotValue[], overlay: Map<Operation, Handle>): VarRef {
    const op = node.op;
    const refIdx = op.def.refInputs!;
    const refs = refIdx.map((i) => {
      const r = slots[node.inputSlots[i]];
      if (!(r instanceof VarRef)) throw new InvalidArgumentError(`${op.type} ${op.name}: input ${i} must be a variable`);
      return r;
    });
    const inputs = op.inputs.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      const outs = node.device.backend.runKernel(op.type, inputs, op.attrs, {});
      refs.forEach((r, k) => this.#setOverlay(r.op, outs[k], overlay));
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
    return refs[0];
  }

  #setOverlay(v: Operation, h: Handle, overlay: Map<Operation, Handle>): void {
    const prev = overlay.get(v);
    if (prev) prev.backend.dispose(prev);
    overlay.set(v, h);
  }
}

/** Ops the executor runs itself (state, feeds), on whatever device they are placed. */
const RUNTIME_OPS = new Set(["Const", "Placeholder", "VariableV2", "NoOp", "IsVariableInitialized", "Assign", "AssignAdd", "AssignSub"]);

/** tf.compat.v1.InteractiveSession: installs itself as the default session on construction. */
export class InteractiveSession extends Session {
  constructor(...args: PyArgs<[target: string, graph: Graph, config: Partial<ConfigProto>], SessionOptions>) {
    super(...args);
    defaultSessionStackPush(this);
  }
  override close(): void {
    super.close();
  }
}

function defaultSessionStackPush(s: Session): void {
  defaultSession = s;
}

installEval((fetch, feedDict, session) => {
  const s = (session as Session | undefined) ?? defaultSession;
  if (!s) {
    throw new InvalidArgumentError("Cannot evaluate tensor using `eval()`: No default session is registered. Use `sess.asDefault(() => ...)`, a tf.InteractiveSession, or pass an explicit session to `eval(feedDict, sess)`");
  }
  const run = s.run.bind(s) as (f: Fetch, d?: FeedDict) => unknown;
  return run(fetch as Fetch, feedDict as FeedDict | undefined);
});
