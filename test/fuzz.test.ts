/**
 * The op fuzzer's CI budget (issue 13): a fixed-seed sample of calls over every op of the op table, eagerly
 * and in graphs, on worker threads with time and memory limits. Every call must end in a correct result or a
 * clean tf.errors.* naming the op; no unclean error, hang, crash or eager/graph mismatch. The long mode is
 * `npm run fuzz -- --calls 1000000` (scripts/fuzz.ts; figures in docs/FUZZ.md).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { callArb, fuzzableOps } from "./fuzz/cases.js";

import { runPool } from "./fuzz/pool.js";
import { type FuzzCase } from "./fuzz/cases.js";
import { runCase } from "./fuzz/run_case.js";

const CALLS = 1500;
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
];

test("op fuzzer: the calls long runs found are clean errors or correct results", () => {
  for (const c of FOUND) {
    const v = runCase(c);
    assert.ok(v.kind === "ok" || v.kind === "clean", `${c.op}: ${"detail" in v ? v.detail : v.kind}`);
  }
});
