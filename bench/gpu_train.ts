/**
 * Training throughput on the GPU (the tsflow half of `npm run bench:gpu`): LeNet-5 and the MLP 784-512-512-10
 * of bench/tsflow_models.ts, SGD, at batch 64, 256 and 1024, in fp32 and TF32, three ways:
 *  - graph: placeholders and Session.run, the step captured as a CUDA graph on its second run and replayed;
 *  - graph, no CUDA graph: the same with capture turned off (one launch per op);
 *  - eager: GradientTape and applyGradients inside tf.tidy;
 *  - Keras fit: the same model built with tf.keras, `model.fit` over a set of images on the GPU (one epoch
 *    per repetition, shuffled as fit does; bench/keras_fit.ts), and an LSTM(256) over 64 steps of 32
 *    features + Dense(10) (model "lstm", against PyTorch's cuDNN nn.LSTM in bench/gpu_torch_train.py).
 * The data sits on the GPU beforehand in every case (fed as GPU tensors), as in the PyTorch half
 * (bench/gpu_torch_train.py). Samples/s are medians of repetitions, each ending with a device synchronisation;
 * host µs/step is the time to issue a step (launches), wall µs/step includes waiting for the GPU.
 * Writes $OUT/tsflow_train.json.
 *
 *   node tmp/gpu-test/bench/gpu_train.js [--quick] [--models=lenet,mlp] [--batches=64,256,1024]
 */
import { writeFileSync } from "node:fs";
import * as tf from "../src/index.js";
import { eagerStep, functionStep, graphStep, ModelName } from "./tsflow_models.js";
import { type KerasBenchModel, measureFit, measureLstmFit } from "./keras_fit.js";
import { type GpuMeasurement, gpuOrExit, measureSteps } from "./gpu_timing.js";

export interface TrainRow {
  model: string;
  batch: number;
  precision: "fp32" | "tf32";
  runner: string;
  median: number;
  reps: number[];
  hostUs: number;
  wallUs: number;
  graphNodes?: number;
  error?: string;
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const quick = process.argv.includes("--quick");

const { gb, sync } = gpuOrExit();

interface Runner {
  step: () => void;
  close: () => void;
}

// The batch is on the GPU already (eager constants go to GPU:0), as PyTorch's is: fed as GPU tensors.
const graphRunner = (model: ModelName, batch: number): Runner => graphStep(model, batch, { feedTensors: true });

function measure(r: Runner, batch: number): GpuMeasurement {
  return measureSteps(r.step, sync, batch, quick);
}

const models = (arg("models")?.split(",") as ModelName[] | undefined) ?? (["lenet", "mlp"] as ModelName[]);
const batches = arg("batches")?.split(",").map(Number) ?? [64, 256, 1024];
const precisions = (arg("precisions")?.split(",") as ("fp32" | "tf32")[] | undefined) ?? ["fp32", "tf32"];
const rows: TrainRow[] = [];
const ALL_RUNNERS = ["tsflow graph (CUDA graph)", "tsflow graph (no CUDA graph)", "tsflow tf.function (CUDA graph)", "tsflow eager"] as const;
const runnerArg = arg("runners")?.split(",");
const RUNNERS = ALL_RUNNERS.filter((r) => !runnerArg || runnerArg.some((a) => r.includes(a)));

// Warm-up of V8's tiers and the kernel caches on a throwaway configuration, so that the first row measured
// is not slower for being first.
for (const mk of [() => eagerStep("lenet", 64), () => graphRunner("lenet", 64)]) {
  const r = mk();
  const t0 = performance.now();
  while (performance.now() - t0 < (quick ? 300 : 800)) r.step();
  sync();
  r.close();
}

for (const precision of precisions) {
  tf.config.experimental.enableTensorFloat32Execution(precision === "tf32");
  for (const model of models) {
    for (const batch of batches) {
      for (const runner of RUNNERS) {
        let row: TrainRow;
        try {
          const captures = runner.endsWith("(CUDA graph)");
          tf.config.experimental.setTsflowOptions({ cudaGraphs: captures });
          const captured0 = gb.stats.graphsCaptured;
          // The tf.function runner traces the eager step (tape + applyGradients) into one graph.
          const r =
            runner === "tsflow eager" ? eagerStep(model, batch) : runner.includes("tf.function") ? functionStep(model, batch) : graphRunner(model, batch);
          try {
            const m = measure(r, batch);
            row = { model, batch, precision, runner, ...m };
            if (captures) {
              if (gb.stats.graphsCaptured === captured0) row.error = "not captured";
              row.graphNodes = gb.stats.graphNodes;
            }
          } finally {
            r.close();
          }
        } catch (e) {
          row = { model, batch, precision, runner, median: 0, reps: [], hostUs: 0, wallUs: 0, error: (e as Error).message.split("\n")[0].slice(0, 160) };
        }
        tf.config.experimental.setTsflowOptions({ cudaGraphs: true });
        rows.push(row);
        console.log(
          `${precision} ${model.padEnd(6)} ${String(batch).padStart(5)} ${runner.padEnd(30)} ${row.error ? `ERROR ${row.error}` : ""}${row.median.toFixed(0).padStart(10)} samples/s  host ${row.hostUs.toFixed(1)} us/step  wall ${row.wallUs.toFixed(1)} us/step${row.graphNodes ? `  ${row.graphNodes} graph nodes` : ""}`,
        );
      }
    }
  }
}
// Keras fit (and the LSTM) with the data on the GPU beforehand: one epoch traces the train step, then timed epochs.
if (!runnerArg || runnerArg.some((a) => "Keras fit".includes(a))) {
  for (const precision of precisions) {
    tf.config.experimental.enableTensorFloat32Execution(precision === "tf32");
    // The LSTM twice: as one LSTMSequence op (cuDNN), and unrolled into its per-step ops (the path before it).
    const kerasRows = [
      ...models.filter((m): m is KerasBenchModel => m === "mlp" || m === "lenet").map((m) => [m, "Keras fit"] as const),
      ["lstm", "Keras fit"] as const,
      ["lstm", "Keras fit (per-step ops)"] as const,
    ];
    for (const [model, runner] of kerasRows) {
      for (const batch of batches) {
        let row: TrainRow;
        // One epoch of Fashion-MNIST's size for the image models, so that fit's once-per-epoch work weighs as in real use.
        const samples = model === "lstm" ? batch * (quick ? 50 : 100) : 60000;
        try {
          const f =
            model === "lstm"
              ? await measureLstmFit(batch, samples, quick ? 2 : 3, sync, runner !== "Keras fit")
              : await measureFit(model, batch, samples, quick ? 2 : 3, sync);
          row = { model, batch, precision, runner, median: f.median, reps: f.reps, hostUs: 0, wallUs: (1e6 * batch) / f.median };
        } catch (e) {
          row = {
            model,
            batch,
            precision,
            runner,
            median: 0,
            reps: [],
            hostUs: 0,
            wallUs: 0,
            error: (e as Error).message.split("\n")[0].slice(0, 160),
          };
        }
        rows.push(row);
        console.log(
          `${precision} ${model.padEnd(6)} ${String(batch).padStart(5)} ${runner.padEnd(30)} ${row.error ? `ERROR ${row.error}` : ""}${row.median.toFixed(0).padStart(10)} samples/s  wall ${row.wallUs.toFixed(1)} us/step`,
        );
      }
    }
  }
}
tf.config.experimental.enableTensorFloat32Execution(true);
writeFileSync(`${process.env.OUT ?? "."}/tsflow_train.json`, JSON.stringify({ device: gb.ctx.info.name, rows }, null, 2));
