import type { DType } from "../../core/dtype.js";
import { debugOn, getSetting } from "../../core/settings.js";
import type { ConvShape, Cudnn, Dir } from "./cudnn.js";
import { Backend, BackendCallError, bindBackend, cudnnGraphTesting, words } from "./cudnn_backend.js";
import { ATTR, BEHAVIOR_RUNTIME_COMPILATION, CROSS_CORRELATION, DATA_FLOAT, DESC, HEUR_MODE_A, HEUR_MODE_FALLBACK, TYPE } from "./cudnn_backend_enums.js";
import { BYTE_ALIGNMENT, CONV_OPS, convTensors, convWindow, engineLabel, exclusion, operandUids, tensorDataType } from "./cudnn_graph_conv.js";
import { type Ptr, shortError } from "./ffi.js";

/**
 * Convolutions through cuDNN's graph (backend) API, autotuned over its engine configurations: the way
 * PyTorch (cudnn.benchmark) and XLA reach cuDNN's engines through cudnn-frontend, where the legacy API
 * offers float16/bfloat16 two implicit-GEMM algorithms only. Per convolution key (cudnn.ts convKey and the
 * cudnnGraph mode): the three tensors, the convolution and its operation in an operation graph on the
 * device's handle; engine configurations from heuristic mode A, then the fallback list; an execution plan
 * per configuration that the numerical notes allow (cudnn_graph_conv.ts exclusion) and that finalizes,
 * within the workspace limit; each timed on the real buffers with CUDA events (one untimed run first, as
 * kernels load on first launch), and the fastest kept. A key first met while a Session step is captured
 * times nothing: the first usable configuration of the heuristic's ranking is kept, as the legacy path
 * keeps cuDNN's heuristic choice there. When nothing finalizes or any call fails, the key stays on the
 * legacy API (stats.choices says why; TSFLOW_DEBUG=cuda prints it once).
 */

/** The most configurations timed per convolution (PyTorch's cudnn.benchmark_limit defaults to 10). */
const TUNE_LIMIT = 12;
/** The most configurations read from one heuristic query. */
const HEURISTIC_LIMIT = 64;
/** Timed runs per candidate (the fastest counts), after one untimed run. */
const TIMED_RUNS = 3;
/** Room for an engine's numerical or behaviour notes (cuDNN 9.6 has 10 and 4 kinds). */
const NOTE_ROOM = 32;

const workspaceLimit = () => getSetting("cudnnWorkspaceMb") * 2 ** 20;

/** A finalized execution plan of one convolution key. */
export interface GraphPlan {
  readonly plan: Ptr;
  readonly workspace: number;
  /** The engine, its knobs and notes (cudnn_graph_conv.ts engineLabel). */
  readonly label: string;
  /** Descriptors the plan was made from, kept while it lives. */
  readonly keep: readonly Ptr[];
  /** The variant pack of the last run and the pointers it binds, reused while they repeat. */
  pack: { readonly ptrs: string; readonly desc: Ptr } | null;
}

interface Candidate {
  readonly cfg: Ptr;
  readonly plan: Ptr;
  readonly workspace: number;
  readonly label: string;
}

/** What one planning did, for stats.choices. */
interface Notes {
  readonly excluded: Map<string, number>;
  unreadable: number;
  unfinalized: number;
  overLimit: number;
}

const ms = (t: number) => (t < 0.1 ? `${(t * 1000).toFixed(1)}us` : `${t.toFixed(3)}ms`);
const mib = (b: number) => (b > 0 ? `/${(b / 2 ** 20).toFixed(1)}MiB` : "");

/** One device's graph-API plans, beside its legacy Cudnn. */
export class CudnnGraph {
  /** Per key: the plan, or null where the legacy API runs the key. */
  readonly #plans = new Map<string, GraphPlan | null>();

  constructor(
    readonly c: Cudnn,
    readonly api: Backend,
  ) {}

  /** The plan of a key: undefined when not yet made, null where the legacy API runs it. */
  cached(key: string): GraphPlan | null | undefined {
    return this.#plans.get(key);
  }

  /**
   * The plan of a key, made on first use (timed on the given buffers, whose outputs are written again
   * after). `rival`, where given, runs the legacy API's plan of the same convolution: it is timed with the
   * candidates, and where it is the fastest the key stays on the legacy API (null). Never throws: a
   * failure leaves the key on the legacy API.
   */
  plan(dir: Dir, key: string, g: ConvShape, dtype: DType, tf32: boolean, a: number, b: number, out: number, rival: (() => void) | null): GraphPlan | null {
    const hit = this.#plans.get(key);
    if (hit !== undefined) return hit;
    const made = new Made(this.api);
    let result: GraphPlan | null = null;
    let choice: string;
    try {
      const r = this.#make(dir, g, dtype, tf32, [a, b, out], rival, made);
      result = r.plan;
      choice = r.choice;
    } catch (e) {
      this.c.stats.graphFallbacks++;
      choice = `graph: none (${shortError(e)}); the legacy API runs it`;
    }
    const kept = new Set(result?.keep ?? []);
    this.api.destroy(made.list.filter((d) => !kept.has(d)).reverse());
    this.#plans.set(key, result);
    this.c.stats.choices.set(key, choice);
    if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN ${key}: ${choice}\n`);
    return result;
  }

  /** After a plan failed to run: the key goes to the legacy API from now on. */
  fail(key: string, e: unknown): void {
    const p = this.#plans.get(key);
    if (p) this.api.destroy([...(p.pack ? [p.pack.desc] : []), ...p.keep]);
    this.#plans.set(key, null);
    this.c.stats.graphFallbacks++;
    const choice = `graph: none (${p?.label ?? "plan"} failed to run: ${shortError(e)}); the legacy API runs it`;
    this.c.stats.choices.set(key, choice);
    if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN ${key}: ${choice}\n`);
  }

  /** Whether device pointers meet the alignment the plans were made for (the allocator's blocks always do). */
  static aligned(...ptrs: number[]): boolean {
    return ptrs.every((p) => p % BYTE_ALIGNMENT === 0);
  }

  /** Runs a plan: out = op(a, b), a workspace from the caching allocator (stream-ordered). Throws on failure. */
  run(dir: Dir, p: GraphPlan, a: number, b: number, out: number): void {
    const alloc = this.c.b.allocator;
    const ws = p.workspace > 0 ? alloc.alloc(p.workspace, () => `cuDNN's workspace (${p.workspace} bytes)`) : 0;
    try {
      this.api.execute(this.c.handle, p.plan, this.#pack(p, dir, [a, b, out], ws));
    } finally {
      if (ws !== 0) alloc.free(ws, p.workspace);
    }
    const s = this.c.stats;
    if (dir === 0) {
      s.forward++;
      s.graphForward++;
    } else if (dir === 1) {
      s.backwardData++;
      s.graphBackwardData++;
    } else {
      s.backwardFilter++;
      s.graphBackwardFilter++;
    }
  }

  #pack(p: GraphPlan, dir: Dir, ptrs: readonly [number, number, number], ws: number): Ptr {
    const id = `${ptrs.join(",")},${ws}`;
    if (p.pack?.ptrs === id) return p.pack.desc;
    if (p.pack) this.api.destroy([p.pack.desc]);
    p.pack = null;
    const d = this.api.create(DESC.VARIANT_PACK, "variant pack");
    try {
      this.api.setInt64(d, ATTR.VARIANT_PACK_UNIQUE_IDS, operandUids(dir), "variant pack ids");
      this.api.set(d, ATTR.VARIANT_PACK_DATA_POINTERS, TYPE.VOID_PTR, words(ptrs), "variant pack pointers");
      this.api.set(d, ATTR.VARIANT_PACK_WORKSPACE, TYPE.VOID_PTR, words([ws]), "variant pack workspace");
      this.api.finalize(d, "variant pack");
    } catch (e) {
      this.api.destroy([d]);
      throw e;
    }
    p.pack = { ptrs: id, desc: d };
    return d;
  }

  /** Builds, tunes and picks; every descriptor it makes goes to `made` (plan destroys those the result does not keep). */
  #make(
    dir: Dir,
    g: ConvShape,
    dtype: DType,
    tf32: boolean,
    ptrs: readonly [number, number, number],
    rival: (() => void) | null,
    made: Made,
  ): { plan: GraphPlan | null; choice: string } {
    const type = tensorDataType(dtype);
    if (type === null) throw new Error(`no graph-API convolution for ${dtype}`);
    const graph = this.#graph(dir, g, type, made);
    const untimed = this.c.b.capturing || cudnnGraphTesting.untimed;
    const notes: Notes = { excluded: new Map(), unreadable: 0, unfinalized: 0, overLimit: 0 };
    const cands = this.#candidates(graph.desc, dtype, tf32, untimed ? 1 : TUNE_LIMIT, notes, made);
    const left = summary(notes);
    if (cands.length === 0) {
      this.c.stats.graphFallbacks++;
      return { plan: null, choice: `graph: none (no engine configuration finalized${left}); the legacy API runs it` };
    }
    let pick = cands[0];
    let list: string;
    if (untimed) {
      this.c.stats.graphHeuristics++;
      list = "untimed: the heuristic's first usable";
    } else {
      this.c.stats.graphTunes++;
      const timed = this.#tune(dir, cands, ptrs, rival);
      list = timed.map((t) => `${t.label}:${t.ms >= 0 ? ms(t.ms) : t.error}${t.cand ? mib(t.cand.workspace) : ""}`).join(", ");
      const best = timed.filter((t) => t.ms >= 0).sort((x, y) => x.ms - y.ms)[0];
      if (best === undefined) {
        this.c.stats.graphFallbacks++;
        return { plan: null, choice: `graph: none (no configuration ran: [${list}]); the legacy API runs it` };
      }
      if (best.cand === null) return { plan: null, choice: `graph: legacy ${ms(best.ms)} is the fastest of [${list}]${left}` };
      pick = best.cand;
    }
    const keep = [...graph.keep, pick.cfg, pick.plan];
    const plan: GraphPlan = { plan: pick.plan, workspace: pick.workspace, label: pick.label, keep, pack: null };
    return { plan, choice: `graph: ${pick.label}${mib(pick.workspace)} of [${list}]${left}` };
  }

  /** The tensors, the convolution, its operation and the finalized operation graph on the device's handle. */
  #graph(dir: Dir, g: ConvShape, type: number, made: Made): { desc: Ptr; keep: Ptr[] } {
    const api = this.api;
    const tensors = convTensors(g).map((t) => {
      const d = made.create(DESC.TENSOR, "tensor");
      api.set(d, ATTR.TENSOR_DATA_TYPE, TYPE.DATA_TYPE, Int32Array.of(type), "tensor data type");
      api.setInt64(d, ATTR.TENSOR_DIMENSIONS, t.dims, "tensor dimensions");
      api.setInt64(d, ATTR.TENSOR_STRIDES, t.strides, "tensor strides");
      api.setInt64(d, ATTR.TENSOR_UNIQUE_ID, [t.uid], "tensor unique id");
      api.setInt64(d, ATTR.TENSOR_BYTE_ALIGNMENT, [BYTE_ALIGNMENT], "tensor byte alignment");
      api.finalize(d, `tensor ${t.uid} [${t.dims}] strides [${t.strides}]`);
      return d;
    });
    const w = convWindow(g);
    const conv = made.create(DESC.CONVOLUTION, "convolution");
    api.set(conv, ATTR.CONVOLUTION_COMP_TYPE, TYPE.DATA_TYPE, Int32Array.of(DATA_FLOAT), "convolution compute type");
    api.set(conv, ATTR.CONVOLUTION_CONV_MODE, TYPE.CONVOLUTION_MODE, Int32Array.of(CROSS_CORRELATION), "convolution mode");
    api.setInt64(conv, ATTR.CONVOLUTION_SPATIAL_DIMS, [2], "convolution spatial dims");
    api.setInt64(conv, ATTR.CONVOLUTION_PRE_PADDINGS, w.pre, "convolution pre paddings");
    api.setInt64(conv, ATTR.CONVOLUTION_POST_PADDINGS, w.post, "convolution post paddings");
    api.setInt64(conv, ATTR.CONVOLUTION_FILTER_STRIDES, w.strides, "convolution strides");
    api.setInt64(conv, ATTR.CONVOLUTION_DILATIONS, w.dilations, "convolution dilations");
    api.finalize(conv, "convolution");
    const layout = CONV_OPS[dir];
    const op = made.create(layout.type, `convolution ${layout.name}`);
    api.set(op, layout.alpha, TYPE.FLOAT, Float32Array.of(1), "alpha");
    api.set(op, layout.beta, TYPE.FLOAT, Float32Array.of(0), "beta");
    api.set(op, layout.conv, TYPE.BACKEND_DESCRIPTOR, words([conv]), "operation convolution");
    api.set(op, layout.x, TYPE.BACKEND_DESCRIPTOR, words([tensors[0]]), "operation image tensor");
    api.set(op, layout.w, TYPE.BACKEND_DESCRIPTOR, words([tensors[1]]), "operation filter tensor");
    api.set(op, layout.y, TYPE.BACKEND_DESCRIPTOR, words([tensors[2]]), "operation output tensor");
    api.finalize(op, `convolution ${layout.name}`);
    const graph = made.create(DESC.OPERATIONGRAPH, "operation graph");
    api.set(graph, ATTR.OPERATIONGRAPH_HANDLE, TYPE.HANDLE, words([this.c.handle]), "operation graph handle");
    api.set(graph, ATTR.OPERATIONGRAPH_OPS, TYPE.BACKEND_DESCRIPTOR, words([op]), "operation graph ops");
    api.finalize(graph, "operation graph");
    return { desc: graph, keep: [...tensors, conv, op, graph] };
  }

  /**
   * Up to `limit` finalized plans, in the heuristics' order (mode A, then the fallback list), of the engine
   * configurations the notes allow and the workspace limit admits.
   */
  #candidates(graph: Ptr, dtype: DType, tf32: boolean, limit: number, notes: Notes, made: Made): Candidate[] {
    const api = this.api;
    const deterministic = getSetting("opDeterminism");
    const seen = new Set<string>();
    const out: Candidate[] = [];
    for (const mode of [HEUR_MODE_A, HEUR_MODE_FALLBACK]) {
      if (out.length >= limit) break;
      let cfgs: Ptr[];
      try {
        const heur = made.create(DESC.ENGINEHEUR, "engine heuristic");
        api.set(heur, ATTR.ENGINEHEUR_OPERATION_GRAPH, TYPE.BACKEND_DESCRIPTOR, words([graph]), "heuristic graph");
        api.set(heur, ATTR.ENGINEHEUR_MODE, TYPE.HEUR_MODE, Int32Array.of(mode), "heuristic mode");
        api.finalize(heur, `heuristic mode ${mode}`);
        cfgs = made.adopt(api.getDescriptors(heur, ATTR.ENGINEHEUR_RESULTS, DESC.ENGINECFG, "heuristic results", HEURISTIC_LIMIT));
      } catch {
        continue; // the other mode may still answer
      }
      for (const cfg of cfgs) {
        if (out.length >= limit) break;
        let info: { label: string; notes: number[] };
        try {
          info = this.#describe(cfg);
        } catch {
          notes.unreadable++;
          continue;
        }
        if (seen.has(info.label)) continue;
        seen.add(info.label);
        const why = exclusion(info.notes, dtype, tf32, deterministic);
        if (why !== null) {
          notes.excluded.set(why, (notes.excluded.get(why) ?? 0) + 1);
          continue;
        }
        let workspace: number;
        let plan: Ptr;
        try {
          plan = made.create(DESC.EXECUTION_PLAN, "execution plan");
          api.set(plan, ATTR.EXECUTION_PLAN_HANDLE, TYPE.HANDLE, words([this.c.handle]), "plan handle");
          api.set(plan, ATTR.EXECUTION_PLAN_ENGINE_CONFIG, TYPE.BACKEND_DESCRIPTOR, words([cfg]), "plan engine config");
          api.finalize(plan, `execution plan ${info.label}`);
          const ws = new BigInt64Array(1);
          api.get(plan, ATTR.EXECUTION_PLAN_WORKSPACE_SIZE, TYPE.INT64, ws, "plan workspace size");
          workspace = Number(ws[0]);
        } catch {
          notes.unfinalized++;
          continue;
        }
        if (workspace > workspaceLimit()) {
          notes.overLimit++;
          continue;
        }
        out.push({ cfg, plan, workspace, label: info.label });
      }
    }
    return out;
  }

  /** An engine configuration's label and numerical notes (its engine and knob descriptors destroyed after). */
  #describe(cfg: Ptr): { label: string; notes: number[] } {
    const api = this.api;
    const eng = api.create(DESC.ENGINE, "engine");
    try {
      api.get(cfg, ATTR.ENGINECFG_ENGINE, TYPE.BACKEND_DESCRIPTOR, words([eng]), "engine config's engine");
      const id = new BigInt64Array(1);
      api.get(eng, ATTR.ENGINE_GLOBAL_INDEX, TYPE.INT64, id, "engine index");
      const notes = this.#enums(eng, ATTR.ENGINE_NUMERICAL_NOTE, TYPE.NUMERICAL_NOTE, "numerical notes");
      const behaviour = this.#enums(eng, ATTR.ENGINE_BEHAVIOR_NOTE, TYPE.BEHAVIOR_NOTE, "behaviour notes");
      return { notes, label: engineLabel(Number(id[0]), this.#knobs(cfg), notes, behaviour.includes(BEHAVIOR_RUNTIME_COMPILATION)) };
    } finally {
      api.destroy([eng]);
    }
  }

  #enums(d: Ptr, name: number, type: number, what: string): number[] {
    const a = new Int32Array(NOTE_ROOM);
    const n = this.api.get(d, name, type, a, what);
    return Array.from(a.subarray(0, Math.min(n, NOTE_ROOM)));
  }

  /** The knob choices of a configuration as [knob type, value]; none where they cannot be read (they only label it). */
  #knobs(cfg: Ptr): [number, number][] {
    const api = this.api;
    let ds: Ptr[] = [];
    try {
      ds = api.getDescriptors(cfg, ATTR.ENGINECFG_KNOB_CHOICES, DESC.KNOB_CHOICE, "knob choices");
      return ds.map((d) => {
        const t = new Int32Array(1);
        const v = new BigInt64Array(1);
        api.get(d, ATTR.KNOB_CHOICE_KNOB_TYPE, TYPE.KNOB_TYPE, t, "knob type");
        api.get(d, ATTR.KNOB_CHOICE_KNOB_VALUE, TYPE.INT64, v, "knob value");
        return [t[0], Number(v[0])];
      });
    } catch {
      return [];
    } finally {
      api.destroy(ds);
    }
  }

  /**
   * Times each candidate (and the legacy rival) on the real buffers in one workspace: the largest a
   * candidate needs, or the largest the device can give (those needing more are left out).
   */
  #tune(dir: Dir, cands: readonly Candidate[], ptrs: readonly [number, number, number], rival: (() => void) | null): Timed[] {
    const alloc = this.c.b.allocator;
    const sizes = cands.map((c) => c.workspace);
    let wsBytes = Math.max(0, ...sizes);
    let ws = 0;
    while (wsBytes > 0 && ws === 0) {
      try {
        ws = alloc.alloc(wsBytes, () => `cuDNN's workspace (${wsBytes} bytes)`);
      } catch {
        const below = sizes.filter((s) => s < wsBytes);
        wsBytes = Math.max(0, ...below);
      }
    }
    const out: Timed[] = [];
    try {
      for (const cand of cands) {
        if (cand.workspace > wsBytes) {
          out.push({ label: cand.label, ms: -1, error: "no room for its workspace", cand });
          continue;
        }
        const p: GraphPlan = { plan: cand.plan, workspace: cand.workspace, label: cand.label, keep: [], pack: null };
        try {
          out.push({ label: cand.label, ms: this.#time(() => this.api.execute(this.c.handle, cand.plan, this.#pack(p, dir, ptrs, ws))), error: "", cand });
        } catch (e) {
          out.push({ label: cand.label, ms: -1, error: failure(e), cand });
        } finally {
          if (p.pack) this.api.destroy([p.pack.desc]);
        }
      }
      if (rival) {
        try {
          out.push({ label: "legacy", ms: this.#time(rival), error: "", cand: null });
        } catch (e) {
          out.push({ label: "legacy", ms: -1, error: failure(e), cand: null });
        }
      }
    } finally {
      if (ws !== 0) alloc.free(ws, wsBytes);
    }
    return out;
  }

  /** Milliseconds of one run: the fastest of TIMED_RUNS, each between two events, after one untimed run (synchronises). */
  #time(run: () => void): number {
    const ctx = this.c.b.ctx;
    run();
    const ev = Array.from({ length: TIMED_RUNS + 1 }, () => ctx.createEvent());
    try {
      ctx.record(ev[0]);
      for (let i = 0; i < TIMED_RUNS; i++) {
        run();
        ctx.record(ev[i + 1]);
      }
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < TIMED_RUNS; i++) best = Math.min(best, ctx.elapsedMs(ev[i], ev[i + 1]));
      return best;
    } finally {
      for (const e of ev) ctx.destroyEvent(e);
    }
  }
}

interface Timed {
  readonly label: string;
  /** Milliseconds per run, or -1 where it did not run (`error` says why). */
  readonly ms: number;
  readonly error: string;
  /** null: the legacy rival. */
  readonly cand: Candidate | null;
}

const failure = (e: unknown) => (e instanceof BackendCallError ? `!${e.status}` : `!${shortError(e)}`);

function summary(n: Notes): string {
  const parts = [...n.excluded].map(([why, k]) => `${k} ${why}`);
  if (n.unreadable > 0) parts.push(`${n.unreadable} unreadable`);
  if (n.unfinalized > 0) parts.push(`${n.unfinalized} did not finalize`);
  if (n.overLimit > 0) parts.push(`${n.overLimit} over the workspace limit`);
  return parts.length > 0 ? `; left out: ${parts.join(", ")}` : "";
}

/** Descriptors made during one planning: all destroyed at its end but those the chosen plan keeps. */
class Made {
  readonly list: Ptr[] = [];
  constructor(readonly api: Backend) {}
  create(type: number, what: string): Ptr {
    const d = this.api.create(type, what);
    this.list.push(d);
    return d;
  }
  adopt(ds: Ptr[]): Ptr[] {
    this.list.push(...ds);
    return ds;
  }
}

const graphs = new WeakMap<Cudnn, CudnnGraph | null>();

/** The graph-API side of a device's cuDNN, made on first use; null where the backend API cannot be bound (said once with TSFLOW_DEBUG=cuda). */
export function graphFor(c: Cudnn): CudnnGraph | null {
  const known = graphs.get(c);
  if (known !== undefined) return known;
  const api = bindBackend(c.lib.bind);
  let g: CudnnGraph | null = null;
  if (typeof api === "string") {
    if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN's graph API not bound (${api}); convolutions use the legacy API\n`);
  } else {
    g = new CudnnGraph(
      c,
      new Backend(api, (s) => {
        try {
          return String(c.lib.cudnnGetErrorString(s));
        } catch {
          return "unknown status";
        }
      }),
    );
  }
  graphs.set(c, g);
  return g;
}
