import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "../src/index.js";

/**
 * A graph of many op families (convolution, pooling, batch normalization, reductions, gathers, concat,
 * strided slices, casts, comparisons, their gradients and an Adam train op) written by asGraphDef and
 * imported into a new graph gives the same values: every attr and type attr survives the trip.
 */
test("a CNN with its gradients and Adam updates survives asGraphDef -> importGraphDef unchanged", () => {
  const img = Array.from({ length: 2 }, (_, b) => Array.from({ length: 6 }, (_, r) => Array.from({ length: 6 }, (_, c) => [Math.sin(b * 36 + r * 6 + c)])));
  const labels = [1, 3];
  const build = () => {
    const x = tf.placeholder("float32", [null, 6, 6, 1], { name: "x" });
    const y = tf.placeholder("int32", [null], { name: "y" });
    const k = new tf.Variable(
      tf.reshape(
        Array.from({ length: 3 * 3 * 1 * 4 }, (_, i) => Math.cos(i) * 0.3),
        [3, 3, 1, 4],
      ),
      { name: "k" },
    );
    const c = tf.nn.relu(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"));
    const p = tf.nn.maxPool(c, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
    const a = tf.nn.avgPool(c, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
    const both = tf.concat([p, a], 3);
    const flat = tf.reshape(both, [-1, 3 * 3 * 8]);
    const w = new tf.Variable(
      tf.reshape(
        Array.from({ length: 72 * 4 }, (_, i) => Math.sin(i * 0.7) * 0.1),
        [72, 4],
      ),
      { name: "w" },
    );
    const logits = tf.matmul(flat, w, { name: "logits" });
    const loss = tf.reduceMean(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits }), { name: "loss" });
    const sliced = tf.stridedSlice(logits, [0, 1], [2, 3], [1, 1]);
    const picked = tf.gather(logits, [1, 0], { axis: 0 });
    const extra = tf.add(tf.reduceSum(tf.cast(tf.greater(sliced, 0), "float32")), tf.reduceMax(picked), { name: "extra" });
    const train = new tf.train.AdamOptimizer(0.01).minimize(loss, { name: "train" });
    return { loss, extra, train };
  };
  const steps = (sess: tf.Session, loss: string, extra: string, train: string) => {
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [l, e] = sess.run([loss, extra, train], { "x:0": img, "y:0": labels }) as tf.Tensor[];
      out.push(l.item(), e.item());
    }
    return out;
  };
  const g1 = new tf.Graph();
  const first = g1.asDefault(() => {
    build();
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    return steps(sess, "loss:0", "extra:0", "train");
  });
  const gd = g1.asGraphDef();
  const ops = new Set(gd.node.map((n) => n.op));
  for (const op of ["Conv2D", "Conv2DBackpropFilter", "MaxPool", "MaxPoolGrad", "AvgPool", "ConcatV2", "ApplyAdam", "StridedSlice", "GatherV2"]) {
    assert.ok(ops.has(op), `${op} in the GraphDef`);
  }
  const conv = gd.node.find((n) => n.op === "Conv2D")!;
  assert.deepEqual(Object.keys(conv.attr).sort(), ["T", "data_format", "dilations", "explicit_paddings", "padding", "strides", "use_cudnn_on_gpu"]);
  const gather = gd.node.find((n) => n.op === "GatherV2")!;
  assert.deepEqual(Object.keys(gather.attr).sort(), ["Taxis", "Tindices", "Tparams", "batch_dims"]);
  const g2 = new tf.Graph();
  const second = g2.asDefault(() => {
    tf.importGraphDef(gd, { name: "" });
    using sess = new tf.Session();
    sess.run(
      tf
        .getDefaultGraph()
        .getOperations()
        .filter((o) => o.type === "Assign" && o.name.endsWith("/Assign")),
    );
    return steps(sess, "loss:0", "extra:0", "train");
  });
  assert.deepEqual(second, first);
});
