import { FailedPreconditionError } from "../../core/errors.js";
import type { CapturedStep, CaptureVariables, DeviceMark, Handle, StepCapture, StepRun } from "../../core/backend.js";
import { CaptureUnsupported, CudaBackend, DEVICE_DTYPES } from "./backend.js";
import { CudaHandle, DeviceStorage } from "./handle.js";
import { debugOn, getSetting } from "../../core/settings.js";
import type { Ptr } from "./ffi.js";
import type { CudaTimer } from "./timer.js";

/**
 * Session steps as CUDA graphs: the backend capability (core seam: StepCapture) that records one run of a
 * step on the device's stream and replays it with one launch instead of one per op. The executor decides
 * when (the second run of a signature, every step on this GPU, nothing random) and supplies the run; this
 * file owns what a replay needs at fixed addresses: the variables' "home" buffers, buffers for the feeds,
 * the fetched buffers, and the arena of intermediates the graph writes.
 */

/** A captured graph, its executable form and the device memory only it may use. */
export interface CapturedGraph {
  readonly graph: Ptr;
  readonly exec: Ptr;
  /** Nodes (kernels, copies, memsets) one replay runs. */
  readonly nodes: number;
  readonly arena: readonly { ptr: number; size: number }[];
  /** Addresses handed out while capturing: buffers the graph writes. */
  readonly allocated: ReadonlySet<number>;
}

type Key = { readonly name: string };

/** What a replay launches: a graph and the buffers holding its fetched values afterwards. */
interface Launchable {
  readonly graph: CapturedGraph;
  readonly fetches: CudaHandle[];
}

/**
 * A step's timed variant (the profiler's): the same step recorded with an event-record node before its first
 * node's work and after each node's. The events recorded while capturing stay with the graph (a graph's
 * events must outlive it); each launch points the nodes at fresh events from the timer's pool, so that the
 * marks of every traced replay stay readable until the profiler resolves them.
 */
interface TimedGraph extends Launchable {
  readonly events: Ptr[];
  /** The event-record nodes, in the order of `events`. */
  readonly nodes: bigint[];
}

/** A step captured as a CUDA graph: the buffers its graph reads and writes at fixed addresses. */
interface CudaCapturedStep extends CapturedStep, Launchable {
  readonly backend: CudaBackend;
  /** Per variable of the step: the buffer the graph reads it from and writes its new value back to. */
  readonly homes: { key: Key; handle: CudaHandle }[];
  /**
   * Per fed value, in the step's feed order: the buffer the graph reads it from (filled before each replay),
   * and the value copied there last, held so that its buffer cannot be freed and reused meanwhile.
   */
  readonly feeds: { handle: CudaHandle; last: CudaHandle | null }[];
  /** Per fetch: the buffer holding it after a replay. */
  readonly fetches: CudaHandle[];
  /** The timed variant, made at the first traced replay ("never" when it could not be recorded). */
  timed: TimedGraph | "never" | null;
}

export class CudaStepCapture implements StepCapture {
  /** The steps captured and not yet released: their homes may be one buffer per variable across steps. */
  readonly #live = new Set<CudaCapturedStep>();

  constructor(readonly backend: CudaBackend) {}

  /** Other live steps' homes, by buffer (a variable shared by two steps, such as Keras fit's full and last batches). */
  #otherHomes(step: CudaCapturedStep | null): Map<DeviceStorage, { handle: CudaHandle }[]> {
    const out = new Map<DeviceStorage, { handle: CudaHandle }[]>();
    for (const st of this.#live) {
      if (st === step) continue;
      for (const home of st.homes) {
        const list = out.get(home.handle.storage);
        if (list) list.push(home);
        else out.set(home.handle.storage, [home]);
      }
    }
    return out;
  }

  /** The cudaGraphs setting (TSFLOW_CUDA_GRAPHS=0) turns capture off; drivers without graphs cannot capture. */
  get enabled(): boolean {
    return getSetting("cudaGraphs") && this.backend.ctx.canCapture;
  }

  /**
   * Captures one step into a CUDA graph and runs it. Variables are read from and written back to "home"
   * buffers (their current ones): the graph ends by copying each new value home, so that every replay
   * finds them at the same addresses. Feeds are copied into buffers the step owns before each replay.
   */
  capture<K extends Key>(
    variables: readonly K[],
    feeds: readonly Handle[],
    feedNames: readonly string[],
    store: CaptureVariables<K>,
    runStep: (feeds: readonly Handle[]) => StepRun<K>,
  ): { step: CapturedStep; fetched: Handle[] } | null | "retry" {
    const b = this.backend;
    const homes: { key: K; handle: CudaHandle }[] = [];
    const owned: CudaHandle[] = [];
    const otherHomes = this.#otherHomes(null);
    const dropOwned = () => {
      for (const x of homes) b.dispose(x.handle);
      for (const h of owned) b.dispose(h);
    };
    for (const key of variables) {
      const value = store.get(key);
      if (!value || !(value instanceof CudaHandle) || value.backend !== b || value.storage.ptr === 0) {
        dropOwned();
        return value ? null : "retry";
      }
      let h = value;
      // Another captured step's home for the variable is its home here too: switching between the steps then
      // copies nothing.
      if (h.storage.refs - (otherHomes.get(h.storage)?.length ?? 0) > 1 || h.storage.internal) {
        // Shared (a variable initialised from a cached Const or scalar, or fetched and held): the graph will
        // write this buffer, so the variable gets one of its own first.
        const own = b.empty(h.dtype, h.shape, `variable ${key.name}`);
        b.copyInto(own, h);
        store.set(key, own);
        b.dispose(h);
        h = own;
      }
      // The graph changes the value: no op of the step may take it from a host copy (CudaBackend #fold).
      h.storage.host = null;
      homes.push({ key, handle: b.alias(h) as CudaHandle });
    }
    try {
      for (let i = 0; i < feeds.length; i++) {
        const src = feeds[i];
        if (!DEVICE_DTYPES.has(src.dtype)) {
          dropOwned();
          return null;
        }
        const handle = b.empty(src.dtype, src.shape, `feed ${feedNames[i]}`);
        owned.push(handle);
        b.copyInto(handle, src);
      }
    } catch (e) {
      dropOwned();
      throw e;
    }
    const recorded = this.#record(homes, owned, runStep);
    if (!recorded) {
      dropOwned();
      return null;
    }
    const { graph, fetched } = recorded;
    const step: CudaCapturedStep = {
      backend: b,
      graph,
      homes,
      feeds: owned.map((handle, i) => ({ handle, last: held(b, feeds[i]) })),
      fetches: fetched,
      timed: null,
    };
    for (const h of owned) b.markInternal(h);
    for (const h of step.fetches) if (graph.allocated.has(h.storage.ptr)) b.markInternal(h);
    this.#live.add(step);
    // A variable's buffer may be shared (initialised from a cached Const): the sharers move to a copy first.
    this.#detachShared(step, store as CaptureVariables<Key>, step);
    this.#launch(graph);
    for (const x of homes) x.handle.storage.host = null;
    return { step, fetched: step.fetches.map((h) => b.alias(h)) };
  }

  /** Replays a captured step: variables and feeds into place, one graph launch, the fetched buffers out. */
  replay<K extends Key>(captured: CapturedStep, feeds: readonly Handle[], store: CaptureVariables<K>): Handle[] {
    const step = captured as CudaCapturedStep;
    this.#homeVariables(step, store as CaptureVariables<Key>);
    return this.#launchStep(step, step, feeds, store as CaptureVariables<Key>);
  }

  /**
   * Replays a captured step's timed variant (recorded at the first call: `run` with an event-record node at
   * each `mark`), its event-record nodes pointed at fresh events from the device's timer, which become the
   * marks returned. Without a timer or event-record nodes, or when the variant cannot be recorded, the plain
   * step runs and the marks are null.
   */
  replayTimed<K extends Key>(
    captured: CapturedStep,
    feeds: readonly Handle[],
    store: CaptureVariables<K>,
    run: (feeds: readonly Handle[], mark: () => void) => StepRun<K>,
  ): { fetched: Handle[]; marks: DeviceMark[] | null } {
    const step = captured as CudaCapturedStep;
    const vars = store as CaptureVariables<Key>;
    const b = step.backend;
    const timer = b.deviceTimer as CudaTimer | undefined;
    this.#homeVariables(step, vars);
    if (step.timed === null)
      step.timed = (timer && b.ctx.canTimeGraphs && this.#recordTimed(step, run as (feeds: readonly Handle[], mark: () => void) => StepRun<Key>)) || "never";
    const timed = step.timed;
    if (timed === "never" || !timer) return { fetched: this.#launchStep(step, step, feeds, vars), marks: null };
    const marks = timed.nodes.map(() => timer.take());
    try {
      timed.nodes.forEach((node, i) => b.ctx.setNodeEvent(timed.graph.exec, node, marks[i].deviceMark as Ptr));
      return { fetched: this.#launchStep(step, timed, feeds, vars), marks };
    } catch (e) {
      for (const m of marks) timer.release(m);
      throw e;
    }
  }

  release(captured: CapturedStep): void {
    const st = captured as CudaCapturedStep;
    const b = st.backend;
    this.#live.delete(st);
    this.#releaseGraph(st.graph);
    if (st.timed !== null && st.timed !== "never") {
      this.#releaseGraph(st.timed.graph);
      // Only now: the graph's event-record nodes referred to these events.
      for (const ev of st.timed.events) b.ctx.destroyEvent(ev);
      for (const h of st.timed.fetches) b.dispose(h);
    }
    for (const h of st.homes) b.dispose(h.handle);
    for (const f of st.feeds) {
      b.dispose(f.handle);
      if (f.last) b.dispose(f.last);
    }
    for (const h of st.fetches) b.dispose(h);
  }

  /** A variable changed by another step since the last replay (a new buffer): its value goes back home. */
  #homeVariables(step: CudaCapturedStep, vars: CaptureVariables<Key>): void {
    const b = step.backend;
    for (const home of step.homes) {
      const cur = vars.get(home.key);
      if (!cur) throw new FailedPreconditionError(`Attempting to use uninitialized value ${home.key.name}`);
      if (cur instanceof CudaHandle && cur.storage === home.handle.storage) continue;
      b.stats.homeCopies++;
      b.copyInto(home.handle, cur);
      vars.set(home.key, b.alias(home.handle));
      cur.backend.dispose(cur);
    }
  }

  /** Launches `g` (the step's graph or its timed variant) on new feeds; returns its fetched buffers. */
  #launchStep(step: CudaCapturedStep, g: Launchable, feeds: readonly Handle[], vars: CaptureVariables<Key>): Handle[] {
    const b = step.backend;
    const holders = this.#detachShared(step, vars, g);
    for (let i = 0; i < step.feeds.length; i++) {
      const f = step.feeds[i];
      const src = feeds[i];
      // The same device buffer as last time holds the same value (a tensor's buffer never changes while it is
      // shared: writers detach the other holders first), so a large input fed at every step, such as the whole
      // data set a Keras step gathers its batch from, is copied once, not once per replay.
      if (f.last && src instanceof CudaHandle && src.storage === f.last.storage) continue;
      b.copyInto(f.handle, src);
      if (f.last) b.dispose(f.last);
      f.last = held(b, src);
    }
    this.#launch(g.graph);
    for (const s of holders) s.host = null;
    for (const h of g.fetches) h.storage.host = null;
    return g.fetches.map((h) => b.alias(h));
  }

  /**
   * Records the step's timed variant: the same homes and feed buffers as its graph, an event-record node at
   * each `mark` of `run`. Null when it cannot be recorded (the plain graph then serves traced replays too).
   */
  #recordTimed(step: CudaCapturedStep, run: (feeds: readonly Handle[], mark: () => void) => StepRun<Key>): TimedGraph | null {
    const b = step.backend;
    const events: Ptr[] = [];
    const mark = () => {
      const ev = b.ctx.createEvent(true);
      events.push(ev);
      b.ctx.recordInGraph(ev);
    };
    // The graph changes the variables: no op may take one from a host copy (CudaBackend #fold).
    for (const x of step.homes) x.handle.storage.host = null;
    const recorded = this.#record(
      step.homes,
      step.feeds.map((f) => f.handle),
      (feeds) => run(feeds, mark),
    );
    let nodes: bigint[] | null = null;
    if (recorded) {
      try {
        nodes = b.ctx.eventRecordNodes(recorded.graph.graph, events);
      } catch (e) {
        if (debugOn("cuda")) process.stderr.write(`tsflow cuda: no timed graph (${e instanceof Error ? e.message : String(e)})\n`);
      }
    }
    if (!recorded || !nodes) {
      if (recorded) {
        this.#releaseGraph(recorded.graph);
        for (const h of recorded.fetched) b.dispose(h);
      }
      for (const ev of events) b.ctx.destroyEvent(ev);
      return null;
    }
    for (const h of recorded.fetched) if (recorded.graph.allocated.has(h.storage.ptr)) b.markInternal(h);
    return { graph: recorded.graph, fetches: recorded.fetched, events, nodes };
  }

  /**
   * Records one run of a step into a graph: `runStep` queues its work on the stream being captured, and the
   * graph ends by copying each new variable value to its home. Returns the graph and the fetched buffers, or
   * null when the step cannot be recorded (a host read, a CPU fallback, a fetch sharing a variable's buffer).
   */
  #record<K extends Key>(
    homes: readonly { key: K; handle: CudaHandle }[],
    feeds: readonly CudaHandle[],
    runStep: (feeds: readonly Handle[]) => StepRun<K>,
  ): { graph: CapturedGraph; fetched: CudaHandle[] } | null {
    const b = this.backend;
    let run: StepRun<K> | null = null;
    let fetched: readonly Handle[] = [];
    let ok = false;
    let began = false;
    let graph: CapturedGraph | null = null;
    try {
      this.#begin();
      began = true;
      b.recordingHomes(homes.map((x) => x.handle));
      run = runStep(feeds);
      fetched = run.fetched;
      const homeStorages = new Set<DeviceStorage>(homes.map((x) => x.handle.storage));
      for (const h of fetched) {
        // A fetch sharing a variable's buffer would see the value after the step, not the one it fetched.
        if (!(h instanceof CudaHandle) || homeStorages.has(h.storage)) throw new CaptureUnsupported("a fetch shares a variable's buffer");
      }
      for (const [key, h] of run.written) {
        const home = homes.find((x) => x.key === key);
        if (!home || !(h instanceof CudaHandle) || h.backend !== b) throw new CaptureUnsupported(`variable ${key.name} is written off the GPU`);
        if (h.storage !== home.handle.storage) b.ctx.copyDtoD(home.handle.ptr, h.ptr, home.handle.storage.bytes);
      }
      ok = true;
    } catch (e) {
      ok = false;
      // Why a step runs op by op for good: the first thing to look at when a GPU step is slower than expected.
      if (debugOn("cuda")) process.stderr.write(`tsflow cuda: step not captured (${e instanceof Error ? e.message : String(e)}); it runs op by op\n`);
    } finally {
      b.recordingHomes(null);
      // The step's slots and staged values are freed inside the capture: their blocks become its arena.
      run?.release();
      if (!ok) for (const h of fetched) h.backend.dispose(h);
      try {
        graph = began ? this.#end(ok) : null;
      } catch {
        graph = null;
      }
    }
    if (!graph) {
      if (ok) for (const h of fetched) h.backend.dispose(h);
      return null;
    }
    return { graph, fetched: [...fetched] as CudaHandle[] };
  }

  /**
   * Buffers a replay overwrites that someone else still holds (a value fetched earlier, a cached Const a
   * variable was initialised from): those holders keep their values in a copy (CudaBackend.detach), the step
   * keeps the addresses its graph uses. Returns the buffers the replay writes.
   */
  #detachShared(step: CudaCapturedStep, vars: CaptureVariables<Key>, g: Launchable): DeviceStorage[] {
    const b = step.backend;
    const holders = new Map<DeviceStorage, ((s: DeviceStorage) => void)[]>();
    const hold = (s: DeviceStorage, fix: (s: DeviceStorage) => void) => {
      let l = holders.get(s);
      if (!l) holders.set(s, (l = []));
      l.push(fix);
    };
    // Other steps' homes on a buffer move with this step's: it stays one home for all of them.
    const others = this.#live.size > 1 ? this.#otherHomes(step) : null;
    for (const home of step.homes) {
      hold(home.handle.storage, (s) => void (home.handle = new CudaHandle(b, s, home.handle.dtype, home.handle.shape)));
      hold(home.handle.storage, (s) => void vars.set(home.key, new CudaHandle(b, s, home.handle.dtype, home.handle.shape)));
      for (const other of others?.get(home.handle.storage) ?? []) {
        hold(home.handle.storage, (s) => void (other.handle = new CudaHandle(b, s, other.handle.dtype, other.handle.shape)));
      }
    }
    for (const f of step.feeds) hold(f.handle.storage, (s) => void (f.handle = new CudaHandle(b, s, f.handle.dtype, f.handle.shape)));
    g.fetches.forEach((h, i) => {
      if (holders.has(h.storage) || g.graph.allocated.has(h.storage.ptr)) {
        hold(h.storage, (s) => void (g.fetches[i] = new CudaHandle(b, s, h.dtype, h.shape)));
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

  // ---------------------------------------------------------------- the graph itself

  /** Starts recording the device's stream; the allocator keeps the blocks freed meanwhile for the step. */
  #begin(): void {
    const b = this.backend;
    b.allocator.beginCapture();
    try {
      b.ctx.beginCapture();
    } catch (e) {
      b.allocator.releaseArena(b.allocator.endCapture().arena);
      throw e;
    }
  }

  /**
   * Ends a capture begun by #begin. With ok, instantiates the graph and returns it with the step's arena
   * (blocks only the graph may use) and the addresses written during the capture; otherwise (or when the
   * capture was invalidated) discards everything and returns null.
   */
  #end(ok: boolean): CapturedGraph | null {
    const b = this.backend;
    let graph: Ptr = null;
    let err: unknown = null;
    try {
      graph = b.ctx.endCapture();
    } catch (e) {
      err = e;
    }
    const { arena, allocated } = b.allocator.endCapture();
    if (!ok || err !== null || graph === null) {
      if (graph) b.ctx.destroyGraph(graph, null);
      b.allocator.releaseArena(arena);
      if (ok && err !== null) throw err;
      return null;
    }
    try {
      const { exec, nodes } = b.ctx.instantiate(graph);
      b.stats.graphsCaptured++;
      b.stats.graphNodes = nodes;
      return { graph, exec, nodes, arena, allocated };
    } catch (e) {
      b.ctx.destroyGraph(graph, null);
      b.allocator.releaseArena(arena);
      throw e;
    }
  }

  #launch(g: CapturedGraph): void {
    const b = this.backend;
    b.ctx.makeCurrent();
    b.stats.graphLaunches++;
    b.ctx.graphLaunch(g.exec);
  }

  #releaseGraph(g: CapturedGraph): void {
    this.backend.ctx.destroyGraph(g.graph, g.exec);
    this.backend.allocator.releaseArena(g.arena);
  }
}

/** A device value fed to a replay, held (an alias) so that the next replay can tell whether it is the same one. */
function held(b: CudaBackend, src: Handle): CudaHandle | null {
  return src instanceof CudaHandle && src.backend === b ? (b.alias(src) as CudaHandle) : null;
}
