import { Worker } from "node:worker_threads";
import { InternalError } from "../../../core/errors.js";

/**
 * Threads for the WebAssembly matrix product and convolutions: workers that instantiate the same module
 * against the same shared memory and run parts of one job (chunks: independent blocks of a product's C, or
 * of a convolution's images, each described in the memory by a descriptor that the job's function reads).
 * Synchronisation is all through Atomics on a small shared control array, so the calling thread stays
 * synchronous: it publishes a job, wakes the workers, runs chunks itself and sleeps until the last chunk
 * is done.
 *
 * Chunks are claimed from one word holding (chunk count << 16 | next index): a claim is valid when its
 * index is below the count it carries, so a worker that wakes late, after its job ended, claims nothing
 * from the next one (the word is reset only once every valid claim of a job is done). Workers start
 * lazily (a product may begin before they have), are unref'd so that a program exits normally, and sleep
 * in Atomics.wait between jobs; a worker that has not started yet simply leaves its share to the others.
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
const CTL_WORDS = 16;

/** The worker's whole program (CommonJS, evaluated: no file to resolve in the source tree or the package). */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { memory, module, ctl, index, names } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => ex[n]);
Atomics.add(ctl, ${READY}, 1);
let gen = 0;
for (;;) {
  Atomics.wait(ctl, ${GEN}, gen);
  gen = Atomics.load(ctl, ${GEN});
  for (;;) {
    const v = Atomics.add(ctl, ${CLAIM}, 1);
    const n = v >>> 16;
    const i = v & 0xffff;
    if (i >= n) break;
    const scratch = ctl[${SCRATCH_BASE}] + index * ctl[${SCRATCH_STRIDE}];
    try {
      fns[ctl[${FN}]](ctl[${DESC_BASE}] + i * ctl[${DESC_BYTES}], scratch, scratch + ctl[${AP_BYTES}]);
    } catch (e) {
      Atomics.store(ctl, ${ERROR}, 1);
    }
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === n) Atomics.notify(ctl, ${DONE});
  }
}
`;

/** A chunk runner of the calling thread: (descriptor byte offset, packed-A scratch, packed-B scratch). */
export type GemmFn = (desc: number, ap: number, bp: number) => void;

export interface GemmJob {
  chunks: number;
  descBase: number;
  descBytes: number;
  /** Which of the pool's functions (an index into its export names) runs the chunks. */
  fn: number;
  scratchBase: number;
  scratchStride: number;
  apBytes: number;
}

export class GemmPool {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  private readonly workers: Worker[] = [];

  /** `names`: the module's exports that jobs may run, in the order GemmJob.fn indexes them. */
  constructor(
    private readonly memory: object,
    private readonly module: object,
    private readonly names: readonly string[],
  ) {}

  /** Workers started so far (they may still be booting). */
  get size(): number {
    return this.workers.length;
  }

  /** Workers ready to take chunks. */
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
   * Runs a job's chunks on the calling thread and the workers, returning when all are done. `fns` are the
   * calling thread's entries to the module's functions, indexed as the pool's names. Throws InternalError when a kernel trapped in a worker.
   */
  run(job: GemmJob, fns: readonly GemmFn[]): void {
    const c = this.ctl;
    const n = job.chunks;
    if (n >= 1 << 15) throw new InternalError(`wasm gemm: ${n} chunks is over the pool's limit`);
    c[DESC_BASE] = job.descBase;
    c[SCRATCH_BASE] = job.scratchBase;
    c[SCRATCH_STRIDE] = job.scratchStride;
    c[AP_BYTES] = job.apBytes;
    c[DESC_BYTES] = job.descBytes;
    c[FN] = job.fn;
    Atomics.store(c, ERROR, 0);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, CLAIM, n << 16);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN, Math.min(this.workers.length, n - 1));
    const fn = fns[job.fn];
    let trapped: unknown = null;
    for (;;) {
      const v = Atomics.add(c, CLAIM, 1);
      const i = v & 0xffff;
      if (i >= n) break;
      try {
        fn(job.descBase + i * job.descBytes, job.scratchBase, job.scratchBase + job.apBytes);
      } catch (e) {
        trapped = e;
      }
      Atomics.add(c, DONE, 1);
    }
    for (;;) {
      const d = Atomics.load(c, DONE);
      if (d >= n) break;
      Atomics.wait(c, DONE, d);
    }
    if (trapped !== null || Atomics.load(c, ERROR) !== 0) {
      throw new InternalError(`wasm gemm: a kernel failed${trapped instanceof Error ? `: ${trapped.message}` : " in a worker thread"}`);
    }
  }
}
