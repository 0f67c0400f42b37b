import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tf from "../src/index.js";
import { getBlas, NO_BLAS_NOTICE_PREFIX } from "../src/backends/cpu/blas.js";
import { BLAS_MIN_MNK, gemm, gemmRef } from "../src/backends/cpu/gemm.js";
import {
  axpy,
  axpyRef,
  BLAS_MIN_GEMV,
  BLAS_MIN_VEC,
  gemv,
  gemvRef,
  scal,
  scalRef,
  transpose,
  transposeRef,
  withBlasThreads,
} from "../src/backends/cpu/blas_ops.js";

// gemm() through the BLAS this process loaded (if any) against the TypeScript reference loop, the
// fallback when no usable BLAS exists (in child processes, so that TSFLOW_BLAS is read fresh), and
// tf.matmul end to end.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const srcUrl = (p: string) => pathToFileURL(`${ROOT}src/${p}`).href;

/** Deterministic pseudo-random values in [-1, 1). */
function rand(n: number, seed: number): number[] {
  let x = (seed * 2654435761) >>> 0 || 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = (x / 4294967296) * 2 - 1;
  }
  return out;
}

interface Case {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
  aOff: number;
  bOff: number;
  cOff: number;
  lda: number;
  ldb: number;
  ldc: number;
  beta: 0 | 1;
}

function makeCase(seed: number): Case {
  const r = rand(12, seed).map((v) => (v + 1) / 2);
  const dim = (u: number) => 1 + Math.floor(u * 37);
  const m = dim(r[0]);
  const n = dim(r[1]);
  const k = dim(r[2]);
  const ta = r[3] < 0.5;
  const tb = r[4] < 0.5;
  const pad = (u: number) => (u < 0.5 ? 0 : Math.floor(u * 5));
  return {
    m,
    n,
    k,
    ta,
    tb,
    aOff: Math.floor(r[5] * 7),
    bOff: Math.floor(r[6] * 7),
    cOff: Math.floor(r[7] * 7),
    lda: (ta ? m : k) + pad(r[8]),
    ldb: (tb ? k : n) + pad(r[9]),
    ldc: n + pad(r[10]),
    beta: r[11] < 0.4 ? 1 : 0,
  };
}

/** Runs one case through gemm() and gemmRef (float64 accumulation) and compares. */
function checkCase(c: Case, F: typeof Float32Array | typeof Float64Array, seed: number): void {
  const aRows = c.ta ? c.k : c.m;
  const bRows = c.tb ? c.n : c.k;
  const aLen = c.aOff + aRows * c.lda;
  const bLen = c.bOff + bRows * c.ldb;
  const cLen = c.cOff + c.m * c.ldc + 3;
  const a = new F(rand(aLen, seed + 1));
  const b = new F(rand(bLen, seed + 2));
  const c0 = new F(rand(cLen, seed + 3));
  const got = new F(c0);
  gemm({
    transA: c.ta,
    transB: c.tb,
    m: c.m,
    n: c.n,
    k: c.k,
    a,
    aOffset: c.aOff,
    lda: c.lda,
    b,
    bOffset: c.bOff,
    ldb: c.ldb,
    c: got,
    cOffset: c.cOff,
    ldc: c.ldc,
    beta: c.beta,
  });
  const prod = new Float64Array(c.m * c.n);
  gemmRef(a, c.aOff, b, c.bOff, prod, 0, c.m, c.n, c.k, c.ta, c.tb, c.lda, c.ldb, c.n);
  // Elements outside the m x n window (offset prefix, row padding, tail) must be untouched.
  const inside = new Set<number>();
  for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) inside.add(c.cOff + i * c.ldc + j);
  const tol = F === Float32Array ? 2e-5 * Math.sqrt(c.k) + 1e-5 : 1e-12 * c.k;
  for (let idx = 0; idx < cLen; idx++) {
    if (!inside.has(idx)) {
      assert.equal(got[idx], c0[idx], `element ${idx} outside C was written (${JSON.stringify(c)})`);
    }
  }
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      const idx = c.cOff + i * c.ldc + j;
      const want = prod[i * c.n + j] + (c.beta === 1 ? c0[idx] : 0);
      const diff = Math.abs(got[idx] - want);
      assert.ok(diff <= tol * (1 + Math.abs(want)), `C[${i},${j}] = ${got[idx]}, want ${want} (${JSON.stringify(c)}, ${F.name})`);
    }
  }
}

test("reports which BLAS this process uses", (t) => {
  const blas = getBlas();
  t.diagnostic(blas ? `${blas.name} at ${blas.path}${blas.getThreads ? `, ${blas.getThreads()} threads` : ""}` : "no BLAS: TypeScript kernels");
  if (blas) {
    assert.equal(typeof blas.sgemm, "function");
    assert.equal(typeof blas.dgemm, "function");
  }
  assert.equal(getBlas(), blas, "loaded once");
});

for (const F of [Float32Array, Float64Array]) {
  test(`gemm ${F.name}: random shapes, transposes, offsets, strides, beta 0/1 match the reference`, () => {
    for (let s = 0; s < 120; s++) checkCase(makeCase(1000 + s), F, 7 * s);
  });

  test(`gemm ${F.name}: every transpose pair on sizes around the BLAS threshold and above`, () => {
    const dims: [number, number, number][] = [
      [1, 1, 1],
      [2, 3, 4],
      [4, 4, 4],
      [3, 5, 7],
      [8, 8, 8],
      [1, 70, 65],
      [65, 1, 70],
      [64, 64, 1],
      [33, 17, 129],
      [100, 90, 80],
    ];
    for (const [m, n, k] of dims) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const beta of [0, 1] as const) {
            checkCase({ m, n, k, ta, tb, aOff: 3, bOff: 0, cOff: 5, lda: ta ? m : k, ldb: tb ? k : n, ldc: n, beta }, F, m * 31 + n * 7 + k);
          }
        }
      }
    }
    assert.ok(4 * 4 * 4 >= BLAS_MIN_MNK || 8 * 8 * 8 >= BLAS_MIN_MNK, "the cases straddle the threshold");
  });
}

test("gemm: beta 0 overwrites C, even NaN garbage; k = 0 gives zeros (beta 0) or leaves C (beta 1)", () => {
  for (const F of [Float32Array, Float64Array]) {
    const m = 9,
      n = 11,
      k = 13;
    const a = new F(rand(m * k, 1));
    const b = new F(rand(k * n, 2));
    const c = new F(m * n).fill(NaN);
    gemm({ transA: false, transB: false, m, n, k, a, b, c });
    assert.ok(c.every(Number.isFinite));
    const z = new F(m * n).fill(7);
    gemm({ transA: false, transB: false, m, n, k: 0, a: new F(0), b: new F(0), c: z });
    assert.ok(z.every((v) => v === 0));
    const keep = new F(m * n).fill(7);
    gemm({ transA: true, transB: true, m, n, k: 0, a: new F(0), b: new F(0), c: keep, beta: 1 });
    assert.ok(keep.every((v) => v === 7));
    gemm({ transA: false, transB: false, m: 0, n: 5, k: 3, a: new F(0), b: new F(15), c: new F(0) });
  }
});

test("gemm: 0·Inf gives NaN on both paths (IEEE, as TensorFlow)", () => {
  for (const F of [Float32Array, Float64Array]) {
    for (const size of [2, 16]) {
      const a = new F(size * size).fill(1);
      a[0] = Infinity;
      const b = new F(size * size); // zeros
      const c = new F(size * size);
      gemm({ transA: false, transB: false, m: size, n: size, k: size, a, b, c });
      assert.ok(Number.isNaN(c[0]), `${F.name} ${size}: ${c[0]}`);
      assert.equal(c[size], 0);
    }
  }
});

test("gemm: extents outside the arrays are rejected before BLAS sees them", () => {
  const a = new Float32Array(16 * 16);
  const c = new Float32Array(16 * 16);
  assert.throws(() => gemm({ transA: false, transB: false, m: 16, n: 16, k: 16, a, b: new Float32Array(16 * 16 - 1), c }), /does not fit/);
  assert.throws(() => gemm({ transA: false, transB: false, m: 16, n: 16, k: 16, a, aOffset: 1, b: a, c }), /does not fit/);
  assert.throws(() => gemm({ transA: false, transB: false, m: 16, n: 16, k: 16, a, b: a, c, cOffset: 2 }), /does not fit/);
  assert.throws(() => gemm({ transA: false, transB: false, m: 16, n: 16, k: 16, a, lda: 8, b: a, c }), /does not fit/);
});

function refMatmul(av: number[], bv: number[], m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  gemmRef(av, 0, bv, 0, out, 0, m, n, k, ta, tb);
  return out;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

test("tf.matmul float32/float64 (with transposes) equals the reference", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const tol = dtype === "float32" ? 1e-4 : 1e-12;
    for (const [m, n, k] of [
      [3, 2, 4],
      [37, 29, 41],
      [64, 64, 64],
    ]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const av = rand(m * k, m + k);
          const bv = rand(k * n, n + 3 * k);
          const a = tf.constant(av, { shape: ta ? [k, m] : [m, k], dtype });
          const b = tf.constant(bv, { shape: tb ? [n, k] : [k, n], dtype });
          const c = tf.matmul(a, b, { transposeA: ta, transposeB: tb }) as tf.EagerTensor;
          assert.deepEqual(c.shape, [m, n]);
          assert.equal(c.dtype, dtype);
          const want =
            dtype === "float32"
              ? Float32Array.from(refMatmul(Array.from(new Float32Array(av)), Array.from(new Float32Array(bv)), m, n, k, ta, tb))
              : refMatmul(av, bv, m, n, k, ta, tb);
          assertClose(c.dataSync() as Float32Array, want, tol, `${dtype} ${m}x${n}x${k} ta=${ta} tb=${tb}`);
          tf.dispose([a, b, c]);
        }
      }
    }
  }
});

test("tf.matmul batched with broadcasting (BatchMatMulV2) equals the reference per batch", () => {
  const [m, n, k] = [7, 9, 11];
  const av = rand(3 * m * k, 5);
  const bv = rand(k * n, 6);
  const a = tf.constant(av, { shape: [3, m, k], dtype: "float64" });
  const b = tf.constant(bv, { shape: [1, k, n], dtype: "float64" });
  const c = tf.matmul(a, b) as tf.EagerTensor;
  assert.deepEqual(c.shape, [3, m, n]);
  const got = c.dataSync() as Float64Array;
  for (let bi = 0; bi < 3; bi++) {
    const want = refMatmul(av.slice(bi * m * k, (bi + 1) * m * k), bv, m, n, k, false, false);
    assertClose(got.subarray(bi * m * n, (bi + 1) * m * n), want, 1e-12, `batch ${bi}`);
  }
});

test("tf.matmul int32 stays exact on the reference loop", () => {
  const a = tf.constant(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: "int32" },
  );
  const b = tf.constant(
    [
      [7, 8],
      [9, 10],
      [11, 12],
    ],
    { dtype: "int32" },
  );
  const c = tf.matmul(a, b) as tf.EagerTensor;
  assert.equal(c.dtype, "int32");
  assert.deepEqual(Array.from(c.dataSync() as Int32Array), [58, 64, 139, 154]);
});

/** Runs gemm + tf.matmul in a fresh process with the given TSFLOW_BLAS; returns its stdout JSON and stderr. */
function child(tsflowBlas: string): { out: { blas: string | null; maxDiff: number; matmulDiff: number }; stderr: string } {
  const code = `
    const { getBlas } = await import(${JSON.stringify(srcUrl("backends/cpu/blas.ts"))});
    const { gemm, gemmRef } = await import(${JSON.stringify(srcUrl("backends/cpu/gemm.ts"))});
    const tf = await import(${JSON.stringify(srcUrl("index.ts"))});
    let maxDiff = 0;
    for (const [m, n, k] of [[20, 30, 40], [64, 64, 64], [2, 2, 2]]) {
      for (const F of [Float32Array, Float64Array]) {
        const a = F.from({ length: m * k }, (_, i) => Math.sin(i));
        const b = F.from({ length: k * n }, (_, i) => Math.cos(i));
        const c = new F(m * n);
        gemm({ transA: false, transB: true, m, n, k, a, b, c });
        const r = new Float64Array(m * n);
        gemmRef(a, 0, b, 0, r, 0, m, n, k, false, true);
        for (let i = 0; i < r.length; i++) maxDiff = Math.max(maxDiff, Math.abs(c[i] - r[i]) / (1 + Math.abs(r[i])));
      }
    }
    const x = tf.constant([[1, 2], [3, 4], [5, 6]], { dtype: "float64" });
    const y = tf.matmul(x, x, { transposeA: true }).dataSync();
    const want = [35, 44, 44, 56];
    const matmulDiff = Math.max(...want.map((w, i) => Math.abs(y[i] - w)));
    const big = tf.ones([16, 16]);
    tf.matmul(big, big);
    const blas = getBlas();
    process.stdout.write(JSON.stringify({ blas: blas && blas.name, maxDiff, matmulDiff }));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: ROOT,
    env: { ...process.env, TSFLOW_BLAS: tsflowBlas },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `child with TSFLOW_BLAS=${tsflowBlas} failed: ${r.stderr}`);
  return { out: JSON.parse(r.stdout), stderr: r.stderr };
}

function assertFallback(tsflowBlas: string): void {
  const { out, stderr } = child(tsflowBlas);
  assert.equal(out.blas, null);
  assert.ok(out.maxDiff < 1e-5, `max relative diff ${out.maxDiff}`);
  assert.equal(out.matmulDiff, 0);
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  const notices = lines.filter((l) => l.startsWith(NO_BLAS_NOTICE_PREFIX));
  assert.equal(notices.length, 1, `one notice expected, stderr was:\n${stderr}`);
  assert.match(notices[0], /libopenblas0|Accelerate/);
  assert.match(notices[0], /TSFLOW_BLAS=/);
  assert.match(notices[0], /using the built-in WebAssembly kernels$/);
}

test("TSFLOW_BLAS pointing to a missing file: one notice, TypeScript kernels, right results", () => {
  assertFallback("/nonexistent/dir/libcblas.so");
});

const NO_CBLAS = process.platform === "darwin" ? ["/usr/lib/libz.dylib"] : ["libz.so.1", "libm.so.6"];
for (const lib of NO_CBLAS) {
  test(`TSFLOW_BLAS=${lib} (no cblas symbols) is rejected: one notice, right results`, { skip: process.platform === "win32" }, () => {
    assertFallback(lib);
  });
}

test("TSFLOW_BLAS=none disables BLAS silently", () => {
  const { out, stderr } = child("none");
  assert.equal(out.blas, null);
  assert.ok(out.maxDiff < 1e-5);
  assert.equal(out.matmulDiff, 0);
  assert.ok(!stderr.includes(NO_BLAS_NOTICE_PREFIX), stderr);
});

test("TSFLOW_BLAS naming a real CBLAS loads it", { skip: getBlas() === null ? "no BLAS on this machine" : false }, () => {
  const path = getBlas()!.path;
  if (!existsSync(path)) return; // a bare soname we could not resolve to a file
  const { out, stderr } = child(path);
  assert.equal(out.blas, getBlas()!.name);
  assert.ok(out.maxDiff < 1e-5);
  assert.ok(!stderr.includes(NO_BLAS_NOTICE_PREFIX), stderr);
});

// ---------------------------------------------------------------- level-1/2 (blas_ops.ts)

test("the loaded BLAS binds axpy/scal/gemv when it exports them (OpenBLAS does)", (t) => {
  const blas = getBlas();
  if (!blas) return t.skip("no BLAS");
  const bound = ["saxpy", "daxpy", "sscal", "dscal", "sgemv", "dgemv", "somatcopyT", "domatcopyT"].filter(
    (k) => typeof (blas as unknown as Record<string, unknown>)[k] === "function",
  );
  t.diagnostic(`bound: ${bound.join(", ") || "none"}`);
  if (blas.name === "OpenBLAS") assert.equal(bound.length, 8);
});

function closeTo(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

for (const F of [Float32Array, Float64Array]) {
  const tol = F === Float32Array ? 1e-5 : 1e-13;
  test(`axpy/scal ${F.name}: BLAS (or fallback) path matches the TypeScript loop, offsets, untouched outside`, () => {
    for (const n of [0, 1, 7, BLAS_MIN_VEC - 1, BLAS_MIN_VEC, 1000]) {
      for (const alpha of [1, -0.5, 0, 2.25]) {
        const xOff = 3,
          yOff = 5;
        const x = new F(rand(n + xOff + 2, n + 1));
        const y0 = new F(rand(n + yOff + 4, n + 2));
        const got = new F(y0);
        const want = new F(y0);
        axpy(n, alpha, x, xOff, got, yOff);
        axpyRef(n, alpha, x, xOff, want, yOff);
        closeTo(got, want, tol, `axpy n=${n} alpha=${alpha}`);
        for (let i = 0; i < yOff; i++) assert.equal(got[i], y0[i]);
        for (let i = yOff + n; i < got.length; i++) assert.equal(got[i], y0[i]);
        const s = new F(y0);
        const sw = new F(y0);
        scal(n, alpha, s, yOff);
        scalRef(n, alpha, sw, yOff);
        closeTo(s, sw, tol, `scal n=${n} alpha=${alpha}`);
        for (let i = 0; i < yOff; i++) assert.equal(s[i], y0[i]);
        for (let i = yOff + n; i < s.length; i++) assert.equal(s[i], y0[i]);
      }
    }
  });

  test(`gemv ${F.name}: both transposes, offsets, lda > n, beta 0/1/0.5 match the TypeScript loop and a gemm`, () => {
    const dims: [number, number][] = [
      [1, 1],
      [3, 5],
      [16, 31],
      [40, 20],
      [BLAS_MIN_GEMV, 1],
      [1, BLAS_MIN_GEMV],
      [100, 70],
      [3000, 16],
    ];
    for (const [m, n] of dims) {
      for (const ta of [false, true]) {
        for (const beta of [0, 1, 0.5]) {
          const aOff = 2,
            lda = n + 3,
            xOff = 1,
            yOff = 4;
          const a = new F(rand(aOff + m * lda, m * 7 + n));
          const xLen = ta ? m : n;
          const yLen = ta ? n : m;
          const x = new F(rand(xOff + xLen + 2, m + 3 * n));
          const y0 = new F(rand(yOff + yLen + 3, m + n + 11));
          const got = new F(y0);
          const want = new F(y0);
          gemv(ta, m, n, 0.75, a, aOff, lda, x, xOff, beta, got, yOff);
          gemvRef(ta, m, n, 0.75, a, aOff, lda, x, xOff, beta, want, yOff);
          const t2 = (F === Float32Array ? 2e-6 : 1e-14) * Math.sqrt(xLen) + tol;
          closeTo(got, want, t2, `gemv ${m}x${n} ta=${ta} beta=${beta}`);
          for (let i = 0; i < yOff; i++) assert.equal(got[i], y0[i]);
          for (let i = yOff + yLen; i < got.length; i++) assert.equal(got[i], y0[i]);
          // Cross-check the reference itself against gemm's reference (float64).
          const prod = new Float64Array(yLen);
          if (ta) gemmRef(x, xOff, a, aOff, prod, 0, 1, n, m, false, false, m, lda, n);
          else gemmRef(a, aOff, x, xOff, prod, 0, m, 1, n, false, false, lda, 1, 1);
          const ref = Array.from(prod, (p, i) => 0.75 * p + (beta === 0 ? 0 : beta * y0[yOff + i]));
          closeTo(want.subarray(yOff, yOff + yLen), ref, t2, `gemvRef ${m}x${n} ta=${ta} beta=${beta}`);
        }
      }
    }
  });
}

test("gemv: beta 0 overwrites y even when it holds NaN; empty x gives beta·y", () => {
  for (const F of [Float32Array, Float64Array]) {
    const m = 64,
      n = 32;
    const a = new F(rand(m * n, 9));
    const x = new F(rand(m, 10));
    const y = new F(n).fill(NaN);
    gemv(true, m, n, 1, a, 0, n, x, 0, 0, y, 0);
    assert.ok(y.every(Number.isFinite));
    const z = new F(5).fill(3);
    gemv(false, 5, 0, 1, new F(0), 0, 1, new F(0), 0, 0, z, 0);
    assert.ok(z.every((v) => v === 0));
  }
});

test("axpy/scal/gemv: extents outside the arrays are rejected before BLAS sees them", () => {
  const v = new Float32Array(1000);
  assert.throws(() => axpy(1000, 1, v, 1, new Float32Array(1000), 0), /does not fit/);
  assert.throws(() => axpy(1000, 1, v, 0, new Float32Array(999), 0), /does not fit/);
  assert.throws(() => scal(1000, 2, v, 1), /does not fit/);
  assert.throws(() => gemv(false, 100, 10, 1, v, 1, 10, v, 0, 0, v, 0), /does not fit/);
  assert.throws(() => gemv(true, 100, 10, 1, v, 0, 10, v, 901, 0, v, 0), /does not fit/);
  assert.throws(() => gemv(false, 10, 10, 1, v, 0, 5, v, 0, 0, v, 0), /does not fit/);
});

test("blas_ops without a BLAS (TSFLOW_BLAS=none) gives the reference results", () => {
  const code = `
    const ops = await import(${JSON.stringify(srcUrl("backends/cpu/blas_ops.ts"))});
    const n = 1000;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    ops.axpy(n, 2, x, 0, y, 0);
    ops.scal(n, 0.5, y, 0);
    const a = Float64Array.from({ length: 40 * 30 }, (_, i) => Math.sin(i * 0.3));
    const xv = Float64Array.from({ length: 40 }, (_, i) => i);
    const out = new Float64Array(30);
    ops.gemv(true, 40, 30, 1, a, 0, 30, xv, 0, 0, out, 0);
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(y[i] - Math.fround(Math.fround(Math.cos(i) + 2 * Math.fround(Math.sin(i))) * 0.5)));
    for (let j = 0; j < 30; j++) { let s = 0; for (let i = 0; i < 40; i++) s += a[i * 30 + j] * i; err = Math.max(err, Math.abs(out[j] - s)); }
    process.stdout.write(JSON.stringify({ err }));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: ROOT,
    env: { ...process.env, TSFLOW_BLAS: "none" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).err < 1e-5, r.stdout);
  assert.ok(!r.stderr.includes(NO_BLAS_NOTICE_PREFIX));
});

for (const F of [Float32Array, Float64Array]) {
  test(`transpose ${F.name}: BLAS omatcopy (or fallback) and the tiled loop give Aᵀ exactly, strides and offsets honoured`, () => {
    for (const [rows, cols] of [
      [1, 1],
      [1, 300],
      [300, 1],
      [3, 5],
      [16, 16],
      [33, 70],
      [6, 5000],
      [5000, 6],
      [100, 90],
    ]) {
      const aOff = 3,
        lda = cols + 2,
        bOff = 5,
        ldb = rows + 1;
      const a = new F(rand(aOff + rows * lda, rows * 13 + cols));
      const b0 = new F(rand(bOff + cols * ldb + 2, rows + cols));
      const got = new F(b0);
      const ref = new F(b0);
      transpose(rows, cols, a, aOff, lda, got, bOff, ldb);
      transposeRef(rows, cols, a, aOff, lda, ref, bOff, ldb);
      assert.deepEqual(Array.from(got), Array.from(ref), `${rows}x${cols}`);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) assert.equal(got[bOff + j * ldb + i], a[aOff + i * lda + j]);
      // the gaps between B's rows are untouched
      for (let j = 0; j < cols; j++)
        for (let i = rows; i < ldb && bOff + j * ldb + i < got.length; i++) assert.equal(got[bOff + j * ldb + i], b0[bOff + j * ldb + i]);
    }
  });
}

test("transpose: extents outside the arrays are rejected", () => {
  const v = new Float32Array(100);
  assert.throws(() => transpose(10, 10, v, 1, 10, new Float32Array(100), 0, 10), /does not fit/);
  assert.throws(() => transpose(10, 10, v, 0, 10, new Float32Array(99), 0, 10), /does not fit/);
  assert.throws(() => transpose(10, 10, v, 0, 9, new Float32Array(100), 0, 10), /does not fit/);
});

test("withBlasThreads limits the thread count for the call and restores it, even on a throw", () => {
  const blas = getBlas();
  const before = blas?.getThreads?.();
  const inside = withBlasThreads(1, () => blas?.getThreads?.());
  if (before !== undefined) {
    assert.equal(inside, Math.min(1, before));
    assert.equal(blas!.getThreads!(), before);
    assert.throws(
      () =>
        withBlasThreads(1, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(blas!.getThreads!(), before);
  }
  assert.equal(
    withBlasThreads(1, () => 42),
    42,
  );
});
