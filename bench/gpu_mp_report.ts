/**
 * Writes the table of docs/BENCHMARKS.md's mixed-precision section from one `bash bench/gpu_run.sh mp` run:
 * $OUT/tsflow_mp.json (bench/gpu_mp_train.ts), and when present $OUT/torch_mp.json (bench/gpu_torch_mp.py)
 * and $OUT/jax_mp.json (bench/gpu_jax_mp.py). Only the text between MP_BEGIN and MP_END is replaced (or the
 * section appended); the table is also written to $OUT/gpu_mp.md.
 *
 *   node tmp/gpu-test/bench/gpu_mp_report.js [dir with the JSON files, default $OUT] [file, default ./docs/BENCHMARKS.md]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MP_CONFIGS, type MpRow, PEAKS } from "./mp_config.js";
import { PRECISIONS } from "./mp_models.js";

const MP_BEGIN = "<!-- gpu-mp:begin (written by bench/gpu_mp_report.ts) -->";
const MP_END = "<!-- gpu-mp:end -->";

interface RunFile {
  device: string;
  rows: MpRow[];
  torch?: string;
  cuda?: string;
  jax?: string;
}

const dir = process.argv[2] ?? process.env.OUT ?? ".";
const target = process.argv[3] ?? join(process.cwd(), "docs", "BENCHMARKS.md");
const read = (f: string): RunFile | null => (existsSync(join(dir, f)) ? (JSON.parse(readFileSync(join(dir, f), "utf8")) as RunFile) : null);
const ts = read("tsflow_mp.json");
const pt = read("torch_mp.json");
const jx = read("jax_mp.json");
if (!ts) {
  console.log(`gpu_mp_report: no tsflow_mp.json in ${dir}`);
  process.exit(1);
}

/** A framework's fastest working row of a configuration (PyTorch tries several runners and keeps the faster). */
function best(file: RunFile | null, model: string, batch: number, precision: string): MpRow | undefined {
  const rows = (file?.rows ?? []).filter((r) => r.model === model && r.batch === batch && r.precision === precision);
  const ok = rows.filter((r) => !r.error && r.median > 0).sort((a, b) => b.median - a.median);
  return ok[0] ?? rows[0];
}
const rate = (r: MpRow | undefined) => (!r ? "-" : r.error ? `error: ${r.error}` : `${(r.median / 1e3).toFixed(1)}k`);
const flops = (r: MpRow | undefined) => (!r || r.error ? "-" : `${r.tflops.toFixed(1)} (${r.percentOfPeak.toFixed(0)}%)`);
const ratio = (a: MpRow | undefined, b: MpRow | undefined) => (!a || !b || a.error || b.error || !b.median ? "-" : `${(a.median / b.median).toFixed(2)}x`);

const lines = [
  MP_BEGIN,
  "",
  `Recorded by \`bash bench/gpu_run.sh mp\` on ${new Date().toISOString().slice(0, 10)}: ${ts.device}` +
    `${pt ? `; PyTorch ${pt.torch}${pt.cuda ? ` (CUDA ${pt.cuda})` : ""}` : ""}${jx ? `; JAX ${jx.jax}` : ""}, in the same run.`,
  `Peaks (dense, datasheet): ${PRECISIONS.map((p) => `${p} ${PEAKS[p]}`).join(", ")} TFLOP/s. TFLOP/s (% of that peak); PyTorch's runner in brackets.`,
  "",
  "| model | batch | precision | tsflow samples/s | PyTorch samples/s | JAX samples/s | tsflow TFLOP/s | PyTorch TFLOP/s | JAX TFLOP/s | tsflow / PyTorch | tsflow / JAX |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
];
// The configurations the runs measured (the smoke runs' tiny ones too), in MP_CONFIGS's order where listed there.
const order = (m: string, b: number) => MP_CONFIGS.findIndex(([cm, cb]) => cm === m && cb === b) >>> 0;
const configs = [...new Set([ts, pt, jx].flatMap((f) => f?.rows ?? []).map((r) => `${r.model} ${r.batch}`))]
  .map((k) => k.split(" "))
  .map(([m, b]) => [m, Number(b)] as const)
  .sort((a, b) => order(...a) - order(...b));
for (const precision of PRECISIONS) {
  for (const [model, batch] of configs) {
    const [a, b, c] = [ts, pt, jx].map((f) => best(f, model, batch, precision));
    if (!a && !b && !c) continue;
    const torchRate = b && !b.error ? `${rate(b)} (${b.runner.replace(/^PyTorch /, "")})` : rate(b);
    lines.push(
      `| ${model} | ${batch} | ${precision} | ${rate(a)} | ${torchRate} | ${rate(c)} | ${flops(a)} | ${flops(b)} | ${flops(c)} | ${ratio(a, b)} | ${ratio(a, c)} |`,
    );
  }
}
lines.push("", MP_END);
const table = lines.join("\n");

const heading = "## Mixed precision on the GPU (issue 14)";
let doc = existsSync(target) ? readFileSync(target, "utf8") : "# Benchmarks\n";
const a = doc.indexOf(MP_BEGIN);
const z = doc.indexOf(MP_END);
if (a >= 0 && z > a) doc = doc.slice(0, a) + table + doc.slice(z + MP_END.length);
else doc = `${doc.trimEnd()}\n\n${heading}\n\n${table}\n`;
writeFileSync(target, doc);
writeFileSync(join(dir, "gpu_mp.md"), `${table}\n`);
console.log(table);
