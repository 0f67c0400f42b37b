/**
 * The WebAssembly SIMD kernels of the CPU backend (src/backends/cpu/wasm): the encoder, every kernel
 * against the JavaScript kernel it replaces (random data with NaN, signed zeros, infinities, subnormals,
 * lengths that are not whole vectors, chunk boundaries, pooling ties), and the public API computing the
 * same values with TSFLOW_WASM=none, =force and the default (child processes).
 */
import { withOptions } from "./util/settings.js";
import { mulberry32 } from "./util/random.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import type { CpuTensor } from "../src/backends/cpu/kernel.js";
import { cpuKernels } from "../src/backends/cpu/kernels/index.js";
import { setConvAlgorithm } from "../src/backends/cpu/kernels/conv.js";
import { encodeModule, Code, I32, sleb, uleb } from "../src/backends/cpu/wasm/encoder.js";
import { Pool2x2Geom, tryWasmAdam, tryWasmBinary, tryWasmUnary, wasmKernels, WasmKernels } from "../src/backends/cpu/wasm/runtime.js";
import type { OpType } from "../src/core/schema/index.js";

/** Set in the child processes of the last test: they compute and print, and declare no tests. */
const CHILD = Boolean(process.env.TSFLOW_WASM_TEST_CHILD);
const suite = (name: string, fn: () => void): void => {
  if (!CHILD) describe(name, fn);
};

// ---------------------------------------------------------------- data

const rng = mulberry32;

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 3e38, -3e38, 1, -1, 6, 0.5, -0.5, 2.5, 1.5e-45];

/** Normal-ish values with about one special value in eight. */
function data(n: number, seed: number, specials = true): Float32Array {
  const r = rng(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = specials && r() < 0.125 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : (r() - 0.5) * 20;
  }
  return v;
}

/** Few distinct values, so pooling windows tie; signed zeros and (optionally) NaN. */
function tied(n: number, seed: number, nan = false): Float32Array {
  const r = rng(seed);
  const vals = [-1, 0, -0, 1, 2, 2];
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = nan && r() < 0.05 ? NaN : vals[Math.floor(r() * vals.length)];
  return v;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f32 = (shape: number[], values: Float32Array): CpuTensor => ({ dtype: "float32", shape, values });

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      assert.fail(`${what}: element ${i} is ${got[i]}, the JS kernel gives ${want[i]}`);
    }
  }
}

// ---------------------------------------------------------------- the JS reference: the kernel table with wasm off

const K = cpuKernels();
const env = {} as never;
function jsKernel(op: string, inputs: CpuTensor[], attrs: Record<string, unknown> = {}): CpuTensor[] {
  return withOptions({ wasm: "off" }, () => K[op as OpType]!(inputs, attrs as never, env));
}
function forced(op: string, inputs: CpuTensor[], attrs: Record<string, unknown> = {}): CpuTensor[] {
  return withOptions({ wasm: "force" }, () => K[op as OpType]!(inputs, attrs as never, env));
}

function kernels(): WasmKernels {
  const w = wasmKernels();
  assert.ok(w, "WebAssembly SIMD kernels are available in Node 20");
  return w;
}

// ---------------------------------------------------------------- encoder

suite("wasm encoder", () => {
  it("LEB128", () => {
    const u = (v: number) => {
      const o: number[] = [];
      uleb(o, v);
      return o;
    };
    const s = (v: number) => {
      const o: number[] = [];
      sleb(o, v);
      return o;
    };
    assert.deepEqual(u(0), [0]);
    assert.deepEqual(u(127), [0x7f]);
    assert.deepEqual(u(128), [0x80, 0x01]);
    assert.deepEqual(u(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(u(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert.deepEqual(s(0), [0]);
    assert.deepEqual(s(-1), [0x7f]);
    assert.deepEqual(s(63), [0x3f]);
    assert.deepEqual(s(64), [0xc0, 0x00]);
    assert.deepEqual(s(-64), [0x40]);
    assert.deepEqual(s(-65), [0xbf, 0x7f]);
    assert.deepEqual(s(-123456), [0xc0, 0xbb, 0x78]);
    assert.throws(() => uleb([], -1), RangeError);
  });

  it("a module with an i32 function validates and runs", () => {
    const c = new Code([I32, I32], [I32]);
    c.get(0).get(1).i32Add().i32(-3).i32Add();
    const bytes = encodeModule([{ name: "f", code: c }]);
    const WA = (
      globalThis as unknown as {
        WebAssembly: {
          validate(b: Uint8Array): boolean;
          Memory: new (d: object) => object;
          Module: new (b: Uint8Array) => object;
          Instance: new (m: object, i: object) => { exports: { f(a: number, b: number): number } };
        };
      }
    ).WebAssembly;
    assert.ok(WA.validate(bytes));
    const inst = new WA.Instance(new WA.Module(bytes), { env: { memory: new WA.Memory({ initial: 1 }) } });
    assert.equal(inst.exports.f(40, 5), 42);
  });
});

// ---------------------------------------------------------------- elementwise kernels

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 63, 1001, 40003];

suite("wasm elementwise kernels equal the JS kernels", () => {
  for (const op of WasmKernels.unaryOps()) {
    it(`${op}`, () => {
      const w = kernels();
      for (const n of LENGTHS) {
        const x = data(n, n * 31 + op.length);
        const want = jsKernel(op, [f32([n], x)])[0].values as Float32Array;
        const got = new Float32Array(n);
        assert.ok(w.unary(op, x, got), `${op} runs in wasm`);
        assertSame(got, want, `${op} [${n}]`);
        assertSame(forced(op, [f32([n], x)])[0].values as Float32Array, want, `${op} [${n}] through the kernel table`);
      }
    });
  }

  /** [a shape, b shape]: same shapes, scalars on either side, leading broadcasts (periods not whole vectors, chunk crossings). */
  const PAIRS: [number[], number[]][] = [
    ...LENGTHS.map((n): [number[], number[]] => [[n], [n]]),
    [[1001], []],
    [[], [1001]],
    [[7], [1]],
    [[40003], []],
    [[], [40003]],
    ...[1, 2, 3, 4, 5, 6, 7, 16, 17, 100].map((c): [number[], number[]] => [[Math.ceil(40000 / c) | 1, c], [c]]),
    [
      [9, 10],
      [1, 10],
    ],
    [[10], [9, 10]],
    [
      [3, 7],
      [3, 7],
    ],
    [
      [2, 3, 5],
      [3, 5],
    ],
    [
      [1, 3, 5],
      [2, 3, 5],
    ],
    [[4, 6, 6], [6]],
    [[5, 3], [1]],
    [[6], [6]],
    // Long periods: one period (or a chunk of it) at a time.
    [[3, 20001], [20001]],
    [[5, 16388], [16388]],
    [[4, 4099], [4099]],
    [[4099], [3, 4099]],
    [[2, 5000], [5000]],
  ];
  for (const op of WasmKernels.binaryOps()) {
    it(`${op}`, () => {
      const w = kernels();
      PAIRS.forEach(([as, bs], i) => {
        const a = data(sizeOf(as), 1000 + i);
        const b = data(sizeOf(bs), 2000 + i);
        const want = jsKernel(op, [f32(as, a), f32(bs, b)])[0];
        const got = new Float32Array(want.values.length);
        assert.ok(w.binary(op, a, as, b, bs, want.shape, got), `${op} [${as}] [${bs}] runs in wasm`);
        assertSame(got, want.values as Float32Array, `${op} [${as}] [${bs}]`);
        assertSame(
          forced(op, [f32(as, a), f32(bs, b)])[0].values as Float32Array,
          want.values as Float32Array,
          `${op} [${as}] [${bs}] through the kernel table`,
        );
      });
    });
  }

  it("declines broadcasts that are not along leading dimensions, and ops without a kernel", () => {
    const w = kernels();
    const o = new Float32Array(12);
    assert.equal(w.binary("AddV2", new Float32Array(3), [3, 1], new Float32Array(4), [1, 4], [3, 4], o), false);
    assert.equal(w.binary("AddV2", new Float32Array(12), [3, 4], new Float32Array(3), [3, 1], [3, 4], o), false);
    assert.equal(w.binary("Pow", new Float32Array(12), [12], new Float32Array(12), [12], [12], o), false);
    assert.equal(w.unary("Exp", new Float32Array(12), o), false);
    // Through the kernel table such a broadcast falls back to the JS loops with the same result.
    const a = data(3, 5);
    const b = data(4, 6);
    assertSame(
      forced("AddV2", [f32([3, 1], a), f32([1, 4], b)])[0].values as Float32Array,
      jsKernel("AddV2", [f32([3, 1], a), f32([1, 4], b)])[0].values as Float32Array,
      "outer sum",
    );
  });

  it("routing: sizes below the thresholds, other expressions and TSFLOW_WASM=none keep the JS loops", () => {
    const x = data(4096, 11);
    const o = new Float32Array(4096);
    withOptions({ wasm: "auto" }, () => {
      assert.equal(tryWasmUnary("Relu", "x < 0 ? 0 : x", x, o), true);
      assert.equal(tryWasmUnary("Relu", "x > 0 ? x : 0", x, o), false, "an edited JS expression is not routed to the old kernel");
      assert.equal(tryWasmUnary("Relu", "x < 0 ? 0 : x", x.subarray(0, 8), o.subarray(0, 8)), false, "8 elements");
      assert.equal(tryWasmBinary("AddV2", "a + b", x.subarray(0, 64), [64], x.subarray(0, 64), [64], [64], o.subarray(0, 64)), false, "64 elements");
      assert.equal(tryWasmBinary("AddV2", "a + b", x, [4096], x, [4096], [4096], o), true);
      withOptions({ wasm: "off" }, () => assert.equal(tryWasmBinary("AddV2", "a + b", x, [4096], x, [4096], [4096], o), false));
    });
  });

  it("float64 and int32 tensors keep the JS loops (and their results)", () => {
    const a = Float64Array.from(data(100, 7));
    const got = forced("Relu", [{ dtype: "float64", shape: [100], values: a }])[0];
    assert.ok(got.values instanceof Float64Array);
    assertSame(got.values as Float64Array, jsKernel("Relu", [{ dtype: "float64", shape: [100], values: a }])[0].values as Float64Array, "float64 relu");
    const i = Int32Array.from({ length: 100 }, (_, k) => k - 50);
    assertSame(
      forced("AddV2", [
        { dtype: "int32", shape: [100], values: i },
        { dtype: "int32", shape: [100], values: i },
      ])[0].values as Int32Array,
      Int32Array.from(i, (v) => 2 * v),
      "int32 add",
    );
  });
});

// ---------------------------------------------------------------- pooling kernels

const POOL = { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID", data_format: "NHWC" };
/** NHWC shapes: odd heights/widths, C not a multiple of 4, chunk crossings. */
const POOL_SHAPES = [
  [1, 2, 2, 1],
  [2, 4, 6, 3],
  [3, 7, 9, 5],
  [2, 8, 8, 6],
  [4, 28, 28, 6],
  [2, 10, 10, 16],
  [1, 5, 4, 17],
  [5, 60, 70, 2],
  [3, 61, 45, 5],
  [2, 3, 3, 4],
  [1, 2, 3, 8],
  [2, 6, 4, 1],
  [64, 14, 14, 6],
  [1, 1, 4, 4],
];

function geom(s: number[]): Pool2x2Geom {
  return { rows: s[0], inH: s[1], inW: s[2], c: s[3], outH: Math.floor(s[1] / 2), outW: Math.floor(s[2] / 2) };
}

suite("wasm 2x2 pooling kernels equal the JS kernels", () => {
  for (const s of POOL_SHAPES) {
    it(`[${s}]`, () => {
      const w = kernels();
      const g = geom(s);
      const n = sizeOf(s);
      for (const [label, x] of [
        ["ties", tied(n, n)],
        ["ties+NaN", tied(n, n + 1, true)],
        ["random", data(n, n + 2)],
      ] as [string, Float32Array][]) {
        for (const kind of ["max", "avg"] as const) {
          const op = kind === "max" ? "MaxPool" : "AvgPool";
          const want = jsKernel(op, [f32(s, x)], POOL)[0];
          const got = new Float32Array(want.values.length);
          assert.ok(w.pool2x2(kind, x, g, got));
          assertSame(got, want.values as Float32Array, `${op} ${label}`);
          assertSame(forced(op, [f32(s, x)], POOL)[0].values as Float32Array, want.values as Float32Array, `${op} ${label} through the kernel table`);
        }
        const y = jsKernel("MaxPool", [f32(s, x)], POOL)[0] as CpuTensor;
        const outShape = y.shape as number[];
        const m = y.values.length;
        const dy = data(m, m + 3);
        // y: the pool's output; no y (another dtype); an inconsistent y whose values tie with other inputs.
        const ys: [string, CpuTensor, Float32Array | null][] = [
          ["y", y, y.values as Float32Array],
          ["no y", { dtype: "float64", shape: outShape, values: Float64Array.from(y.values as Float32Array) }, null],
          ["other y", f32(outShape, tied(m, m + 4)), null],
        ];
        ys[2][2] = ys[2][1].values as Float32Array;
        for (const [ylabel, yt, yv] of ys) {
          const want = jsKernel("MaxPoolGrad", [f32(s, x), yt, f32(outShape, dy)], POOL)[0];
          const got = new Float32Array(n);
          assert.ok(w.maxPoolGrad2x2(x, yv, dy, g, got));
          assertSame(got, want.values as Float32Array, `MaxPoolGrad ${label} ${ylabel}`);
          assertSame(
            forced("MaxPoolGrad", [f32(s, x), yt, f32(outShape, dy)], POOL)[0].values as Float32Array,
            want.values as Float32Array,
            `MaxPoolGrad ${label} ${ylabel} through the kernel table`,
          );
        }
        const shapeT: CpuTensor = { dtype: "int32", shape: [4], values: Int32Array.from(s) };
        const want = jsKernel("AvgPoolGrad", [shapeT, f32(outShape, dy)], POOL)[0];
        const got = new Float32Array(n);
        assert.ok(w.avgPoolGrad2x2(dy, g, got));
        assertSame(got, want.values as Float32Array, `AvgPoolGrad ${label}`);
        assertSame(
          forced("AvgPoolGrad", [shapeT, f32(outShape, dy)], POOL)[0].values as Float32Array,
          want.values as Float32Array,
          `AvgPoolGrad ${label} through the kernel table`,
        );
      }
    });
  }

  it("NCHW, SAME on even sizes and 3-D pools take the same path with the same results", () => {
    const x = tied(2 * 6 * 8 * 10, 9, true);
    const cases: [string, number[], Record<string, unknown>][] = [
      ["MaxPool", [2, 6, 8, 10], { ...POOL, data_format: "NCHW", ksize: [1, 1, 2, 2], strides: [1, 1, 2, 2] }],
      ["AvgPool", [2, 6, 8, 10], { ...POOL, data_format: "NCHW", ksize: [1, 1, 2, 2], strides: [1, 1, 2, 2] }],
      ["MaxPool", [2, 6, 8, 10], { ...POOL, padding: "SAME" }],
      ["MaxPool3D", [2, 3, 2, 8, 10], { ksize: [1, 1, 2, 2, 1], strides: [1, 1, 2, 2, 1], padding: "VALID", data_format: "NDHWC" }],
      ["AvgPool3D", [2, 3, 2, 8, 10], { ksize: [1, 1, 2, 2, 1], strides: [1, 1, 2, 2, 1], padding: "VALID", data_format: "NDHWC" }],
    ];
    for (const [op, shape, attrs] of cases) {
      const want = jsKernel(op, [f32(shape, x)], attrs)[0];
      assertSame(forced(op, [f32(shape, x)], attrs)[0].values as Float32Array, want.values as Float32Array, `${op} [${shape}] ${JSON.stringify(attrs)}`);
      if (op.startsWith("Max")) {
        const dy = data(want.values.length, 3);
        const ins = [f32(shape, x), want, f32(want.shape as number[], dy)];
        assertSame(
          forced(`${op}Grad`, ins, attrs)[0].values as Float32Array,
          jsKernel(`${op}Grad`, ins, attrs)[0].values as Float32Array,
          `${op}Grad [${shape}]`,
        );
      }
    }
  });

  it("empty pools", () => {
    const w = kernels();
    assert.ok(w.pool2x2("max", new Float32Array(0), { rows: 0, inH: 2, inW: 2, c: 3, outH: 1, outW: 1 }, new Float32Array(0)));
    assert.ok(w.maxPoolGrad2x2(new Float32Array(6), null, new Float32Array(0), { rows: 1, inH: 1, inW: 2, c: 3, outH: 0, outW: 1 }, new Float32Array(6)));
  });
});

// ---------------------------------------------------------------- ApplyAdam

suite("wasm ApplyAdam kernel against the JavaScript loop", () => {
  const scalar = (v: number) => f32([], Float32Array.of(v));
  /** Adam's inputs: variable, m, v (non-negative, as Adam keeps it), the step's scalars, and the gradient. */
  function adamInputs(n: number, seed: number, specials: boolean): CpuTensor[] {
    const v = data(n, seed + 2, specials).map(Math.abs);
    return [
      f32([n], data(n, seed, specials)),
      f32([n], data(n, seed + 1, specials)),
      f32([n], v),
      scalar(0.9 ** 3),
      scalar(0.999 ** 3),
      scalar(0.001),
      scalar(0.9),
      scalar(0.999),
      scalar(1e-7),
      f32([n], data(n, seed + 3, specials)),
    ];
  }
  // Across the kernel's 4-float vectors and its 16,384-float chunks, with and without special values.
  for (const [n, specials] of [
    [1, true],
    [7, true],
    [300, true],
    [16384, false],
    [16384 * 2 + 5, true],
    [100003, false],
  ] as const) {
    it(`${n} parameters${specials ? " with NaN, infinities, signed zeros and subnormals" : ""}: the same bits`, () => {
      const ins = adamInputs(n, n, specials);
      const want = jsKernel("ApplyAdam", ins);
      const got = forced("ApplyAdam", ins);
      ["variable", "m", "v"].forEach((what, k) => assertSame(got[k].values as Float32Array, want[k].values as Float32Array, what));
    });
  }
  it("runs for float32 (so the cases above compare the kernel, not the loop with itself)", () => {
    const a = () => data(64, 9, false);
    const outs = [new Float32Array(64), new Float32Array(64), new Float32Array(64)];
    const ran = withOptions({ wasm: "force" }, () => tryWasmAdam([a(), a(), a().map(Math.abs), a()], outs, { lrT: 0.01, a1: 0.1, a2: 0.001, eps: 1e-7 }));
    assert.equal(ran, true);
    assert.ok(outs[0].some((v) => v !== 0));
  });
  it("float64 variables keep the JS loop", () => {
    const f64 = (v: number[]): CpuTensor => ({ dtype: "float64", shape: [v.length], values: Float64Array.from(v) });
    const s64 = (v: number): CpuTensor => ({ dtype: "float64", shape: [], values: Float64Array.of(v) });
    const ins = [f64([1, 2]), f64([0.1, 0.2]), f64([0.01, 0.02]), s64(0.9), s64(0.999), s64(0.1), s64(0.9), s64(0.999), s64(1e-7), f64([0.5, -0.5])];
    const got = forced("ApplyAdam", ins);
    assert.ok(got[0].values instanceof Float64Array);
    assertSame(got[0].values as Float64Array, jsKernel("ApplyAdam", ins)[0].values as Float64Array, "variable");
  });
});

// ---------------------------------------------------------------- the public API, with and without the kernels

/** In a child process (TSFLOW_WASM_TEST_CHILD): computes through the public API and prints the values. */
function childMain(): void {
  const r = rng(42);
  const vals = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() - 0.5) * 2 * scale);
  const out: Record<string, number[]> = {};
  const put = (name: string, t: tf.Tensor | tf.Tensor[] | null | undefined) => {
    const list = Array.isArray(t) ? t : [t];
    list.forEach((u, i) => {
      out[list.length > 1 ? `${name}${i}` : name] = Array.from((u as tf.EagerTensor).dataSync() as Float32Array);
    });
  };
  out.wasm = [wasmKernels() ? 1 : 0];
  // The convolutions on one algorithm in every mode: the direct WebAssembly loops sum in another order than
  // the BLAS products (they have their own tests, test/conv_direct.test.ts); this test is about the
  // elementwise and pooling kernels, which must equal the JavaScript loops bit for bit.
  setConvAlgorithm("im2col");

  const special = tf.constant(Float32Array.from([...SPECIAL, ...vals(200, 8)]), { shape: [216] });
  put("relu", tf.nn.relu(special));
  put("relu6", tf.nn.relu6(special));
  put("neg", tf.negative(special));
  put("sqrt", tf.sqrt(special));
  put("max", tf.maximum(special, tf.reverse(special, [0])));
  put("div", tf.realdiv(special, tf.reverse(special, [0])));

  // A small CNN: conv, bias, relu, 2x2 max pool, conv, relu, 2x2 average pool, dense; gradients by tape.
  const x = tf.constant(vals(8 * 12 * 12 * 3), { shape: [8, 12, 12, 3] });
  const w1 = new tf.Variable(tf.constant(vals(3 * 3 * 3 * 6, 0.5), { shape: [3, 3, 3, 6] }));
  const b1 = new tf.Variable(tf.constant(vals(6, 0.1), { shape: [6] }));
  const w2 = new tf.Variable(tf.constant(vals(3 * 3 * 6 * 5, 0.5), { shape: [3, 3, 6, 5] }));
  const w3 = new tf.Variable(tf.constant(vals(2 * 2 * 5 * 10, 0.5), { shape: [20, 10] }));
  const b3 = new tf.Variable(tf.constant(vals(10, 0.1), { shape: [10] }));
  const vars = [w1, b1, w2, w3, b3];
  const forward = () => {
    let h = tf.nn.maxPool(tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(x, w1, 1, "SAME"), b1)), 2, 2, "VALID");
    put("pool1", h);
    h = tf.nn.avgPool(tf.nn.relu(tf.nn.conv2d(h, w2, 1, "VALID")), 2, 2, "VALID");
    put("pool2", h);
    const logits = tf.add(tf.matmul(tf.reshape(h, [8, 20]), w3), b3);
    return tf.reduceSum(tf.square(tf.nn.relu6(tf.multiply(logits, 3))));
  };
  const opt = new tf.train.GradientDescentOptimizer(0.01);
  for (let step = 0; step < 3; step++) {
    const tape = new tf.GradientTape();
    const loss = tape.run(forward);
    put(`loss${step}`, loss);
    const grads = tape.gradient(loss as tf.EagerTensor, vars);
    put(`grads${step}_`, grads as tf.Tensor[]);
    opt.applyGradients(grads.map((g, i) => [g!, vars[i]] as [tf.Tensor, tf.Variable]));
  }
  put(
    "weights",
    vars.map((v) => v.value()),
  );
  process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? "-0" : v)));
}

function runChild(mode: string | undefined): Record<string, unknown[]> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TSFLOW_WASM_TEST_CHILD: "1" };
  delete childEnv.NODE_TEST_CONTEXT;
  if (mode === undefined) delete childEnv.TSFLOW_WASM;
  else childEnv.TSFLOW_WASM = mode;
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], { env: childEnv, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown[]>;
}

if (CHILD) {
  childMain();
} else {
  describe("public API with and without the wasm kernels (child processes)", () => {
    it("relu, pools, a CNN's gradients and SGD steps are identical for TSFLOW_WASM=none, force and the default", () => {
      const none = runChild("none");
      const force = runChild("force");
      const auto = runChild(undefined);
      assert.deepEqual(none.wasm, [0]);
      assert.deepEqual(force.wasm, [1]);
      assert.deepEqual(auto.wasm, [1]);
      delete none.wasm;
      delete force.wasm;
      delete auto.wasm;
      assert.ok(Object.keys(none).length > 20);
      for (const k of Object.keys(none)) {
        assert.deepEqual(force[k], none[k], `${k}: force vs none`);
        assert.deepEqual(auto[k], none[k], `${k}: default vs none`);
      }
    });
  });
}
