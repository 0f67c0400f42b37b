/**
 * Where Keras fit's time goes beside graph mode on a GPU (issue 9's 0.9x target), for one model and precision:
 * - graph mode's rate (the benchmark's fixed-batch Session step, bench/tsflow_models.ts);
 * - fit's rate over epochs of 60,000 images (the benchmark's) and of 240,000 (the same steps with a quarter
 *   of the epoch boundaries: the difference is what each boundary costs);
 * - one fit epoch's host side: time inside the train step calls (issuing the replays), the first step of the
 *   epoch, the last (partial) batch, the host time from the previous epoch's end (the device idle) to the
 *   first step, and the variables copied between captured steps' buffers per epoch.
 *
 *   node tmp/gpu-test/bench/fit_split.js [--model=mlp|lenet] [--batches=64,1024] [--tf32] [--boundary [--samples=N] [--epochs=N]]
 */
import * as tf from "../src/index.js";
import { kerasModel, measureFit, syntheticSet } from "./keras_fit.js";
import { graphStep, type ModelName } from "./tsflow_models.js";
import { gpuOrExit, measureSteps } from "./gpu_timing.js";
import { median } from "./timing.js";

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const { gb, sync } = gpuOrExit();
const model = arg("model", "mlp") as Extract<ModelName, "mlp" | "lenet">;
const batches = arg("batches", "64,1024").split(",").map(Number);
tf.config.experimental.enableTensorFloat32Execution(process.argv.includes("--tf32"));

/** Host milliseconds of one fit epoch (the third of a fit call of three), split as the header says. */
async function hostSplit(batch: number): Promise<Record<string, number>> {
  tf.setRandomSeed(1);
  const m = kerasModel(model);
  const { x, y } = syntheticSet(60000);
  try {
    await m.fit(x, y, { batchSize: batch, epochs: 2, verbose: 0 });
    const steps = m.steps!;
    const train = steps.train.bind(steps);
    const calls: { start: number; ms: number; epoch: number }[] = [];
    const ends: number[] = [];
    steps.train = (b, guard) => {
      const start = performance.now();
      const out = train(b, guard);
      calls.push({ start, ms: performance.now() - start, epoch: ends.length });
      return out;
    };
    const timer = new tf.keras.callbacks.LambdaCallback({
      onEpochEnd: () => {
        sync();
        ends.push(performance.now());
      },
    });
    const homeCopies = () => (gb.stats as { homeCopies?: number }).homeCopies ?? Number.NaN;
    const copies0 = homeCopies();
    await m.fit(x, y, { batchSize: batch, epochs: 3, verbose: 0, callbacks: [timer] });
    const copies = (homeCopies() - copies0) / 3;
    steps.train = train;
    const last = calls.filter((c) => c.epoch === 2);
    return {
      steps: last.length,
      epochMs: ends[2] - ends[1],
      gapToFirstStepMs: last[0].start - ends[1],
      firstStepMs: last[0].ms,
      medianStepMs: median(last.slice(1, -1).map((c) => c.ms)),
      lastStepMs: last[last.length - 1].ms,
      inStepsMs: last.reduce((a, c) => a + c.ms, 0),
      homeCopiesPerEpoch: copies,
    };
  } finally {
    tf.dispose([x, y]);
  }
}

/**
 * `--boundary`: fits of many short epochs (`--samples` images, default 6 batches and a partial one), where the
 * epoch boundaries dominate: per epoch the milliseconds and the device's counters (launches outside graphs,
 * graph replays and captures, uploads, downloads), for a CPU profile (node --cpu-prof) to split.
 */
async function boundaries(batch: number, samples: number, epochs: number): Promise<void> {
  tf.setRandomSeed(1);
  const m = kerasModel(model);
  const { x, y } = syntheticSet(samples);
  const counters = () => ({ ...gb.stats, fallbacks: gb.stats.fallbacks.size });
  let last = counters();
  let t = performance.now();
  const perEpoch: number[] = [];
  const timer = new tf.keras.callbacks.LambdaCallback({
    onEpochEnd: (epoch: number) => {
      sync();
      const now = performance.now();
      perEpoch.push(now - t);
      t = now;
      const c = counters();
      if (epoch < 3 || epoch === epochs - 1) {
        const d = Object.entries(c)
          .map(([k, v]) => `${k} ${(v as number) - (last as Record<string, number>)[k]}`)
          .join(", ");
        console.log(`  epoch ${epoch}: ${perEpoch.at(-1)!.toFixed(3)} ms; ${d}`);
      }
      last = c;
    },
  });
  await m.fit(x, y, { batchSize: batch, epochs, verbose: 0, callbacks: [timer] });
  const steady = perEpoch.slice(2);
  console.log(
    `${model} batch ${batch}, ${samples} samples, ${epochs} epochs: median epoch ${median(steady).toFixed(3)} ms (${Math.ceil(samples / batch)} steps)`,
  );
  tf.dispose([x, y]);
}

if (process.argv.includes("--boundary")) {
  const batch = batches[batches.length - 1];
  await boundaries(batch, Number(arg("samples", String(batch * 6 + batch / 2))), Number(arg("epochs", "300")));
  process.exit(0);
}

for (const batch of batches) {
  const g = graphStep(model, batch, { feedTensors: true });
  const graph = measureSteps(g.step, sync, batch, true).median;
  g.close();
  const fit60 = (await measureFit(model, batch, 60000, 3, sync)).median;
  const fit240 = (await measureFit(model, batch, 240000, 2, sync)).median;
  const split = await hostSplit(batch);
  const us = (rate: number) => ((1e6 * batch) / rate).toFixed(1);
  console.log(
    `${model} batch ${batch}: graph ${graph.toFixed(0)} (${us(graph)} us/step) | fit 60k ${fit60.toFixed(0)} (${us(fit60)}; ${(fit60 / graph).toFixed(3)}x) | fit 240k ${fit240.toFixed(0)} (${us(fit240)}; ${(fit240 / graph).toFixed(3)}x)`,
  );
  console.log(
    `  host split of a 60k epoch: ${Object.entries(split)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`)
      .join(", ")}`,
  );
}
