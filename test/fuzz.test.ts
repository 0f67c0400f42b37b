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
