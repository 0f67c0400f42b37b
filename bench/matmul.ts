/**
 * Matrix-product throughput: tsflow's public eager `tf.matmul` against the same CBLAS called directly
 * (cblas_sgemm bound with koffi, on preallocated arrays), float32, square sizes.
 *
 *   node --import tsx bench/matmul.ts               # table for 256, 1024, 2048
 *   node --import tsx bench/matmul.ts --crossover   # TypeScript loop vs BLAS on tiny products
 *
 * `benchMatmul()` / `formatMatmulTable()` are exported for bench/run.ts (docs/BENCHMARKS.md).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import * as tf from "../src/index.js";
import { getBlas } from "../src/backends/cpu/blas.js";
import { gemmRef } from "../src/backends/cpu/gemm.js";

export interface MatmulBenchRow {
  /** m = n = k. */
  size: number;
  /** Median milliseconds per product through tf.matmul. */
  tsflowMs: number;
  tsflowGflops: number;
  /** Median milliseconds per product through cblas_sgemm called directly; null without a BLAS. */
  blasMs: number | null;
  blasGflops: number | null;
  /** tsflow / direct BLAS throughput (1 = no overhead). */
  ratio: number | null;
  /** Number of timed samples the medians come from. */
  samples: number;
}

export interface MatmulBenchResult {
  dtype: "float32";
  /** The BLAS tsflow loaded (what tf.matmul uses), or null when it runs on TypeScript kernels. */
  blas: { name: string; path: string; config?: string; threads?: number } | null;
  rows: MatmulBenchRow[];
}

export interface MatmulBenchOptions {
  sizes?: number[];
  /** Timed samples per size and side (after warm-up); the median is reported. Default 7. */
  samples?: number;
  /** Untimed calls first. Default 2. */
  warmup?: number;
  /** Each sample repeats the product until it takes at least this long (ms). Default 20. */
  minSampleMs?: number;
  /** Skip the TypeScript reference when no BLAS is loaded and the size is above this (it is slow). Default 1024. */
  maxReferenceSize?: number;
}

type SgemmFn = (
  order: number,
  ta: number,
  tb: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Median ms per call of `f`, each sample repeating it enough times to last minSampleMs. */
function timeMs(f: () => void, samples: number, warmup: number, minSampleMs: number): number {
  let t0 = nowMs();
  for (let i = 0; i < Math.max(1, warmup); i++) f();
  const perCall = (nowMs() - t0) / Math.max(1, warmup);
  const inner = Math.max(1, Math.ceil(minSampleMs / Math.max(perCall, 1e-3)));
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = nowMs();
    for (let i = 0; i < inner; i++) f();
    out.push((nowMs() - t0) / inner);
  }
  return median(out);
}

function randomF32(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    a[i] = x / 4294967296 - 0.5;
  }
  return a;
}

/** Binds cblas_sgemm straight from the library tsflow loaded, bypassing tsflow entirely. */
function directSgemm(path: string): SgemmFn {
  const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
  const lib = koffi.load(path);
  return lib.func(
    "void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, " +
      "const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)",
  ) as unknown as SgemmFn;
}

export function benchMatmul(opts: MatmulBenchOptions = {}): MatmulBenchResult {
  const sizes = opts.sizes ?? [256, 1024, 2048];
  const samples = opts.samples ?? 7;
  const warmup = opts.warmup ?? 2;
  const minSampleMs = opts.minSampleMs ?? 20;
  const maxRef = opts.maxReferenceSize ?? 1024;
  const blas = getBlas();
  const sgemm = blas ? directSgemm(blas.path) : null;
  const rows: MatmulBenchRow[] = [];
  for (const n of sizes) {
    const flop = 2 * n * n * n;
    const av = randomF32(n * n, 17 + n);
    const bv = randomF32(n * n, 91 + n);
    let tsflowMs = NaN;
    if (blas || n <= maxRef) {
      const a = tf.constant(av, { shape: [n, n], dtype: "float32" });
      const b = tf.constant(bv, { shape: [n, n], dtype: "float32" });
      tsflowMs = timeMs(() => tf.dispose(tf.matmul(a, b)), samples, warmup, minSampleMs);
      tf.dispose([a, b]);
    }
    let blasMs: number | null = null;
    if (sgemm) {
      const c = new Float32Array(n * n);
      blasMs = timeMs(() => sgemm(101, 111, 111, n, n, n, 1, av, n, bv, n, 0, c, n), samples, warmup, minSampleMs);
    }
    const tsflowGflops = flop / (tsflowMs * 1e6);
    const blasGflops = blasMs === null ? null : flop / (blasMs * 1e6);
    rows.push({
      size: n,
      tsflowMs,
      tsflowGflops,
      blasMs,
      blasGflops,
      ratio: blasGflops === null ? null : tsflowGflops / blasGflops,
      samples,
    });
  }
  return {
    dtype: "float32",
    blas: blas
      ? {
          name: blas.name,
          path: blas.path,
          ...(blas.config !== undefined ? { config: blas.config } : {}),
          ...(blas.getThreads ? { threads: blas.getThreads() } : {}),
        }
      : null,
    rows,
  };
}

const fmt = (x: number | null, d = 1): string => (x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(d));

/** A markdown table (plus one line naming the BLAS) for docs/BENCHMARKS.md or a terminal. */
export function formatMatmulTable(r: MatmulBenchResult): string {
  const lib = r.blas
    ? `BLAS: ${r.blas.name} (${r.blas.path}${r.blas.threads !== undefined ? `, ${r.blas.threads} threads` : ""})`
    : "BLAS: none (TypeScript kernels)";
  const lines = [
    `matmul ${r.dtype}, n×n·n×n, median of ${r.rows[0]?.samples ?? 0} samples after warm-up; ${lib}`,
    "",
    "| n | tf.matmul ms | tf.matmul GFLOP/s | direct cblas_sgemm ms | direct GFLOP/s | tf / direct |",
    "|---:|---:|---:|---:|---:|---:|",
  ];
  for (const x of r.rows) {
    lines.push(`| ${x.size} | ${fmt(x.tsflowMs, 2)} | ${fmt(x.tsflowGflops)} | ${fmt(x.blasMs, 2)} | ${fmt(x.blasGflops)} | ${fmt(x.ratio, 2)} |`);
  }
  return lines.join("\n");
}

export interface CrossoverRow {
  shape: [number, number, number];
  dtype: "float32" | "float64";
  refNs: number;
  blasNs: number;
}

/** The TypeScript loop against a BLAS call on tiny products (how gemm.ts's BLAS_MIN_MNK was chosen). */
export function benchGemmCrossover(): CrossoverRow[] {
  const blas = getBlas();
  if (!blas) return [];
  const shapes: [number, number, number][] = [
    [2, 2, 2],
    [3, 3, 3],
    [4, 4, 4],
    [5, 5, 5],
    [6, 6, 6],
    [8, 8, 8],
    [16, 16, 16],
    [1, 1, 64],
    [1, 8, 8],
    [8, 1, 8],
    [8, 8, 1],
    [1, 64, 64],
  ];
  const rows: CrossoverRow[] = [];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [m, n, k] of shapes) {
      const F = dtype === "float32" ? Float32Array : Float64Array;
      const a = new F(randomF32(m * k, 3));
      const b = new F(randomF32(k * n, 5));
      const c = new F(m * n);
      const ns = (f: () => void) => timeMs(f, 5, 200, 5) * 1e6;
      const refNs = ns(() => gemmRef(a, 0, b, 0, c, 0, m, n, k, false, false));
      const blasNs =
        dtype === "float32"
          ? ns(() => blas.sgemm(false, false, m, n, k, 1, a as Float32Array, 0, k, b as Float32Array, 0, n, 0, c as Float32Array, 0, n))
          : ns(() => blas.dgemm(false, false, m, n, k, 1, a as Float64Array, 0, k, b as Float64Array, 0, n, 0, c as Float64Array, 0, n));
      rows.push({ shape: [m, n, k], dtype, refNs, blasNs });
    }
  }
  return rows;
}

function main(): void {
  if (process.argv.includes("--crossover")) {
    const rows = benchGemmCrossover();
    if (rows.length === 0) {
      console.log("no BLAS loaded");
      return;
    }
    console.log("| dtype | m·n·k | shape | TypeScript ns | BLAS ns |\n|---|---:|---|---:|---:|");
    for (const r of rows) {
      const [m, n, k] = r.shape;
      console.log(`| ${r.dtype} | ${m * n * k} | ${m}x${n}x${k} | ${r.refNs.toFixed(0)} | ${r.blasNs.toFixed(0)} |`);
    }
    return;
  }
  console.log(formatMatmulTable(benchMatmul()));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
