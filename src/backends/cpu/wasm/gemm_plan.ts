import { BLOCK, DESC_BYTES, TASK } from "./gemm_kernels.js";

/**
 * How threads share one matrix product (gemm_runtime.ts runs the plan on the worker pool): Goto's blocked
 * algorithm with the packing shared and done up front. A first phase packs all of A (slice by kc-deep
 * slice of k) and B's first nc-wide column block into buffers that every thread reads, a few ranges of
 * panels per task; the next phase runs that column block of C as blocks of mc rows by w columns, one task
 * each, every task going through all of k's slices in order. Each further column block is one phase that
 * packs its B and one that computes it (A stays packed). The pool starts a phase's tasks only once every
 * task of the phases before it is done, so packing never overwrites panels still being read.
 *
 * A task keeps its block of C in its own core's cache across the slices of k (rather than handing it to
 * whichever thread takes the next slice), and the whole product waits at two barriers per column block.
 * Every element of C is computed by the same operations in the same order as on one thread (the same
 * slices, each the micro-kernel's loop over k), so the result is bit for bit the same whatever the thread
 * count.
 */

export interface PlanShape {
  /** Bytes per element (4 or 8). */
  eb: number;
  /** The register tile: rows, and columns (elements). */
  mr: number;
  nr: number;
  m: number;
  n: number;
  k: number;
  /** Byte addresses of A, B and C in the memory; C's row stride (elements) is a whole number of tiles. */
  a: number;
  lda: number;
  transA: boolean;
  b: number;
  ldb: number;
  transB: boolean;
  c: number;
  ldc: number;
  /** Add into C (its first slice of k too). */
  accumulate: boolean;
  /** Byte addresses of the packed A (m rounded up to tiles, x k) and the packed B block (k x nc rounded up). */
  packedA: number;
  packedB: number;
  kc: number;
  nc: number;
  /** The tallest row block of a compute task. */
  mc: number;
  threads: number;
}

/** A job of the pool: its tasks' descriptors and the first task of each phase. */
export interface PlanJob {
  firstTask: number;
  tasks: number;
  /** The first task of each phase after the first, relative to firstTask. */
  phases: number[];
}

export interface Plan {
  /** Task descriptors, DESC_BYTES each (i32 words). */
  words: Int32Array;
  jobs: PlanJob[];
}

/** Pack ranges per thread and slice: enough that a thread that started late still finds some. */
const PACK_TASKS_PER_THREAD = 2;
/** Compute tasks per thread and phase at least (claimed as threads come free: a slow thread holds up one small task). */
const COMPUTE_TASKS_PER_THREAD = 4;
/** The most multiply-adds in one compute task (about half a millisecond), for the same reason. */
const TASK_MAX_MACS = 1 << 24;
/** The narrowest column range of a compute task (elements): narrower ones re-read A's panels too often. */
const MIN_TASK_COLUMNS = 64;
/** The fewest rows in a compute task's block (elements), for a small m. */
const MIN_TASK_ROWS = 16;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * The phases of a product, split into jobs of at most maxPhases phases and maxTasks tasks; null when one
 * phase alone has more tasks than that (a product far beyond any this plan was sized for).
 */
export function planProduct(s: PlanShape, maxPhases: number, maxTasks: number): Plan | null {
  const { eb, mr, nr, m, n, k, threads } = s;
  const wordsPerTask = DESC_BYTES / 4;
  const words: number[] = [];
  const jobs: PlanJob[] = [];
  let job: PlanJob = { firstTask: 0, tasks: 0, phases: [] };
  let tasks = 0;
  const push = (kind: number, args: readonly number[]) => {
    const w = tasks * wordsPerTask;
    words[w] = kind;
    for (let i = 1; i < wordsPerTask; i++) words[w + i] = args[i - 1] ?? 0;
    tasks++;
  };
  /** Starts a phase of up to `most` tasks, in a new job when this one is full; false when `most` is over maxTasks. */
  const phase = (most: number) => {
    if (most > maxTasks) return false;
    if (tasks === job.firstTask) return true;
    if (job.phases.length + 2 > maxPhases || tasks - job.firstTask + most > maxTasks) {
      jobs.push({ ...job, tasks: tasks - job.firstTask });
      job = { firstTask: tasks, tasks: 0, phases: [] };
    } else job.phases.push(tasks - job.firstTask);
    return true;
  };
  /** An operand's element (x, y) as a byte address: base + (trans ? y·ld + x : x·ld + y)·eb. */
  const at = (base: number, trans: boolean, ld: number, x: number, y: number) => base + (trans ? y * ld + x : x * ld + y) * eb;
  const mP = roundUp(m, mr);
  const slices = Math.ceil(k / s.kc);
  const packRanges = PACK_TASKS_PER_THREAD * threads;

  /** Tasks packing rows [0, m) of A (every slice) or columns [jc, jc + ncur) of B (every slice). */
  const packA = () => {
    const panels = mP / mr;
    const per = Math.ceil(panels / Math.min(panels, packRanges));
    for (let pc = 0; pc < k; pc += s.kc) {
      const kcur = Math.min(s.kc, k - pc);
      for (let i0 = 0; i0 < m; i0 += per * mr) {
        const rows = Math.min(per * mr, m - i0);
        push(TASK.packA, [at(s.a, s.transA, s.lda, i0, pc), s.lda, s.transA ? 1 : 0, rows, kcur, s.packedA + (pc * mP + i0 * kcur) * eb]);
      }
    }
  };
  const packB = (jc: number, ncur: number, ncP: number) => {
    const panels = ncP / nr;
    const per = Math.ceil(panels / Math.min(panels, packRanges));
    for (let pc = 0; pc < k; pc += s.kc) {
      const kcur = Math.min(s.kc, k - pc);
      for (let j0 = 0; j0 < ncur; j0 += per * nr) {
        const cols = Math.min(per * nr, ncur - j0);
        push(TASK.packB, [at(s.b, s.transB, s.ldb, pc, jc + j0), s.ldb, s.transB ? 1 : 0, kcur, cols, s.packedB + (pc * ncP + j0 * kcur) * eb]);
      }
    }
  };

  // Compute tasks: blocks of mc rows by w columns. Columns are split first (a block's B panels each serve
  // mc / MR tiles from L1, so tall blocks pay), down to MIN_TASK_COLUMNS; rows get fewer than mc only
  // when that leaves too few tasks.
  const want = COMPUTE_TASKS_PER_THREAD * threads;
  const maxSubs = Math.max(1, Math.floor(Math.min(n, s.nc) / MIN_TASK_COLUMNS));
  const mc = Math.min(s.mc, Math.max(roundUp(Math.ceil((m * maxSubs) / want), mr), roundUp(MIN_TASK_ROWS, mr)));
  const rowBlocks = Math.ceil(m / mc);

  for (let jc = 0; jc < n; jc += s.nc) {
    const ncur = Math.min(s.nc, n - jc);
    const ncP = roundUp(ncur, nr);
    const bySize = Math.ceil((mc * ncur * k) / TASK_MAX_MACS);
    const subs = Math.max(1, Math.min(Math.max(Math.ceil(want / rowBlocks), bySize), Math.floor(ncur / MIN_TASK_COLUMNS)));
    const w = roundUp(Math.ceil(ncur / subs), nr);

    if (!phase(slices * packRanges * (jc === 0 ? 2 : 1))) return null;
    if (jc === 0) packA();
    packB(jc, ncur, ncP);

    if (!phase(rowBlocks * subs)) return null;
    for (let ic = 0; ic < m; ic += mc) {
      for (let j0 = 0; j0 < ncur; j0 += w) {
        const block: number[] = [];
        block[BLOCK.packedA - 1] = s.packedA;
        block[BLOCK.aSlice - 1] = mP * eb;
        block[BLOCK.aRow - 1] = ic * eb;
        block[BLOCK.packedB - 1] = s.packedB;
        block[BLOCK.bSlice - 1] = ncP * eb;
        block[BLOCK.bCol - 1] = j0 * eb;
        block[BLOCK.mc - 1] = Math.min(mc, m - ic);
        block[BLOCK.nc - 1] = Math.min(w, ncur - j0);
        block[BLOCK.k - 1] = k;
        block[BLOCK.kc - 1] = s.kc;
        block[BLOCK.c - 1] = s.c + (ic * s.ldc + jc + j0) * eb;
        block[BLOCK.ldc - 1] = s.ldc;
        block[BLOCK.accumulate - 1] = s.accumulate ? 1 : 0;
        push(TASK.block, block);
      }
    }
  }
  jobs.push({ ...job, tasks: tasks - job.firstTask });
  return { words: Int32Array.from(words), jobs };
}
