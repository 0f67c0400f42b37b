import { Worker } from "node:worker_threads";
import { InternalError } from "../../../core/errors.js";

/**
 * Threads for the WebAssembly matrix product and convolutions: workers that instantiate the same module
 * against the same shared memory and run the tasks of one job (each task is one call of a module function
 * on a descriptor in the memory: a range of a product's panels to pack, a block of its C, a chunk of a
 * convolution's images). Synchronisation is all through Atomics on a small shared control array, so the
 * calling thread stays synchronous: it publishes a job, wakes the workers, runs tasks itself and returns
 * once every task is done.
 *
 * A job's tasks are in phases: a task may start only once every task of the phases before its own is done
 * (a product packs its operands in one phase and multiplies the packed panels in the next). Tasks are
 * claimed in order from one word holding (task count << 16 | next index): a claim is valid when its index
 * is below the count it carries, so a worker that wakes late, after its job ended, claims nothing from the
 * next one (the word is reset only once every valid claim of a job is done); and since tasks are claimed in
 * order, every task that a waiting thread waits for was claimed before by a thread that runs it, so waits
 * end. Waits spin for a short budget (waking a sleeping thread costs tens of microseconds, a small
 * product's phase a few hundred) and then sleep in Atomics.wait; only the threads a job asked for spin, and
 * none when they outnumber the cores. Workers are unref'd so that a program exits normally, and a worker
 * that has not started yet leaves its share to the others.
 */

const GEN = 0;
const CLAIM = 1;
const DONE = 2;
const DESC_BASE = 3;
const SCRATCH_BASE = 4;
const SCRATCH_STRIDE = 5;
const AP_BYTES = 6;
const FN = 7;
const ERROR = 8;
const READY = 9;
const DESC_BYTES = 10;
const PHASES = 11;
/** How long a waiting thread spins before it sleeps (µs); 0 when there are more threads than cores. */
const SPIN_US = 12;
/** The last job's threads: only the calling thread and workers 1 .. threads - 1 spin. */
const THREADS = 14;
/** Threads asleep on DONE (a thread that finishes a task wakes them only when there are some). */
const SLEEPERS = 13;
const PHASE_START = 16;
/** The most phases in one job. */
export const MAX_PHASES = 48;
/** The most tasks in one job (the claim word's 16-bit index, with room to count claims past the end). */
export const MAX_TASKS = (1 << 15) - 1;
const CTL_WORDS = PHASE_START + MAX_PHASES;

/**
 * How long an idle or waiting thread spins before sleeping (µs): long enough to bridge the copies and set-up
 * between two products, short enough that an idle pool soon leaves the cores alone.
 */
const SPIN_BUDGET_US = 500;

/**
 * The task loop and the waits, shared by the calling thread (compiled with new Function) and the workers
 * (evaluated source), so that both follow one protocol.
 */
const TASK_LOOP = `
function spinBudget(ctl, index) {
  return index < ctl[${THREADS}] ? ctl[${SPIN_US}] / 1000 : 0;
}
function waitDone(ctl, target, index) {
  const budget = spinBudget(ctl, index);
  let t0 = -1;
  for (let s = 1; ; s++) {
    const d = Atomics.load(ctl, ${DONE});
    if (d >= target) return;
    if ((s & 255) !== 0) continue;
    const t = performance.now();
    if (t0 < 0) t0 = t;
    else if (t - t0 >= budget) {
      Atomics.add(ctl, ${SLEEPERS}, 1);
      Atomics.wait(ctl, ${DONE}, d);
      Atomics.sub(ctl, ${SLEEPERS}, 1);
    }
  }
}
function runTasks(ctl, fns, index) {
  let error = null;
  for (;;) {
    const v = Atomics.add(ctl, ${CLAIM}, 1);
    const n = v >>> 16;
    const i = v & 0xffff;
    if (i >= n) return error;
    let p = ctl[${PHASES}] - 1;
    while (p > 0 && ctl[${PHASE_START} + p] > i) p--;
    if (p > 0) waitDone(ctl, ctl[${PHASE_START} + p], index);
    const scratch = ctl[${SCRATCH_BASE}] + index * ctl[${SCRATCH_STRIDE}];
    try {
      fns[ctl[${FN}]](ctl[${DESC_BASE}] + i * ctl[${DESC_BYTES}], scratch, scratch + ctl[${AP_BYTES}]);
    } catch (e) {
      if (error === null) error = e;
      Atomics.store(ctl, ${ERROR}, 1);
    }
    Atomics.add(ctl, ${DONE}, 1);
    if (Atomics.load(ctl, ${SLEEPERS}) > 0) Atomics.notify(ctl, ${DONE});
  }
}
`;

/** The worker's whole program (CommonJS, evaluated: no file to resolve in the source tree or the package). */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { memory, module, ctl, index, names } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => ex[n]);
${TASK_LOOP}
Atomics.add(ctl, ${READY}, 1);
let gen = 0;
for (;;) {
  // Idle: spin a while (the next product usually follows soon), then sleep until a job or a wake-up.
  let t0 = performance.now();
  for (let s = 1; ; s++) {
    const g = Atomics.load(ctl, ${GEN});
    if (g !== gen) {
      gen = g;
      break;
    }
    if ((s & 255) === 0 && performance.now() - t0 >= spinBudget(ctl, index)) {
      Atomics.wait(ctl, ${GEN}, gen);
      t0 = performance.now();
    }
  }
  runTasks(ctl, fns, index);
}
`;

type TaskLoop = {
  runTasks(ctl: Int32Array, fns: readonly GemmFn[], index: number): unknown;
  waitDone(ctl: Int32Array, target: number, index: number): void;
};
// The same source the workers run, compiled once for the calling thread.
const mainLoop = new Function(`${TASK_LOOP}\nreturn { runTasks, waitDone };`)() as TaskLoop;

/** A task runner of the calling thread: (descriptor byte offset, packed-A scratch, packed-B scratch). */
export type GemmFn = (desc: number, ap: number, bp: number) => void;

export interface GemmJob {
  tasks: number;
  /** The first task of each phase after the first (ascending); empty or absent: one phase. */
  phases?: readonly number[];
  descBase: number;
  descBytes: number;
  /** Which of the pool's functions (an index into its export names) runs the tasks. */
  fn: number;
  scratchBase: number;
  scratchStride: number;
  apBytes: number;
  /** Threads that may take part (the calling one included): more than the cores and waits sleep at once. */
  threads: number;
}

export class GemmPool {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  private readonly workers: Worker[] = [];

  /** `names`: the module's exports that jobs may run, in the order GemmJob.fn indexes them. */
  constructor(
    private readonly memory: object,
    private readonly module: object,
    private readonly names: readonly string[],
    private readonly cores: number,
  ) {}

  /** Workers started so far (they may still be booting). */
  get size(): number {
    return this.workers.length;
  }

  /** Workers ready to take tasks. */
  get ready(): number {
    return Atomics.load(this.ctl, READY);
  }

  /** Starts workers until there are `n` (never stops any: an idle worker only sleeps). */
  grow(n: number): void {
    while (this.workers.length < n) {
      const index = this.workers.length + 1; // scratch 0 is the calling thread's
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory: this.memory, module: this.module, ctl: this.ctl, index, names: this.names } });
      w.unref();
      this.workers.push(w);
    }
  }

  /**
   * Wakes sleeping workers ahead of a job (they spin until it comes), so that their wake-up overlaps the
   * caller's copying of the operands.
   */
  wake(threads: number): void {
    this.setThreads(threads);
    Atomics.notify(this.ctl, GEN);
  }

  /** Which threads spin while they wait, and how long. */
  private setThreads(threads: number): void {
    this.ctl[SPIN_US] = threads <= this.cores ? SPIN_BUDGET_US : 0;
    this.ctl[THREADS] = threads;
  }

  /**
   * Runs a job's tasks on the calling thread and the workers, returning when all are done. `fns` are the
   * calling thread's entries to the module's functions, indexed as the pool's names. Throws InternalError
   * when a kernel trapped.
   */
  run(job: GemmJob, fns: readonly GemmFn[]): void {
    const c = this.ctl;
    const n = job.tasks;
    const phases = job.phases ?? [];
    if (n > MAX_TASKS) throw new InternalError(`wasm pool: ${n} tasks is over the pool's limit of ${MAX_TASKS}`);
    if (phases.length + 1 > MAX_PHASES) throw new InternalError(`wasm pool: ${phases.length + 1} phases is over the pool's limit of ${MAX_PHASES}`);
    c[DESC_BASE] = job.descBase;
    c[SCRATCH_BASE] = job.scratchBase;
    c[SCRATCH_STRIDE] = job.scratchStride;
    c[AP_BYTES] = job.apBytes;
    c[DESC_BYTES] = job.descBytes;
    c[FN] = job.fn;
    c[PHASES] = phases.length + 1;
    c[PHASE_START] = 0;
    phases.forEach((start, p) => {
      c[PHASE_START + 1 + p] = start;
    });
    this.setThreads(job.threads);
    Atomics.store(c, ERROR, 0);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, CLAIM, n << 16);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    const trapped = mainLoop.runTasks(c, fns, 0);
    mainLoop.waitDone(c, n, 0);
    if (trapped !== null || Atomics.load(c, ERROR) !== 0) {
      throw new InternalError(`wasm pool: a kernel failed${trapped instanceof Error ? `: ${trapped.message}` : " in a worker thread"}`);
    }
  }
}
