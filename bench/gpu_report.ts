/**
 * Writes the GPU section of docs/BENCHMARKS.md from one `npm run bench:gpu` run: $OUT/tsflow_train.json
 * (bench/gpu_train.ts), $OUT/torch_train.json (bench/gpu_torch_train.py) and, when present,
 * $OUT/jax_train.json (bench/gpu_jax_train.py) and $OUT/gpu_micro.json (bench/gpu_micro.ts, sgemm). Only the section from its "## GPU" heading to the end marker
 * is replaced (or appended): the CPU sections that `npm run bench` writes stay as they are.
 *
 *   node tmp/gpu-test/bench/gpu_report.js [dir with the JSON files, default $OUT] [file, default ./docs/BENCHMARKS.md]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const GPU_BEGIN = "<!-- gpu-benchmark:begin (written by bench/gpu_report.ts) -->";
export const GPU_END = "<!-- gpu-benchmark:end -->";

interface Row {
  model: string;
  batch: number;
  precision: string;
  runner: string;
  median: number;
  hostUs: number;
  wallUs: number;
  graphNodes?: number;
  error?: string;
}

const dir = process.argv[2] ?? process.env.OUT ?? ".";
const target = process.argv[3] ?? join(process.cwd(), "docs", "BENCHMARKS.md");
const read = (f: string) => (existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), "utf8")) : null);
const ts = read("tsflow_train.json") as { device: string; rows: Row[] } | null;
const pt = read("torch_train.json") as { device: string; torch: string; cuda: string; cudnn: number; sgemm: Record<string, number>; rows: Row[] } | null;
const jx = read("jax_train.json") as { jax: string; rows: Row[] } | null;
const micro = read("gpu_micro.json") as Record<string, unknown> | null;
if (!ts || !pt) {
  console.log(`gpu_report: missing ${!ts ? "tsflow_train.json" : "torch_train.json"} in ${dir}`);
  process.exit(1);
}
const rows = [...ts.rows, ...pt.rows, ...(jx?.rows ?? [])];
const find = (m: string, b: number, p: string, r: string) => rows.find((x) => x.model === m && x.batch === b && x.precision === p && x.runner === r);
const fmt = (r: Row | undefined) =>
  !r ? "-" : r.error ? `error: ${r.error}` : r.median >= 1e6 ? `${(r.median / 1e6).toFixed(2)}M` : `${(r.median / 1e3).toFixed(1)}k`;
const ratio = (a: Row | undefined, b: Row | undefined) => (!a || !b || a.error || b.error || !b.median ? "-" : `${(a.median / b.median).toFixed(2)}x`);
const us = (r: Row | undefined) => (!r || r.error ? "-" : `${r.hostUs.toFixed(0)} / ${r.wallUs.toFixed(0)}`);

const G = "tsflow graph (CUDA graph)";
const GN = "tsflow graph (no CUDA graph)";
const EG = "tsflow eager";
const PE = "PyTorch eager";
const PG = "PyTorch CUDA graph";
const JX = "JAX jit";

const date = new Date().toISOString().slice(0, 10);
const lines: string[] = ["## GPU (cuda backend)", "", GPU_BEGIN, ""];
lines.push(
  `Recorded by \`npm run bench:gpu\` on ${date}: ${ts.device}; PyTorch ${pt.torch} (CUDA ${pt.cuda}, cuDNN ${pt.cudnn}) ${jx ? ` and JAX ${jx.jax}` : ""} in the same run.`,
  "Training samples/s (median of 5 repetitions, each ending in a device synchronisation), SGD lr 0.01, softmax cross-entropy, data on the GPU beforehand.",
  "fp32: TF32 off everywhere (`tf.config.experimental.enableTensorFloat32Execution(false)`; `torch.backends.cuda.matmul.allow_tf32 = False`, `torch.backends.cudnn.allow_tf32 = False`).",
  "TF32: on everywhere (TensorFlow's default; both PyTorch flags True). PyTorch runs with `cudnn.benchmark = True`; its CUDA-graph step copies the batch into the static inputs and replays `torch.cuda.graph`. JAX: one `jax.jit` step (XLA) with the parameters donated, `jax.default_matmul_precision`: highest (fp32) or tensorfloat32 (TF32).",
  "tsflow graph = `Session.run` with feeds, the step captured as a CUDA graph on its second run; tsflow sends a convolution to cuDNN only where cuDNN measured faster (both channel counts >= 8 and >= 2048 filter weights; bench/GPU_NOTES.md), which none of LeNet-5's layers is: its convolutions run on tsflow's own NVRTC kernels in fp32, its max pooling forward on cuDNN, while PyTorch's cuDNN convolutions use TF32 in the TF32 table. tsflow graph mode runs MatMul + bias (+ Relu) as one cuBLASLt call with a bias epilogue, fuses elementwise chains and groups the SGD updates (one launch for all variables); eager mode groups the updates too.",
  "",
);
for (const precision of ["fp32", "tf32"]) {
  lines.push(`### ${precision === "fp32" ? "fp32" : "TF32"}`, "");
  lines.push(
    `| model | batch | tsflow graph (CUDA graph) | tsflow graph, no CUDA graph | tsflow eager | PyTorch eager | PyTorch CUDA graph | JAX jit | graph / PyTorch graph | graph / JAX | eager / PyTorch eager |`,
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const model of ["lenet", "mlp"]) {
    for (const batch of [64, 256, 1024]) {
      const g = find(model, batch, precision, G);
      const e = find(model, batch, precision, EG);
      lines.push(
        `| ${model === "lenet" ? "LeNet-5" : "MLP 784-512-512-10"} | ${batch} | ${fmt(g)} | ${fmt(find(model, batch, precision, GN))} | ${fmt(e)} | ${fmt(find(model, batch, precision, PE))} | ${fmt(find(model, batch, precision, PG))} | ${fmt(find(model, batch, precision, JX))} | ${ratio(g, find(model, batch, precision, PG))} | ${ratio(g, find(model, batch, precision, JX))} | ${ratio(e, find(model, batch, precision, PE))} |`,
      );
    }
  }
  lines.push("");
}
lines.push(
  "Where the time goes (TF32): host µs to issue one step / wall µs per step (issue plus waiting for the GPU); when the two are close the step is host-bound, when wall is larger it is GPU-bound. Nodes: kernels, copies and memsets in tsflow's captured step.",
  "",
);
lines.push("| model | batch | tsflow graph (CUDA graph) | nodes | tsflow graph, no CUDA graph | tsflow eager | PyTorch eager | PyTorch CUDA graph | JAX jit |");
lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const model of ["lenet", "mlp"]) {
  for (const batch of [64, 256, 1024]) {
    const g = find(model, batch, "tf32", G);
    lines.push(
      `| ${model === "lenet" ? "LeNet-5" : "MLP"} | ${batch} | ${us(g)} | ${g?.graphNodes ?? "-"} | ${us(find(model, batch, "tf32", GN))} | ${us(find(model, batch, "tf32", EG))} | ${us(find(model, batch, "tf32", PE))} | ${us(find(model, batch, "tf32", PG))} | ${us(find(model, batch, "tf32", JX))} |`,
    );
  }
}
lines.push("");
// Keras fit beside raw graph mode and PyTorch (bench/keras_fit.ts; bench/gpu_torch_train.py's epoch loop and LSTM).
const KF = "Keras fit";
const PL = "PyTorch epoch loop";
if (rows.some((r) => r.runner === KF)) {
  lines.push(
    "Keras `fit` (tf.keras, one epoch per repetition over a set already on the GPU, shuffled as fit does) beside the same model in tsflow graph mode and in PyTorch: its CUDA-graph step, and an epoch loop over the same kind of set (randperm, indexed batches, eager steps).",
    "",
  );
  for (const precision of ["fp32", "tf32"]) {
    lines.push(`#### Keras fit, ${precision === "fp32" ? "fp32" : "TF32"}`, "");
    lines.push(
      "| model | batch | Keras fit | tsflow graph (CUDA graph) | fit / graph | PyTorch epoch loop | PyTorch CUDA graph | fit / PyTorch epoch loop | fit / PyTorch CUDA graph |",
    );
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const model of ["lenet", "mlp"]) {
      for (const batch of [64, 256, 1024]) {
        const k = find(model, batch, precision, KF);
        const g = find(model, batch, precision, G);
        const pl = find(model, batch, precision, PL);
        const pg = find(model, batch, precision, PG);
        lines.push(
          `| ${model === "lenet" ? "LeNet-5" : "MLP 784-512-512-10"} | ${batch} | ${fmt(k)} | ${fmt(g)} | ${ratio(k, g)} | ${fmt(pl)} | ${fmt(pg)} | ${ratio(k, pl)} | ${ratio(k, pg)} |`,
        );
      }
    }
    lines.push("");
    lines.push(
      "| LSTM(256), 64 steps x 32 features, Dense(10) | batch | Keras fit (cuDNN LSTMSequence) | Keras fit (per-step ops) | PyTorch nn.LSTM (cuDNN) eager | PyTorch CUDA graph | fit / PyTorch eager | fit / PyTorch CUDA graph |",
    );
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const batch of [64, 256, 1024]) {
      const k = find("lstm", batch, precision, KF);
      const ks = find("lstm", batch, precision, `${KF} (per-step ops)`);
      const pe = find("lstm", batch, precision, PE);
      const pg = find("lstm", batch, precision, PG);
      lines.push(`| LSTM | ${batch} | ${fmt(k)} | ${fmt(ks)} | ${fmt(pe)} | ${fmt(pg)} | ${ratio(k, pe)} | ${ratio(k, pg)} |`);
    }
    lines.push("");
  }
}
if (micro) {
  lines.push("sgemm, TFLOP/s (cuBLAS through koffi vs PyTorch, same run):", "");
  lines.push("| size | precision | tsflow | PyTorch | tsflow / PyTorch |", "| --- | --- | --- | --- | --- |");
  for (const size of [4096, 8192]) {
    for (const p of ["fp32", "TF32"]) {
      const k = `sgemm ${size} ${p}`;
      const a = Number(micro[k]);
      const b = pt.sgemm[k];
      lines.push(`| ${size} | ${p} | ${a ? a.toFixed(1) : "-"} | ${b ? b.toFixed(1) : "-"} | ${a && b ? `${((100 * a) / b).toFixed(0)}%` : "-"} |`);
    }
  }
  lines.push("");
}
lines.push(GPU_END);
const section = lines.join("\n");

let doc = existsSync(target) ? readFileSync(target, "utf8") : "# Benchmarks\n";
// The section runs from its "## GPU" heading (bench/run.ts keeps everything from there on) to the end marker.
const a = doc.search(/^## GPU/m);
if (a >= 0) {
  const z = doc.indexOf(GPU_END, a);
  doc = doc.slice(0, a) + section + (z >= 0 ? doc.slice(z + GPU_END.length) : "\n");
} else doc = `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(target, doc);
writeFileSync(join(dir, "gpu_bench.md"), `${section}\n`);
console.log(section);
