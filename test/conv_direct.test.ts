/**
 * The direct WebAssembly convolutions (src/backends/cpu/wasm/conv_*.ts): Conv2D, its input and filter
 * gradients in float32 against the im2col path computed in float64 on the same values, over strides,
 * dilations, SAME/VALID/explicit padding, channel counts that fill 1..8 lanes of the last block and several
 * blocks, one and two threads (chunks of images, and of one image's positions), the public API in auto mode
 * (tf.nn.conv2d and its gradients, NHWC and NCHW), and the fallback when the WebAssembly kernels are off.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import type { CpuTensor } from "../src/backends/cpu/kernel.js";
import { convKernels, type ConvAlgorithm, setConvAlgorithm } from "../src/backends/cpu/kernels/conv.js";
import { wasmGemm } from "../src/backends/cpu/wasm/gemm_runtime.js";
import { mulberry32 } from "./util/random.js";
import { withOptions } from "./util/settings.js";

interface Case {
  xs: number[];
  fs: number[];
  s: [number, number];
  d: [number, number];
  pad: "SAME" | "VALID" | "EXPLICIT";
  ep?: number[];
}

function values(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  // float32-representable, so that both sides start from the same numbers.
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
}

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
const tensor = (A: typeof Float32Array | typeof Float64Array, shape: number[], v: Float64Array): CpuTensor => ({
  dtype: A === Float32Array ? "float32" : "float64",
  shape,
  values: A.from(v),
});
const shapeT = (s: number[]): CpuTensor => ({ dtype: "int32", shape: [s.length], values: Int32Array.from(s) });

/** The three kernels on one case with one algorithm and element type. */
function runAll(alg: ConvAlgorithm, A: typeof Float32Array | typeof Float64Array, c: Case, x: Float64Array, f: Float64Array, dy: Float64Array | null) {
  const prev = setConvAlgorithm(alg);
  try {
    const attrs = { strides: [1, ...c.s, 1], padding: c.pad, dilations: [1, ...c.d, 1], data_format: "NHWC", ...(c.ep ? { explicit_paddings: c.ep } : {}) };
    const y = convKernels.Conv2D!([tensor(A, c.xs, x), tensor(A, c.fs, f)], attrs, {} as never)[0];
    if (dy === null) return { y, dx: null, df: null };
    const dyT = tensor(A, y.shape as number[], dy);
    const dx = convKernels.Conv2DBackpropInput!([shapeT(c.xs), tensor(A, c.fs, f), dyT], attrs, {} as never)[0];
    const df = convKernels.Conv2DBackpropFilter!([tensor(A, c.xs, x), shapeT(c.fs), dyT], attrs, {} as never)[0];
    return { y, dx, df };
  } finally {
    setConvAlgorithm(prev);
  }
}

/** float32 results against float64 ones: error within float32 rounding of a k-term sum. */
function close(got: CpuTensor, want: CpuTensor, k: number, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.ok(got.values instanceof Float32Array, `${what}: float32 result`);
  const g = got.values as Float32Array;
  const w = want.values as Float64Array;
  const tol = 4e-7 * Math.sqrt(k) * 4;
  for (let i = 0; i < w.length; i++) {
    if (!(Math.abs(g[i] - w[i]) <= tol * (1 + Math.abs(w[i])))) assert.fail(`${what}[${i}]: ${g[i]} vs ${w[i]}`);
  }
}

function check(c: Case, seed: number): void {
  const x = values(size(c.xs), seed);
  const f = values(size(c.fs), seed + 1);
  const ref0 = runAll("im2col", Float64Array, c, x, f, null);
  const dy = values(size(ref0.y.shape as number[]), seed + 2);
  const ref = runAll("im2col", Float64Array, c, x, f, dy);
  const got = runAll("direct", Float32Array, c, x, f, dy);
  const [kH, kW, inC, outC] = c.fs;
  const what = `${JSON.stringify(c.xs)} * ${JSON.stringify(c.fs)} strides ${c.s} dilations ${c.d} ${c.pad}`;
  close(got.y, ref.y, kH * kW * inC, `${what}: y`);
  close(got.dx!, ref.dx!, kH * kW * outC, `${what}: dx`);
  close(got.df!, ref.df!, size(ref0.y.shape as number[]) / outC, `${what}: df`);
}

describe("CPU Conv2D: the direct WebAssembly loops equal im2col (float32 against float64)", () => {
  const cases: Case[] = [
    { xs: [3, 28, 28, 1], fs: [5, 5, 1, 6], s: [1, 1], d: [1, 1], pad: "SAME" }, // LeNet-5's first convolution
    { xs: [3, 14, 14, 6], fs: [5, 5, 6, 16], s: [1, 1], d: [1, 1], pad: "VALID" }, // and its second
    { xs: [2, 9, 7, 3], fs: [3, 2, 3, 5], s: [2, 1], d: [1, 1], pad: "SAME" },
    { xs: [2, 11, 10, 2], fs: [3, 3, 2, 4], s: [3, 2], d: [1, 1], pad: "VALID" },
    { xs: [2, 9, 10, 2], fs: [3, 2, 2, 11], s: [1, 1], d: [2, 3], pad: "SAME" }, // dilated columns: runs of C
    { xs: [1, 12, 12, 3], fs: [3, 3, 3, 2], s: [2, 2], d: [2, 2], pad: "SAME" },
    { xs: [2, 5, 6, 2], fs: [3, 3, 2, 3], s: [1, 1], d: [1, 1], pad: "EXPLICIT", ep: [0, 0, 1, 2, 0, 3, 0, 0] },
    { xs: [2, 4, 4, 3], fs: [5, 5, 3, 2], s: [1, 1], d: [1, 1], pad: "SAME" }, // a kernel larger than the image
    { xs: [2, 6, 6, 5], fs: [1, 1, 5, 3], s: [2, 2], d: [1, 1], pad: "VALID" }, // 1x1, strided (not pointwise)
    { xs: [1, 3, 3, 4], fs: [3, 3, 4, 2], s: [1, 1], d: [1, 1], pad: "VALID" }, // one output position
  ];
  cases.forEach((c, i) => it(`${JSON.stringify(c.xs)} * ${JSON.stringify(c.fs)} strides ${c.s} dilations ${c.d} ${c.pad}`, () => check(c, 10 * i + 1)));

  it("every width of the last channel block (1..8 lanes) and several blocks, forward and both gradients", () => {
    for (let outC = 1; outC <= 19; outC++) check({ xs: [2, 6, 5, 3], fs: [3, 3, 3, outC], s: [1, 1], d: [1, 1], pad: "SAME" }, 500 + outC);
    for (const inC of [1, 7, 9, 17]) check({ xs: [2, 7, 6, inC], fs: [2, 3, inC, 4], s: [1, 1], d: [1, 1], pad: "VALID" }, 600 + inC);
  });

  it("two threads: chunks of images, and of one image's positions (batch 1), give the same numbers", async () => {
    // Large enough (over 2^21 multiply-adds) to be split between the threads.
    const big: Case[] = [
      { xs: [8, 32, 32, 8], fs: [3, 3, 8, 16], s: [1, 1], d: [1, 1], pad: "SAME" },
      { xs: [5, 32, 32, 8], fs: [3, 3, 8, 6], s: [1, 1], d: [1, 1], pad: "SAME" },
      { xs: [1, 64, 60, 8], fs: [3, 3, 8, 13], s: [1, 1], d: [1, 1], pad: "SAME" },
    ];
    withOptions({ threads: 1 }, () => big.forEach((c, i) => check(c, 900 + i)));
    // The worker boots asynchronously (the calling thread takes every chunk until it is ready): wait for it,
    // then repeat, so that chunks run on both threads.
    withOptions({ threads: 2 }, () => check(big[0], 900));
    const w = wasmGemm()!;
    for (let t = 0; t < 200 && w.readyWorkers < 1; t++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(w.readyWorkers >= 1, "a worker thread is ready");
    for (let rep = 0; rep < 4; rep++) withOptions({ threads: 2 }, () => big.forEach((c, i) => check(c, 900 + i)));
  });

  it("float64 and the wasm setting off fall back to the other algorithms with the same numbers", () => {
    const c = cases[1];
    const x = values(size(c.xs), 3);
    const f = values(size(c.fs), 4);
    const dy = values(4 * 3 * 10 * 10 * 4, 5).subarray(0, 3 * 10 * 10 * 16);
    const want = runAll("im2col", Float64Array, c, x, f, dy);
    const d64 = runAll("direct", Float64Array, c, x, f, dy);
    for (const k of ["y", "dx", "df"] as const) assert.deepEqual(Array.from(d64[k]!.values as Float64Array), Array.from(want[k]!.values as Float64Array), k);
    const off = withOptions({ wasm: "off" }, () => runAll("direct", Float32Array, c, x, f, dy));
    close(off.y, want.y, 150, "y with the wasm kernels off");
    close(off.dx!, want.dx!, 400, "dx with the wasm kernels off");
    close(off.df!, want.df!, 300, "df with the wasm kernels off");
  });
});

describe("tf.nn.conv2d in float32 (auto: the direct loops for few channels) against float64", () => {
  for (const dataFormat of ["NHWC", "NCHW"] as const) {
    it(`values and gradients, ${dataFormat}`, () => {
      const xs = dataFormat === "NHWC" ? [2, 12, 11, 3] : [2, 3, 12, 11];
      const fs = [3, 3, 3, 7];
      const x = values(size(xs), 71);
      const f = values(size(fs), 72);
      const run = (dtype: "float32" | "float64") => {
        const xt = tf.constant(x, { dtype, shape: xs });
        const ft = tf.constant(f, { dtype, shape: fs });
        const tape = new tf.GradientTape({ persistent: true });
        tape.watch(xt);
        tape.watch(ft);
        const y = tape.run(() => tf.nn.conv2d(xt, ft, 2, "SAME", { dataFormat }));
        const loss = tape.run(() => tf.reduceSum(tf.mul(y, y)));
        const [dx, df] = tape.gradient(loss, [xt, ft]);
        return [y, dx!, df!].map((t) => Array.from(t.dataSync() as Float32Array | Float64Array));
      };
      const [a, b] = [run("float32"), run("float64")];
      ["y", "dx", "df"].forEach((what, i) => {
        const scale = Math.max(...b[i].map(Math.abs));
        for (let j = 0; j < b[i].length; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) <= 1e-5 * scale, `${what}[${j}]: ${a[i][j]} vs ${b[i][j]}`);
      });
    });
  }
});
