import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { E, gpuOnly } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";
import { findEpilogueGroups } from "../src/runtime/epilogue.js";
import type { OpStep, Plan } from "../src/runtime/plan.js";
import { orderedPlan } from "../src/runtime/compile.js";
import { localDevices, LocalDevice } from "../src/backends/placement.js";
import type { Backend, Handle } from "../src/core/backend.js";

/**
 * Matrix-product epilogues in Session plans (runtime/epilogue.ts): MatMul + bias (+ Relu) as one node. On the
 * CPU the pure finder is checked on plans built from graphs, and the session's wiring (one call, or the
 * original nodes when the backend declines) through a CPU backend given a matmulEpilogue for the test; the
 * GPU block compares cuBLASLt's epilogues with the unfused kernels and the CPU.
 */

const grid = (r: number, c: number, s = 1, o = 0) =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => o + s * Math.sin(1 + i * 7 + j * 3)));
const ramp = (n: number) => Array.from({ length: n }, (_, i) => (i - n / 2) / n);

/** A plan as a Session builds it (before its passes), every node on `device`. */
function planOf(fetches: tf.Tensor[], device: LocalDevice): Plan {
  return orderedPlan(fetches as unknown as tf.SymbolicTensor[], [], [], () => device);
}

const cpuDevice = () => localDevices().find((d) => d.backend.deviceType === "CPU")!;
const names = (plan: Plan, groups: ReturnType<typeof findEpilogueGroups>) => groups.map((g) => g.members.map((m) => (plan.steps[m] as OpStep).op.name));

describe("epilogues: the pattern finder (pure)", () => {
  it("picks MatMul + AddV2/BiasAdd (+ Relu), refuses fetched or shared products and 2-D biases", () => {
    new tf.Graph().asDefault(() => {
      const x = tf.placeholder("float32", [4, 3], { name: "x" });
      const w = tf.constant(grid(3, 5), { dtype: "float32", name: "w" });
      const b = tf.constant(ramp(5), { dtype: "float32", name: "b" });
      const b2 = tf.constant(grid(4, 5), { dtype: "float32", name: "b2" });
      const mm = (n: string) => tf.matmul(x, w, { name: n });
      const r1 = tf.nn.relu(tf.add(mm("mm1"), b, "add1"), "relu1");
      const a2 = tf.nn.biasAdd(mm("mm2"), b, { name: "add2" });
      const a3 = tf.add(b, mm("mm3"), "add3");
      const p4 = mm("mm4");
      const a4 = tf.add(p4, b, "add4");
      const p5 = mm("mm5");
      const a5 = tf.add(p5, b, "add5");
      const s5 = tf.multiply(p5, 2, "mul5");
      const a6 = tf.add(mm("mm6"), b2, "add6");
      const p7 = mm("mm7");
      const a7 = tf.add(p7, p7, "add7");
      const fetches = [r1, a2, a3, a4, p4, a5, s5, a6, a7];
      const plan = planOf(fetches, cpuDevice());
      assert.deepEqual(
        names(
          plan,
          findEpilogueGroups(plan, () => true),
        ),
        [
          ["mm1", "add1", "relu1"],
          ["mm2", "add2"],
          ["mm3", "add3"],
        ],
      );
      assert.deepEqual(
        findEpilogueGroups(plan, () => false),
        [],
      );
      const g = findEpilogueGroups(plan, () => true)[0];
      assert.equal(g.relu, true);
      // A Relu whose input is also fetched is left out; the product + add still group.
      const plan2 = planOf([r1, tf.identity((r1 as tf.SymbolicTensor).op.inputs[0] as never)], cpuDevice());
      assert.deepEqual(
        names(
          plan2,
          findEpilogueGroups(plan2, () => true),
        ),
        [["mm1", "add1"]],
      );
    });
  });

  it("refuses a product ordered before another op by a control edge; Shape readers after the group are allowed", () => {
    new tf.Graph().asDefault(() => {
      const x = tf.placeholder("float32", [null, 3], { name: "x" });
      const w = tf.constant(grid(3, 5), { dtype: "float32" });
      const b = tf.constant(ramp(5), { dtype: "float32" });
      const p = tf.matmul(x, w, { name: "mm" });
      const r = tf.nn.relu(tf.add(p, b, "add"), "relu");
      const s = tf.shape(p);
      const plan = planOf([s, r], cpuDevice());
      // Shape(p) runs before the group here (fetched first): refused.
      assert.deepEqual(
        findEpilogueGroups(plan, () => true),
        [],
      );
      const plan2 = planOf([r, s], cpuDevice());
      const gs = findEpilogueGroups(plan2, () => true);
      assert.deepEqual(names(plan2, gs), [["mm", "add", "relu"]]);
      assert.equal(gs[0].shapeSlots.length, 1);
      const q = tf.matmul(x, w, { name: "mmc" });
      const out = tf.add(q, b);
      let dep: tf.Tensor | undefined;
      tf.controlDependencies([(q as tf.SymbolicTensor).op as never], () => {
        dep = tf.identity(b);
      });
      const plan3 = planOf([out, dep!], cpuDevice());
      assert.deepEqual(
        findEpilogueGroups(plan3, () => true),
        [],
      );
    });
  });
});

/** The CPU backend with a matmulEpilogue for the test: the unfused kernels in one call, or null (declines). */
function withCpuEpilogue<T>(mode: "compute" | "decline", fn: (calls: () => number) => T): T {
  const cpu = cpuDevice().backend as Backend;
  let calls = 0;
  cpu.matmulEpilogue = (a: Handle, b: Handle, bias: Handle, ta: boolean, tb: boolean, relu: boolean): Handle | null => {
    calls++;
    if (mode === "decline") return null;
    const [p] = cpu.runKernel("MatMul", [a, b], { transpose_a: ta, transpose_b: tb }, {});
    const [s] = cpu.runKernel("AddV2", [p, bias], {}, {});
    cpu.dispose(p);
    if (!relu) return s;
    const [r] = cpu.runKernel("Relu", [s], {}, {});
    cpu.dispose(s);
    return r;
  };
  try {
    return fn(() => calls);
  } finally {
    delete cpu.matmulEpilogue;
  }
}

function mlpTrain(device: string, epilogues: boolean, dtype: "float32" | "float64" = "float32", graphs = false) {
  return withOptions({ epilogues, cudaGraphs: graphs }, () =>
    new tf.Graph().asDefault(() =>
      tf.device(device, () => {
        tf.setRandomSeed(5);
        const x = tf.placeholder(dtype, [null, 6], { name: "x" });
        const t = tf.placeholder(dtype, [null, 3], { name: "t" });
        const w1 = new tf.Variable(tf.randomUniform([6, 16], -0.5, 0.5, dtype), { name: "w1" });
        const b1 = new tf.Variable(tf.constant(new Array<number>(16).fill(0.1), { dtype }), { name: "b1" });
        const w2 = new tf.Variable(tf.randomUniform([16, 3], -0.5, 0.5, dtype), { name: "w2" });
        const b2 = new tf.Variable(tf.zeros([3], dtype), { name: "b2" });
        const h = tf.nn.relu(tf.add(tf.matmul(x, w1), b1));
        const o = tf.nn.biasAdd(tf.matmul(h, w2), b2);
        const loss = tf.reduceMean(tf.square(tf.subtract(o, t)));
        const step = new tf.train.GradientDescentOptimizer(0.2).minimize(loss);
        const sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        const feeds = new Map<tf.Tensor, number[][]>([
          [x, grid(8, 6)],
          [t, grid(8, 3, 0.5, 0.2)],
        ]);
        const losses: number[] = [];
        for (let i = 0; i < 6; i++) losses.push((sess.run([loss, step], feeds as never) as [E, null])[0].item() as number);
        const vars = [w1, b1, w2, b2].map((v) => Array.from((sess.run(v.value()) as E).dataSync() as Float32Array));
        const plan = sess.describePlan([loss, step], [x, t]);
        sess.close();
        return { losses, vars, plan };
      }),
    ),
  );
}

describe("epilogues: the session's wiring (CPU backend given an epilogue)", () => {
  afterEach(() => {
    tf.config.optimizer.setExperimentalOptions({ remapping: true });
  });
  for (const mode of ["compute", "decline"] as const) {
    it(`${mode}: training gives the same variables as without epilogues`, () => {
      const off = mlpTrain("/cpu:0", false);
      const on = withCpuEpilogue(mode, (calls) => {
        const r = mlpTrain("/cpu:0", true);
        assert.ok(calls() >= 12, `calls: ${calls()}`);
        return r;
      });
      assert.match(on.plan, /epilogue=\[MatMul[^,]*,Add[^,]*,Relu/);
      assert.match(on.plan, /epilogue=\[MatMul[^,]*,BiasAdd[^\]]*\]/);
      assert.doesNotMatch(off.plan, /epilogue=/);
      assert.ok(off.losses[5] < off.losses[0], "it learns");
      assert.deepStrictEqual({ ...on, plan: "" }, { ...off, plan: "" });
    });
  }
});

describe("epilogues on the GPU", gpuOnly, () => {
  let savedGraphs = true;
  let savedTf32 = true;
  before(() => {
    savedGraphs = tf.config.experimental.getTsflowOptions().cudaGraphs;
    savedTf32 = tf.config.experimental.tensorFloat32ExecutionEnabled();
    tf.config.experimental.setTsflowOptions({ cudaGraphs: false });
  });
  after(() => {
    tf.config.experimental.setTsflowOptions({ cudaGraphs: savedGraphs });
    tf.config.experimental.enableTensorFloat32Execution(savedTf32);
    tf.config.optimizer.setExperimentalOptions({ remapping: true });
  });

  const close = (a: number[], b: number[], rel: number, what: string) => {
    assert.equal(a.length, b.length);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= rel * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${v} vs ${b[i]}`));
  };

  type Case = [string, (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor, boolean, boolean];
  const cases: Case[] = [
    ["relu(x·W + b)", (x, w, b) => tf.nn.relu(tf.add(tf.matmul(x, w), b)), false, false],
    ["x·W + b", (x, w, b) => tf.add(tf.matmul(x, w), b), false, false],
    ["b + x·W", (x, w, b) => tf.add(b, tf.matmul(x, w)), false, false],
    ["biasAdd(xᵀ·W), relu", (x, w, b) => tf.nn.relu(tf.nn.biasAdd(tf.matmul(x, w, { transposeA: true }), b)), true, false],
    ["biasAdd(x·Wᵀ)", (x, w, b) => tf.nn.biasAdd(tf.matmul(x, w, { transposeB: true }), b), false, true],
    ["relu(xᵀ·Wᵀ + b)", (x, w, b) => tf.nn.relu(tf.add(tf.matmul(x, w, { transposeA: true, transposeB: true }), b)), true, true],
  ];
  const M = 37,
    K = 70,
    N = 45;
  const run = (device: string, dtype: "float32" | "float64", f: Case[1], ta: boolean, tb: boolean, epilogues: boolean) => {
    tf.config.optimizer.setExperimentalOptions({ remapping: epilogues });
    return new tf.Graph().asDefault(() =>
      tf.device(device, () => {
        const x = tf.placeholder(dtype, ta ? [K, M] : [M, K], { name: "x" });
        const w = tf.constant(tb ? grid(N, K, 0.3) : grid(K, N, 0.3), { dtype });
        const b = tf.constant(ramp(N), { dtype });
        const y = f(x, w, b);
        const sess = new tf.Session();
        const feeds = new Map<tf.Tensor, number[][]>([[x, ta ? grid(K, M) : grid(M, K)]]);
        const gb = gpuBackend(0)!;
        const e0 = gb.stats.epilogues;
        const v = Array.from((sess.run(y, feeds as never) as E).dataSync() as Float32Array);
        const used = gb.stats.epilogues - e0;
        const plan = sess.describePlan(y, [x]);
        sess.close();
        return { v, used, plan };
      }),
    );
  };
  for (const [name, f, ta, tb] of cases) {
    for (const [dtype, tf32] of [
      ["float32", false],
      ["float32", true],
      ["float64", false],
    ] as const) {
      it(`${name} ${dtype}${tf32 ? " TF32" : ""}: equals the unfused GPU ops and the CPU`, () => {
        tf.config.experimental.enableTensorFloat32Execution(tf32);
        const on = run("/gpu:0", dtype, f, ta, tb, true);
        const off = run("/gpu:0", dtype, f, ta, tb, false);
        const cpu = run("/cpu:0", dtype, f, ta, tb, true);
        assert.equal(on.used, 1, on.plan);
        assert.match(on.plan, /epilogue=\[/);
        assert.equal(off.used, 0);
        assert.doesNotMatch(off.plan, /epilogue=/);
        const rel = dtype === "float64" ? 1e-12 : tf32 ? 2e-2 : 1e-5;
        close(on.v, off.v, tf32 ? 5e-3 : rel, "vs unfused");
        close(on.v, cpu.v, rel, "vs CPU");
      });
    }
  }

  it("MLP training: same variables with epilogues on and off (fp32, fp64); a captured step replays the same", () => {
    tf.config.experimental.enableTensorFloat32Execution(false);
    const off = mlpTrain("/gpu:0", false);
    const on = mlpTrain("/gpu:0", true);
    assert.match(on.plan, /epilogue=/);
    on.vars.forEach((v, k) => close(v, off.vars[k], 1e-5, `var ${k}`));
    close(on.losses, off.losses, 1e-5, "loss");
    const off64 = mlpTrain("/gpu:0", false, "float64");
    const on64 = mlpTrain("/gpu:0", true, "float64");
    on64.vars.forEach((v, k) => close(v, off64.vars[k], 1e-12, `var64 ${k}`));
    const gb = gpuBackend(0)!;
    const c0 = gb.stats.graphsCaptured;
    const l0 = gb.stats.graphLaunches;
    const cap = mlpTrain("/gpu:0", true, "float32", true);
    assert.ok(gb.stats.graphsCaptured - c0 >= 1, "captured");
    assert.ok(gb.stats.graphLaunches - l0 >= 4, "replayed");
    assert.deepStrictEqual(cap.losses, on.losses);
    assert.deepStrictEqual(cap.vars, on.vars);
  });
});
