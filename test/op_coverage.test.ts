import assert from "node:assert/strict";
import { describe, it } from "node:test";
import "../src/index.js";
import { allOpSchemas } from "../src/core/schema/index.js";
import { cpuKernels } from "../src/backends/cpu/kernels/index.js";
import { cudaKernels } from "../src/backends/cuda/kernels/index.js";
import { RUNTIME_OPS } from "../src/runtime/plan.js";
import { getOpDef } from "../src/ops/registry.js";

/**
 * The op coverage matrix, read from the runtime's own lists: the op table (core/schema), the CPU kernel
 * table, the CUDA kernel table (built without a GPU: building it compiles nothing), the ops the Session's
 * executor runs itself (runtime/plan.ts RUNTIME_OPS) and the gradient registry (ops/registry.ts).
 */
describe("the op table", () => {
  it("every op runs somewhere (a CPU or CUDA kernel, or the executor); prints the coverage matrix", () => {
    const cpu = cpuKernels();
    const cuda = cudaKernels();
    const rows = allOpSchemas().map((s) => {
      const grad = getOpDef(s.type)!.grad;
      return {
        op: s.type,
        runtime: RUNTIME_OPS.has(s.type),
        cpu: cpu[s.type] !== undefined,
        cuda: cuda.has(s.type),
        grad: grad === null ? "not differentiable" : grad === undefined ? "none" : "yes",
      };
    });
    const mark = (b: boolean) => (b ? "yes" : "-").padEnd(5);
    console.log(
      [`${"op".padEnd(32)} ${"cpu".padEnd(5)} ${"cuda".padEnd(5)} ${"exec".padEnd(5)} gradient`]
        .concat(rows.map((r) => `${r.op.padEnd(32)} ${mark(r.cpu)} ${mark(r.cuda)} ${mark(r.runtime)} ${r.grad}`))
        .join("\n"),
    );
    const counts = {
      ops: rows.length,
      cpu: rows.filter((r) => r.cpu).length,
      cuda: rows.filter((r) => r.cuda).length,
      executor: rows.filter((r) => r.runtime).length,
    };
    console.log(`${counts.ops} ops: ${counts.cpu} with a CPU kernel, ${counts.cuda} with a CUDA kernel, ${counts.executor} run by the executor`);
    assert.deepEqual(
      rows.filter((r) => !r.cpu && !r.cuda && !r.runtime).map((r) => r.op),
      [],
      "ops that no backend and not the executor can run",
    );
  });

  it("kernel tables and the executor's list name only ops of the table", () => {
    const known = new Set<string>(allOpSchemas().map((s) => s.type));
    assert.deepEqual(
      Object.keys(cpuKernels()).filter((t) => !known.has(t)),
      [],
    );
    assert.deepEqual(
      [...cudaKernels().keys()].filter((t) => !known.has(t)),
      [],
    );
    assert.deepEqual(
      [...RUNTIME_OPS].filter((t) => !known.has(t)),
      [],
    );
  });

  it("op types are unique TensorFlow names", () => {
    const types = allOpSchemas().map((d) => d.type);
    assert.equal(new Set(types).size, types.length);
    for (const t of types) assert.match(t, /^[A-Z][A-Za-z0-9]*$/);
  });
});
