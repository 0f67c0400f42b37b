import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, it } from "./util/devices.js";
import { fileURLToPath } from "node:url";
import * as tf from "../src/index.js";
import type { CudaHandle } from "../src/backends/cuda/handle.js";
import {
  cudnnConv2d,
  cudnnConv2dBackpropFilter,
  cudnnConv2dBackpropInput,
  cudnnMaxPoolGrad,
  cudnnUnavailableReason,
  cudnnVersion,
  CudnnStats,
} from "../src/backends/cuda/cudnn.js";
import type { DType } from "../src/core/dtype.js";
import { cpu, E, gpu, onGpu, relErr, rng, runOp, trainEagerly, xentLoss } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";
import { backend, cudnnOnly, dnn } from "./util/cudnn.js";

/**
 * cuDNN in the cuda backend: convolutions, their gradients and max pooling through cuDNN match the CPU
 * backend, cuDNN really runs (its counters), the cudnn setting (TSFLOW_CUDNN=0) off and forced own
 * algorithms use the own kernels, and a Session step with convolutions still captures and replays.
 * Skips itself, with the reason, without a GPU or without cuDNN.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const RUNNING_TS = import.meta.url.endsWith(".ts");

function rand(r: () => number, shape: number[], dtype: DType = "float64", scale = 1): E {
  const n = shape.reduce((p, v) => p * v, 1);
  const t = tf.constant(
    Float64Array.from({ length: n }, () => (r() - 0.5) * scale),
    { dtype: "float64", shape },
  ) as E;
  return dtype === "float64" ? t : (tf.cast(t, dtype) as E);
}

/** Element by element: |got - want| <= atol + rtol |want|. */
function assertClose(what: string, got: E, want: E, rtol: number, atol: number): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const g = got.dataSync() as ArrayLike<number>;
  const w = want.dataSync() as ArrayLike<number>;
  for (let i = 0; i < w.length; i++) {
    assert.ok(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]), `${what}: element ${i}: got ${g[i]}, want ${w[i]}`);
  }
}

const stats = (): CudnnStats => dnn!.stats;
const snapshot = () => ({ ...stats() });
const convCalls = (s: { forward: number; backwardData: number; backwardFilter: number }) => [s.forward, s.backwardData, s.backwardFilter];

/** A CNN whose convolutions kernels/conv.ts gives to cuDNN: [12, 12, 8] -> conv 5x5 16 SAME -> pool 2 -> conv 3x3 16 VALID -> dense 10. */
function smallCnn(): { vars: tf.Variable[]; forward: (x: tf.Tensor) => tf.Tensor } {
  const u = (shape: number[], limit: number) => new tf.Variable(tf.randomUniform(shape, -limit, limit));
  const vars = [
    u([5, 5, 8, 16], 0.12),
    new tf.Variable(tf.zeros([16])),
    u([3, 3, 16, 16], 0.15),
    new tf.Variable(tf.zeros([16])),
    u([256, 10], 0.15),
    new tf.Variable(tf.zeros([10])),
  ];
  const nn = tf.nn as unknown as {
    conv2d(x: tf.Tensor, w: tf.Variable, strides: number, padding: string): tf.Tensor;
    biasAdd(x: tf.Tensor, b: tf.Variable): tf.Tensor;
    maxPool(x: tf.Tensor, ksize: number, strides: number, padding: string): tf.Tensor;
  };
  return {
    vars,
    forward: (x) => {
      let h = nn.maxPool(tf.nn.relu(nn.biasAdd(nn.conv2d(x, vars[0], 1, "SAME"), vars[1])), 2, 2, "VALID");
      h = tf.nn.relu(nn.biasAdd(nn.conv2d(h, vars[2], 1, "VALID"), vars[3]));
      return tf.add(tf.matmul(tf.reshape(h, [-1, 256]), vars[4]), vars[5]);
    },
  };
}

function cnnBatch(batch: number, k: number): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from({ length: batch * 12 * 12 * 8 }, (_, i) => (((i * 2654435761) % 1000) / 1000 + 0.1 * k) % 1);
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + ((i + k) % 10)] = 1;
  return { x, y };
}

/** Runs `fn` with enableTensorFloat32Execution(on), restoring the default after. */
function withTf32<T>(on: boolean, fn: () => T): T {
  tf.config.experimental.enableTensorFloat32Execution(on);
  try {
    return fn();
  } finally {
    tf.config.experimental.enableTensorFloat32Execution(true);
  }
}

// ---------------------------------------------------------------- everywhere

describe("cuDNN: the setting", () => {
  it("TSFLOW_CUDNN=0 turns the cudnn setting off (default on)", () => {
    const index = join(HERE, "..", "src", RUNNING_TS ? "index.ts" : "index.js");
    const code = `const tf = await import(${JSON.stringify(index)}); console.log(String(tf.config.experimental.getTsflowOptions().cudnn));`;
    const args = RUNNING_TS ? ["--import", "tsx", "--input-type=module", "-e", code] : ["--input-type=module", "-e", code];
    for (const [env, want] of [
      ["0", "false"],
      ["off", "false"],
      ["1", "true"],
      ["", "true"],
    ]) {
      const r = spawnSync(process.execPath, args, { env: { ...process.env, TSFLOW_CUDNN: env }, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), want, `TSFLOW_CUDNN=${env}`);
    }
  });
});

// ---------------------------------------------------------------- on a GPU with cuDNN

describe("cuDNN: convolutions and pooling against the CPU", cudnnOnly, () => {
  it("loads cuDNN 9 and binds it to the device's stream", () => {
    const v = cudnnVersion();
    assert.ok(v !== null && v >= 90000 && v < 100000, `cuDNN version ${v}`);
    assert.equal(cudnnUnavailableReason(), null);
  });

  it("Conv2D and both gradients: fp64, fp32 (TF32 off and on); VALID, SAME, strides, dilations, channel counts", () => {
    const r = rng(31);
    // cudnn: whether kernels/conv.ts gives the case to cuDNN (symmetric padding, at least 8 channels each side and 2048 weights).
    const cases: { x: number[]; f: number[]; s: number; d: number; pad: string; cudnn: boolean }[] = [
      { x: [1, 28, 28, 1], f: [5, 5, 1, 6], s: 1, d: 1, pad: "SAME", cudnn: false }, // LeNet-5's layers: own kernels
      { x: [64, 14, 14, 6], f: [5, 5, 6, 16], s: 1, d: 1, pad: "VALID", cudnn: false },
      { x: [2, 9, 11, 8], f: [3, 3, 8, 12], s: 1, d: 1, pad: "SAME", cudnn: false }, // 864 weights: own kernels
      { x: [1, 14, 14, 8], f: [5, 5, 8, 16], s: 1, d: 1, pad: "VALID", cudnn: true },
      { x: [64, 14, 14, 8], f: [5, 5, 8, 16], s: 1, d: 1, pad: "SAME", cudnn: true },
      { x: [2, 9, 11, 16], f: [3, 3, 16, 16], s: 1, d: 1, pad: "SAME", cudnn: true },
      { x: [2, 9, 9, 16], f: [3, 3, 16, 16], s: 2, d: 1, pad: "SAME", cudnn: true }, // stride 2, padding 1 both sides
      { x: [2, 10, 9, 16], f: [3, 3, 16, 16], s: 2, d: 1, pad: "VALID", cudnn: true },
      { x: [1, 12, 12, 16], f: [3, 3, 16, 16], s: 1, d: 2, pad: "SAME", cudnn: true }, // dilation 2
      { x: [2, 11, 10, 16], f: [3, 2, 16, 24], s: 1, d: 3, pad: "VALID", cudnn: true },
      { x: [4, 5, 5, 64], f: [1, 1, 64, 32], s: 1, d: 1, pad: "VALID", cudnn: true }, // 1x1
      { x: [2, 8, 8, 32], f: [3, 3, 32, 64], s: 1, d: 1, pad: "SAME", cudnn: true }, // many channels
      // Odd total SAME padding (one more after than before): cuDNN on the input padded after each image.
      { x: [2, 8, 8, 16], f: [2, 2, 16, 32], s: 1, d: 1, pad: "SAME", cudnn: true }, // 0 before, 1 after
      { x: [1, 8, 8, 16], f: [3, 3, 16, 16], s: 2, d: 1, pad: "SAME", cudnn: true }, // ResNet's downsampling: 0 / 1
      { x: [2, 9, 8, 16], f: [3, 3, 16, 16], s: 2, d: 1, pad: "SAME", cudnn: true }, // rows 1 / 1, columns 0 / 1
      { x: [2, 7, 7, 16], f: [4, 4, 16, 8], s: 1, d: 1, pad: "SAME", cudnn: true }, // 1 before, 2 after
      { x: [2, 10, 10, 16], f: [3, 3, 16, 16], s: 2, d: 2, pad: "SAME", cudnn: true }, // dilated: 2 / 3
    ];
    for (const c of cases) {
      const attrs = { strides: [1, c.s, c.s, 1], padding: c.pad, dilations: [1, c.d, c.d, 1], data_format: "NHWC" };
      const x = rand(r, c.x);
      const f = rand(r, c.f);
      const y = cpu(() => runOp("Conv2D", [x, f], attrs));
      const dy = rand(r, y.shape as number[]);
      const xs = tf.constant(c.x, { dtype: "int32" });
      const fs = tf.constant(c.f, { dtype: "int32" });
      const ref = [y, cpu(() => runOp("Conv2DBackpropInput", [xs, f, dy], attrs)), cpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs))];
      const what = `conv ${JSON.stringify(c)}`;
      const run = (x_: E, f_: E, dy_: E) =>
        gpu(() => [runOp("Conv2D", [x_, f_], attrs), runOp("Conv2DBackpropInput", [xs, f_, dy_], attrs), runOp("Conv2DBackpropFilter", [x_, fs, dy_], attrs)]);
      // float64: cuDNN 9's legacy API has channels-last forward algorithms only; the gradients take the own kernels.
      run(x, f, dy).forEach((t, i) => {
        assert.ok(onGpu(t), `${what} #${i} on ${t.device}`);
        const e = relErr(t, ref[i]);
        assert.ok(e < 1e-10, `${what} fp64 #${i}: relative error ${e}`);
      });
      const [x32, f32, dy32] = [x, f, dy].map((t) => tf.cast(t, "float32") as E);
      const before = convCalls(snapshot());
      const fp32 = withTf32(false, () => run(x32, f32, dy32));
      const after = convCalls(snapshot());
      assert.deepEqual(
        after.map((v, i) => v - before[i]),
        c.cudnn ? [1, 1, 1] : [0, 0, 0],
        `${what}: cuDNN calls (forward, data, filter)`,
      );
      fp32.forEach((t, i) => {
        const e = relErr(t, ref[i]);
        assert.ok(e < 1e-5, `${what} fp32 #${i}: relative error ${e}`);
        assertClose(`${what} fp32 #${i}`, t, ref[i], 1e-4, 1e-4);
      });
      withTf32(true, () => run(x32, f32, dy32)).forEach((t, i) => {
        const e = relErr(t, ref[i]);
        assert.ok(e < 3e-3, `${what} tf32 #${i}: relative error ${e}`);
      });
    }
  });

  it("float16 and bfloat16 convolutions with odd total SAME padding (ResNet's stride-2 3x3) run on cuDNN, against float32 on the CPU", () => {
    const r = rng(37);
    const attrs = { strides: [1, 2, 2, 1], padding: "SAME", dilations: [1, 1, 1, 1], data_format: "NHWC" };
    const xShape = [4, 16, 16, 32];
    const fShape = [3, 3, 32, 64];
    const x = rand(r, xShape, "float32");
    const f = rand(r, fShape, "float32", 0.2);
    const y = cpu(() => runOp("Conv2D", [x, f], attrs));
    const dy = rand(r, y.shape as number[], "float32");
    const xs = tf.constant(xShape, { dtype: "int32" });
    const fs = tf.constant(fShape, { dtype: "int32" });
    const ref = [y, cpu(() => runOp("Conv2DBackpropInput", [xs, f, dy], attrs)), cpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs))];
    for (const dtype of ["float16", "bfloat16"] as const) {
      const [xn, fn, dyn] = [x, f, dy].map((t) => tf.cast(t, dtype) as E);
      const before = convCalls(snapshot());
      const got = gpu(() => [
        runOp("Conv2D", [xn, fn], attrs),
        runOp("Conv2DBackpropInput", [xs, fn, dyn], attrs),
        runOp("Conv2DBackpropFilter", [xn, fs, dyn], attrs),
      ]);
      assert.deepEqual(
        convCalls(snapshot()).map((v, i) => v - before[i]),
        [1, 1, 1],
        `${dtype}: cuDNN calls (forward, data, filter)`,
      );
      got.forEach((t, i) => {
        assert.equal(t.dtype, dtype);
        assert.deepEqual(t.shape, ref[i].shape);
        // Inputs rounded to 8 (bfloat16) or 11 (float16) bits, float32 sums: relative to the result's scale.
        const e = relErr(tf.cast(t, "float32") as E, ref[i]);
        assert.ok(e < (dtype === "bfloat16" ? 2e-2 : 3e-3), `${dtype} #${i}: relative error ${e}`);
      });
    }
  });

  it("cuDNN itself on LeNet-5's layers (batch 1 and 64, which kernels/conv.ts gives to the own kernels) and max-pool gradients with ties", () => {
    const r = rng(33);
    const b = backend!;
    const h = (t: tf.Tensor) => (t as E).handle as CudaHandle;
    for (const [xs, fs, pad] of [
      [[1, 28, 28, 1], [5, 5, 1, 6], "SAME"],
      [[64, 28, 28, 1], [5, 5, 1, 6], "SAME"],
      [[1, 14, 14, 6], [5, 5, 6, 16], "VALID"],
      [[64, 14, 14, 6], [5, 5, 6, 16], "VALID"],
    ] as [number[], number[], string][]) {
      const attrs = { strides: [1, 1, 1, 1], padding: pad, dilations: [1, 1, 1, 1], data_format: "NHWC" };
      const x = rand(r, xs, "float32");
      const f = rand(r, fs, "float32");
      const y = cpu(() => runOp("Conv2D", [x, f], attrs));
      const dy = rand(r, y.shape as number[], "float32");
      const ref = [
        y,
        cpu(() => runOp("Conv2DBackpropInput", [tf.constant(xs, { dtype: "int32" }), f, dy], attrs)),
        cpu(() => runOp("Conv2DBackpropFilter", [x, tf.constant(fs, { dtype: "int32" }), dy], attrs)),
      ];
      const p = pad === "SAME" ? (fs[0] - 1) / 2 : 0;
      const g = {
        n: xs[0],
        H: xs[1],
        W: xs[2],
        C: xs[3],
        OH: y.shape[1],
        OW: y.shape[2],
        OC: fs[3],
        kH: fs[0],
        kW: fs[1],
        sH: 1,
        sW: 1,
        dH: 1,
        dW: 1,
        padT: p,
        padL: p,
      };
      const [gx, gf, gdy] = [x, f, dy].map((t) => gpu(() => tf.identity(t)) as E);
      const out = [gpu(() => tf.zerosLike(gdy)), gpu(() => tf.zerosLike(gx)), gpu(() => tf.zerosLike(gf))] as E[];
      withTf32(false, () => {
        assert.ok(cudnnConv2d(b, g, h(gx), h(gf), h(out[0])), "forward through cuDNN");
        assert.ok(cudnnConv2dBackpropInput(b, g, h(gf), h(gdy), h(out[1])), "input gradient through cuDNN");
        assert.ok(cudnnConv2dBackpropFilter(b, g, h(gx), h(gdy), h(out[2])), "filter gradient through cuDNN");
      });
      out.forEach((t, i) => {
        const e = relErr(t, ref[i]);
        assert.ok(e < 1e-5, `LeNet ${JSON.stringify(xs)} #${i}: relative error ${e}`);
        assertClose(`LeNet ${JSON.stringify(xs)} #${i}`, t, ref[i], 1e-4, 1e-4);
      });
    }
    // cuDNN's deterministic max-pool gradient routes ties to the first maximum, as the CPU does.
    for (const dtype of ["float32", "float64"] as DType[]) {
      const xs = [2, 9, 9, 3];
      const attrs = { ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "SAME", data_format: "NHWC" };
      const x = tf.cast(
        tf.constant(
          Float64Array.from({ length: 2 * 9 * 9 * 3 }, () => Math.floor(r() * 3) - 3),
          { dtype: "float64", shape: xs },
        ),
        dtype,
      ) as E;
      const y = cpu(() => runOp("MaxPool", [x], attrs));
      const dy = tf.cast(
        tf.constant(
          Float64Array.from({ length: y.size }, () => r() - 0.5),
          { dtype: "float64", shape: y.shape },
        ),
        dtype,
      ) as E;
      const want = cpu(() => runOp("MaxPoolGrad", [x, y, dy], attrs));
      const [gx, gy, gdy] = [x, y, dy].map((t) => gpu(() => tf.identity(t)) as E);
      const dx = gpu(() => tf.zerosLike(gx)) as E;
      const pg = { n: 2, H: 9, W: 9, C: 3, OH: 5, OW: 5, kH: 3, kW: 3, sH: 2, sW: 2, padT: 1, padL: 1 };
      assert.ok(cudnnMaxPoolGrad(b, pg, h(gx), h(gy), h(gdy), h(dx)), "max-pool gradient through cuDNN");
      assertClose(`cuDNN MaxPoolGrad ${dtype} ties`, dx, want, dtype === "float32" ? 1e-6 : 1e-14, 1e-7);
    }
  });

  it("MaxPool (cuDNN) and MaxPoolGrad (own kernel): fp32 and fp64, padding ignored, ties routed to the first maximum", () => {
    const r = rng(37);
    const cases: { shape: number[]; k: number; s: number; pad: string; cudnn: boolean }[] = [
      { shape: [2, 9, 9, 3], k: 2, s: 2, pad: "VALID", cudnn: true },
      { shape: [2, 9, 9, 3], k: 3, s: 2, pad: "SAME", cudnn: true }, // padding 1 both sides, overlapping windows
      { shape: [2, 9, 9, 3], k: 3, s: 1, pad: "SAME", cudnn: true },
      { shape: [64, 28, 28, 6], k: 2, s: 2, pad: "VALID", cudnn: true }, // LeNet-5's pools
      { shape: [64, 10, 10, 16], k: 2, s: 2, pad: "VALID", cudnn: true },
      { shape: [2, 9, 9, 3], k: 2, s: 2, pad: "SAME", cudnn: false }, // padding only after: own kernels
    ];
    for (const dtype of ["float32", "float64"] as DType[]) {
      for (const c of cases) {
        for (const ties of [false, true]) {
          const attrs = { ksize: [1, c.k, c.k, 1], strides: [1, c.s, c.s, 1], padding: c.pad, data_format: "NHWC" };
          const n = c.shape.reduce((p, v) => p * v, 1);
          // Negative values: a zero from the padding would win the max where TensorFlow ignores it. Ties: few
          // distinct values, so windows hold equal maxima.
          const v = Float64Array.from({ length: n }, () => (ties ? Math.floor(r() * 3) - 3 : r() * 10 - 5));
          const x = tf.cast(tf.constant(v, { dtype: "float64", shape: c.shape }), dtype) as E;
          const what = `MaxPool ${dtype} ${JSON.stringify(c)} ties=${ties}`;
          const y = cpu(() => runOp("MaxPool", [x], attrs));
          const s0 = snapshot();
          const gy = gpu(() => runOp("MaxPool", [x], attrs));
          assert.ok(onGpu(gy));
          assertClose(what, gy, y, 0, 0);
          const dy = tf.cast(
            tf.constant(
              Float64Array.from({ length: y.size }, () => r() - 0.5),
              { dtype: "float64", shape: y.shape },
            ),
            dtype,
          ) as E;
          const want = cpu(() => runOp("MaxPoolGrad", [x, y, dy], attrs));
          const got = gpu(() => runOp("MaxPoolGrad", [x, gy, dy], attrs));
          assert.ok(onGpu(got));
          const s1 = snapshot();
          assert.deepEqual([s1.poolForward - s0.poolForward, s1.poolBackward - s0.poolBackward], c.cudnn ? [1, 0] : [0, 0], `${what}: cuDNN calls`);
          assertClose(`${what} grad`, got, want, dtype === "float32" ? 1e-6 : 1e-14, 1e-7);
        }
      }
    }
  });

  it("cudnn off and forced own algorithms use the own kernels, with the same results", () => {
    const r = rng(41);
    const attrs = { strides: [1, 1, 1, 1], padding: "SAME", dilations: [1, 1, 1, 1], data_format: "NHWC" };
    const x = rand(r, [4, 12, 12, 32], "float32");
    const f = rand(r, [3, 3, 32, 64], "float32");
    const fs = tf.constant([3, 3, 32, 64], { dtype: "int32" });
    const y = cpu(() => runOp("Conv2D", [x, f], attrs));
    const dy = rand(r, y.shape as number[], "float32");
    const ref = [y, cpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs))];
    const pattrs = { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID", data_format: "NHWC" };
    const pref = cpu(() => runOp("MaxPool", [x], pattrs));
    const check = (label: string) => {
      const s0 = snapshot();
      const got = gpu(() => [runOp("Conv2D", [x, f], attrs), runOp("Conv2DBackpropFilter", [x, fs, dy], attrs)]);
      got.forEach((t, i) => assert.ok(relErr(t, ref[i]) < 1e-5, `${label} #${i}: ${relErr(t, ref[i])}`));
      assertClose(
        `${label} pool`,
        gpu(() => runOp("MaxPool", [x], pattrs)),
        pref,
        0,
        0,
      );
      const s1 = snapshot();
      return [s1.forward - s0.forward, s1.backwardFilter - s0.backwardFilter, s1.poolForward - s0.poolForward];
    };
    withTf32(false, () => {
      assert.deepEqual(check("cuDNN"), [1, 1, 1]);
      withOptions({ cudnn: false }, () => assert.deepEqual(check("cudnn off"), [0, 0, 0]));
      for (const a of ["direct", "im2col"] as const) {
        const [fw, bf] = withOptions({ convAlgorithm: a }, () => check(a));
        assert.deepEqual([fw, bf], [0, 0], `convAlgorithm ${a} runs the own kernels`);
      }
    });
  });

  it("a small CNN (8 -> 16 -> 16 channels, 5x5 and 3x3) trains through cuDNN as on the CPU (fp32, TF32 off)", () => {
    const batch = 16;
    const data = cnnBatch(batch, 0);
    const train = (dev: <T>(f: () => T) => T) =>
      dev(() => {
        tf.random.setSeed(1);
        const m = smallCnn();
        return trainEagerly(m, tf.constant(data.x, { shape: [batch, 12, 12, 8] }), tf.constant(data.y, { shape: [batch, 10] }), 3, 0.1);
      });
    const s0 = snapshot();
    const [g, c] = withTf32(false, () => [train(gpu), train(cpu)]);
    const s1 = snapshot();
    // Per step: two forward convolutions, conv2's input gradient, two filter gradients, one pool.
    const calls = [s1.forward - s0.forward, s1.backwardData - s0.backwardData, s1.backwardFilter - s0.backwardFilter, s1.poolForward - s0.poolForward];
    assert.ok(calls[0] === 6 && calls[1] >= 3 && calls[2] === 6 && calls[3] === 3, `cuDNN calls (forward, data, filter, pool): ${calls}`);
    g.losses.forEach((l, i) => assert.ok(Math.abs(l - c.losses[i]) <= 1e-4 * Math.abs(c.losses[i]), `loss ${i}: ${l} vs ${c.losses[i]}`));
    g.vars.forEach((v, i) => assert.ok(relErr(v, c.vars[i]) < 1e-4, `variable ${i}: relative error ${relErr(v, c.vars[i])}`));
  });

  it("a Session step with cuDNN convolutions captures as a CUDA graph and replays the uncaptured results", () => {
    const b = backend!;
    const batch = 8;
    // Deterministic algorithms: the fastest ones may sum in another order on each call (atomics), and the two
    // runs are compared to 1e-6.
    const run = (graphs: boolean) =>
      withOptions({ cudaGraphs: graphs, opDeterminism: true }, () => {
        const g = new tf.Graph();
        return g.asDefault(() => {
          tf.setRandomSeed(7);
          const x = tf.placeholder("float32", [null, 12, 12, 8]);
          const y = tf.placeholder("float32", [null, 10]);
          const m = smallCnn();
          const loss = xentLoss(y, m.forward(x));
          const train = new tf.train.GradientDescentOptimizer(0.05).minimize(loss);
          const sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const captured0 = b.stats.graphsCaptured;
          const launches0 = b.stats.graphLaunches;
          const s0 = snapshot();
          const losses: number[] = [];
          let callsDuringReplays = 0;
          let searchesAfterFirst = 0;
          for (let k = 0; k < 6; k++) {
            const d = cnnBatch(batch, k);
            const a = snapshot();
            losses.push(
              (
                sess.run(
                  [loss, train],
                  new Map<tf.Tensor, Float32Array>([
                    [x, d.x],
                    [y, d.y],
                  ]),
                ) as [E, null]
              )[0].item() as number,
            );
            const z = snapshot();
            if (k >= 2) callsDuringReplays += convCalls(z).reduce((p, v, i) => p + v - convCalls(a)[i], 0) + z.poolForward - a.poolForward;
            if (k >= 1)
              searchesAfterFirst += z.finds - a.finds + z.heuristics - a.heuristics + z.graphTunes - a.graphTunes + z.graphHeuristics - a.graphHeuristics;
          }
          const s1 = snapshot();
          const vars = m.vars.map((v) => Array.from(sess.run(v.value()).dataSync() as Float32Array));
          return {
            losses,
            vars,
            captured: b.stats.graphsCaptured - captured0,
            launches: b.stats.graphLaunches - launches0,
            cudnnCalls: convCalls(s1).reduce((p, v, i) => p + v - convCalls(s0)[i], 0),
            callsDuringReplays,
            searchesAfterFirst,
          };
        });
      });
    const plain = run(false);
    const cap = run(true);
    assert.ok(plain.cudnnCalls >= 6 * 5 && plain.cudnnCalls % 6 === 0, `cuDNN convolutions in the uncaptured steps: ${plain.cudnnCalls}`);
    assert.equal(plain.captured, 0);
    assert.ok(cap.captured >= 1, "the training step was captured");
    assert.ok(cap.launches >= 4, `graph launches: ${cap.launches}`);
    assert.equal(cap.cudnnCalls, (2 * plain.cudnnCalls) / 6, "cuDNN called by the uncaptured run and the capture only");
    assert.equal(cap.callsDuringReplays, 0, "a replay calls cuDNN only through the graph");
    assert.equal(cap.searchesAfterFirst, 0, "algorithms were chosen in the first, uncaptured run");
    assert.ok(new Set(plain.losses).size === plain.losses.length, "losses change step by step");
    cap.losses.forEach((l, i) => assert.ok(Math.abs(l - plain.losses[i]) <= 1e-6 * Math.abs(plain.losses[i]), `loss ${i}: ${l} vs ${plain.losses[i]}`));
    cap.vars.forEach((v, i) =>
      v.forEach((w, j) =>
        assert.ok(Math.abs(w - plain.vars[i][j]) <= 1e-6 + 1e-5 * Math.abs(plain.vars[i][j]), `variable ${i}[${j}]: ${w} vs ${plain.vars[i][j]}`),
      ),
    );
  });

  it("reports the algorithms it chose (one search per shape and direction)", () => {
    const choices = [...stats().choices];
    assert.ok(choices.length > 0);
    // Legacy searches, and the graph API's choices where the cudnnGraph setting (TSFLOW_CUDNN_GRAPH) sent keys there.
    assert.ok(
      choices.every(([k, v]) => (k.includes("|graph-") ? /^graph: (eng\d+|legacy|none)/ : /^(algo \d+|none) of \[/).test(v)),
      JSON.stringify(choices.slice(0, 3)),
    );
    if (tf.config.experimental.getTsflowOptions().debug.includes("cuda")) for (const [k, v] of choices) console.log(`${k}: ${v}`);
  });
});
