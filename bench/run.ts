/**
 * `npm run bench`: tsflow against TensorFlow.js on this machine, in one run. Prints a table and writes
 * docs/BENCHMARKS.md (date, machine, BLAS, medians, ratios), with Keras fit beside raw graph mode and the
 * tf.data pipeline's rate (bench/keras_fit.ts), checkpoint save/restore speed (bench/checkpoint.ts) and the
 * cost of one tf.summary.scalar per LeNet-5 step (bench/summary_cost.ts).
 * Options: --quick (fewer repetitions), --models=lenet,mlp --batches=64 to narrow it down, --keras-only
 * (print only the Keras section, write nothing).
 */
import { cpus, totalmem } from "node:os";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { getBlas } from "../src/backends/cpu/blas.js";
import { benchMatmul, formatMatmulTable } from "./matmul.js";
import { benchLstm, formatLstm } from "./lstm.js";
import { benchOverhead } from "./overhead.js";
import { measure, Measurement } from "./timing.js";
import { eagerStep, functionStep, graphStep, MODELS, ModelName } from "./tsflow_models.js";
import { tfjsStep, useBackend } from "./tfjs_models.js";
import { type KerasBenchModel, measureFit, measurePipeline } from "./keras_fit.js";
import { benchCheckpoint, formatCheckpointBench } from "./checkpoint.js";
import { benchSummaryCost, formatSummaryCost } from "./summary_cost.js";
import { benchWasmCpu, formatWasmCpu } from "./wasm_cpu.js";
import { torchCpuRows } from "./torch_cpu.js";

type Runner = "tsflow graph" | "tsflow eager" | "tfjs cpu" | "tfjs wasm" | "PyTorch cpu";
const RUNNERS: Runner[] = ["tsflow graph", "tsflow eager", "tfjs cpu", "tfjs wasm"];

interface Row {
  model: ModelName;
  batch: number;
  runner: Runner;
  result: Measurement | { error: string };
}

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
}

/** tf.function's train step (GradientTape + applyGradients traced once) beside raw graph mode and eager, batch 64. */
async function functionRows(quick: boolean): Promise<string[]> {
  const out = [
    "## tf.function train step (samples/s, median; batch 64, SGD)",
    "",
    "| model | graph (Session.run) | tf.function | eager | tf.function / graph |",
    "| --- | --- | --- | --- | --- |",
  ];
  const opts = quick ? { reps: 3, repSeconds: 0.3 } : {};
  for (const model of ["mlp", "lenet"] as ModelName[]) {
    const rate = async (make: (m: ModelName, b: number) => { step: () => void; close: () => void }) => {
      const s = make(model, 64);
      try {
        return (await measure(s.step, 64, opts)).median;
      } finally {
        s.close();
      }
    };
    const g = await rate(graphStep);
    const f = await rate(functionStep);
    const e = await rate(eagerStep);
    const line = `| ${model} | ${g.toFixed(0)} | ${f.toFixed(0)} | ${e.toFixed(0)} | ${(f / g).toFixed(2)}x |`;
    console.log(line);
    out.push(line);
  }
  out.push("");
  return out;
}

async function training(quick: boolean): Promise<Row[]> {
  const models = (arg("models")?.split(",") as ModelName[] | undefined) ?? MODELS;
  const batches = arg("batches")?.split(",").map(Number) ?? [64, 256];
  const rows: Row[] = [];
  for (const model of models) {
    for (const batch of batches) {
      for (const runner of RUNNERS) {
        let result: Row["result"];
        try {
          if (runner.startsWith("tfjs") && !(await useBackend(runner === "tfjs cpu" ? "cpu" : "wasm"))) throw new Error("backend unavailable");
          const s = runner === "tsflow graph" ? graphStep(model, batch) : runner === "tsflow eager" ? eagerStep(model, batch) : tfjsStep(model, batch);
          try {
            // TensorFlow.js's cpu backend needs seconds per LeNet step: fewer repetitions keep the run short.
            const slow = runner === "tfjs cpu" && model === "lenet";
            result = await measure(s.step, batch, { warmup: slow ? 1 : 3, reps: quick || slow ? 3 : 5, repSeconds: quick ? 0.3 : 0.6 });
          } finally {
            s.close();
          }
        } catch (e) {
          result = { error: `unsupported: ${(e as Error).message.split("\n")[0].slice(0, 80)}` };
        }
        rows.push({ model, batch, runner, result });
        logRow(rows[rows.length - 1]);
      }
    }
  }
  // PyTorch's CPU build (Debian's python3-torch) on the same models, in a child process after tsflow's rows.
  for (const r of torchCpuRows(models, batches, quick)) {
    rows.push(r);
    logRow(r);
  }
  return rows;
}

function logRow({ model, batch, runner, result: r }: Row): void {
  console.log(
    `${model.padEnd(7)} batch ${String(batch).padEnd(4)} ${runner.padEnd(13)} ${"error" in r ? r.error : `${r.median.toFixed(0).padStart(9)} samples/s  peak RSS ${r.peakRssMiB.toFixed(0)} MiB`}`,
  );
}

function fmt(r: Row["result"] | undefined): string {
  if (!r) return "-";
  return "error" in r ? r.error : r.median >= 100 ? r.median.toFixed(0) : r.median.toFixed(1);
}
function ratio(a: Row["result"] | undefined, b: Row["result"] | undefined, digits = 1): string {
  if (!a || !b || "error" in a || "error" in b) return "-";
  return `${(a.median / b.median).toFixed(digits)}x`;
}

/**
 * Keras fit beside raw graph mode (the same model, SGD, batch sizes of the training table) and the input
 * pipeline's batches/s beside the training rate. `graph` gives the raw graph rows already measured.
 */
async function kerasSection(quick: boolean, graph: (m: ModelName, b: number) => Row["result"] | undefined): Promise<string[]> {
  const models = ((arg("models")?.split(",") as ModelName[] | undefined) ?? MODELS).filter((m): m is KerasBenchModel => m === "mlp" || m === "lenet");
  const batches = arg("batches")?.split(",").map(Number) ?? [64, 256];
  const lines = [
    "## Keras fit beside raw graph mode, and the input pipeline",
    "",
    "| model | batch | raw graph samples/s | Keras fit samples/s | fit / graph | fit s/epoch (60,000 images) | tf.data batches/s | training batches/s (fit) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const model of models) {
    for (const batch of batches) {
      let g = graph(model, batch);
      if (!g) {
        const s = graphStep(model, batch);
        try {
          g = await measure(s.step, batch, { reps: quick ? 3 : 5, repSeconds: quick ? 0.3 : 0.6 });
        } finally {
          s.close();
        }
      }
      const samples = Math.min(60000, batch * (model === "lenet" ? (quick ? 40 : 100) : quick ? 100 : 300));
      let line: string;
      try {
        const fit = await measureFit(model, batch, samples, quick ? 2 : 3);
        const pipe = measurePipeline(batch, samples, quick ? 2 : 3);
        const graphRate = "error" in g ? null : g.median;
        line = `| ${model} | ${batch} | ${fmt(g)} | ${fit.median.toFixed(0)} | ${graphRate ? `${(fit.median / graphRate).toFixed(2)}x` : "-"} | ${fit.secondsPerEpoch.toFixed(1)} | ${pipe.toFixed(0)} | ${(fit.median / batch).toFixed(0)} |`;
      } catch (e) {
        line = `| ${model} | ${batch} | ${fmt(g)} | error: ${(e as Error).message.split("\n")[0].slice(0, 80)} | - | - | - | - |`;
      }
      console.log(line);
      lines.push(line);
    }
  }
  lines.push(
    "",
    "The same models as the training table, built with tf.keras (Sequential; logits, categorical cross-entropy from logits, SGD lr 0.01) and trained by `model.fit(x, y, { batchSize, epochs: 1, verbose: 0 })` on synthetic images (shuffled each epoch), after one epoch that traces the train step; median of the timed epochs. tf.data: `fromTensorSlices([x, y]).shuffle(n).batch(b)` iterated over whole epochs of the same set.",
    "",
  );
  return lines;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  if (process.argv.includes("--keras-only")) {
    // Only the Keras section, printed (docs/BENCHMARKS.md untouched).
    console.log((await kerasSection(quick, () => undefined)).join("\n"));
    return;
  }
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const blas = getBlas();
  const blasInfo = blas ? `${blas.name} (${blas.path})` : "none (TypeScript kernels)";
  lines.push(
    `# Benchmarks`,
    "",
    `Recorded by \`npm run bench\` on ${date}: ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, BLAS: ${blasInfo}.`,
    "",
  );

  const mm = benchMatmul(quick ? { samples: 3 } : {});
  const matmulTable = formatMatmulTable(mm);
  console.log(matmulTable);
  lines.push("## Matrix product (float32)", "", matmulTable, "");

  const wasmLines = formatWasmCpu(await benchWasmCpu(quick));
  console.log(wasmLines.join("\n"));
  lines.push("## Without a BLAS: the WebAssembly SIMD kernels beside OpenBLAS and TensorFlow.js", "", ...wasmLines, "");

  const oh = benchOverhead();
  console.log(oh);
  lines.push("## Per-call overhead (microseconds, median)", "");
  lines.push(
    "| Session.run, one-op graph | Session.run, one op + a fed scalar | tf.function, one op on a scalar tensor | one eager op |",
    "| --- | --- | --- | --- |",
  );
  lines.push(
    `| ${oh.sessionRunMicros.toFixed(1)} | ${oh.sessionRunFeedMicros.toFixed(1)} | ${oh.tfFunctionMicros.toFixed(1)} | ${oh.eagerOpMicros.toFixed(1)} |`,
    "",
  );

  lines.push(...(await functionRows(quick)));

  const checkpointLines = formatCheckpointBench(benchCheckpoint({ runs: quick ? 2 : 5 }));
  console.log(checkpointLines.join("\n"));
  lines.push(...checkpointLines);

  const summaryLines = formatSummaryCost(benchSummaryCost({ reps: quick ? 3 : 7 }));
  console.log(summaryLines.join("\n"));
  lines.push(...summaryLines);

  const rows = await training(quick);
  lines.push("## Training throughput (samples/s, median of repetitions; SGD, softmax cross-entropy)", "");
  lines.push(
    "| model | batch | tsflow graph | tsflow eager | tfjs cpu | tfjs wasm | PyTorch cpu | graph / tfjs cpu | graph / tfjs wasm | graph / PyTorch | peak RSS graph / eager (MiB) |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const find = (m: ModelName, b: number, r: Runner) => rows.find((x) => x.model === m && x.batch === b && x.runner === r)?.result;
  for (const key of [...new Set(rows.map((r) => `${r.model}|${r.batch}`))]) {
    const [m, bs] = key.split("|");
    const model = m as ModelName;
    const b = Number(bs);
    const g = find(model, b, "tsflow graph");
    const e = find(model, b, "tsflow eager");
    const rss = (r: Row["result"] | undefined) => (r && !("error" in r) ? r.peakRssMiB.toFixed(0) : "-");
    lines.push(
      `| ${model} | ${b} | ${fmt(g)} | ${fmt(e)} | ${fmt(find(model, b, "tfjs cpu"))} | ${fmt(find(model, b, "tfjs wasm"))} | ${fmt(find(model, b, "PyTorch cpu"))} | ${ratio(g, find(model, b, "tfjs cpu"))} | ${ratio(g, find(model, b, "tfjs wasm"))} | ${ratio(g, find(model, b, "PyTorch cpu"), 2)} | ${rss(g)} / ${rss(e)} |`,
    );
  }
  lines.push(
    "",
    "Models: logreg 784-10; MLP 784-512-512-10 (relu); LeNet-5 conv 6@5x5 SAME + relu + 2x2 max pool, conv 16@5x5 VALID + relu + 2x2 max pool, dense 120-84-10. Synthetic inputs; peak RSS is the whole process's. PyTorch cpu: bench/cpu_torch_train.py, the same models as PyTorch modules (NCHW), eager steps with torch.optim.SGD, as many threads as tsflow (one per core), Debian's python3-torch; its peak RSS is not measured.",
  );
  if (!arg("models")) {
    const lstm = await benchLstm(quick);
    const table = formatLstm(lstm);
    console.log(table);
    lines.push("", "## LSTM and GRU layers (tf.keras.layers.LSTM and GRU, CPU)", "", table, "");
  }
  lines.push("", ...(await kerasSection(quick, (m, b) => find(m, b, "tsflow graph"))));
  const out = `${lines.join("\n")}\n`;
  if (!process.argv.includes("--no-write")) {
    // The GPU benchmark (npm run bench:gpu, on the GPU machine) owns the "## GPU" section onwards: keep it.
    const file = new URL("../docs/BENCHMARKS.md", import.meta.url);
    const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
    const gpuAt = previous.search(/^## GPU/m);
    writeFileSync(file, gpuAt >= 0 ? `${out}\n${previous.slice(gpuAt)}` : out);
  }
  console.log(`\n${out}`);
}

await main();
