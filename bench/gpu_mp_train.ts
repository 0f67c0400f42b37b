/**
 * Mixed-precision training throughput on the GPU (issue 14; the tsflow half of `bash bench/gpu_run.sh mp`):
 * ResNet-18 on 32x32x3 images at batch 256 and 1024, and the MLP 4096-4096-4096-4096-10 at batch 1024, as
 * the TF1 graph-mode steps of bench/mp_models.ts (Session.run, the step captured as a CUDA graph on its
 * second run and replayed; batch norm as one FusedBatchNormV3, or with --batch-norm=moments as moments +
 * batch_normalization), in fp32 (TF32 off), TF32, and bf16/fp16 mixed precision. The batch sits on the
 * GPU beforehand (fed as GPU tensors). Samples/s are medians of repetitions, each ending with a device
 * synchronisation (bench/gpu_train.ts's timing); TFLOP/s = analytic FLOPs per step x steps/s, and its share
 * of the datasheet peak of the precision (PEAKS). Writes $OUT/tsflow_mp.json.
 * With --cpu-smoke it runs the same loop on the CPU at tiny sizes (SMOKE_MODELS, batch 2): the figures mean
 * nothing, the run proves the runner and the report work end to end.
 *
 *   node tmp/gpu-test/bench/gpu_mp_train.js [--quick] [--models=resnet18,mlp4096] [--precisions=fp32,tf32,bf16,fp16] [--batch-norm=fused|moments]
 *   TSFLOW_CUDA=0 node --import tsx bench/gpu_mp_train.ts --cpu-smoke
 */
import { writeFileSync } from "node:fs";
import * as tf from "../src/index.js";
import { cudaUnavailableReason, gpuBackend } from "../src/backends/cuda/index.js";
import { type BatchNormOp, MP_MODELS, type MpModelName, mpTrainStep, PRECISIONS, type Precision } from "./mp_models.js";
import { measureSteps } from "./gpu_timing.js";
import { MP_CONFIGS, type MpRow, PEAKS, SMOKE_CONFIGS, SMOKE_MODELS } from "./mp_config.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const smoke = process.argv.includes("--cpu-smoke");
const quick = smoke || process.argv.includes("--quick");

const why = cudaUnavailableReason();
if (why !== null && !smoke) {
  console.log(`no GPU: ${why}`);
  process.exit(0);
}
const gb = smoke ? null : gpuBackend(0)!;
// On the CPU every op has finished when Session.run returns.
const sync = () => gb?.synchronizeSync();
const sizes = smoke ? SMOKE_MODELS : MP_MODELS;
const configs = smoke ? SMOKE_CONFIGS : MP_CONFIGS;

const models = (arg("models")?.split(",") as MpModelName[] | undefined) ?? (Object.keys(MP_MODELS) as MpModelName[]);
const precisions = (arg("precisions")?.split(",") as Precision[] | undefined) ?? PRECISIONS;
const batchNorm = (arg("batch-norm") ?? "fused") as BatchNormOp;
if (batchNorm !== "fused" && batchNorm !== "moments") throw new Error(`--batch-norm=${batchNorm}: fused or moments`);
const rows: MpRow[] = [];
/** The JSON so far: rewritten after every row, so that a run cut short by its time limit still reports. */
function writeRows(): void {
  writeFileSync(
    `${process.env.OUT ?? "."}/tsflow_mp.json`,
    JSON.stringify({ device: gb?.ctx.info.name ?? "CPU (smoke run, tiny sizes)", peaks: PEAKS, rows }, null, 2),
  );
}
tf.config.experimental.setTsflowOptions({ cudaGraphs: true });
for (const precision of precisions) {
  tf.config.experimental.enableTensorFloat32Execution(precision === "tf32");
  for (const [model, batch] of configs.filter(([m]) => models.includes(m))) {
    const base = { model, batch, precision, runner: smoke ? "tsflow graph (CPU)" : "tsflow graph (CUDA graph)", peakTflops: PEAKS[precision] };
    let row: MpRow;
    try {
      const s = mpTrainStep(sizes[model], batch, precision, { feedTensors: true, batchNorm });
      try {
        const captured0 = gb?.stats.graphsCaptured;
        const fallbacks0 = new Map(gb?.stats.fallbacks);
        const m = measureSteps(s.step, sync, batch, quick);
        const tflops = (s.flopsPerStep * (m.median / batch)) / 1e12;
        row = { ...base, ...m, flopsPerStep: s.flopsPerStep, tflops, percentOfPeak: (100 * tflops) / PEAKS[precision] };
        const onCpu = [...(gb?.stats.fallbacks ?? [])].filter(([op, n]) => n !== (fallbacks0.get(op) ?? 0)).map(([op]) => op);
        if (onCpu.length > 0) row.cpuFallbacks = onCpu;
        if (gb && gb.stats.graphsCaptured === captured0) row.error = "not captured";
      } finally {
        s.close();
      }
    } catch (e) {
      row = {
        ...base,
        median: 0,
        reps: [],
        hostUs: 0,
        wallUs: 0,
        flopsPerStep: 0,
        tflops: 0,
        percentOfPeak: 0,
        error: (e as Error).message.split("\n")[0].slice(0, 160),
      };
    }
    rows.push(row);
    writeRows();
    console.log(
      `${precision} ${model.padEnd(9)} ${String(batch).padStart(5)} ${row.error ? `ERROR ${row.error} ` : ""}${row.median.toFixed(0).padStart(8)} samples/s ${row.tflops.toFixed(1).padStart(7)} TFLOP/s ${row.percentOfPeak.toFixed(1).padStart(5)}% of ${PEAKS[precision]}${row.cpuFallbacks ? `  on the CPU: ${row.cpuFallbacks.join(" ")}` : ""}`,
    );
  }
}
tf.config.experimental.enableTensorFloat32Execution(true);
writeRows();
