import { mulberry32 } from "./util/random.js";
import assert from "node:assert/strict";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import * as tf from "../src/index.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";
import { dropoutV1 } from "../src/ops/norm.js";
import { execute } from "../src/ops/dispatch.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { convKernels, convTuning, setConvAlgorithm } from "../src/backends/cpu/kernels/conv.js";
import { poolKernels } from "../src/backends/cpu/kernels/pool.js";
import { normKernels } from "../src/backends/cpu/kernels/norm.js";
import type { CpuTensor } from "../src/backends/cpu/kernel.js";

// ---------------------------------------------------------------- helpers and naive references

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r() * 2 - 1;
}
function randn(shape: number[], seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r());
}
/** Nested arrays for checkGradient. */
function nest(v: ArrayLike<number>, shape: readonly number[], off = 0): unknown {
  if (shape.length === 0) return v[off];
  const inner = shape.slice(1).reduce((p, d) => p * d, 1);
  return Array.from({ length: shape[0] }, (_, i) => nest(v, shape.slice(1), off + i * inner));
}
const f64 = (v: Float64Array, shape: number[]) => tf.constant(v, { dtype: "float64", shape }) as tf.EagerTensor;
const f32 = (v: Float64Array, shape: number[]) => tf.constant(Float32Array.from(v), { dtype: "float32", shape }) as tf.EagerTensor;
const data = (t: tf.Tensor) => Array.from(t.dataSync() as Float64Array);

function assertAllClose(actual: tf.Tensor, expected: { values: ArrayLike<number>; shape: number[] }, tol = 1e-9): void {
  assert.deepEqual(actual.shape, expected.shape, "shape");
  const got = actual.dataSync() as Float64Array;
  assert.equal(got.length, expected.values.length);
  for (let i = 0; i < got.length; i++) {
    const e = expected.values[i];
    assert.ok(Math.abs(got[i] - e) <= tol * Math.max(1, Math.abs(e)), `[${i}]: ${got[i]} != ${e}`);
  }
}

type Pad = "SAME" | "VALID" | [[number, number], [number, number]];

/** TensorFlow's output size and leading pad for one spatial dim. */
function geom(inSize: number, k: number, s: number, d: number, pad: "SAME" | "VALID" | [number, number]): [number, number] {
  const dk = (k - 1) * d + 1;
  if (pad === "SAME") {
    const o = Math.ceil(inSize / s);
    return [o, Math.floor(Math.max((o - 1) * s + dk - inSize, 0) / 2)];
  }
  if (pad === "VALID") return [Math.ceil((inSize - dk + 1) / s), 0];
  return [Math.floor((inSize + pad[0] + pad[1] - dk) / s) + 1, pad[0]];
}

/** Direct-loop NHWC convolution: out[b,i,j,o] = sum x[b, i*s - p + di*d, j*s - p + dj*d, c] * f[di,dj,c,o]. */
function refConv2d(x: Float64Array, xs: number[], f: Float64Array, fs: number[], s: [number, number], d: [number, number], pad: Pad) {
  const [N, H, W, C] = xs;
  const [KH, KW, , O] = fs;
  const [oh, pt] = geom(H, KH, s[0], d[0], pad === "SAME" || pad === "VALID" ? pad : pad[0]);
  const [ow, pl] = geom(W, KW, s[1], d[1], pad === "SAME" || pad === "VALID" ? pad : pad[1]);
  const out = new Float64Array(N * oh * ow * O);
  for (let b = 0; b < N; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < O; o++) {
          let acc = 0;
          for (let di = 0; di < KH; di++)
            for (let dj = 0; dj < KW; dj++) {
              const y = i * s[0] - pt + di * d[0];
              const xx = j * s[1] - pl + dj * d[1];
              if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
              for (let c = 0; c < C; c++) acc += x[((b * H + y) * W + xx) * C + c] * f[((di * KW + dj) * C + c) * O + o];
            }
          out[((b * oh + i) * ow + j) * O + o] = acc;
        }
  return { values: out, shape: [N, oh, ow, O] };
}

/** Direct-loop depthwise convolution: out[b,i,j,c*M+m] = sum x[..., c] * f[di,dj,c,m]. */
function refDepthwise(x: Float64Array, xs: number[], f: Float64Array, fs: number[], s: number, d: number, pad: "SAME" | "VALID") {
  const [N, H, W, C] = xs;
  const [KH, KW, , M] = fs;
  const [oh, pt] = geom(H, KH, s, d, pad);
  const [ow, pl] = geom(W, KW, s, d, pad);
  const out = new Float64Array(N * oh * ow * C * M);
  for (let b = 0; b < N; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let c = 0; c < C; c++)
          for (let m = 0; m < M; m++) {
            let acc = 0;
            for (let di = 0; di < KH; di++)
              for (let dj = 0; dj < KW; dj++) {
                const y = i * s - pt + di * d;
                const xx = j * s - pl + dj * d;
                if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
                acc += x[((b * H + y) * W + xx) * C + c] * f[((di * KW + dj) * C + c) * M + m];
              }
            out[(((b * oh + i) * ow + j) * C + c) * M + m] = acc;
          }
  return { values: out, shape: [N, oh, ow, C * M] };
}

/** Direct-loop 2-D pooling (NHWC); avg divides by the in-bounds count, as TensorFlow does. */
function refPool(x: Float64Array, xs: number[], k: [number, number], s: [number, number], pad: "SAME" | "VALID", max: boolean) {
  const [N, H, W, C] = xs;
  const [oh, pt] = geom(H, k[0], s[0], 1, pad);
  const [ow, pl] = geom(W, k[1], s[1], 1, pad);
  const out = new Float64Array(N * oh * ow * C);
  for (let b = 0; b < N; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let sum = 0;
          let cnt = 0;
          for (let di = 0; di < k[0]; di++)
            for (let dj = 0; dj < k[1]; dj++) {
              const y = i * s[0] - pt + di;
              const xx = j * s[1] - pl + dj;
              if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
              const v = x[((b * H + y) * W + xx) * C + c];
              best = Math.max(best, v);
              sum += v;
              cnt++;
            }
          out[((b * oh + i) * ow + j) * C + c] = max ? best : sum / cnt;
        }
  return { values: out, shape: [N, oh, ow, C] };
}

/** [N, ...S, C] <-> [N, C, ...S] */
function toNCHW(v: Float64Array, shape: number[]): { values: Float64Array; shape: number[] } {
  const [n, ...rest] = shape;
  const c = rest.pop()!;
  const s = rest.reduce((p, d) => p * d, 1);
  const o = new Float64Array(v.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < s; i++) for (let ch = 0; ch < c; ch++) o[(b * c + ch) * s + i] = v[(b * s + i) * c + ch];
  return { values: o, shape: [n, c, ...rest] };
}

// ---------------------------------------------------------------- conv2d

forEachDevice(() => {
  describe("tf.nn.conv2d", () => {
    const configs: { name: string; xs: number[]; fs: number[]; s: [number, number]; d: [number, number]; pad: Pad }[] = [
      { name: "3x3 VALID stride 1", xs: [2, 7, 6, 3], fs: [3, 3, 3, 4], s: [1, 1], d: [1, 1], pad: "VALID" },
      { name: "3x3 SAME stride 1", xs: [2, 5, 6, 2], fs: [3, 3, 2, 3], s: [1, 1], d: [1, 1], pad: "SAME" },
      { name: "3x3 SAME stride 2 (odd input)", xs: [1, 7, 9, 2], fs: [3, 3, 2, 3], s: [2, 2], d: [1, 1], pad: "SAME" },
      { name: "2x2 SAME stride 1 (odd total padding, extra after)", xs: [1, 6, 6, 2], fs: [2, 2, 2, 2], s: [1, 1], d: [1, 1], pad: "SAME" },
      { name: "4x4 SAME stride 2 (even input)", xs: [2, 8, 8, 1], fs: [4, 4, 1, 2], s: [2, 2], d: [1, 1], pad: "SAME" },
      { name: "5x3 VALID stride [2,3]", xs: [1, 11, 10, 2], fs: [5, 3, 2, 2], s: [2, 3], d: [1, 1], pad: "VALID" },
      { name: "3x3 dilation 2 SAME", xs: [1, 9, 8, 2], fs: [3, 3, 2, 3], s: [1, 1], d: [2, 2], pad: "SAME" },
      { name: "3x2 dilation [2,3] VALID", xs: [2, 9, 10, 1], fs: [3, 2, 1, 2], s: [1, 1], d: [2, 3], pad: "VALID" },
      { name: "1x1 pointwise", xs: [3, 4, 5, 6], fs: [1, 1, 6, 4], s: [1, 1], d: [1, 1], pad: "VALID" },
      { name: "1x1 stride 2", xs: [1, 5, 5, 3], fs: [1, 1, 3, 2], s: [2, 2], d: [1, 1], pad: "SAME" },
      {
        name: "explicit padding",
        xs: [1, 5, 6, 2],
        fs: [3, 3, 2, 2],
        s: [2, 1],
        d: [1, 1],
        pad: [
          [1, 2],
          [0, 3],
        ],
      },
      { name: "wide channels (contiguous patch rows)", xs: [1, 6, 6, 16], fs: [3, 3, 16, 5], s: [1, 1], d: [1, 1], pad: "SAME" },
    ];
    configs.forEach((c, ci) => {
      it(`matches the direct loop: ${c.name} (NHWC and NCHW)`, () => {
        const x = randn(c.xs, 10 + ci);
        const f = randn(c.fs, 100 + ci);
        const want = refConv2d(x, c.xs, f, c.fs, c.s, c.d, c.pad);
        const padding = c.pad === "SAME" || c.pad === "VALID" ? c.pad : [[0, 0], c.pad[0], c.pad[1], [0, 0]];
        const y = tf.nn.conv2d(f64(x, c.xs), f64(f, c.fs), c.s, padding as never, "NHWC", c.d);
        assertAllClose(y, want);
        // float32 too
        assertAllClose(tf.nn.conv2d(f32(x, c.xs), f32(f, c.fs), { strides: c.s, padding: padding as never, dilations: c.d }), want, 1e-4);
        // NCHW: the same numbers, transposed
        const xc = toNCHW(x, c.xs);
        const paddingC = c.pad === "SAME" || c.pad === "VALID" ? c.pad : [[0, 0], [0, 0], c.pad[0], c.pad[1]];
        const yc = tf.nn.conv2d(f64(xc.values, xc.shape), f64(f, c.fs), [1, 1, ...c.s], paddingC as never, { dataFormat: "NCHW", dilations: [1, 1, ...c.d] });
        assertAllClose(yc, toNCHW(want.values, want.shape));
      });
    });

    it("runs a batch big enough to take several im2col blocks", () => {
      const xs = [2, 34, 34, 8];
      const fs = [3, 3, 8, 4];
      const x = randn(xs, 7);
      const f = randn(fs, 8);
      // rows = 2*32*32 = 2048 patches of 72 values: several blocks would need > 2^21 elements; force many rows.
      const want = refConv2d(x, xs, f, fs, [1, 1], [1, 1], "VALID");
      assertAllClose(tf.nn.conv2d(f64(x, xs), f64(f, fs), 1, "VALID"), want);
      const xb = [40, 34, 34, 8];
      const big = randn(xb, 9);
      const y = tf.nn.conv2d(f64(big, xb), f64(f, fs), 1, "VALID");
      assert.deepEqual(y.shape, [40, 32, 32, 4]);
      const ref = refConv2d(big.subarray(34 * 34 * 8 * 39), [1, 34, 34, 8], f, fs, [1, 1], [1, 1], "VALID");
      const last = (y.dataSync() as Float64Array).subarray(32 * 32 * 4 * 39);
      for (let i = 0; i < ref.values.length; i += 97) assert.ok(Math.abs(last[i] - ref.values[i]) < 1e-9);
    });

    it("accepts strides as an int, a 2-list or a 4-list, and lowercase padding", () => {
      const x = randn([1, 6, 6, 1], 1);
      const f = randn([2, 2, 1, 1], 2);
      const a = data(tf.nn.conv2d(f64(x, [1, 6, 6, 1]), f64(f, [2, 2, 1, 1]), 2, "SAME"));
      assert.deepEqual(data(tf.nn.conv2d(f64(x, [1, 6, 6, 1]), f64(f, [2, 2, 1, 1]), [2, 2], "same")), a);
      assert.deepEqual(data(tf.nn.conv2d(f64(x, [1, 6, 6, 1]), f64(f, [2, 2, 1, 1]), { strides: [1, 2, 2, 1], padding: "SAME" })), a);
    });

    it("gradients wrt input and filter (Conv2DBackpropInput/Filter) in both modes", () => {
      const cases: { xs: number[]; fs: number[]; s: number[]; d: number[]; pad: string; fmt: string }[] = [
        { xs: [2, 5, 4, 2], fs: [3, 2, 2, 3], s: [1, 1], d: [1, 1], pad: "VALID", fmt: "NHWC" },
        { xs: [1, 5, 6, 2], fs: [3, 3, 2, 2], s: [2, 2], d: [1, 1], pad: "SAME", fmt: "NHWC" },
        { xs: [1, 6, 5, 1], fs: [2, 2, 1, 2], s: [1, 1], d: [2, 2], pad: "SAME", fmt: "NHWC" },
        { xs: [1, 2, 5, 5], fs: [3, 3, 2, 2], s: [1, 1, 2, 1], d: [1, 1, 1, 1], pad: "SAME", fmt: "NCHW" },
        { xs: [2, 3, 3, 3], fs: [1, 1, 3, 2], s: [1, 1], d: [1, 1], pad: "VALID", fmt: "NHWC" },
      ];
      cases.forEach((c, i) => {
        checkGradient(
          (x, f) => tf.nn.conv2d(x, f, c.s, c.pad, c.fmt, c.d.length === 2 ? c.d : c.d),
          [nest(randn(c.xs, 40 + i), c.xs), nest(randn(c.fs, 50 + i), c.fs)],
        );
      });
      // explicit padding
      checkGradient(
        (x, f) =>
          tf.nn.conv2d(x, f, 2, [
            [0, 0],
            [1, 0],
            [2, 1],
            [0, 0],
          ]),
        [nest(randn([1, 4, 5, 1], 3), [1, 4, 5, 1]), nest(randn([2, 3, 1, 2], 4), [2, 3, 1, 2])],
      );
    });

    it("second-order gradients through the backprop ops", () => {
      const xs = [1, 4, 4, 2];
      const fs = [2, 2, 2, 2];
      const dyShape = [1, 2, 2, 2];
      // d/d(filter, dy) of Conv2DBackpropInput and d/d(x, dy) of Conv2DBackpropFilter.
      checkGradient((f, dy) => tf.nn.conv2dTranspose(dy, f, xs, 2, "SAME"), [nest(randn(fs, 1), fs), nest(randn(dyShape, 2), dyShape)]);
      const feedX = f64(randn(xs, 5), xs);
      const feedF = f64(randn(fs, 6), fs);
      const g = new tf.Graph();
      withGraph(g, () => {
        const x = tf.placeholder("float64", xs);
        const f = tf.placeholder("float64", fs);
        const y = tf.nn.conv2d(x, f, 2, "SAME");
        const [df] = tf.gradients(tf.reduceSum(tf.square(y)), [f]);
        const [ddx] = tf.gradients(tf.reduceSum(df!), [x]);
        assert.deepEqual(ddx!.shape, xs);
        const sess = new tf.Session();
        const out = sess.run(
          ddx!,
          new Map([
            [x, feedX],
            [f, feedF],
          ]),
        ) as tf.Tensor;
        assert.deepEqual(out.shape, xs);
        sess.close();
      });
    });

    it("graph mode: static shapes with an unknown batch, and a session run", () => {
      const xv = randn([2, 9, 8, 3], 2);
      const feed = f32(xv, [2, 9, 8, 3]);
      const g = new tf.Graph();
      withGraph(g, () => {
        const x = tf.placeholder("float32", [null, 9, 8, 3], { name: "x" });
        const f = tf.constant(Float32Array.from(randn([3, 3, 3, 4], 1)), { shape: [3, 3, 3, 4] });
        const same = tf.nn.conv2d(x, f, 2, "SAME");
        const valid = tf.nn.conv2d(x, f, [1, 2], "VALID", { dilations: 2, name: "c2" });
        assert.deepEqual(same.shape, [null, 5, 4, 4]);
        assert.deepEqual(valid.shape, [null, 5, 2, 4]);
        assert.equal(same.name, "Conv2D:0");
        assert.equal(valid.name, "c2:0");
        const unknownHW = tf.nn.conv2d(tf.placeholder("float32", [null, null, 7, 3]), f, 1, "VALID");
        assert.deepEqual(unknownHW.shape, [null, null, 5, 4]);
        const [gx] = tf.gradients(tf.reduceSum(same), [x]);
        assert.deepEqual(gx!.shape, [null, 9, 8, 3]);
        const sess = new tf.Session();
        const [yv, gv] = sess.run([same, gx!], new Map([[x, feed]])) as tf.Tensor[];
        assertAllClose(
          yv,
          refConv2d(
            Float64Array.from(Float32Array.from(xv)),
            [2, 9, 8, 3],
            Float64Array.from((f as tf.SymbolicTensor).op.attrs.value as Float32Array),
            [3, 3, 3, 4],
            [2, 2],
            [1, 1],
            "SAME",
          ),
          1e-4,
        );
        assert.deepEqual(gv.shape, [2, 9, 8, 3]);
        sess.close();
      });
    });

    it("rejects bad arguments with InvalidArgumentError naming the op and shapes", () => {
      const x = tf.zeros([1, 5, 5, 3]);
      const check = (fn: () => unknown, re: RegExp) =>
        assert.throws(fn, (e: Error) => e instanceof tf.errors.InvalidArgumentError && re.test(e.message), re.source);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 2, 4]), 1, "SAME"), /Conv2D.*in_channels: 3 vs 2.*\[1,5,5,3\].*\[3,3,2,4\]/);
      check(() => tf.nn.conv2d(x, tf.zeros([6, 3, 3, 4]), 1, "VALID"), /Conv2D.*Negative dimension size.*\[1,5,5,3\]/);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 3, 4]), 0, "SAME"), /Conv2D.*strides must be positive/);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 3, 4]), [2, 2, 2, 2], "SAME"), /strides in the batch and depth/);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 3, 4]), 1, "SAME", "NWHC"), /Invalid data format 'NWHC'/);
      check(() => tf.nn.conv2d(tf.zeros([5, 5, 3]), tf.zeros([3, 3, 3, 4]), 1, "SAME"), /Conv2D.*input must be 4-dimensional.*\[5,5,3\]/);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 3]), 1, "SAME"), /Conv2D.*filter must be 4-dimensional/);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 3, 4]), 1, "FULL"), /padding/);
      check(() => tf.nn.conv2d(x, tf.zeros([3, 3, 3, 4]), [1, 2, 3], "SAME"), /strides should be of length 1, 2 or 4/);
      // graph mode says the same when the graph is built
      withGraph(new tf.Graph(), () => {
        check(() => tf.nn.conv2d(tf.placeholder("float32", [null, 5, 5, 3]), tf.zeros([3, 3, 1, 4]), 1, "SAME"), /in_channels: 3 vs 1/);
        check(
          () => tf.nn.conv2d(tf.placeholder("float32", [null, 2, 5, 3]), tf.zeros([3, 3, 3, 4]), 1, "VALID"),
          /Negative dimension size caused by subtracting 3 from 2/,
        );
      });
    });
  });

  // ---------------------------------------------------------------- conv2d_transpose, depthwise, conv1d

  describe("tf.nn.conv2dTranspose", () => {
    it("is the adjoint of conv2d: <conv2d(x, f), y> = <x, conv2d_transpose(y, f)>", () => {
      for (const [xs, fs, s, pad] of [
        [[2, 7, 6, 3], [3, 3, 3, 2], 2, "SAME"],
        [[1, 8, 8, 2], [4, 4, 2, 3], 2, "SAME"],
        [[1, 7, 7, 1], [3, 3, 1, 2], 2, "VALID"],
      ] as [number[], number[], number, string][]) {
        const x = randn(xs, 1);
        const f = randn(fs, 2);
        const y0 = tf.nn.conv2d(f64(x, xs), f64(f, fs), s, pad);
        const yv = randn(y0.shape as number[], 3);
        const xt = tf.nn.conv2dTranspose(f64(yv, y0.shape as number[]), f64(f, fs), xs, s, pad);
        assert.deepEqual(xt.shape, xs);
        const lhs = data(y0).reduce((p, v, i) => p + v * yv[i], 0);
        const rhs = data(xt).reduce((p, v, i) => p + v * x[i], 0);
        assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
      }
    });

    it("NCHW and the output_shape as a tensor; gradients", () => {
      const xs = [1, 2, 5, 5];
      const fs = [3, 3, 2, 3];
      const dy = randn([1, 3, 3, 3], 4);
      const f = randn(fs, 5);
      const a = tf.nn.conv2dTranspose(f64(dy, [1, 3, 3, 3]), f64(f, fs), tf.constant(xs, { dtype: "int32" }), [2, 2], "SAME", "NCHW");
      assert.deepEqual(a.shape, xs);
      checkGradient((yy, ff) => tf.nn.conv2dTranspose(yy, ff, xs, 2, "SAME", "NCHW"), [nest(dy, [1, 3, 3, 3]), nest(f, fs)]);
    });
  });

  describe("tf.nn.depthwiseConv2d", () => {
    const cases: { xs: number[]; fs: number[]; s: number; d: number; pad: "SAME" | "VALID" }[] = [
      { xs: [2, 6, 5, 3], fs: [3, 3, 3, 2], s: 1, d: 1, pad: "SAME" },
      { xs: [1, 7, 7, 2], fs: [3, 2, 2, 1], s: 2, d: 1, pad: "VALID" },
      { xs: [1, 8, 7, 2], fs: [2, 2, 2, 3], s: 1, d: 2, pad: "SAME" },
    ];
    cases.forEach((c, i) => {
      it(`matches the direct loop (stride ${c.s}, dilation ${c.d}, ${c.pad}), NHWC and NCHW`, () => {
        const x = randn(c.xs, 60 + i);
        const f = randn(c.fs, 70 + i);
        const want = refDepthwise(x, c.xs, f, c.fs, c.s, c.d, c.pad);
        assertAllClose(tf.nn.depthwiseConv2d(f64(x, c.xs), f64(f, c.fs), [1, c.s, c.s, 1], c.pad, { dilations: [c.d, c.d] }), want);
        const xc = toNCHW(x, c.xs);
        assertAllClose(
          tf.nn.depthwiseConv2d(f64(xc.values, xc.shape), f64(f, c.fs), [1, 1, c.s, c.s], c.pad, "NCHW", [1, 1, c.d, c.d]),
          toNCHW(want.values, want.shape),
        );
      });
    });
    it("gradients (DepthwiseConv2dNativeBackpropInput/Filter)", () => {
      checkGradient(
        (x, f) => tf.nn.depthwiseConv2d(x, f, [1, 2, 2, 1], "SAME"),
        [nest(randn([1, 5, 4, 2], 1), [1, 5, 4, 2]), nest(randn([3, 3, 2, 2], 2), [3, 3, 2, 2])],
      );
      checkGradient(
        (x, f) => tf.nn.depthwiseConv2d(x, f, 1, "VALID", "NCHW", 2),
        [nest(randn([2, 2, 5, 5], 3), [2, 2, 5, 5]), nest(randn([2, 2, 2, 1], 4), [2, 2, 2, 1])],
      );
    });
    it("rejects a channel mismatch", () => {
      assert.throws(
        () => tf.nn.depthwiseConv2d(tf.zeros([1, 4, 4, 3]), tf.zeros([2, 2, 2, 1]), 1, "SAME"),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /DepthwiseConv2dNative.*3 vs 2/.test(e.message),
      );
    });
  });

  describe("tf.nn.conv1d", () => {
    it("matches conv2d over a height-1 image (NWC, NCW, stride, dilation)", () => {
      const x = randn([2, 11, 3], 1);
      const f = randn([3, 3, 4], 2);
      const want = refConv2d(x, [2, 1, 11, 3], f, [1, 3, 3, 4], [1, 2], [1, 1], "SAME");
      const y = tf.nn.conv1d(f64(x, [2, 11, 3]), f64(f, [3, 3, 4]), 2, "SAME");
      assertAllClose(y, { values: want.values, shape: [2, 6, 4] });
      const wantD = refConv2d(x, [2, 1, 11, 3], f, [1, 3, 3, 4], [1, 1], [1, 2], "VALID");
      assertAllClose(tf.nn.conv1d(f64(x, [2, 11, 3]), f64(f, [3, 3, 4]), { stride: 1, padding: "VALID", dilations: 2 }), {
        values: wantD.values,
        shape: [2, 7, 4],
      });
      const xc = toNCHW(x, [2, 11, 3]);
      const yc = tf.nn.conv1d(f64(xc.values, xc.shape), f64(f, [3, 3, 4]), 2, "SAME", "NCW");
      assertAllClose(yc, toNCHW(want.values, [2, 6, 4]));
    });
    it("gradients, and graph shapes with an unknown batch", () => {
      checkGradient((x, f) => tf.nn.conv1d(x, f, 2, "SAME"), [nest(randn([2, 7, 2], 3), [2, 7, 2]), nest(randn([3, 2, 2], 4), [3, 2, 2])]);
      withGraph(new tf.Graph(), () => {
        const y = tf.nn.conv1d(tf.placeholder("float32", [null, 10, 3]), tf.zeros([4, 3, 5]), 1, "VALID");
        assert.deepEqual(y.shape, [null, 7, 5]);
      });
    });
  });

  // ---------------------------------------------------------------- pooling

  describe("tf.nn.maxPool / avgPool", () => {
    const cases: { xs: number[]; k: [number, number]; s: [number, number]; pad: "SAME" | "VALID" }[] = [
      { xs: [2, 6, 6, 3], k: [2, 2], s: [2, 2], pad: "VALID" },
      { xs: [1, 7, 5, 2], k: [3, 3], s: [2, 2], pad: "SAME" },
      { xs: [1, 6, 8, 1], k: [2, 3], s: [1, 2], pad: "SAME" },
      { xs: [2, 5, 5, 2], k: [3, 2], s: [1, 1], pad: "VALID" },
      { xs: [1, 4, 4, 2], k: [4, 4], s: [3, 3], pad: "SAME" },
    ];
    cases.forEach((c, i) => {
      it(`matches the direct loop: k=${c.k} s=${c.s} ${c.pad}, NHWC and NCHW`, () => {
        const x = randn(c.xs, 80 + i);
        for (const max of [true, false]) {
          const want = refPool(x, c.xs, c.k, c.s, c.pad, max);
          const op = max ? tf.nn.maxPool : tf.nn.avgPool;
          assertAllClose(op(f64(x, c.xs), c.k, c.s, c.pad), want);
          assertAllClose(op(f32(x, c.xs), { ksize: [1, ...c.k, 1], strides: [1, ...c.s, 1], padding: c.pad }), want, 1e-6);
          const xc = toNCHW(x, c.xs);
          assertAllClose(op(f64(xc.values, xc.shape), [1, 1, ...c.k], [1, 1, ...c.s], c.pad, "NCHW"), toNCHW(want.values, want.shape));
        }
      });
    });

    it("max pool of int32 values", () => {
      const y = tf.nn.maxPool(tf.constant([1, 5, 2, 3, 4, 8, 7, 6], { dtype: "int32", shape: [1, 2, 4, 1] }), 2, 2, "VALID");
      assert.equal(y.dtype, "int32");
      assert.deepEqual(data(y), [8, 7]);
    });

    it("gradients (MaxPoolGrad, AvgPoolGrad) in both modes", () => {
      checkGradient((x) => tf.nn.maxPool(x, 3, 2, "SAME"), [nest(randn([1, 5, 6, 2], 1), [1, 5, 6, 2])]);
      checkGradient((x) => tf.nn.maxPool(x, [2, 2], [1, 1], "VALID", "NCHW"), [nest(randn([2, 2, 4, 3], 2), [2, 2, 4, 3])]);
      checkGradient((x) => tf.nn.avgPool(x, 3, 2, "SAME"), [nest(randn([2, 5, 6, 2], 3), [2, 5, 6, 2])]);
      checkGradient((x) => tf.nn.avgPool(x, [2, 3], [2, 1], "VALID", "NCHW"), [nest(randn([1, 2, 5, 5], 4), [1, 2, 5, 5])]);
    });

    it("max_pool2d with explicit paddings equals padding with -inf and a VALID pool; values and gradients, NHWC and NCHW", () => {
      const xs = [2, 7, 6, 3];
      const x = f64(randn(xs, 7), xs);
      const pads: [number, number][] = [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ];
      const got = tf.nn.maxPool2d(x, 3, 2, pads);
      const want = tf.nn.maxPool2d(tf.pad(x, pads, "CONSTANT", -1e300), 3, 2, "VALID");
      assert.deepEqual(got.shape, want.shape);
      assertAllClose(got, { values: data(want), shape: want.shape as number[] });
      const xc = tf.transpose(x, [0, 3, 1, 2]);
      const gotC = tf.nn.maxPool2d(
        xc,
        [1, 1, 3, 3],
        [1, 1, 2, 2],
        [
          [0, 0],
          [0, 0],
          [1, 2],
          [2, 0],
        ],
        "NCHW",
      );
      assert.deepEqual(data(tf.transpose(gotC, [0, 2, 3, 1])), data(got));
      checkGradient((t) => tf.nn.maxPool2d(t, 3, 2, pads), [nest(randn(xs, 8), xs)]);
      assert.throws(
        () =>
          tf.nn.maxPool2d(x, 2, 2, [
            [0, 0],
            [2, 0],
            [0, 0],
            [0, 0],
          ]),
        /explicit paddings must be smaller than the window/,
      );
      assert.throws(() => tf.nn.avgPool2d(x, 2, 2, pads), /explicit paddings are supported by 2-D max pooling only/);
    });

    it("max pool gradient goes to the first maximum of a tied window", () => {
      const x = tf.constant([1, 1, 1, 1], { dtype: "float64", shape: [1, 2, 2, 1] });
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x as tf.EagerTensor);
        return tf.nn.maxPool(x, 2, 2, "VALID");
      });
      assert.deepEqual(data(tape.gradient(y as tf.EagerTensor, x as tf.EagerTensor)!), [1, 0, 0, 0]);
    });

    it("second-order: gradients of MaxPoolGrad and AvgPoolGrad", () => {
      // d/d(dy) of the pooling gradients, via tf.gradients of tf.gradients.
      const xv = Float64Array.from({ length: 16 }, (_, i) => (i * 7) % 16);
      const feed = f64(xv, [1, 4, 4, 1]);
      const g = new tf.Graph();
      withGraph(g, () => {
        const x = tf.placeholder("float64", [1, 4, 4, 1]);
        for (const pool of [tf.nn.maxPool, tf.nn.avgPool]) {
          const y = pool(x, 2, 2, "VALID");
          const [dx] = tf.gradients(tf.reduceSum(tf.square(y)), [x]);
          const [ddx] = tf.gradients(tf.reduceSum(dx!), [x]);
          const sess = new tf.Session();
          const out = sess.run(ddx!, new Map([[x, feed]])) as tf.Tensor;
          assert.deepEqual(out.shape, [1, 4, 4, 1]);
          if (pool === tf.nn.avgPool) assertClose(data(out), new Array(16).fill(0.5));
          sess.close();
        }
      });
    });

    it("1-D and 3-D pools, and the N-D dispatch by rank", () => {
      const x1 = randn([2, 9, 3], 5);
      const want = refPool(x1, [2, 1, 9, 3], [1, 3], [1, 2], "SAME", true);
      assertAllClose(tf.nn.maxPool1d(f64(x1, [2, 9, 3]), 3, 2, "SAME"), { values: want.values, shape: [2, 5, 3] });
      assertAllClose(tf.nn.maxPool(f64(x1, [2, 9, 3]), 3, 2, "SAME"), { values: want.values, shape: [2, 5, 3] });
      const wantA = refPool(x1, [2, 1, 9, 3], [1, 2], [1, 2], "VALID", false);
      assertAllClose(tf.nn.avgPool1d(f64(x1, [2, 9, 3]), 2, 2, "VALID"), { values: wantA.values, shape: [2, 4, 3] });
      // 3-D: a depth-1 volume pools like the 2-D pool of its one slice
      const x3 = randn([1, 1, 6, 5, 2], 6);
      const w3 = refPool(x3, [1, 6, 5, 2], [2, 2], [2, 2], "SAME", true);
      assertAllClose(tf.nn.maxPool3d(f64(x3, [1, 1, 6, 5, 2]), [1, 2, 2], [1, 2, 2], "SAME"), { values: w3.values, shape: [1, 1, 3, 3, 2] });
      // full 3-D average pool against a direct loop
      const xs = [1, 4, 5, 3, 2];
      const v = randn(xs, 7);
      const y = tf.nn.avgPool3d(f64(v, xs), 2, 2, "SAME");
      assert.deepEqual(y.shape, [1, 2, 3, 2, 2]);
      const yv = data(y);
      for (let d = 0; d < 2; d++)
        for (let h = 0; h < 3; h++)
          for (let w = 0; w < 2; w++)
            for (let c = 0; c < 2; c++) {
              let s = 0;
              let n = 0;
              for (let a = 2 * d; a < Math.min(2 * d + 2, 4); a++)
                for (let b = 2 * h; b < Math.min(2 * h + 2, 5); b++)
                  for (let e = 2 * w; e < Math.min(2 * w + 2, 3); e++, n++) s += v[((a * 5 + b) * 3 + e) * 2 + c];
              assert.ok(Math.abs(yv[((d * 3 + h) * 2 + w) * 2 + c] - s / n) < 1e-12);
            }
      checkGradient((x) => tf.nn.maxPool3d(x, 2, 2, "SAME"), [nest(v, xs)]);
      checkGradient((x) => tf.nn.avgPool3d(x, [2, 2, 1], 1, "VALID", "NCDHW"), [nest(v, xs)]);
      checkGradient((x) => tf.nn.avgPool1d(x, 2, 1, "SAME"), [nest(x1, [2, 9, 3])]);
    });

    it("max_pool_with_argmax: TensorFlow's flattened index, int64, and its gradient", () => {
      const xs = [2, 4, 4, 3];
      const x = randn(xs, 11);
      const [y, arg] = tf.nn.maxPoolWithArgmax(f64(x, xs), 2, 2, "SAME");
      assert.equal(arg.dtype, "int64");
      assert.deepEqual(arg.shape, [2, 2, 2, 3]);
      assertAllClose(y, refPool(x, xs, [2, 2], [2, 2], "SAME", true));
      const av = Array.from(arg.dataSync() as BigInt64Array, Number);
      const yv = data(y);
      for (let i = 0; i < av.length; i++) {
        const b = Math.floor(i / 12);
        // without the batch term: (y * W + x) * C + c inside image b
        assert.equal(x[b * 48 + av[i]], yv[i]);
        assert.ok(av[i] < 48);
      }
      const [, argB] = tf.nn.maxPoolWithArgmax(f64(x, xs), 2, 2, "SAME", { includeBatchInIndex: true });
      const bv = Array.from(argB.dataSync() as BigInt64Array, Number);
      for (let i = 0; i < bv.length; i++) assert.equal(bv[i], av[i] + Math.floor(i / 12) * 48);
      checkGradient((t) => tf.nn.maxPoolWithArgmax(t, 2, 2, "SAME")[0], [nest(x, xs)]);
      // output_dtype int32: the same indices, typed as asked (the graph's static dtype said int32 before the kernel did).
      const [, arg32] = tf.nn.maxPoolWithArgmax(f64(x, xs), 2, 2, "SAME", { outputDtype: "int32" });
      assert.equal(arg32.dtype, "int32");
      assert.deepEqual(Array.from(arg32.dataSync() as Int32Array), av);
      checkGradient((t) => tf.nn.maxPoolWithArgmax(t, 2, 2, "SAME", { outputDtype: "int32" })[0], [nest(x, xs)]);
    });

    it("rejects bad pooling arguments", () => {
      const check = (fn: () => unknown, re: RegExp) =>
        assert.throws(fn, (e: Error) => e instanceof tf.errors.InvalidArgumentError && re.test(e.message), re.source);
      check(() => tf.nn.maxPool(tf.zeros([1, 3, 3, 1]), 4, 1, "VALID"), /MaxPool.*Negative dimension size.*\[1,3,3,1\]/);
      check(() => tf.nn.avgPool(tf.zeros([1, 3, 3, 1]), 2, 0, "VALID"), /AvgPool.*strides must be positive/);
      check(() => tf.nn.maxPool(tf.zeros([1, 3, 3, 1]), [2, 2, 2, 2], 1, "VALID"), /Pooling is not yet supported on the batch or depth/);
      check(() => tf.nn.maxPool2d(tf.zeros([1, 3, 3, 1]), 2, 1, "VALID", "HWCN"), /Invalid data format/);
      check(() => tf.nn.maxPool2d(tf.zeros([3, 3, 1]), 2, 1, "VALID"), /MaxPool.*input must be 4-dimensional/);
      check(() => tf.nn.maxPool(tf.zeros([3, 3]), 2, 1, "VALID"), /rank 3, 4 or 5/);
    });
  });

  // ---------------------------------------------------------------- bias, dropout, moments, batch norm

  describe("tf.nn.biasAdd", () => {
    it("adds along the channel axis (NHWC last, NCHW axis 1) and gives BiasAddGrad", () => {
      const x = randn([2, 3, 2, 4], 1);
      const b = randn([4], 2);
      const y = data(tf.nn.biasAdd(f64(x, [2, 3, 2, 4]), f64(b, [4])));
      y.forEach((v, i) => assert.ok(Math.abs(v - x[i] - b[i % 4]) < 1e-15));
      const bc = randn([3], 3);
      const yc = data(tf.nn.biasAdd(f64(x, [2, 3, 2, 4]), f64(bc, [3]), "NCHW"));
      yc.forEach((v, i) => assert.ok(Math.abs(v - x[i] - bc[Math.floor(i / 8) % 3]) < 1e-15));
      assert.deepEqual(
        data(
          tf.nn.biasAdd(
            tf.constant(
              [
                [1, 2],
                [3, 4],
              ],
              { dtype: "int32" },
            ),
            tf.constant([10, 20], { dtype: "int32" }),
          ),
        ),
        [11, 22, 13, 24],
      );
      checkGradient((t, bb) => tf.nn.biasAdd(t, bb), [nest(x, [2, 3, 2, 4]), nest(b, [4])]);
      checkGradient((t, bb) => tf.nn.biasAdd(t, bb, { dataFormat: "NCHW" }), [nest(x, [2, 3, 2, 4]), nest(bc, [3])]);
    });
    it("gradient of BiasAddGrad (second order)", () => {
      const xv = [1, 2, 3, 4, 5, 6];
      const feedX = f64(Float64Array.from(xv), [2, 3]);
      const feedB = f64(new Float64Array(3), [3]);
      const g = new tf.Graph();
      withGraph(g, () => {
        const x = tf.placeholder("float64", [2, 3]);
        const b = tf.placeholder("float64", [3]);
        const y = tf.nn.biasAdd(tf.square(x), b);
        const [db] = tf.gradients(tf.reduceSum(tf.multiply(y, y)), [b]);
        const [dx] = tf.gradients(tf.reduceSum(db!), [x]);
        const sess = new tf.Session();
        const out = sess.run(
          dx!,
          new Map([
            [x, feedX],
            [b, feedB],
          ]),
        ) as tf.Tensor;
        // db = sum_rows 2*y; d(sum db)/dx = 2 * 2x = 4x
        assertClose(
          data(out),
          xv.map((v) => 4 * v),
        );
        sess.close();
      });
    });
    it("rejects a bias of the wrong size", () => {
      assert.throws(
        () => tf.nn.biasAdd(tf.zeros([2, 3]), tf.zeros([2])),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /BiasAdd.*2 vs. 3/.test(e.message),
      );
    });
  });

  describe("tf.nn.dropout", () => {
    it("keeps about 1-rate of the values, scaled by 1/(1-rate); seeded runs repeat", () => {
      tf.random.setSeed(1234);
      const x = tf.ones([100, 100]);
      const y = data(tf.nn.dropout(x, 0.3, { seed: 7 }));
      const kept = y.filter((v) => v !== 0);
      assert.ok(Math.abs(kept.length / 10000 - 0.7) < 0.03, `kept ${kept.length}`);
      for (const v of kept) assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
      tf.random.setSeed(1234);
      assert.deepEqual(data(tf.nn.dropout(x, 0.3, { seed: 7 })), y);
    });
    it("rate 0 returns x; rate outside [0, 1) or an integer x is an error", () => {
      const x = tf.constant([1, 2, 3]);
      assert.equal(tf.nn.dropout(x, 0), x);
      assert.throws(() => tf.nn.dropout(x, 1), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.nn.dropout(x, -0.1), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.nn.dropout(tf.constant([1, 2], { dtype: "int32" }), 0.5), tf.errors.InvalidArgumentError);
    });
    it("noise_shape drops whole rows; a tensor rate works; graph mode keeps the shape", () => {
      const y = data(tf.nn.dropout(tf.ones([50, 8]), 0.5, [50, 1], 3));
      for (let r = 0; r < 50; r++) {
        const row = y.slice(r * 8, r * 8 + 8);
        assert.ok(row.every((v) => v === row[0]) && (row[0] === 0 || row[0] === 2));
      }
      const z = data(tf.nn.dropout(tf.ones([1000]), tf.constant(0.25)));
      for (const v of z) assert.ok(v === 0 || Math.abs(v - 4 / 3) < 1e-6);
      const ones = tf.ones([3, 10]) as tf.EagerTensor;
      withGraph(new tf.Graph(), () => {
        const p = tf.placeholder("float32", [null, 10]);
        const d = tf.nn.dropout(p, 0.5, { seed: 1 });
        assert.deepEqual(d.shape, [null, 10]);
        const sess = new tf.Session();
        const out = sess.run(d, new Map([[p, ones]])) as tf.Tensor;
        assert.deepEqual(out.shape, [3, 10]);
        sess.close();
      });
    });
    it("TensorFlow 1's form (compat.v1.nn.dropout, dropoutV1 in src/ops/norm.ts) takes keep_prob", () => {
      const y = data(dropoutV1(tf.ones([2000]), 0.8, { seed: 5 }));
      const kept = y.filter((v) => v !== 0);
      assert.ok(Math.abs(kept.length / 2000 - 0.8) < 0.04, `kept ${kept.length}`);
      for (const v of kept) assert.ok(Math.abs(v - 1.25) < 1e-6);
      const x = tf.ones([3]);
      assert.equal(dropoutV1(x, 1), x);
      const z = data(dropoutV1(tf.ones([500]), tf.constant(0.5)));
      for (const v of z) assert.ok(v === 0 || v === 2);
      assert.throws(() => dropoutV1(x, 0), tf.errors.InvalidArgumentError);
      assert.throws(() => dropoutV1(x, 0.5, { rate: 0.5 }), tf.errors.InvalidArgumentError);
    });
    it("gradient flows through the kept values only", () => {
      const x = tf.constant(randn([200], 1), { dtype: "float64" }) as tf.EagerTensor;
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x);
        return tf.nn.dropout(x, 0.5, { seed: 3 });
      }) as tf.EagerTensor;
      const g = data(tape.gradient(y, x)!);
      const yv = data(y);
      g.forEach((v, i) => assert.equal(v, yv[i] === 0 ? 0 : 2));
    });
  });

  describe("tf.nn.moments / batchNormalization / l2Normalize", () => {
    it("moments: mean and (biased) variance over axes, keepdims", () => {
      const xs = [3, 4, 5];
      const x = randn(xs, 1);
      const [m, v] = tf.nn.moments(f64(x, xs), [0, 2]);
      assert.deepEqual(m.shape, [4]);
      assert.deepEqual(v.shape, [4]);
      for (let j = 0; j < 4; j++) {
        const vals: number[] = [];
        for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) vals.push(x[(i * 4 + j) * 5 + k]);
        const mean = vals.reduce((p, q) => p + q, 0) / vals.length;
        const variance = vals.reduce((p, q) => p + (q - mean) ** 2, 0) / vals.length;
        assert.ok(Math.abs(data(m)[j] - mean) < 1e-12);
        assert.ok(Math.abs(data(v)[j] - variance) < 1e-12);
      }
      const [mk, vk] = tf.nn.moments(f64(x, xs), [0, 2], { keepdims: true });
      assert.deepEqual(mk.shape, [1, 4, 1]);
      assert.deepEqual(vk.shape, [1, 4, 1]);
      checkGradient((t) => tf.nn.moments(t, [0, 2])[0], [nest(x, xs)]);
      checkGradient((t) => tf.nn.moments(t, [1])[1], [nest(x, xs)]);
      withGraph(new tf.Graph(), () => {
        const [gm, gv] = tf.nn.moments(tf.placeholder("float32", [null, 4, 5]), [0, 1]);
        assert.deepEqual(gm.shape, [5]);
        assert.deepEqual(gv.shape, [5]);
      });
    });

    it("batch_normalization: (x - mean) * scale / sqrt(var + eps) + offset, with gradients", () => {
      const x = randn([4, 3], 1);
      const mean = randn([3], 2);
      const variance = Float64Array.from(randn([3], 3), (v) => v * v + 0.5);
      const offset = randn([3], 4);
      const scale = randn([3], 5);
      const y = data(tf.nn.batchNormalization(f64(x, [4, 3]), f64(mean, [3]), f64(variance, [3]), f64(offset, [3]), f64(scale, [3]), 1e-3));
      y.forEach((v, i) => {
        const c = i % 3;
        assert.ok(Math.abs(v - (((x[i] - mean[c]) * scale[c]) / Math.sqrt(variance[c] + 1e-3) + offset[c])) < 1e-12);
      });
      const yn = data(tf.nn.batchNormalization(f64(x, [4, 3]), f64(mean, [3]), f64(variance, [3]), null, null, 1e-3));
      yn.forEach((v, i) => assert.ok(Math.abs(v - (x[i] - mean[i % 3]) / Math.sqrt(variance[i % 3] + 1e-3)) < 1e-12));
      checkGradient(
        (a, m, vv, o, s) => tf.nn.batchNormalization(a, m, vv, o, s, 1e-3),
        [nest(x, [4, 3]), nest(mean, [3]), nest(variance, [3]), nest(offset, [3]), nest(scale, [3])],
      );
    });

    it("l2_normalize along an axis and over everything", () => {
      const x = randn([3, 4], 1);
      const y = data(tf.nn.l2Normalize(f64(x, [3, 4]), 1));
      for (let r = 0; r < 3; r++) {
        const n = Math.sqrt(x.slice(r * 4, r * 4 + 4).reduce((p, v) => p + v * v, 0));
        for (let c = 0; c < 4; c++) assert.ok(Math.abs(y[r * 4 + c] - x[r * 4 + c] / n) < 1e-12);
      }
      const all = data(tf.nn.l2Normalize(f64(x, [3, 4])));
      assert.ok(Math.abs(all.reduce((p, v) => p + v * v, 0) - 1) < 1e-12);
      assert.deepEqual(data(tf.nn.l2Normalize(tf.zeros([2]))), [0, 0]);
      checkGradient((t) => tf.nn.l2Normalize(t, 0), [nest(x, [3, 4])]);
    });
  });

  describe("tf.nn.fusedBatchNorm (FusedBatchNormV3)", () => {
    const xs = [2, 3, 2, 3];
    const x = randn(xs, 1);
    const scale = randn([3], 2);
    const offset = randn([3], 3);

    it("training: normalizes by batch statistics; batch_var is the unbiased variance", () => {
      const [y, bm, bv] = tf.nn.fusedBatchNorm(f64(x, xs), f64(scale, [3]), f64(offset, [3]), { epsilon: 1e-3 });
      const [m, v] = tf.nn.moments(f64(x, xs), [0, 1, 2]);
      assertClose(data(bm), data(m), 1e-12);
      assertClose(
        data(bv),
        data(v).map((q) => (q * 12) / 11),
        1e-12,
      );
      const want = data(tf.nn.batchNormalization(f64(x, xs), m, v, f64(offset, [3]), f64(scale, [3]), 1e-3));
      assertClose(data(y), want, 1e-12);
      assert.equal(bm.dtype, "float64");
    });

    it("inference uses the given statistics; NCHW matches NHWC", () => {
      const mean = randn([3], 4);
      const variance = Float64Array.from(randn([3], 5), (q) => q * q + 0.1);
      const [y, bm, bv] = tf.nn.fusedBatchNorm(f64(x, xs), f64(scale, [3]), f64(offset, [3]), f64(mean, [3]), f64(variance, [3]), 1e-3, "NHWC", false);
      assertClose(data(y), data(tf.nn.batchNormalization(f64(x, xs), f64(mean, [3]), f64(variance, [3]), f64(offset, [3]), f64(scale, [3]), 1e-3)), 1e-12);
      assertClose(data(bm), Array.from(mean));
      assertClose(data(bv), Array.from(variance));
      const xc = toNCHW(x, xs);
      const [yc] = tf.nn.fusedBatchNorm(f64(xc.values, xc.shape), f64(scale, [3]), f64(offset, [3]), { dataFormat: "NCHW", epsilon: 1e-3 });
      const [yl] = tf.nn.fusedBatchNorm(f64(x, xs), f64(scale, [3]), f64(offset, [3]), { epsilon: 1e-3 });
      assertClose(data(yc), Array.from(toNCHW(Float64Array.from(data(yl)), xs).values), 1e-12);
      assert.throws(() => tf.nn.fusedBatchNorm(f64(x, xs), f64(scale, [3]), f64(offset, [3]), { isTraining: false }), tf.errors.InvalidArgumentError);
      assert.throws(
        () => tf.nn.fusedBatchNorm(f64(x, xs), f64(scale.slice(0, 2), [2]), f64(offset, [3])),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /scale must be a vector of size 3/.test(e.message),
      );
    });

    it("exponential_avg_factor blends the running statistics", () => {
      const [, bm, bv] = tf.nn.fusedBatchNorm(
        f64(x, xs),
        f64(scale, [3]),
        f64(offset, [3]),
        f64(new Float64Array([1, 1, 1]), [3]),
        f64(new Float64Array([2, 2, 2]), [3]),
        { exponentialAvgFactor: 0.25 },
      );
      const [m, v] = tf.nn.moments(f64(x, xs), [0, 1, 2]);
      assertClose(
        data(bm),
        data(m).map((q) => 0.75 + 0.25 * q),
        1e-12,
      );
      assertClose(
        data(bv),
        data(v).map((q) => 1.5 + (0.25 * q * 12) / 11),
        1e-12,
      );
    });

    it("reserve spaces: the batch mean and biased variance (training) or the given statistics (inference), what FusedBatchNormGradV3 reads", () => {
      // Every backend's kernels agree on them, so that a forward on one device and its gradient on another agree.
      const bn = (training: boolean, mean: tf.Tensor, variance: tf.Tensor) =>
        execute("FusedBatchNormV3", [f64(x, xs), f64(scale, [3]), f64(offset, [3]), mean, variance], {
          epsilon: 1e-3,
          data_format: "NHWC",
          is_training: training,
        });
      const empty = f64(new Float64Array(0), [0]);
      const t = bn(true, empty, empty);
      const [m, v] = tf.nn.moments(f64(x, xs), [0, 1, 2]);
      assertClose(data(t[3]), data(m), 1e-12);
      assertClose(data(t[4]), data(v), 1e-12);
      assertClose(
        data(t[2]),
        data(v).map((q) => (q * 12) / 11),
        1e-12,
      );
      assert.deepEqual([t[5].shape, t[5].dtype], [[0], "float64"]);
      const mean = randn([3], 4);
      const variance = Float64Array.from(randn([3], 5), (q) => q * q + 0.1);
      const inf = bn(false, f64(mean, [3]), f64(variance, [3]));
      assertClose(data(inf[3]), Array.from(mean));
      assertClose(data(inf[4]), Array.from(variance));
      // The gradient op from the training reserves: dscale = sum dy (x - mean) / sqrt(var + eps), doffset = sum dy,
      // dx = scale / sqrt(var + eps) (dy - mean(dy) - xhat mean(dy xhat)).
      const dy = randn(xs, 6);
      const [dx, dscale, doffset, r4, r5] = execute("FusedBatchNormGradV3", [f64(dy, xs), f64(x, xs), f64(scale, [3]), t[3], t[4], t[5]], {
        epsilon: 1e-3,
        data_format: "NHWC",
        is_training: true,
      });
      const mv = data(t[3]);
      const vv = data(t[4]);
      const inv = vv.map((q) => 1 / Math.sqrt(q + 1e-3));
      const sumDy = [0, 1, 2].map((c) => dy.reduce((s, g, i) => (i % 3 === c ? s + g : s), 0));
      const sumDyXhat = [0, 1, 2].map((c) => dy.reduce((s, g, i) => (i % 3 === c ? s + g * (x[i] - mv[c]) * inv[c] : s), 0));
      assertClose(data(doffset), sumDy, 1e-12);
      assertClose(data(dscale), sumDyXhat, 1e-12);
      assertClose(
        data(dx),
        Array.from(dy, (g, i) => scale[i % 3] * inv[i % 3] * (g - sumDy[i % 3] / 12 - (x[i] - mv[i % 3]) * inv[i % 3] * (sumDyXhat[i % 3] / 12))),
        1e-12,
      );
      assert.deepEqual([r4.shape, r5.shape], [[0], [0]]);
    });

    it("channels last with 1, 32 (generated loops) and 33, 40 channels (per-channel loops): values by the formulas in float64 and float32, gradients against finite differences", () => {
      for (const C of [1, 32, 33, 40]) {
        const shape = [2, 2, 3, C];
        const rows = 12;
        const xv = randn(shape, C);
        const sc = randn([C], C + 2);
        const of = randn([C], C + 3);
        const col = (c: number) => Array.from({ length: rows }, (_, r) => xv[r * C + c]);
        const mean = Array.from({ length: C }, (_, c) => col(c).reduce((a, q) => a + q, 0) / rows);
        const vari = Array.from({ length: C }, (_, c) => col(c).reduce((a, q) => a + (q - mean[c]) ** 2, 0) / rows);
        const want = Array.from(xv, (q, i) => ((q - mean[i % C]) / Math.sqrt(vari[i % C] + 1e-3)) * sc[i % C] + of[i % C]);
        for (const dtype of ["float64", "float32"] as const) {
          const t = (v: Float64Array, sh: number[]) => tf.constant(dtype === "float64" ? v : Float32Array.from(v), { dtype, shape: sh });
          const [y, bm, bv] = tf.nn.fusedBatchNorm(t(xv, shape), t(sc, [C]), t(of, [C]), { epsilon: 1e-3 });
          const tol = dtype === "float64" ? 1e-10 : 2e-5;
          assertClose(data(y), want, tol, `${C} channels ${dtype}`);
          assertClose(data(bm), mean, tol);
          assertClose(
            data(bv),
            vari.map((q) => (q * rows) / (rows - 1)),
            tol,
          );
        }
        checkGradient((a, s, o) => tf.nn.fusedBatchNorm(a, s, o, { epsilon: 1e-3 })[0], [nest(xv, shape), nest(sc, [C]), nest(of, [C])]);
      }
    });

    it("gradients (FusedBatchNormGradV3), training and inference, NHWC and NCHW", () => {
      checkGradient((a, s, o) => tf.nn.fusedBatchNorm(a, s, o, { epsilon: 1e-3 })[0], [nest(x, xs), nest(scale, [3]), nest(offset, [3])]);
      const xc = toNCHW(x, xs);
      checkGradient(
        (a, s, o) => tf.nn.fusedBatchNorm(a, s, o, { epsilon: 1e-3, dataFormat: "NCHW" })[0],
        [nest(xc.values, xc.shape), nest(scale, [3]), nest(offset, [3])],
      );
      const mean = randn([3], 4);
      const variance = Float64Array.from(randn([3], 5), (q) => q * q + 0.1);
      checkGradient(
        (a, s, o, m, v) => tf.nn.fusedBatchNorm(a, s, o, m, v, { epsilon: 1e-3, isTraining: false })[0],
        [nest(x, xs), nest(scale, [3]), nest(offset, [3]), nest(mean, [3]), nest(variance, [3])],
        { wrt: [0, 1, 2] },
      );
    });
  });

  describe("tf.nn.localResponseNormalization", () => {
    it("matches the direct formula and has a gradient (LRNGrad)", () => {
      const xs = [2, 2, 3, 7];
      const x = randn(xs, 1);
      const [r, bias, alpha, beta] = [2, 1.5, 0.3, 0.75];
      const y = data(tf.nn.localResponseNormalization(f64(x, xs), r, bias, alpha, beta));
      for (let p = 0; p < 12; p++)
        for (let d = 0; d < 7; d++) {
          let s = 0;
          for (let j = Math.max(0, d - r); j <= Math.min(6, d + r); j++) s += x[p * 7 + j] ** 2;
          assert.ok(Math.abs(y[p * 7 + d] - x[p * 7 + d] / (bias + alpha * s) ** beta) < 1e-12);
        }
      checkGradient((t) => tf.nn.lrn(t, { depthRadius: r, bias, alpha, beta }), [nest(x, xs)]);
      checkGradient((t) => tf.nn.lrn(t), [nest(x, xs)]);
    });
  });

  // ---------------------------------------------------------------- resizing

  describe("tf.image.resizeBilinear / resizeNearestNeighbor", () => {
    const img = tf.constant([1, 2, 3, 4], { shape: [1, 2, 2, 1] });
    it("bilinear: legacy, align_corners and half_pixel_centers coordinates", () => {
      assert.deepEqual(data(tf.image.resizeBilinear(img, [4, 4])), [1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4]);
      assert.deepEqual(data(tf.image.resizeBilinear(img, [3, 3], true)), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
      assert.deepEqual(
        data(tf.image.resizeBilinear(img, [4, 4], { halfPixelCenters: true })),
        [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4],
      );
      const y = tf.image.resizeBilinear(tf.constant([1, 2, 3, 4], { dtype: "int32", shape: [1, 2, 2, 1] }), [1, 1]);
      assert.equal(y.dtype, "float32");
      assert.deepEqual(data(y), [1]);
      // a single [h, w, c] image
      assert.deepEqual(tf.image.resizeBilinear(tf.zeros([5, 4, 3]), [2, 7]).shape, [2, 7, 3]);
    });
    it("nearest: legacy, align_corners and half_pixel_centers picks", () => {
      assert.deepEqual(data(tf.image.resizeNearestNeighbor(img, [4, 4])), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
      assert.deepEqual(data(tf.image.resizeNearestNeighbor(img, [3, 3], true)), [1, 2, 2, 3, 4, 4, 3, 4, 4]);
      assert.deepEqual(data(tf.image.resizeNearestNeighbor(img, [3, 3], { halfPixelCenters: true })), [1, 2, 2, 3, 4, 4, 3, 4, 4]);
      const x = tf.constant(
        Float32Array.from({ length: 16 }, (_, i) => i),
        { shape: [1, 4, 4, 1] },
      );
      assert.deepEqual(data(tf.image.resizeNearestNeighbor(x, [2, 2])), [0, 2, 8, 10]);
      assert.deepEqual(data(tf.image.resizeNearestNeighbor(x, [2, 2], { halfPixelCenters: true })), [5, 7, 13, 15]);
      const u = tf.image.resizeNearestNeighbor(tf.constant([1, 2, 3, 4], { dtype: "uint8", shape: [1, 2, 2, 1] }), [1, 1]);
      assert.equal(u.dtype, "uint8");
    });
    it("gradients: bilinear (float32 output, checked with a large step since it is linear) and nearest", () => {
      for (const opts of [{}, { alignCorners: true }, { halfPixelCenters: true }]) {
        checkGradient((t) => tf.image.resizeBilinear(t, [5, 3], opts), [nest(randn([2, 3, 4, 2], 1), [2, 3, 4, 2])], { eps: 0.25, tol: 1e-4 });
        checkGradient((t) => tf.image.resizeNearestNeighbor(t, [5, 7], opts), [nest(randn([1, 3, 4, 2], 2), [1, 3, 4, 2])]);
        checkGradient((t) => tf.image.resizeNearestNeighbor(t, [2, 3], opts), [nest(randn([1, 5, 5, 1], 3), [1, 5, 5, 1])]);
      }
    });
    it("rejects bad sizes and flags", () => {
      assert.throws(() => tf.image.resizeBilinear(img, [0, 2]), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.image.resizeBilinear(img, [2, 2], { alignCorners: true, halfPixelCenters: true }), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.image.resizeNearestNeighbor(img, [2, 2, 2]), tf.errors.InvalidArgumentError);
    });
  });
});

// ---------------------------------------------------------------- CPU kernel paths, called directly

type F = typeof Float32Array | typeof Float64Array;
const dtypeOf = (A: F) => (A === Float32Array ? "float32" : "float64") as "float32" | "float64";
const kt = (A: F, shape: number[], v: ArrayLike<number>): CpuTensor => ({ dtype: dtypeOf(A), shape, values: A.from(v) });
const shapeT = (s: number[]): CpuTensor => ({ dtype: "int32", shape: [s.length], values: Int32Array.from(s) });
const ENV = {} as never;

function closeArrays(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

describe("CPU Conv2D: the shifted-plane implicit GEMM equals im2col", () => {
  const cases: { xs: number[]; fs: number[]; d: [number, number]; pad: string; ep?: number[] }[] = [
    { xs: [3, 9, 8, 1], fs: [5, 5, 1, 6], d: [1, 1], pad: "SAME" }, // LeNet conv1 shape family: one channel, padded
    { xs: [4, 8, 8, 6], fs: [5, 5, 6, 4], d: [1, 1], pad: "VALID" }, // conv2 family: no padding
    { xs: [2, 7, 6, 3], fs: [3, 3, 3, 5], d: [1, 1], pad: "SAME" },
    { xs: [2, 6, 7, 2], fs: [2, 2, 2, 3], d: [1, 1], pad: "SAME" }, // odd total padding (extra after)
    { xs: [2, 9, 10, 2], fs: [3, 2, 2, 3], d: [2, 3], pad: "SAME" }, // dilations
    { xs: [1, 9, 10, 1], fs: [3, 2, 1, 2], d: [2, 3], pad: "VALID" },
    { xs: [2, 5, 6, 2], fs: [3, 3, 2, 2], d: [1, 1], pad: "EXPLICIT", ep: [0, 0, 1, 2, 0, 3, 0, 0] },
    { xs: [1, 4, 9, 3], fs: [4, 1, 3, 2], d: [1, 1], pad: "VALID" }, // one-column kernel
    { xs: [2, 3, 3, 4], fs: [3, 3, 4, 2], d: [1, 1], pad: "VALID" }, // a single output position per image
    { xs: [3, 6, 6, 1], fs: [2, 2, 1, 1], d: [1, 1], pad: "VALID" }, // one channel, no padding: x is the grid
  ];
  const run = (alg: "im2col" | "implicit", A: F, c: (typeof cases)[number], x: Float64Array, f: Float64Array, dy: Float64Array | null) => {
    const prev = setConvAlgorithm(alg);
    try {
      const attrs = { strides: [1, 1, 1, 1], padding: c.pad, dilations: [1, ...c.d, 1], data_format: "NHWC", ...(c.ep ? { explicit_paddings: c.ep } : {}) };
      const y = convKernels.Conv2D!([kt(A, c.xs, x), kt(A, c.fs, f)], attrs, ENV)[0];
      if (dy === null) return { y, dx: null, df: null };
      const dyT = kt(A, y.shape as number[], dy);
      const dx = convKernels.Conv2DBackpropInput!([shapeT(c.xs), kt(A, c.fs, f), dyT], attrs, ENV)[0];
      const df = convKernels.Conv2DBackpropFilter!([kt(A, c.xs, x), shapeT(c.fs), dyT], attrs, ENV)[0];
      return { y, dx, df };
    } finally {
      setConvAlgorithm(prev);
    }
  };
  for (const A of [Float64Array, Float32Array] as F[]) {
    const tol = A === Float32Array ? 2e-5 : 1e-12;
    cases.forEach((c, ci) => {
      it(`${dtypeOf(A)} ${JSON.stringify(c.xs)} * ${JSON.stringify(c.fs)} ${c.pad} dilation ${c.d}: forward, input and filter gradients`, () => {
        const x = randn(c.xs, 300 + ci);
        const f = randn(c.fs, 400 + ci);
        const y0 = run("im2col", A, c, x, f, null).y;
        const dy = randn(y0.shape as number[], 500 + ci);
        const ref = run("im2col", A, c, x, f, dy);
        const chunk = convTuning.implicitChunk;
        for (const ch of [chunk, 7, 1]) {
          // small chunks split the grid into many pieces (and pieces shorter than one row)
          convTuning.implicitChunk = ch;
          try {
            const got = run("implicit", A, c, x, f, dy);
            assert.deepEqual(got.y.shape, ref.y.shape);
            closeArrays(got.y.values as Float64Array, ref.y.values as Float64Array, tol, `y (chunk ${ch})`);
            closeArrays(got.dx!.values as Float64Array, ref.dx!.values as Float64Array, tol, `dx (chunk ${ch})`);
            closeArrays(got.df!.values as Float64Array, ref.df!.values as Float64Array, tol, `df (chunk ${ch})`);
          } finally {
            convTuning.implicitChunk = chunk;
          }
        }
        if (c.pad !== "EXPLICIT") {
          const want = refConv2d(x, c.xs, f, c.fs, [1, 1], c.d, c.pad as "SAME" | "VALID");
          closeArrays(
            run("implicit", A, c, x, f, null).y.values as Float64Array,
            A === Float32Array ? Float32Array.from(want.values) : want.values,
            tol * 5,
            "y vs direct loop",
          );
        }
      });
    });
  }

  it("repeated calls reuse scratch buffers without leaking stale values (padding stays zero)", () => {
    const c = cases[0];
    const x = randn(c.xs, 1);
    const f = randn(c.fs, 2);
    const big = { ...c, xs: [3, 12, 11, 1] };
    const first = run("implicit", Float32Array, c, x, f, null).y.values;
    run(
      "implicit",
      Float32Array,
      big,
      randn(big.xs, 3).map((v) => v + 100),
      f,
      randn([3, 12, 11, 6], 4),
    );
    const again = run("implicit", Float32Array, c, x, f, null).y.values;
    assert.deepEqual(Array.from(again as Float32Array), Array.from(first as Float32Array));
  });

  it("auto mode (the default) gives the same numbers as both algorithms, strided convolutions included", () => {
    for (const [xs, fs, s] of [
      [[2, 8, 8, 3], [3, 3, 3, 4], 1],
      [[2, 9, 9, 2], [3, 3, 2, 3], 2],
    ] as [number[], number[], number][]) {
      const x = randn(xs, 7);
      const f = randn(fs, 8);
      const want = refConv2d(x, xs, f, fs, [s, s], [1, 1], "SAME");
      assertAllClose(tf.nn.conv2d(f64(x, xs), f64(f, fs), s, "SAME"), want);
    }
  });

  it("without a BLAS (TSFLOW_BLAS=none) the implicit path runs on the TypeScript fallbacks", () => {
    // Run from the TypeScript sources (tsx) or, compiled for the GPU machine (no tsx there), from the .js files.
    const ts = import.meta.url.endsWith(".ts");
    const root = fileURLToPath(new URL("..", import.meta.url));
    const url = (p: string) => JSON.stringify(pathToFileURL(`${root}src/${p}`).href);
    const code = `
      const conv = await import(${url(`backends/cpu/kernels/conv.${ts ? "ts" : "js"}`)});
      const mk = (shape, seed) => ({ dtype: "float32", shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + seed)) });
      const sh = (s) => ({ dtype: "int32", shape: [s.length], values: Int32Array.from(s) });
      const attrs = { strides: [1, 1, 1, 1], padding: "SAME", data_format: "NHWC" };
      const x = mk([2, 20, 20, 3], 1), f = mk([3, 3, 3, 4], 2), dy = mk([2, 20, 20, 4], 3);
      const runAll = (alg) => { conv.setConvAlgorithm(alg); return [conv.convKernels.Conv2D([x, f], attrs, {})[0], conv.convKernels.Conv2DBackpropInput([sh([2, 20, 20, 3]), f, dy], attrs, {})[0], conv.convKernels.Conv2DBackpropFilter([x, sh([3, 3, 3, 4]), dy], attrs, {})[0]]; };
      const a = runAll("im2col"), b = runAll("implicit");
      let err = 0;
      for (let k = 0; k < 3; k++) for (let i = 0; i < a[k].values.length; i++) err = Math.max(err, Math.abs(a[k].values[i] - b[k].values[i]) / (1 + Math.abs(a[k].values[i])));
      process.stdout.write(JSON.stringify({ err }));
    `;
    const r = spawnSync(process.execPath, [...(ts ? ["--import", "tsx"] : []), "--input-type=module", "-e", code], {
      cwd: root,
      env: { ...process.env, TSFLOW_BLAS: "none" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).err < 1e-5, r.stdout);
  });
});

describe("CPU pooling: the 2x2 stride-2 fast path", () => {
  const pool = { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], data_format: "NHWC" };
  /** First-maximum argmax scatter of a 2x2/2 pool, computed directly. */
  function refMaxGrad(x: ArrayLike<number>, xs: number[], dy: ArrayLike<number>): Float64Array {
    const [N, H, W, C] = xs;
    const oh = Math.floor(H / 2),
      ow = Math.floor(W / 2);
    const dx = new Float64Array(x.length);
    for (let b = 0; b < N; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let c = 0; c < C; c++) {
            let best = -Infinity,
              at = -1;
            for (let di = 0; di < 2; di++)
              for (let dj = 0; dj < 2; dj++) {
                const idx = ((b * H + 2 * i + di) * W + 2 * j + dj) * C + c;
                if (at < 0 || x[idx] > best) {
                  best = x[idx];
                  at = idx;
                }
              }
            dx[at] += dy[((b * oh + i) * ow + j) * C + c];
          }
    return dx;
  }
  for (const [xs, pad] of [
    [[2, 6, 8, 3], "VALID"],
    [[1, 7, 9, 2], "VALID"],
    [[2, 4, 6, 5], "SAME"],
    [[3, 2, 2, 1], "VALID"],
  ] as [number[], string][]) {
    it(`${JSON.stringify(xs)} ${pad}: MaxPool, MaxPoolGrad, AvgPool, AvgPoolGrad match the direct loops (float32/float64)`, () => {
      // Quantized values make ties common, so the first-maximum rule is exercised.
      const x0 = randn(xs, 21).map((v) => Math.round(v * 3) / 3);
      const attrs = { ...pool, padding: pad };
      for (const A of [Float32Array, Float64Array] as F[]) {
        const x = Float64Array.from(A.from(x0));
        const wantY = refPool(x, xs, [2, 2], [2, 2], pad as "SAME" | "VALID", true);
        const wantA = refPool(x, xs, [2, 2], [2, 2], pad as "SAME" | "VALID", false);
        const dy = Float64Array.from(A.from(randn(wantY.shape, 22)));
        const y = poolKernels.MaxPool!([kt(A, xs, x)], attrs, ENV)[0];
        assert.deepEqual(y.shape, wantY.shape);
        closeArrays(y.values as Float64Array, A.from(wantY.values), 0, "MaxPool");
        const a = poolKernels.AvgPool!([kt(A, xs, x)], attrs, ENV)[0];
        closeArrays(a.values as Float64Array, A.from(wantA.values), 0, "AvgPool");
        const wantDx = A.from(refMaxGrad(A.from(x), xs, A.from(dy)));
        // with the real pool output, and with an inconsistent one (falls back to comparisons)
        for (const yArg of [y, kt(A, wantY.shape, new Float64Array(dy.length).fill(1e9))]) {
          const dx = poolKernels.MaxPoolGrad!([kt(A, xs, x), yArg, kt(A, wantY.shape, dy)], attrs, ENV)[0];
          closeArrays(dx.values as Float64Array, wantDx, 0, "MaxPoolGrad");
        }
        const dxa = poolKernels.AvgPoolGrad!([shapeT(xs), kt(A, wantY.shape, dy)], attrs, ENV)[0];
        const wantDa = new Float64Array(x.length);
        const [N, H, W, C] = xs;
        const [, oh, ow] = wantY.shape;
        for (let b = 0; b < N; b++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++)
              for (let c = 0; c < C; c++)
                for (let di = 0; di < 2; di++)
                  for (let dj = 0; dj < 2; dj++) wantDa[((b * H + 2 * i + di) * W + 2 * j + dj) * C + c] = A.from([dy[((b * oh + i) * ow + j) * C + c] / 4])[0];
        closeArrays(dxa.values as Float64Array, wantDa, A === Float32Array ? 1e-7 : 1e-15, "AvgPoolGrad");
      }
    });
  }

  it("NCHW, int32 and 3-D (depth window 1) take the same path with the same results", () => {
    const xs = [2, 6, 4, 3];
    const x = randn(xs, 5);
    const want = refPool(x, xs, [2, 2], [2, 2], "VALID", true);
    const xc = toNCHW(x, xs);
    assertAllClose(tf.nn.maxPool(f64(xc.values, xc.shape), [1, 1, 2, 2], [1, 1, 2, 2], "VALID", "NCHW"), toNCHW(want.values, want.shape));
    const xi = x.map((v) => Math.round(v * 10));
    const yi = tf.nn.maxPool(tf.constant(Int32Array.from(xi), { shape: xs, dtype: "int32" }), 2, 2, "VALID");
    assert.deepEqual(data(yi), Array.from(refPool(xi, xs, [2, 2], [2, 2], "VALID", true).values));
    const y3 = tf.nn.maxPool3d(f64(x, [2, 1, 6, 4, 3]), [1, 2, 2], [1, 2, 2], "VALID");
    assert.deepEqual(data(y3), Array.from(want.values));
    checkGradient((t) => tf.nn.maxPool(t, 2, 2, "VALID"), [nest(x, xs)]);
    checkGradient((t) => tf.nn.avgPool(t, 2, 2, "VALID", "NCHW"), [nest(xc.values, xc.shape)]);
  });
});

describe("CPU BiasAdd / BiasAddGrad on the BLAS paths", () => {
  for (const [shape, fmt] of [
    [[64, 7, 5, 6], "NHWC"],
    [[3, 5000, 3], "NHWC"],
    [[2, 7, 30, 40], "NCHW"],
    [[2, 3, 4], "NHWC"],
    [[1, 1], "NHWC"],
  ] as [number[], string][]) {
    it(`${JSON.stringify(shape)} ${fmt}: y = x + b exactly, the gradient within float32 rounding`, () => {
      const C = fmt === "NCHW" ? shape[1] : shape[shape.length - 1];
      const inner = fmt === "NCHW" ? shape.slice(2).reduce((p, d) => p * d, 1) : 1;
      const x = randn(shape, 31);
      const b = randn([C], 32);
      for (const A of [Float32Array, Float64Array] as F[]) {
        const xa = A.from(x);
        const ba = A.from(b);
        const y = normKernels.BiasAdd!([kt(A, shape, xa), kt(A, [C], ba)], { data_format: fmt }, ENV)[0].values as Float64Array;
        const want = A.from(Array.from(xa, (v: number, i: number) => v + ba[Math.floor(i / inner) % C]));
        assert.deepEqual(Array.from(y), Array.from(want));
        const g = normKernels.BiasAddGrad!([kt(A, shape, xa)], { data_format: fmt }, ENV)[0].values as Float64Array;
        const sums = new Float64Array(C);
        xa.forEach((v, i) => (sums[Math.floor(i / inner) % C] += v));
        closeArrays(g, A.from(sums), A === Float32Array ? 1e-5 : 1e-12, "BiasAddGrad");
      }
    });
  }
});
