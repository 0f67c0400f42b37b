/** Timing helpers shared by the benchmarks: medians of repetitions and the peak resident memory. */

export interface Measurement {
  /** Median samples (or operations) per second over the repetitions. */
  median: number;
  reps: number[];
  /** Peak resident set size seen during the measured loop, MiB. */
  peakRssMiB: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `step` (which processes `itemsPerStep` items) for warm-up, then `reps` repetitions of about
 * `repSeconds` each (at least one step), and reports the median rate.
 */
export async function measure(
  step: () => void | Promise<void>,
  itemsPerStep: number,
  opts: { warmup?: number; reps?: number; repSeconds?: number } = {},
): Promise<Measurement> {
  const warmup = opts.warmup ?? 3;
  const repsN = opts.reps ?? 5;
  const repSeconds = opts.repSeconds ?? 0.6;
  let peak = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let i = 0; i < warmup; i++) await step();
  const perStep = (performance.now() - t0) / 1000 / Math.max(warmup, 1);
  const stepsPerRep = Math.max(1, Math.round(repSeconds / Math.max(perStep, 1e-6)));
  const reps: number[] = [];
  for (let r = 0; r < repsN; r++) {
    const start = performance.now();
    for (let i = 0; i < stepsPerRep; i++) {
      await step();
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
    }
    reps.push((stepsPerRep * itemsPerStep) / ((performance.now() - start) / 1000));
  }
  return { median: median(reps), reps, peakRssMiB: peak / 2 ** 20 };
}
