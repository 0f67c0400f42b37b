import { FailedPreconditionError, InvalidArgumentError, OpError, UnimplementedError } from "../core/errors.js";
import { sameShape, shapeStr } from "../core/shape.js";
import type { Handle, KernelEnv, RandomSource } from "../core/backend.js";
import { EagerTensor } from "../eager/tensor.js";
import type { Tensor } from "../core/tensor.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Graph } from "../graph/graph.js";
import { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { ArgsOf, declare, kind, optional, OptionsOf, parseArgs, signature, withDefault } from "../core/signature.js";
import { sessionRandomSource } from "../ops/random_state.js";
import { placeOp } from "./devices.js";
import { convertFeeds, describePlaceholder, FeedDict } from "./feeds.js";
import { Fetch, FetchResult, flattenFetches } from "./fetches.js";
import { Plan, PlanNode, planToString, pruneAndOrder } from "./plan.js";
import { fusePlan } from "./fusion.js";
import { epiloguePlan } from "./epilogue.js";
import { fusedShape } from "../core/fused.js";
import { installEval } from "../graph/eval_hook.js";
import { CaptureUnsupported, CudaBackend, CudaHandle, DEVICE_DTYPES, DeviceStorage } from "../backends/cuda/backend.js";
import type { CapturedGraph } from "../backends/cuda/backend.js";
import { debugOn, getSetting } from "../core/settings.js";
import type { Backend } from "../core/backend.js";

export type SessionOptions = OptionsOf<typeof sessionParams>;

export interface NodeExecStats {
  nodeName: string;
  opType: string;
  allStartMicros: number;
  allEndRelMicros: number;
  /** A fused elementwise step (runtime/fusion.ts): the nodes it computed, nodeName being the last of them. */
  fusedNodes?: string[];
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
const sessionParams = [
  withDefault("target", kind<string>("string"), "", 'The execution engine: "" (this process). Remote targets ("grpc://...") are not implemented yet.'),
  optional("graph", kind<Graph>("Graph"), "The graph to run (default: the default graph)."),
  optional("config", kind<Partial<ConfigProto>>("ConfigProto"), "Session options: a tf.ConfigProto (or, by name, its fields as an object)."),
] as const;
const sessionSignature = signature("compat.v1.Session", "Runs the ops of a graph (TensorFlow 1).", sessionParams, { graph: true, args: (tf: { ConfigProto: typeof ConfigProto }) => ["", undefined, new tf.ConfigProto({ allowSoftPlacement: true })] });
const interactiveSessionSignature = signature("compat.v1.InteractiveSession", "A Session that makes itself the default session when created.", sessionParams, {
  graph: true,
  args: (tf: { ConfigProto: typeof ConfigProto }) => ["", undefined, new tf.ConfigProto({ allowSoftPlacement: true })],
});

export class Session {
  readonly graph: Graph;
  readonly config: Partial<ConfigProto>;
  readonly target: string;
  #closed = false;
  readonly #variables = new Map<Operation, Handle>();
  /** Const values uploaded once per session, per device (an op placed on two devices gets two copies). */
  readonly #constants = new Map<Backend, Map<Operation, Handle>>();
  /** Per plan and feed signature: runs so far, or the captured CUDA graph, or "never" (see #step). */
  readonly #steps = new WeakMap<Plan, Map<string, CapturedStep | number | "never">>();
  readonly #captured = new Set<CapturedStep>();
  readonly #rngs = new Map<Operation, RandomSource>();
  readonly #plans = new Map<string, Plan>();
  readonly #placed = new Set<Operation>();

  constructor(...args: ArgsOf<typeof sessionSignature>) {
    const [target, graph, config] = parseArgs(sessionSignature, args);
    if (target !== "") {
      throw new UnimplementedError(`tf.Session("${target}"): remote sessions are not implemented yet in tsflow; use new tf.Session() (target "") to run in this process`);
    }
    this.target = target;
    this.graph = graph ?? getDefaultGraph();
    this.config = config ?? {};
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
    for (const st of this.#captured) releaseStep(st);
    this.#captured.clear();
    for (const h of this.#variables.values()) h.backend.dispose(h);
    for (const m of this.#constants.values()) for (const h of m.values()) h.backend.dispose(h);
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
      const results = this.#step(plan, feeds, options, runMetadata);
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
    const fusion = getSetting("fusion");
    const epilogues = getSetting("epilogues");
    const key = `${fetches.map((t) => t.name).join(",")}|${targets.map((o) => o.name).join(",")}|${fed.map((t) => t.name).sort().join(",")}|${fusion}|${epilogues}`;
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
      if ((this.config.logDevicePlacement || debugOn("placement")) && !this.#placed.has(op)) {
        this.#placed.add(op);
        console.log(`${op.name}: (${op.type}): ${device.name}${softPlaced ? ` (soft placement: requested ${op.device})` : ""}`);
      }
      return { op, inputSlots, outputSlots, freeAfter: [], device };
    });
    const fetchSlots = fetches.map(slot);
    const keep = new Set([...fetchSlots, ...feedSlots.values()]);
    const freeAfter: number[][] = nodes.map(() => []);
    for (const [s, i] of lastUse) if (!keep.has(s)) freeAfter[i].push(s);
    let plan: Plan = {
      nodes: nodes.map((n, i) => ({ ...n, freeAfter: freeAfter[i] })),
      numSlots,
      feedSlots,
      fetchSlots,
    };
    // MatMul + bias (+ Relu) become one product where the device's backend offers it (runtime/epilogue.ts);
    // before fusion, which would otherwise take the add and the Relu into an elementwise kernel.
    if (epilogues) plan = epiloguePlan(plan, (n) => typeof n.device.backend.matmulEpilogue === "function");
    // Elementwise chains become one kernel each where the setting enables their device (runtime/fusion.ts).
    if (fusion !== "off") plan = fusePlan(plan, (n) => fusion === "all" || n.device.backend.deviceType === "GPU");
    this.#plans.set(key, plan);
    if (debugOn("plan")) process.stderr.write(`tsflow plan (fusion ${fusion}, epilogues ${epilogues ? "on" : "off"}):\n${planToString(plan)}\n`);
    return plan;
  }

  // ---------------------------------------------------------------- CUDA graphs

  /**
   * Runs a step. On a GPU, a step whose nodes all run there is captured into a CUDA graph the second time it
   * is run with the same fetches, feeds and feed shapes (the first run fills the constant caches and
   * compiles the kernels), and replayed from then on: one launch instead of one per op. A step that cannot be
   * captured (a node on the CPU, a random op, a host read inside a kernel) runs as before.
   * The cudaGraphs setting (TSFLOW_CUDA_GRAPHS=0) turns this off.
   */
  #step(plan: Plan, feeds: Map<SymbolicTensor, Handle>, options?: { traceLevel?: number }, meta?: RunMetadata): EagerTensor[] {
    const b = options?.traceLevel === 3 || !getSetting("cudaGraphs") ? null : capturableBackend(plan);
    if (!b) return this.#execute(plan, feeds, options, meta);
    let bySig = this.#steps.get(plan);
    if (!bySig) this.#steps.set(plan, (bySig = new Map()));
    let sig = "";
    for (const t of plan.feedSlots.keys()) {
      const h = feeds.get(t)!;
      sig += `${h.dtype}[${h.shape.join(",")}];`;
    }
    const st = bySig.get(sig);
    if (st === "never" || st === undefined) {
      if (st === undefined) bySig.set(sig, 1);
      return this.#execute(plan, feeds, options, meta);
    }
    if (typeof st !== "number") return this.#replay(st, feeds);
    const r = this.#capture(plan, feeds, b);
    if (r === "retry") return this.#execute(plan, feeds, options, meta);
    if (r === null) {
      bySig.set(sig, "never");
      return this.#execute(plan, feeds, options, meta);
    }
    bySig.set(sig, r.step);
    this.#captured.add(r.step);
    return r.results;
  }

  /**
   * Captures one step into a CUDA graph and runs it. Variables are read from and written back to "home"
   * buffers (their current ones): the graph ends by copying each new value home, so that every replay
   * finds them at the same addresses. Feeds are copied into buffers the step owns before each replay.
   * Returns "retry" when a variable has no value yet (an initialisation step), null when the step cannot be
   * captured.
   */
  #capture(plan: Plan, feeds: Map<SymbolicTensor, Handle>, b: CudaBackend): { step: CapturedStep; results: EagerTensor[] } | null | "retry" {
    const homes: { op: Operation; handle: CudaHandle }[] = [];
    for (const node of plan.nodes) {
      if (node.op.type !== "VariableV2") continue;
      let h = this.#variables.get(node.op);
      if (!h) return "retry";
      if (!(h instanceof CudaHandle) || h.backend !== b || h.storage.ptr === 0) return null;
      if (h.storage.refs > 1 || h.storage.internal) {
        // Shared (a variable initialised from a cached Const or scalar, or fetched and held): the graph will
        // write this buffer, so the variable gets one of its own first.
        const own = b.empty(h.dtype, h.shape, `variable ${node.op.name}`);
        b.copyInto(own, h);
        this.#variables.set(node.op, own);
        b.dispose(h);
        h = own;
      }
      // The graph changes the value: no op of the step may take it from a host copy (CudaBackend #fold).
      (h as CudaHandle).storage.host = null;
      homes.push({ op: node.op, handle: b.alias(h) as CudaHandle });
    }
    const owned: { t: SymbolicTensor; slot: number; handle: CudaHandle }[] = [];
    const dropOwned = () => {
      for (const x of homes) b.dispose(x.handle);
      for (const f of owned) b.dispose(f.handle);
    };
    try {
      for (const [t, slot] of plan.feedSlots) {
        const src = feeds.get(t)!;
        if (!DEVICE_DTYPES.has(src.dtype)) {
          dropOwned();
          return null;
        }
        const handle = b.empty(src.dtype, src.shape, `feed ${t.name}`);
        owned.push({ t, slot, handle });
        b.copyInto(handle, src);
      }
    } catch (e) {
      dropOwned();
      throw e;
    }
    const slots: SlotValue[] = new Array(plan.numSlots);
    for (const f of owned) slots[f.slot] = b.alias(f.handle);
    const overlay = new Map<Operation, Handle>();
    let fetched: Handle[] = [];
    let ok = false;
    let began = false;
    let graph: CapturedGraph | null = null;
    try {
      b.beginCapture();
      began = true;
      this.#runNodes(plan, slots, overlay, null);
      fetched = this.#fetch(plan, slots, overlay);
      const homeStorages = new Set<DeviceStorage>(homes.map((x) => x.handle.storage));
      for (const h of fetched) {
        // A fetch sharing a variable's buffer would see the value after the step, not the one it fetched.
        if (!(h instanceof CudaHandle) || homeStorages.has(h.storage)) throw new CaptureUnsupported("a fetch shares a variable's buffer");
      }
      for (const [op, h] of overlay) {
        const home = homes.find((x) => x.op === op);
        if (!home || !(h instanceof CudaHandle) || h.backend !== b) throw new CaptureUnsupported(`variable ${op.name} is written off the GPU`);
        if (h.storage !== home.handle.storage) b.ctx.copyDtoD(home.handle.ptr, h.ptr, home.handle.storage.bytes);
      }
      ok = true;
    } catch {
      ok = false;
    } finally {
      for (const v of slots) if (v && !(v instanceof VarRef)) v.backend.dispose(v);
      for (const h of overlay.values()) h.backend.dispose(h);
      if (!ok) for (const h of fetched) h.backend.dispose(h);
      try {
        graph = began ? b.endCapture(ok) : null;
      } catch {
        graph = null;
      }
    }
    if (!graph) {
      if (ok) for (const h of fetched) h.backend.dispose(h);
      dropOwned();
      return null;
    }
    const step: CapturedStep = { backend: b, graph, homes, feeds: owned, fetches: fetched as CudaHandle[] };
    for (const f of owned) b.markInternal(f.handle);
    for (const h of step.fetches) if (graph.allocated.has(h.storage.ptr)) b.markInternal(h);
    // A variable's buffer may be shared (initialised from a cached Const): the sharers move to a copy first.
    this.#detachShared(step);
    b.launchGraph(graph);
    for (const x of homes) x.handle.storage.host = null;
    return { step, results: step.fetches.map((h) => new EagerTensor(b.alias(h))) };
  }

  /** Replays a captured step: variables and feeds into place, one graph launch, the fetched buffers out. */
  #replay(step: CapturedStep, feeds: Map<SymbolicTensor, Handle>): EagerTensor[] {
    const b = step.backend;
    // A variable changed by another step since (a new buffer): its value goes back to the home buffer.
    for (const home of step.homes) {
      const cur = this.#variables.get(home.op);
      if (!cur) throw new FailedPreconditionError(`Attempting to use uninitialized value ${home.op.name}`);
      if (cur instanceof CudaHandle && cur.storage === home.handle.storage) continue;
      b.copyInto(home.handle, cur);
      this.#variables.set(home.op, b.alias(home.handle));
      cur.backend.dispose(cur);
    }
    const holders = this.#detachShared(step);
    for (const f of step.feeds) b.copyInto(f.handle, feeds.get(f.t)!);
    b.launchGraph(step.graph);
    for (const s of holders) s.host = null;
    for (const h of step.fetches) h.storage.host = null;
    return step.fetches.map((h) => new EagerTensor(b.alias(h)));
  }

  /**
   * Buffers a replay overwrites that someone else still holds (a value fetched earlier, a cached Const a
   * variable was initialised from): those holders keep their values in a copy (CudaBackend.detach), the step
   * keeps the addresses its graph uses. Returns the buffers the replay writes.
   */
  #detachShared(step: CapturedStep): DeviceStorage[] {
    const b = step.backend;
    const holders = new Map<DeviceStorage, ((s: DeviceStorage) => void)[]>();
    const hold = (s: DeviceStorage, fix: (s: DeviceStorage) => void) => {
      let l = holders.get(s);
      if (!l) holders.set(s, (l = []));
      l.push(fix);
    };
    for (const home of step.homes) {
      hold(home.handle.storage, (s) => void (home.handle = new CudaHandle(b, s, home.handle.dtype, home.handle.shape)));
      hold(home.handle.storage, (s) => void this.#variables.set(home.op, new CudaHandle(b, s, home.handle.dtype, home.handle.shape)));
    }
    for (const f of step.feeds) hold(f.handle.storage, (s) => void (f.handle = new CudaHandle(b, s, f.handle.dtype, f.handle.shape)));
    step.fetches.forEach((h, i) => {
      if (holders.has(h.storage) || step.graph.allocated.has(h.storage.ptr)) {
        hold(h.storage, (s) => void (step.fetches[i] = new CudaHandle(b, s, h.dtype, h.shape)));
      }
    });
    const written: DeviceStorage[] = [];
    for (const [s, fixes] of holders) {
      if (s.refs <= fixes.length) {
        written.push(s);
        continue;
      }
      const fresh = b.detach(new CudaHandle(b, s, "float32", []), fixes.length);
      for (const fix of fixes) fix(fresh.storage);
      written.push(fresh.storage);
    }
    return written;
  }

  /** The fetched values of a finished step (aliases the caller owns). */
  #fetch(plan: Plan, slots: SlotValue[], overlay: Map<Operation, Handle>): Handle[] {
    return plan.fetchSlots.map((s, i) => {
      const v = slots[s];
      const h = v instanceof VarRef ? this.#readVar(v.op, overlay) : v;
      if (!h) throw new InvalidArgumentError(`fetch #${i} produced no value`);
      return h.backend.alias(h);
    });
  }

  /** Runs the plan's nodes in order, freeing each slot after its last reader. */
  #runNodes(plan: Plan, slots: SlotValue[], overlay: Map<Operation, Handle>, trace: { t0: number; stats: NodeExecStats[] } | null): void {
    const group = new GroupedUpdates();
    try {
      this.#runNodesGrouping(plan, slots, overlay, trace, group);
      this.#flushGroup(group, overlay);
    } finally {
      group.release();
    }
  }

  #runNodesGrouping(plan: Plan, slots: SlotValue[], overlay: Map<Operation, Handle>, trace: { t0: number; stats: NodeExecStats[] } | null, group: GroupedUpdates): void {
    for (const node of plan.nodes) {
      const start = trace ? performance.now() : 0;
      let outs: SlotValue[];
      try {
        if (group.accepts(node)) {
          outs = [this.#deferUpdate(node, slots, overlay, group)];
        } else {
          // Whatever reads or writes variables sees the deferred updates done first.
          if (group.items.length > 0 && (node.op.def.stateful || node.inputSlots.some((s) => slots[s] instanceof VarRef))) this.#flushGroup(group, overlay);
          outs = node.fused ? this.#runFused(node, slots, overlay) : node.epilogue ? this.#runEpilogue(node, slots, overlay) : this.#runNode(node, slots, overlay);
        }
      } catch (e) {
        throw atNode(e, node);
      }
      storeOutputs(node, outs, slots);
      freeSlots(node.freeAfter, slots);
      if (trace) {
        const st: NodeExecStats = { nodeName: node.op.name, opType: node.op.type, allStartMicros: Math.round((start - trace.t0) * 1000), allEndRelMicros: Math.round((performance.now() - start) * 1000) };
        if (node.fused) {
          st.opType = "FusedElementwise";
          st.fusedNodes = node.fused.members.map((m) => m.op.name);
        } else if (node.epilogue) st.opType = "_FusedMatMul";
        trace.stats.push(st);
      }
    }
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
    const release = releaseSlot;
    try {
      this.#runNodes(plan, slots, overlay, trace ? { t0, stats: trace } : null);
      const results = this.#fetch(plan, slots, overlay);
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

  /**
   * A fused group (runtime/fusion.ts): one kernel over the group's inputs where the backend runs it (shapes
   * that broadcast, a supported layout), else its nodes one by one in their order, freeing intermediates after
   * their last reader (so errors, e.g. shapes that do not broadcast, name the node that raises them).
   */
  #runFused(node: PlanNode, slots: SlotValue[], overlay: Map<Operation, Handle>): SlotValue[] {
    const f = node.fused!;
    const inputs = node.inputSlots.map((_, i) => this.#input(node, slots, i, overlay));
    try {
      const shape = fusedShape(f.program, inputs.map((h) => h.shape));
      const out = shape && node.device.backend.runFused?.(f.program, inputs, shape);
      if (out) return [out];
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
    return this.#runMembers(f.members, f.innerFree, slots, overlay);
  }

  /**
   * A MatMul + bias (+ Relu) group (runtime/epilogue.ts): one product where the backend computes it, else its
   * nodes one by one (so shape errors name the node that raises them, as unfused).
   */
  #runEpilogue(node: PlanNode, slots: SlotValue[], overlay: Map<Operation, Handle>): SlotValue[] {
    const e = node.epilogue!;
    const inputs = node.inputSlots.map((_, i) => this.#input(node, slots, i, overlay));
    let out: Handle | null = null;
    try {
      out = node.device.backend.matmulEpilogue?.(inputs[0], inputs[1], inputs[2], e.transposeA, e.transposeB, e.relu) ?? null;
    } finally {
      for (const h of inputs) h.backend.dispose(h);
    }
    if (!out) return this.#runMembers(e.members, e.innerFree, slots, overlay);
    // Shape nodes reading an intermediate get the result: same shape and dtype.
    for (const s of e.shapeSlots) slots[s] = out.backend.alias(out);
    return [out];
  }

  /** A group's original nodes in order, freeing each intermediate after its last reader in the group. */
  #runMembers(members: readonly PlanNode[], innerFree: readonly (readonly number[])[], slots: SlotValue[], overlay: Map<Operation, Handle>): SlotValue[] {
    const last = members.length - 1;
    for (let k = 0; k < last; k++) {
      const m = members[k];
      let outs: SlotValue[];
      try {
        outs = this.#runNode(m, slots, overlay);
      } catch (e) {
        throw atNode(e, m);
      }
      storeOutputs(m, outs, slots);
      freeSlots(innerFree[k], slots);
    }
    const outs = this.#runNode(members[last], slots, overlay);
    freeSlots(innerFree[last], slots);
    return outs;
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

  /**
   * ApplyGradientDescent nodes of one device are held back and run together (one launch for up to 32
   * variables where the backend groups them: backends' runKernelGroup), once the step reaches a node that
   * reads or writes variables, or its end. Their inputs are read now, so the values they update from are
   * those the unfused order would use.
   */
  #deferUpdate(node: PlanNode, slots: SlotValue[], overlay: Map<Operation, Handle>, group: GroupedUpdates): VarRef {
    const ref = slots[node.inputSlots[0]];
    if (!(ref instanceof VarRef)) throw new InvalidArgumentError(`${node.op.type} ${node.op.name}: input 0 must be a variable`);
    group.items.push({ node, ref, inputs: node.op.inputs.map((_, i) => this.#input(node, slots, i, overlay)) });
    return ref;
  }

  #flushGroup(group: GroupedUpdates, overlay: Map<Operation, Handle>): void {
    const items = group.items;
    if (items.length === 0) return;
    const b = items[0].node.device.backend;
    const outs = items.length > 1 ? b.runKernelGroup?.(items[0].node.op.type, items.map((it) => it.inputs), items[0].node.op.attrs) : null;
    if (outs) items.forEach((it, k) => this.#setOverlay(it.ref.op, outs[k][0], overlay));
    else {
      for (const it of items) {
        try {
          this.#setOverlay(it.ref.op, b.runKernel(it.node.op.type, it.inputs, it.node.op.attrs, {})[0], overlay);
        } catch (e) {
          throw atNode(e, it.node);
        }
      }
    }
    group.release();
  }

  #setOverlay(v: Operation, h: Handle, overlay: Map<Operation, Handle>): void {
    const prev = overlay.get(v);
    if (prev) prev.backend.dispose(prev);
    overlay.set(v, h);
  }
}

/** The ApplyGradientDescent nodes a step holds back to run as one group (Session #deferUpdate). */
class GroupedUpdates {
  items: { node: PlanNode; ref: VarRef; inputs: Handle[] }[] = [];
  accepts(node: PlanNode): boolean {
    if (!getSetting("groupUpdates") || node.op.type !== "ApplyGradientDescent" || !node.device.backend.runKernelGroup) return false;
    return this.items.length === 0 || this.items[0].node.device.backend === node.device.backend;
  }
  release(): void {
    for (const it of this.items) for (const h of it.inputs) h.backend.dispose(h);
    this.items = [];
  }
}

/** Adds the node's name to an op error raised while it ran (TensorFlow's "[[{{node name}}]]"), once. */
function atNode(e: unknown, node: PlanNode): unknown {
  if (e instanceof OpError && !e.message.includes("[[")) e.message += `\n\t [[{{node ${node.op.name}}}]]`;
  return e;
}

/** Puts a node's outputs in their slots; outputs nothing reads are released at once. */
function storeOutputs(node: PlanNode, outs: readonly SlotValue[], slots: SlotValue[]): void {
  node.outputSlots.forEach((s, j) => {
    if (s >= 0) slots[s] = outs[j];
    else releaseSlot(outs[j]);
  });
}

function freeSlots(list: readonly number[], slots: SlotValue[]): void {
  for (const s of list) {
    releaseSlot(slots[s]);
    slots[s] = undefined;
  }
}

function releaseSlot(v: SlotValue): void {
  if (v && !(v instanceof VarRef)) v.backend.dispose(v);
}

/** A step captured as a CUDA graph: the buffers its graph reads and writes at fixed addresses. */
interface CapturedStep {
  readonly backend: CudaBackend;
  readonly graph: CapturedGraph;
  /** Per variable of the step: the buffer the graph reads it from and writes its new value back to. */
  readonly homes: { op: Operation; handle: CudaHandle }[];
  /** Per fed tensor: the buffer the graph reads it from (filled before each replay). */
  readonly feeds: { t: SymbolicTensor; slot: number; handle: CudaHandle }[];
  /** Per fetch: the buffer holding it after a replay. */
  readonly fetches: CudaHandle[];
}

function releaseStep(st: CapturedStep): void {
  const b = st.backend;
  b.releaseGraph(st.graph);
  for (const h of st.homes) b.dispose(h.handle);
  for (const f of st.feeds) b.dispose(f.handle);
  for (const h of st.fetches) b.dispose(h);
}

const capturable = new WeakMap<Plan, CudaBackend | null>();
/** The GPU a plan can be captured on: every node there, no random op, no host-side state check. */
function capturableBackend(plan: Plan): CudaBackend | null {
  let b = capturable.get(plan);
  if (b !== undefined) return b;
  b = null;
  const first = plan.nodes[0]?.device.backend;
  if (first instanceof CudaBackend && first.canCapture && plan.nodes.some((n) => !RUNTIME_OPS.has(n.op.type))) {
    const ok = plan.nodes.every((n) => n.device.backend === first && n.op.type !== "IsVariableInitialized" && !(n.op.def.stateful && "seed" in n.op.attrs));
    if (ok) b = first;
  }
  capturable.set(plan, b);
  return b;
}

/** Ops the executor runs itself (state, feeds), on whatever device they are placed. */
const RUNTIME_OPS = new Set(["Const", "Placeholder", "VariableV2", "NoOp", "IsVariableInitialized", "Assign", "AssignAdd", "AssignSub"]);

/** tf.compat.v1.InteractiveSession: installs itself as the default session on construction. */
export class InteractiveSession extends Session {
  constructor(...args: ArgsOf<typeof sessionSignature>) {
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

declare(Session, sessionSignature);
declare(InteractiveSession, interactiveSessionSignature);
