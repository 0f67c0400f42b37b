import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { execute } from "../src/ops/dispatch.js";
import type { OpType } from "../src/core/schema/index.js";

/**
 * Attribute normalisation (core/schema/attrs.ts), run once per op by dispatch: absent attrs take the op
 * table's defaults; a wrong type, a disallowed value, an unknown or a missing required attr raise
 * InvalidArgumentError naming the op, the attr, what was given and what was expected, eagerly and when a
 * graph node is built.
 */
const run = (type: OpType, inputs: unknown[], attrs: Record<string, unknown>) => execute(type, inputs as never, attrs as never);

const inGraph = <T>(f: () => T): T => {
  const g = new tf.Graph();
  return g.asDefault(f);
};

function expectAttrError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof tf.errors.InvalidArgumentError, `an InvalidArgumentError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

const bad: [string, () => unknown, RegExp][] = [
  ["a wrong type", () => run("MatMul", [[[1]], [[2]]], { transpose_a: "yes" }), /MatMul.*attr 'transpose_a' expects a value of type bool, got "yes"/],
  [
    "a disallowed value",
    () => run("BiasAdd", [[[1, 2]], [1, 2]], { data_format: "NCWH" }),
    /attr 'data_format' of "NCWH" is not in the list of allowed values: "NHWC", "NCHW".*Op<name=BiasAdd>/,
  ],
  ["an unknown attr", () => run("AddV2", [1, 2], { alpha: 1 }), /AddV2.*unknown attr 'alpha' \(given 1\); AddV2 takes no attrs/],
  ["a missing required attr", () => run("Conv2D", [[[[[1]]]], [[[[1]]]]], { padding: "SAME" }), /Conv2D.*missing attr 'strides' \(list\(int\), required\)/],
  [
    "a list of the wrong element type",
    () => run("Squeeze", [[[1]]], { squeeze_dims: ["a"] }),
    /Squeeze.*attr 'squeeze_dims' expects a value of type list\(int\), got \["a"\]/,
  ],
  ["a wrong dtype attr", () => run("Cast", [[1]], { DstT: "float31" }), /Cast.*attr 'DstT' expects a value of type type, got "float31"/],
];

describe("op attributes are normalised once, from the op table", () => {
  for (const [what, f, pattern] of bad) {
    it(`${what} raises InvalidArgumentError eagerly`, () => expectAttrError(f, pattern));
    it(`${what} raises InvalidArgumentError when a graph node is built`, () => expectAttrError(() => inGraph(f), pattern));
  }

  it("fills defaults: graph nodes carry every attr of the op", () => {
    inGraph(() => {
      const x = tf.placeholder("float32", [1, 4, 4, 2]);
      const f = tf.constant(new Float32Array(2 * 2 * 2 * 3), { shape: [2, 2, 2, 3] });
      const y = tf.nn.conv2d(x, f, 1, "SAME") as tf.SymbolicTensor;
      assert.deepEqual(y.op.attrs.dilations, [1, 1, 1, 1]);
      assert.deepEqual(y.op.attrs.explicit_paddings, []);
      assert.equal(y.op.attrs.use_cudnn_on_gpu, true);
      assert.equal(y.op.attrs.data_format, "NHWC");
      const m = run("MatMul", [tf.zeros([2, 3]), tf.zeros([3, 4])], {})[0] as tf.SymbolicTensor;
      assert.equal(m.op.attrs.transpose_a, false);
      assert.equal(m.op.attrs.transpose_b, false);
      const s = run("Sum", [tf.zeros([2, 3]), new Int32Array([0])], {})[0] as tf.SymbolicTensor;
      assert.equal(s.op.attrs.keep_dims, false);
      assert.deepEqual(s.shape, [3]);
    });
  });

  it("fills defaults eagerly: kernels and inference see them", () => {
    const a = tf.constant([
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual((run("Sum", [a, new Int32Array([1])], {})[0] as tf.EagerTensor).arraySync(), [3, 7]);
    assert.deepEqual((run("ArgMax", [a, 1], {})[0] as tf.EagerTensor).dtype, "int64");
    assert.deepEqual((run("Shape", [a], {})[0] as tf.EagerTensor).dtype, "int32");
    assert.deepEqual((run("Pack", [a, a], {})[0] as tf.EagerTensor).shape, [2, 2, 2]);
  });

  it("accepts the attrs that inputs bind (a list's length N)", () => {
    const a = tf.constant([1, 2]);
    assert.deepEqual((run("Pack", [a, a], { N: 2 })[0] as tf.EagerTensor).shape, [2, 2]);
  });
});
