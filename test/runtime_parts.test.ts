import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import type { Backend, Handle } from "../src/core/backend.js";
import { defaultBackend } from "../src/core/devices.js";
import { orderedPlan, runPasses } from "../src/runtime/compile.js";
import type { LocalDevice } from "../src/backends/placement.js";
import { Executor } from "../src/runtime/executor.js";
import { planToString, PlanStep } from "../src/runtime/plan.js";
import { ResourceKind, ResourceStore, VARIABLE } from "../src/runtime/resources.js";

/**
 * The runtime's parts: the per-session resource store (runtime/resources.ts), the plan's steps
 * (runtime/plan.ts: copy steps where a value crosses devices, grouped optimizer updates) and the executor
 * running them. Through the public API where a user can reach them; copy steps need two devices, so they are
 * compiled and run on a fake second device (a backend object of its own that computes with the CPU's kernels).
 */

const CPU_NAME = "/job:localhost/replica:0/task:0/device:CPU:0";

describe("runtime: the session's resource store", () => {
  it("keeps each session's variable values apart, and releases them when the session closes", () => {
    new tf.Graph().asDefault(() => {
      const v = new tf.Variable(tf.zeros([64]), { name: "v" });
      const inc = v.assignAdd(tf.ones([64])) as tf.Tensor;
      const before = tf.memory().numDataBuffers;
      const a = new tf.Session();
      const b = new tf.Session();
      a.run(tf.globalVariablesInitializer());
      b.run(tf.globalVariablesInitializer());
      const results = [a.run(inc), a.run(inc), b.run(inc), a.run(v), b.run(v)] as tf.Tensor[];
      assert.equal(results[3].dataSync()[0], 2);
      assert.equal(results[4].dataSync()[0], 1);
      tf.dispose(results);
      a.close();
      b.close();
      assert.equal(tf.memory().numDataBuffers, before, "closing releases the values (and cached constants)");
      assert.throws(() => a.run(v), /closed Session/);
    });
  });

  it("holds typed tables per kind, found by op or by resource name, cleared on close", () => {
    new tf.Graph().asDefault(() => {
      const v = new tf.Variable(1, { name: "w" });
      const op = (v.ref as tf.SymbolicTensor).op;
      const released: string[] = [];
      const TABLE: ResourceKind<string> = { name: "lookup table", release: (s) => void released.push(s) };
      const store = new ResourceStore();
      const cpu = defaultBackend();
      const h = cpu.write(Float32Array.of(3), "float32", []);
      store.table(VARIABLE).set(op, h);
      store.table(TABLE).replace(op, "first");
      store.table(TABLE).replace(op, "second");
      assert.deepEqual(released, ["first"], "replace releases the value it replaces");
      assert.equal(store.table(VARIABLE).get(op), h);
      assert.equal(store.lookup(VARIABLE, "w"), h);
      assert.equal(store.lookup(TABLE, "w"), "second");
      assert.equal(store.lookup(TABLE, "nope"), undefined);
      const n = cpu.memory().numBuffers;
      store.clear();
      assert.deepEqual(released, ["first", "second"]);
      assert.equal(cpu.memory().numBuffers, n - 1, "the variable's buffer is released");
      assert.equal(store.table(VARIABLE).size, 0);
    });
  });
});

describe("runtime: plan steps", () => {
  it("groups a device's gradient-descent updates into one step; FULL_TRACE still names every update", () => {
    new tf.Graph().asDefault(() => {
      const x = tf.placeholder("float32", [null, 2], { name: "x" });
      const w = new tf.Variable([[0.5], [-0.5]], { name: "w" });
      const b = new tf.Variable([0.1], { name: "b" });
      const loss = tf.reduceMean(tf.square(tf.add(tf.matmul(x, w), b)));
      const step = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const plan = sess.describePlan(step, [x]);
      const group = plan.split("\n").filter((l) => l.includes("group="));
      assert.equal(group.length, 1, plan);
      assert.match(group[0], /\(ApplyGradientDescent\) on .* group=\[.*w.*,.*b.*\]/);
      const meta = new tf.RunMetadata();
      sess.run(
        step,
        new Map([
          [
            x,
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ]),
        { traceLevel: tf.RunOptions.FULL_TRACE },
        meta,
      );
      const updates = meta.stepStats!.devStats[0].nodeStats.filter((s) => s.opType === "ApplyGradientDescent");
      assert.equal(updates.length, 2);
      sess.close();
    });
  });

  /** A handle of the fake device: a CPU buffer that only the fake backend accepts. */
  class FakeHandle implements Handle {
    constructor(
      readonly backend: Backend,
      readonly inner: Handle,
    ) {}
    get dtype() {
      return this.inner.dtype;
    }
    get shape() {
      return this.inner.shape;
    }
  }

  /**
   * A second device: a backend of its own computing with the CPU's kernels on FakeHandles; it refuses other
   * devices' buffers, so every value reaching it must have been moved, and it counts what is written to it.
   */
  function fakeDevice(): { device: LocalDevice; writes: () => number } {
    const cpu = defaultBackend();
    let writes = 0;
    const inner = (h: Handle): Handle => {
      if (!(h instanceof FakeHandle) || h.backend !== backend) throw new Error("a buffer of another device reached the fake device");
      return h.inner;
    };
    const backend: Backend = {
      name: "fake",
      deviceType: "CPU",
      deviceIndex: 1,
      write: (v, d, s) => {
        writes++;
        return new FakeHandle(backend, cpu.write(v, d, s));
      },
      readSync: (h) => cpu.readSync(inner(h)),
      read: (h) => cpu.read(inner(h)),
      alias: (h, s) => new FakeHandle(backend, cpu.alias(inner(h), s)),
      dispose: (h) => cpu.dispose(inner(h)),
      hasKernel: (t) => cpu.hasKernel(t),
      runKernel: (t, ins, a, e) => cpu.runKernel(t, ins.map(inner), a, e).map((h) => new FakeHandle(backend, h)),
      synchronize: () => cpu.synchronize(),
      memory: () => cpu.memory(),
    };
    return { device: { name: "/job:localhost/replica:0/task:0/device:FAKE:1", type: "FAKE", index: 1, backend }, writes: () => writes };
  }

  it("inserts one copy step per value and reading device where a value crosses devices, and runs it", () => {
    new tf.Graph().asDefault(() => {
      const cpuDev: LocalDevice = { name: CPU_NAME, type: "CPU", index: 0, backend: defaultBackend() };
      const fake = fakeDevice();
      const x = tf.placeholder("float32", [3], { name: "x" });
      const a = tf.square(x, "a");
      const b = tf.multiply(a, 3, "b");
      const c = tf.add(a, 1, "c");
      const d = tf.add(b, c, "d");
      const onFake = new Set(["b", "c"]);
      const fetches = [d, a] as tf.SymbolicTensor[];
      const ordered = orderedPlan(fetches, [], [x as tf.SymbolicTensor], (op) =>
        onFake.has(op.name) || op.name.startsWith("b/") || op.name.startsWith("c/") ? fake.device : cpuDev,
      );
      const plan = runPasses(ordered);
      const copies = plan.steps.filter((s): s is Extract<PlanStep, { kind: "copy" }> => s.kind === "copy");
      // a goes to the fake device once (read by b and c); b and c come back for d.
      assert.deepEqual(
        copies.map((s) => `${s.tensor.name}->${s.device.name === CPU_NAME ? "CPU" : "FAKE"}`),
        ["a:0->FAKE", "b:0->CPU", "c:0->CPU"],
      );
      const text = planToString(plan);
      assert.match(text, /a:0 \(copy from \/job:localhost\/replica:0\/task:0\/device:CPU:0\) on \/job:localhost\/replica:0\/task:0\/device:FAKE:1/);
      // Each copy runs before its readers, which read its slot; the fetched `a` stays where it was made.
      plan.steps.forEach((s, i) => {
        if (s.kind !== "copy") return;
        const readers = plan.steps.map((r, j) => (r.inputSlots.includes(s.outputSlots[0]) ? j : -1)).filter((j) => j >= 0);
        assert.ok(readers.length > 0 && readers.every((j) => j > i && plan.steps[j].device.backend === s.device.backend), text);
      });
      const cpu = defaultBackend();
      const buffers = cpu.memory().numBuffers;
      const executor = new Executor(new ResourceStore());
      const fed = cpu.write(Float32Array.of(1, 2, 3), "float32", [3]);
      const feeds = new Map([[x as tf.SymbolicTensor, fed]]);
      for (const h of executor.run(plan, feeds)) cpu.dispose(h);
      // Constants placed on the fake device are uploaded on the first run; then one transfer per run: `a`.
      const writes0 = fake.writes();
      const [dv, av] = executor.run(plan, feeds);
      assert.equal(fake.writes() - writes0, 1);
      assert.deepEqual(Array.from(cpu.readSync(dv) as Float32Array), [5, 17, 37]);
      assert.deepEqual(Array.from(cpu.readSync(av) as Float32Array), [1, 4, 9]);
      for (const h of [dv, av] as Handle[]) cpu.dispose(h);
      // FULL_TRACE lists each copy as a step of its own (under the device it copies to).
      const meta = new tf.RunMetadata();
      for (const h of executor.run(plan, feeds, { traceLevel: tf.RunOptions.FULL_TRACE }, meta)) cpu.dispose(h);
      const traced = meta
        .stepStats!.devStats.flatMap((d) => d.nodeStats)
        .filter((st) => st.opType === "_Copy")
        .map((st) => st.nodeName);
      assert.deepEqual(traced.sort(), ["a:0", "b:0", "c:0"]);
      cpu.dispose(fed);
      executor.close();
      executor.releaseConstants();
      assert.equal(cpu.memory().numBuffers, buffers, "every slot, copy and constant is released");
    });
  });

  it("describePlan on one device has no copy steps", () => {
    new tf.Graph().asDefault(() => {
      const x = tf.placeholder("float32", [], { name: "x" });
      const plan = new tf.Session().describePlan(tf.square(x, "y"), [x]);
      assert.doesNotMatch(plan, /copy from/);
    });
  });
});
