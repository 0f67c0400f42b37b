import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { execute } from "../src/ops/dispatch.js";

/**
 * The CPU backend hands a matrix product, a convolution, an elementwise op and a fused program a freed buffer of their
 * output's size without clearing it first (core/dtype.ts allocOutput): each must overwrite every element. A
 * buffer of NaNs is freed just before each, so a skipped element shows.
 */
describe("CPU outputs in recycled buffers", () => {
  const nanBuffer = (shape: number[]) => tf.tidy(() => tf.mul(tf.fill(shape, Number.NaN), tf.fill(shape, 2))).dispose();
  const values = (t: tf.Tensor) => Array.from(t.dataSync() as Float32Array);

  it("MatMul (transposed operands too) overwrites a freed buffer of NaNs in full", () => {
    tf.device("/cpu:0", () => {
      const a = tf.constant(
        Array.from({ length: 64 * 40 }, (_, i) => (i % 7) - 3),
        { shape: [64, 40] },
      );
      const b = tf.constant(
        Array.from({ length: 40 * 96 }, (_, i) => (i % 5) - 2),
        { shape: [40, 96] },
      );
      const want = values(tf.matmul(a, b));
      for (const [x, y, ta, tb] of [
        [a, b, false, false],
        [tf.transpose(a), b, true, false],
        [a, tf.transpose(b), false, true],
      ] as const) {
        nanBuffer([64, 96]);
        const got = values(tf.matmul(x, y, ta, tb));
        assert.deepEqual(got, want);
      }
    });
  });

  it("Conv2D (and its bias-and-Relu epilogue in a Session) overwrites a freed buffer of NaNs in full", () => {
    tf.device("/cpu:0", () => {
      const x = tf.constant(
        Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => ((i * 7) % 13) / 13 - 0.5),
        { shape: [2, 9, 9, 3] },
      );
      for (const [kh, c] of [
        [3, 8],
        [1, 8],
        [5, 16],
      ]) {
        const f = tf.constant(
          Array.from({ length: kh * kh * 3 * c }, (_, i) => ((i * 5) % 11) / 11 - 0.5),
          { shape: [kh, kh, 3, c] },
        );
        const want = values(tf.nn.conv2d(x, f, 1, "SAME"));
        nanBuffer([2, 9, 9, c]);
        assert.deepEqual(values(tf.nn.conv2d(x, f, 1, "SAME")), want, `${kh}x${kh}, ${c} channels`);
        const g = new tf.Graph();
        g.asDefault(() => {
          const p = tf.placeholder("float32", [2, 9, 9, 3]);
          const bias = tf.constant(Array.from({ length: c }, (_, i) => i / 10 - 0.3));
          const y = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(p, f, 1, "SAME"), bias));
          const sess = new tf.Session();
          const feed = new Map([[p, x]]);
          const first = values(sess.run(y, feed as never) as tf.Tensor);
          nanBuffer([2, 9, 9, c]);
          assert.deepEqual(values(sess.run(y, feed as never) as tf.Tensor), first);
          assert.ok(first.every((v) => Number.isFinite(v) && v >= 0));
          sess.close();
        });
      }
    });
  });

  it("FusedBatchNormV3 and its gradient (channels last, first, many channels) overwrite a freed buffer of NaNs in full", () => {
    tf.device("/cpu:0", () => {
      for (const [shape, format] of [
        [[4, 5, 5, 6], "NHWC"],
        [[4, 5, 5, 40], "NHWC"],
        [[4, 6, 5, 5], "NCHW"],
      ] as const) {
        const C = format === "NHWC" ? shape[3] : shape[1];
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.constant(
          Array.from({ length: n }, (_, i) => ((i * 13) % 17) / 17 - 0.4),
          { shape: [...shape] },
        );
        const dy = tf.constant(
          Array.from({ length: n }, (_, i) => ((i * 7) % 11) / 11 - 0.5),
          { shape: [...shape] },
        );
        const scale = tf.constant(Array.from({ length: C }, (_, i) => 1 + i / 10));
        const offset = tf.constant(Array.from({ length: C }, (_, i) => i / 20));
        const empty = tf.constant([], { shape: [0] });
        const attrs = { epsilon: 1e-3, data_format: format, is_training: true };
        const run = () => {
          const f = execute("FusedBatchNormV3", [x, scale, offset, empty, empty], attrs);
          nanBuffer([...shape]);
          const g = execute("FusedBatchNormGradV3", [dy, x, scale, f[3], f[4], f[5]], attrs);
          return [values(f[0]), values(g[0])];
        };
        const first = run();
        nanBuffer([...shape]);
        const second = run();
        assert.deepEqual(second, first, `${format} ${shape}`);
        assert.ok(
          first.every((v) => v.every(Number.isFinite)),
          `${format} ${shape}`,
        );
      }
    });
  });

  it("elementwise ops (broadcast, unary) and fused programs overwrite a freed buffer of NaNs in full", () => {
    tf.device("/cpu:0", () => {
      const x = tf.constant(
        Array.from({ length: 32 * 48 }, (_, i) => (i % 11) - 5),
        { shape: [32, 48] },
      );
      const row = tf.constant(Array.from({ length: 48 }, (_, i) => i / 8));
      nanBuffer([32, 48]);
      assert.ok(values(tf.add(x, row)).every((v, i) => v === (i % 48) / 8 + ((i % 11) - 5)));
      nanBuffer([32, 48]);
      assert.ok(values(tf.neg(x)).every((v, i) => v === -((i % 11) - 5)));
      // A Session fuses the chain into one program.
      const g = new tf.Graph();
      g.asDefault(() => {
        const p = tf.placeholder("float32", [32, 48]);
        const y = tf.nn.relu(tf.mul(tf.add(p, 1), 2));
        const sess = new tf.Session();
        const feed = new Map([[p, x]]);
        const first = values(sess.run(y, feed as never) as tf.Tensor);
        nanBuffer([32, 48]);
        const second = values(sess.run(y, feed as never) as tf.Tensor);
        assert.deepEqual(second, first);
        assert.ok(first.every((v, i) => v === Math.max(0, ((i % 11) - 5 + 1) * 2)));
        sess.close();
      });
    });
  });
});
