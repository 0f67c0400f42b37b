/**
 * The op fuzzer's CI budget (issue 13): a fixed-seed sample of calls over every op of the op table, eagerly
 * and in graphs, in worker processes with time and memory limits. Every call must end in a correct result or a
 * clean tf.errors.* naming the op; no unclean error, hang, crash or eager/graph mismatch. The long mode is
 * `npm run fuzz -- --calls 1000000` (scripts/fuzz.ts; figures in docs/FUZZ.md).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as tf from "../src/index.js";
import { execute } from "../src/ops/dispatch.js";
import { callArb, fuzzableOps } from "./fuzz/cases.js";
import { runPool } from "./fuzz/pool.js";
import { type FuzzCase } from "./fuzz/cases.js";
import { runCase } from "./fuzz/run_case.js";

const CALLS = 10000;
const SEED = 20261202;

test(`op fuzzer: ${CALLS} calls (seed ${SEED}) end in a result or a clean error, eager and graph agreeing`, async (t) => {
  const ops = fuzzableOps();
  assert.ok(ops.length >= 100, `only ${ops.length} ops fuzzed`);
  const calls = fc.sample(callArb(ops), { seed: SEED, numRuns: CALLS });
  // Every op of the table is called at least once in the sample.
  const called = new Set(calls.map((c) => c.op));
  const s = await runPool(calls, { workers: 2, timeoutMs: 30000, heapMb: 1024, maxTensorMb: 8, env: { TSFLOW_CUDA: "off" } });
  const line = `calls ${s.calls}, ok ${s.ok}, clean errors ${s.clean}, unclean ${s.unclean}, hangs ${s.hangs}, crashes ${s.crashes}, mismatches ${s.mismatches}; ${called.size} of ${ops.length} ops called`;
  t.diagnostic(line);
  assert.equal(s.calls, CALLS);
  assert.ok(s.ok > CALLS / 4, `too few calls succeed to test anything: ${line}`);
  assert.deepEqual(
    s.failures.map((f) => `${f.kind}: ${f.detail}\n  ${f.call}`),
    [],
    line,
  );
});

/** Calls the long runs found failing once (docs/FUZZ.md), replayed as they were printed: now clean or correct. */
const FOUND: FuzzCase[] = [
  {
    op: "GatherV2",
    inputs: [
      { dtype: "int32", shape: [], values: [-3], unknownShape: false },
      { dtype: "int32", shape: [], values: [0], unknownShape: false },
      { dtype: "int32", shape: [5], values: [2, -1, -1, 2, -2], unknownShape: true },
    ],
    attrs: {},
  },
  {
    op: "MaxPoolGradGradWithArgmax",
    inputs: [
      { dtype: "float32", shape: [0, 2, 2, 2], values: [], unknownShape: false },
      { dtype: "float32", shape: [1, 2], values: [2, 2], unknownShape: false },
      { dtype: "int64", shape: [3, 3, 2], values: new Array(18).fill(1n), unknownShape: false },
    ],
    attrs: { ksize: [1, 2, 2, 1], strides: [1, 1, 1, 1], Targmax: "int64", padding: "VALID", include_batch_in_index: true },
  },
  {
    op: "FusedBatchNormGradV3",
    inputs: [0, 1, 2, 3, 4, 5].map((i) => ({ dtype: "float64" as const, shape: [4, 0, 1, 2, 4], values: [], unknownShape: i !== 4 })),
    attrs: { data_format: "NDHWC", is_training: true },
  },
  {
    op: "BroadcastTo",
    inputs: [
      { dtype: "int64", shape: [0], values: [], unknownShape: true },
      { dtype: "int32", shape: [3], values: [3, 4, 1], unknownShape: false },
    ],
    attrs: {},
  },
  {
    op: "ResizeBilinearGrad",
    inputs: [
      { dtype: "float32", shape: [2, 1, 4, 4], values: new Array(32).fill(1), unknownShape: false },
      { dtype: "float32", shape: [3, 1, 1, 1], values: [1, 2, 3], unknownShape: true },
    ],
    attrs: { align_corners: false, half_pixel_centers: true },
  },
  { op: "Unpack", inputs: [{ dtype: "float32", shape: [0, 2, 2], values: [], unknownShape: true }], attrs: { num: 2147483648 } },
  { op: "Unpack", inputs: [{ dtype: "bool", shape: [2], values: [true, true], unknownShape: true }], attrs: { num: 0 } },
  {
    op: "Fill",
    inputs: [
      { dtype: "int32", shape: [0], values: [], unknownShape: true },
      { dtype: "string", shape: [0, 0, 4], values: [], unknownShape: true },
    ],
    attrs: {},
  },
  // The 100,000-call runs of seeds 1-3 after those fixes:
  {
    op: "Tile",
    inputs: [
      { dtype: "string", shape: [1, 4, 0, 1, 3], values: [], unknownShape: true },
      { dtype: "int32", shape: [5], values: [3, 2147483647, 1, 1, 4], unknownShape: true },
    ],
    attrs: {},
  },
  {
    op: "Tile",
    inputs: [
      { dtype: "uint8", shape: [0, 3, 1, 1, 2], values: [], unknownShape: false },
      { dtype: "int32", shape: [5], values: [3, 2147483647, 0, 2147483647, 4], unknownShape: true },
    ],
    attrs: {},
  },
  {
    op: "ImageSummary",
    inputs: [
      { dtype: "string", shape: [], values: ["a"], unknownShape: false },
      { dtype: "float64", shape: [4, 3, 0, 4], values: [], unknownShape: false },
    ],
    attrs: {},
  },
  {
    op: "FusedBatchNormGradV3",
    inputs: [
      { dtype: "float32", shape: [2, 0, 1, 2], values: [], unknownShape: true },
      { dtype: "float32", shape: [2, 0, 1, 2], values: [], unknownShape: true },
      ...[false, true, false, true].map((unknownShape) => ({ dtype: "float64" as const, shape: [2, 0, 1, 2], values: [], unknownShape })),
    ],
    attrs: { epsilon: 0.5, data_format: "NCHW", is_training: false },
  },
  {
    op: "MaxPoolWithArgmax",
    inputs: [
      { dtype: "int32", shape: [1, 2, 2, 4], values: [2147483647, 2147483647, -4, 4, 7, 100, -1, 5, 5, 2, 2147483647, 7, 5, 6, -1, -4], unknownShape: false },
    ],
    attrs: { ksize: [1, 1, 1, 1], strides: [1, 2, 2, 1], Targmax: "int32", padding: "VALID", include_batch_in_index: true },
  },
  {
    op: "MaxPoolWithArgmax",
    inputs: [{ dtype: "float32", shape: [2, 4, 1, 3], values: new Array(24).fill(1), unknownShape: true }],
    attrs: { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], Targmax: "int32", padding: "SAME" },
  },
  {
    op: "ResizeNearestNeighbor",
    inputs: [
      { dtype: "uint8", shape: [2, 2, 3, 0], values: [], unknownShape: false },
      { dtype: "int32", shape: [2], values: [2, 2147483647], unknownShape: false },
    ],
    attrs: {},
  },
];

test("op fuzzer: the calls long runs found are clean errors or correct results", () => {
  for (const c of FOUND) {
    const v = runCase(c);
    assert.ok(v.kind === "ok" || v.kind === "clean", `${c.op}: ${"detail" in v ? v.detail : v.kind}`);
  }
});

test("op fuzzer: the faults of the runs after the fixes, through the public API", () => {
  // An empty tile whose other dims no index map can hold: a result, not a RangeError.
  const empty = tf.tile(tf.constant([], { dtype: "string", shape: [1, 4, 0, 1, 3] }), [3, 2 ** 31 - 1, 1, 1, 4]);
  assert.deepEqual(empty.shape, [3, 8589934588, 0, 1, 12]);
  assert.equal((empty as tf.EagerTensor).dataSync().length, 0);
  // Resizing images of no channels to a side of 2^31 - 1: an empty result at once, not a hang.
  for (const resize of [tf.image.resizeNearestNeighbor, tf.image.resizeBilinear]) {
    assert.deepEqual(resize(tf.zeros([2, 2, 3, 0]), [2, 2 ** 31 - 1]).shape, [2, 2, 2 ** 31 - 1, 0]);
  }
  // An image with no pixels: TensorFlow's InvalidArgumentError, not the PNG encoder's TypeError.
  assert.throws(
    () => tf.compat.v1.summary.image("a", tf.zeros([4, 3, 0, 4], "float64")),
    (e: unknown) => e instanceof tf.errors.InvalidArgumentError && /input tensor must have non-zero dims. Found: \[4,3,0,4\]/.test(e.message),
  );
  // FusedBatchNormGradV3's scale and saved statistics are vectors of the channel count, in a graph as eagerly.
  const x = tf.zeros([2, 3, 1, 2]);
  const bad = () => execute("FusedBatchNormGradV3", [x, x, tf.ones([2]), tf.zeros([3]), tf.ones([3]), tf.zeros([0])], { data_format: "NCHW" });
  assert.throws(bad, (e: unknown) => e instanceof tf.errors.InvalidArgumentError && /FusedBatchNormGradV3: scale must be a vector of size 3/.test(e.message));
  const g = new tf.Graph();
  g.asDefault(() => {
    const p = tf.placeholder("float32", null);
    const [dx, dscale] = execute("FusedBatchNormGradV3", [p, p, tf.ones([3]), tf.zeros([3]), tf.ones([3]), tf.zeros([0])], { data_format: "NCHW" });
    assert.deepEqual(dx.shape, null);
    assert.deepEqual(dscale.shape, [3]);
  });
});

test("op fuzzer: an argmax given to the pooling gradients is int32 or int64 (TensorFlow's Targmax)", () => {
  const x = tf.ones([1, 2, 2, 1]);
  const attrs = { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID" };
  for (const [op, grad] of [
    ["MaxPoolGradWithArgmax", tf.ones([1, 1, 1, 1])],
    ["MaxPoolGradGradWithArgmax", tf.ones([1, 2, 2, 1])],
  ] as const) {
    assert.deepEqual(execute(op, [x, grad, tf.zeros([1, 1, 1, 1], "int32")], attrs)[0].shape, op === "MaxPoolGradWithArgmax" ? [1, 2, 2, 1] : [1, 1, 1, 1]);
    for (const bad of [tf.zeros([1, 1, 1, 1]), tf.constant([[[["0"]]]])]) {
      assert.throws(
        () => execute(op, [x, grad, bad], attrs),
        (e: unknown) => e instanceof tf.errors.InvalidArgumentError && e.message.includes(`${op}: argmax must be int32 or int64, got ${bad.dtype}`),
      );
    }
  }
});
