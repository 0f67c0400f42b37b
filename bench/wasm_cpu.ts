/**
 * CPU speed without a native BLAS: tsflow's WebAssembly SIMD matrix products (1 and 2 threads) beside
 * OpenBLAS, TensorFlow.js's wasm and cpu backends, and the TypeScript loops tsflow had before, in one run.
 * A BLAS is loaded once per process, so the rows without one run in a child process with TSFLOW_BLAS=none;
 * the parent measures OpenBLAS and TensorFlow.js.
 *
 *   node --import tsx bench/wasm_cpu.ts            # prints the table
 *   node --import tsx bench/wasm_cpu.ts --child    # (internal) the no-BLAS rows as JSON
 *
 * `benchWasmCpu()` / `formatWasmCpu()` are used by bench/run.ts (docs/BENCHMARKS.md).
 */
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "../src/index.js";
import { getBlas } from "../src/backends/cpu/blas.js";
import { measure } from "./timing.js";
import { graphStep, type ModelName } from "./tsflow_models.js";
import { tfjsStep, useBackend } from "./tfjs_models.js";

const SIZES = [256, 1024, 2048];
const MODELS: ModelName[] = ["lenet", "mlp"];
const BATCH = 64;

/** GFLOP/s of tf.matmul n×n·n×n (or null when skipped). */
type Gflops = Record<number, number | null>;
/** samples/s of a training step per model. */
type Rates = Record<string, number | null>;

interface ChildResult {
  wasm1: { matmul: Gflops; train: Rates };
  wasm2: { matmul: Gflops; train: Rates };
  /** The TypeScript matrix products (wasm off): the rate without a BLAS before the wasm kernels. */
  js: { matmul: Gflops; train: Rates };
  relaxedSimd: boolean;
}

export interface WasmCpuResult extends ChildResult {
  openblas: { matmul: Gflops; train: Rates; name: string } | null;
  tfjsWasm: { matmul: Gflops; train: Rates };
  tfjsCpu: { matmul: Gflops; train: Rates };
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Warm-up before timing: the JIT's optimizing tier, and worker threads that a first call starts, come up within it. */
const WARMUP_MS = 300;

/** Median ms per call over `samples` timed calls (after WARMUP_MS of calls), or per batch of calls for short ones. */
function medianMs(f: () => void, samples: number): number {
  const w0 = nowMs();
  do f();
  while (nowMs() - w0 < WARMUP_MS);
  const t0 = nowMs();
  f();
  const once = nowMs() - t0;
  const inner = Math.max(1, Math.ceil(20 / Math.max(once, 0.01)));
  const xs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = nowMs();
    for (let i = 0; i < inner; i++) f();
    xs.push((nowMs() - t) / inner);
  }
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1];
}

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

function tsflowMatmul(samples: number, maxSize = Infinity): Gflops {
  const out: Gflops = {};
  for (const n of SIZES) {
    if (n > maxSize) {
      out[n] = null;
      continue;
    }
    const a = tf.constant(rand(n * n), { shape: [n, n] });
    const b = tf.constant(rand(n * n), { shape: [n, n] });
    const ms = medianMs(() => tf.dispose(tf.matmul(a, b)), n >= 2048 ? Math.min(samples, 3) : samples);
    tf.dispose([a, b]);
    out[n] = (2 * n ** 3) / (ms * 1e6);
  }
  return out;
}

async function tsflowTrain(quick: boolean): Promise<Rates> {
  const out: Rates = {};
  for (const model of MODELS) {
    const s = graphStep(model, BATCH);
    try {
      out[model] = (await measure(s.step, BATCH, { warmup: 2, reps: quick ? 3 : 5, repSeconds: quick ? 0.3 : 0.6 })).median;
    } finally {
      s.close();
    }
  }
  return out;
}

async function tfjsRows(backend: "wasm" | "cpu", quick: boolean): Promise<{ matmul: Gflops; train: Rates }> {
  const matmul: Gflops = {};
  const train: Rates = {};
  if (!(await useBackend(backend))) return { matmul: Object.fromEntries(SIZES.map((n) => [n, null])), train: {} };
  for (const n of SIZES) {
    // TensorFlow.js's cpu backend takes seconds per 1024 product: 256 only.
    if (backend === "cpu" && n > 256) {
      matmul[n] = null;
      continue;
    }
    const a = tfjs.tensor2d(rand(n * n), [n, n]);
    const b = tfjs.tensor2d(rand(n * n), [n, n]);
    const ms = medianMs(() => tfjs.matMul(a, b).dispose(), quick || n >= 2048 ? 3 : 5);
    tfjs.dispose([a, b]);
    matmul[n] = (2 * n ** 3) / (ms * 1e6);
  }
  for (const model of MODELS) {
    const slow = backend === "cpu" && model === "lenet";
    try {
      const s = tfjsStep(model, BATCH);
      try {
        train[model] = (await measure(s.step, BATCH, { warmup: slow ? 1 : 2, reps: quick || slow ? 3 : 5, repSeconds: quick ? 0.3 : 0.6 })).median;
      } finally {
        s.close();
      }
    } catch {
      train[model] = null; // e.g. TensorFlow.js wasm has no Conv2DBackpropFilter kernel
    }
  }
  return { matmul, train };
}

/** The child: no BLAS; wasm kernels at 1 and 2 threads, then the TypeScript loops. */
async function child(quick: boolean): Promise<ChildResult> {
  const samples = quick ? 3 : 5;
  const set = (o: Record<string, unknown>) => tf.config.experimental.setTsflowOptions(o);
  const relaxedSimd = tf.config.experimental.getBlasInfo().relaxedSimd;
  set({ threads: 1 });
  const wasm1 = { matmul: tsflowMatmul(samples), train: await tsflowTrain(quick) };
  set({ threads: 2 });
  const wasm2 = { matmul: tsflowMatmul(samples), train: await tsflowTrain(quick) };
  set({ wasm: "off" });
  const js = { matmul: tsflowMatmul(3, 256), train: await tsflowTrain(true) };
  return { wasm1, wasm2, js, relaxedSimd };
}

export async function benchWasmCpu(quick = false): Promise<WasmCpuResult> {
  const script = new URL(import.meta.url).pathname;
  const json = execFileSync(process.execPath, [...process.execArgv, script, "--child", ...(quick ? ["--quick"] : [])], {
    env: { ...process.env, TSFLOW_BLAS: "none" },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  const c = JSON.parse(json.toString().trim().split("\n").pop() ?? "{}") as ChildResult;
  const blas = getBlas();
  const openblas = blas ? { matmul: tsflowMatmul(quick ? 3 : 5), train: await tsflowTrain(quick), name: blas.name } : null;
  const tfjsWasm = await tfjsRows("wasm", quick);
  const tfjsCpu = await tfjsRows("cpu", quick);
  return { ...c, openblas, tfjsWasm, tfjsCpu };
}

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? "-" : x.toFixed(d));
const r = (a: number | null | undefined, b: number | null | undefined) => (a && b ? `${(a / b).toFixed(2)}x` : "-");

export function formatWasmCpu(x: WasmCpuResult): string[] {
  const blas = x.openblas?.name ?? "no BLAS";
  const lines = [
    `matmul float32 n×n·n×n through tf.matmul (GFLOP/s, median); tsflow without a BLAS uses its WebAssembly SIMD kernels (relaxed SIMD ${x.relaxedSimd ? "on" : "off"}); TensorFlow.js wasm is XNNPACK (one thread).`,
    "",
    `| n | tsflow wasm 1 thread | tsflow wasm 2 threads | tsflow ${blas} | tsflow TypeScript loops (before) | tfjs wasm | tfjs cpu | wasm 2t / tfjs wasm | wasm 2t / ${blas} |`,
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const n of SIZES) {
    const w2 = x.wasm2.matmul[n];
    lines.push(
      `| ${n} | ${f(x.wasm1.matmul[n])} | ${f(w2)} | ${f(x.openblas?.matmul[n])} | ${f(x.js.matmul[n])} | ${f(x.tfjsWasm.matmul[n])} | ${f(x.tfjsCpu.matmul[n])} | ${r(w2, x.tfjsWasm.matmul[n])} | ${r(w2, x.openblas?.matmul[n])} |`,
    );
  }
  lines.push(
    "",
    `Training steps, batch ${BATCH} (samples/s, median; graph mode, SGD):`,
    "",
    `| model | tsflow wasm 1 thread | tsflow wasm 2 threads | tsflow ${blas} | tsflow TypeScript loops (before) | tfjs wasm | tfjs cpu | wasm 2t / before | wasm 2t / ${blas} |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const m of MODELS) {
    const w2 = x.wasm2.train[m];
    lines.push(
      `| ${m} | ${f(x.wasm1.train[m], 0)} | ${f(w2, 0)} | ${f(x.openblas?.train[m], 0)} | ${f(x.js.train[m], 0)} | ${f(x.tfjsWasm.train[m], 0)} | ${f(x.tfjsCpu.train[m], 0)} | ${r(w2, x.js.train[m])} | ${r(w2, x.openblas?.train[m])} |`,
    );
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes("--quick");
  if (process.argv.includes("--child")) console.log(JSON.stringify(await child(quick)));
  else console.log(formatWasmCpu(await benchWasmCpu(quick)).join("\n"));
}
