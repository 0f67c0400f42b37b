import assert from "node:assert/strict";
import { after, before } from "node:test";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { E, gpuOnly } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";
import { findFusionGroups, FusionNodeInfo } from "../src/runtime/fusion.js";
import type { DType } from "../src/core/dtype.js";
import { defaultBackend } from "../src/core/devices.js";
import type { Backend } from "../src/core/backend.js";

/**
 * Graph-mode elementwise fusion (runtime/fusion.ts): every fused result is compared with the same graph run
 * with fusion off. On CI (no GPU) this exercises the CPU backend's fused loops (fusion "all"); the GPU
 * block compares the CUDA fused kernels with the unfused ones and the CPU, and checks CUDA-graph capture.
 */

type Build = () => { fetches: tf.Tensor[]; feeds?: [tf.Tensor, unknown][] };

interface RunResult {
  values: unknown[][];
  /** Names of the nodes each fused step computed (from the FULL_TRACE step stats). */
  fused: string[][];
  plan: string;
}

/** Builds in a fresh graph (on `device`) and runs it with fusion set to `mode`. */
function runGraph(build: Build, mode: "off" | "all", device = "/cpu:0"): RunResult {
  return withOptions({ fusion: mode }, () =>
    new tf.Graph().asDefault(() =>
      tf.device(device, () => {
        const { fetches, feeds = [] } = build();
        const sess = new tf.Session();
        try {
          const feedMap = new Map(feeds as [tf.SymbolicTensor, never][]);
          const meta = new tf.RunMetadata();
          const out = sess.run(fetches, feedMap as never, { traceLevel: 3 }, meta) as E[];
          const fused = meta.stepStats!.devStats.flatMap((d) => d.nodeStats.filter((s) => s.fusedNodes).map((s) => s.fusedNodes!));
          const plan = sess.describePlan(
            fetches,
            feeds.map(([t]) => t),
          );
          return { values: out.map((t) => Array.from(t.dataSync() as ArrayLike<unknown>)), fused, plan };
        } finally {
          sess.close();
        }
      }),
    ),
  );
}

/**
 * A tanh/sigmoid MLP (6 -> hidden -> 2) trained 6 SGD steps in a Session on `device`: its losses, its
 * variables, and what `more` reads from the session after the steps.
 */
function trainTanhMlp<X>(
  device: string,
  hidden: number,
  rows: number,
  more: (sess: tf.Session, fetches: tf.Tensor[], feeds: Map<tf.Tensor, Float32Array>) => X,
): { losses: number[]; vars: number[][] } & X {
  return new tf.Graph().asDefault(() =>
    tf.device(device, () => {
      tf.setRandomSeed(3);
      const x = tf.placeholder("float32", [null, 6], { name: "x" });
      const t = tf.placeholder("float32", [null, 2], { name: "t" });
      const w1 = new tf.Variable(tf.randomUniform([6, hidden], -0.5, 0.5), { name: "w1" });
      const b1 = new tf.Variable(tf.zeros([hidden]), { name: "b1" });
      const w2 = new tf.Variable(tf.randomUniform([hidden, 2], -0.5, 0.5), { name: "w2" });
      const h = tf.tanh(tf.add(tf.matmul(x, w1), b1));
      const o = tf.sigmoid(tf.matmul(tf.multiply(h, 1.5), w2));
      const loss = tf.reduceMean(tf.square(tf.subtract(o, t)));
      const step = new tf.train.GradientDescentOptimizer(0.5).minimize(loss);
      const sess = new tf.Session();
      try {
        sess.run(tf.globalVariablesInitializer());
        const feeds = new Map<tf.Tensor, Float32Array>([
          [x, Float32Array.from(grid(rows, 6).flat())],
          [t, Float32Array.from(grid(rows, 2, 0.5, 0.5).flat())],
        ]);
        const losses: number[] = [];
        for (let i = 0; i < 6; i++) losses.push((sess.run([loss, step], feeds) as [E, null])[0].item() as number);
        const vars = [w1, b1, w2].map((v) => Array.from((sess.run(v.value()) as E).dataSync() as Float32Array));
        return { losses, vars, ...more(sess, [loss, step as unknown as tf.Tensor], feeds) };
      } finally {
        sess.close();
      }
    }),
  );
}

/** Fused and unfused runs give identical values; returns the fused run. */
function sameAsUnfused(build: Build, device?: string): RunResult {
  const off = runGraph(build, "off", device);
  const on = runGraph(build, "all", device);
  assert.equal(off.fused.length, 0);
  assert.deepStrictEqual(on.values, off.values);
  return on;
}

const ramp = (n: number, scale = 1, shift = 0) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + 0.3) * scale + shift);
const grid = (r: number, c: number, scale = 1, shift = 0) => Array.from({ length: r }, (_, i) => ramp(c, scale, shift + i * 0.37));

describe("fusion: values equal the unfused ops", () => {
  for (const dtype of ["float32", "float64"] as DType[]) {
    it(`${dtype}: unary and binary chains with scalar, row and column broadcasts`, () => {
      const r = sameAsUnfused(() => {
        const x = tf.placeholder(dtype, [null, 5], { name: "x" });
        const row = tf.constant(ramp(5), { dtype });
        const col = tf.constant(
          ramp(4).map((v) => [v]),
          { dtype },
        );
        const h = tf.tanh(tf.multiply(tf.add(x, row), col));
        const y = tf.sqrt(tf.add(tf.square(tf.subtract(h, 0.25)), 1e-3));
        const z = tf.sigmoid(tf.realdiv(tf.exp(tf.negative(tf.abs(x))), tf.add(y, 2)));
        return { fetches: [z], feeds: [[x, grid(4, 5, 3)]] };
      });
      assert.equal(r.fused.length, 1);
      assert.ok(r.fused[0].length >= 10, r.fused[0].join(","));
      assert.match(r.plan, /fused=\[/);
    });
  }

  it("int32 with truncating and wrapping arithmetic, comparisons, select and casts", () => {
    const r = sameAsUnfused(() => {
      const x = tf.placeholder("int32", [null, 3], { name: "x" });
      const big = tf.constant([2147483000, -7, 13], { dtype: "int32" });
      const a = tf.multiply(tf.add(x, big), tf.constant([[3], [-5]], { dtype: "int32" }));
      const c = tf.greater(a, tf.constant(0, { dtype: "int32" }));
      const s = tf.where(c, tf.square(a), tf.negative(tf.abs(a)));
      const f = tf.multiply(tf.cast(s, "float32"), 0.5);
      const back = tf.cast(tf.floor(f), "int32");
      return {
        fetches: [back, tf.cast(c, "float64")],
        feeds: [
          [
            x,
            [
              [1, 2, 3],
              [-4, 5, 2147483647],
            ],
          ],
        ],
      };
    });
    assert.ok(r.fused.length >= 1);
  });

  it("int64, uint8 and bool chains", () => {
    const r = sameAsUnfused(() => {
      const x = tf.placeholder("int64", [3], { name: "x" });
      const y = tf.maximum(tf.multiply(tf.subtract(x, tf.constant([1, 2, 3], { dtype: "int64" })), x), tf.constant(-5, { dtype: "int64" }));
      const u = tf.placeholder("uint8", [3], { name: "u" });
      const v = tf.multiply(tf.add(u, u), u);
      const b = tf.logicalNot(tf.logicalAnd(tf.greater(y, tf.constant(0, { dtype: "int64" })), tf.less(v, tf.constant(100, { dtype: "uint8" }))));
      return {
        fetches: [y, v, b],
        feeds: [
          [x, [3, -4, 100000]],
          [u, [7, 200, 3]],
        ],
      };
    });
    assert.ok(r.fused.length >= 2, `fused steps: ${r.fused.length}`);
  });

  it("NaN and infinities flow through as they do unfused", () => {
    sameAsUnfused(() => {
      const x = tf.placeholder("float32", [6], { name: "x" });
      const y = tf.maximum(tf.log(x), tf.constant(-3, { dtype: "float32" }));
      const z = tf.where(tf.math.isNan(y), tf.zerosLike(y), tf.minimum(tf.multiply(y, 1e38), tf.constant(Infinity)));
      return { fetches: [z, tf.round(tf.multiply(x, 0.5))], feeds: [[x, [-1, 0, 1, Infinity, NaN, 5]]] };
    });
  });

  it("a shape error at run time names the node, as unfused", () => {
    const build: Build = () => {
      const x = tf.placeholder("float32", [null], { name: "x" });
      const y = tf.placeholder("float32", [null], { name: "y" });
      return {
        fetches: [tf.exp(tf.add(tf.square(x), y, { name: "bad" }))],
        feeds: [
          [x, [1, 2, 3]],
          [y, [1, 2]],
        ],
      };
    };
    const message = (mode: "off" | "all") => {
      try {
        runGraph(build, mode);
      } catch (e) {
        assert.ok(e instanceof tf.errors.InvalidArgumentError);
        return (e as Error).message;
      }
      assert.fail("no error");
    };
    assert.equal(message("all"), message("off"));
    assert.match(message("all"), /bad/);
  });
});

describe("fusion: what is not fused", () => {
  it("a fetched intermediate is computed and returned", () => {
    const r = sameAsUnfused(() => {
      const x = tf.placeholder("float32", [4], { name: "x" });
      const mid = tf.exp(tf.multiply(x, 2, { name: "m" }), { name: "mid" });
      return { fetches: [tf.add(tf.sqrt(mid), 1), mid], feeds: [[x, [0.1, 0.2, 0.3, 0.4]]] };
    });
    for (const g of r.fused) assert.ok(!g.slice(0, -1).includes("mid"), `mid fused away in ${g}`);
  });

  it("an intermediate another op also reads is not fused away", () => {
    const r = sameAsUnfused(() => {
      const x = tf.placeholder("float32", [2, 2], { name: "x" });
      const shared = tf.tanh(tf.add(x, 1), { name: "shared" });
      return {
        fetches: [tf.multiply(tf.exp(shared), 3), tf.matmul(shared, shared)],
        feeds: [
          [
            x,
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ],
      };
    });
    for (const g of r.fused) assert.ok(!g.slice(0, -1).includes("shared"), `shared fused away in ${g}`);
  });

  it("an op ordered before another by a control edge stays a node of its own", () => {
    const r = sameAsUnfused(() => {
      const x = tf.placeholder("float32", [3], { name: "x" });
      const first = tf.square(x, "first");
      const y = tf.controlDependencies([first], () => tf.identity(x));
      return { fetches: [tf.add(tf.exp(first), y)], feeds: [[x, [1, 2, 3]]] };
    });
    assert.equal(r.fused.length, 1);
    for (const g of r.fused) assert.ok(!g.slice(0, -1).includes("first"));
  });

  it("fusion off: no fused steps", () => {
    const r = runGraph(() => {
      const x = tf.placeholder("float32", [3], { name: "x" });
      return { fetches: [tf.exp(tf.square(x))], feeds: [[x, [1, 2, 3]]] };
    }, "off");
    assert.equal(r.fused.length, 0);
    assert.doesNotMatch(r.plan, /fused=/);
  });

  it("the grouping pass (pure): consumers outside, fetched slots, devices", () => {
    const n = (ins: number[], out: number, extra: Partial<FusionNodeInfo> = {}): FusionNodeInfo => ({
      inputSlots: ins,
      outputSlots: [out],
      device: "d",
      fusible: true,
      canBeInterior: true,
      ...extra,
    });
    // 0: a = f(x); 1: b = g(a); 2: c = h(b, a); 3: d = k(c)
    const chain = [n([0], 1), n([1], 2), n([2, 1], 3), n([3], 4)];
    assert.deepEqual(findFusionGroups(chain, new Set()), [{ members: [0, 1, 2, 3], inputs: [0] }]);
    // b is fetched: it ends a group, and a (read on both sides) stays one's input.
    assert.deepEqual(findFusionGroups(chain, new Set([2])), [{ members: [2, 3], inputs: [2, 1] }]);
    // a is also read by a node that cannot fuse: a stays a group's output.
    const withReader = [...chain, n([1], 5, { fusible: false })];
    assert.deepEqual(findFusionGroups(withReader, new Set()), [{ members: [1, 2, 3], inputs: [1] }]);
    // Another device or a control edge out of it: not a member.
    assert.deepEqual(findFusionGroups([n([0], 1, { device: "e" }), n([1], 2)], new Set()), []);
    assert.deepEqual(findFusionGroups([n([0], 1, { canBeInterior: false }), n([1], 2)], new Set()), []);
    // Input limit.
    const wide = [n([0, 1], 10), n([10, 2], 11), n([11, 3], 12)];
    assert.deepEqual(findFusionGroups(wide, new Set(), { maxInputs: 3, maxOps: 32 }), [{ members: [1, 2], inputs: [10, 2, 3] }]);
  });
});

describe("fusion: gradients and training", () => {
  it("tf.gradients of an elementwise chain", () => {
    const r = sameAsUnfused(() => {
      const x = tf.placeholder("float32", [3, 4], { name: "x" });
      const b = tf.constant(ramp(4), { dtype: "float32" });
      const y = tf.reduceSum(tf.multiply(tf.sigmoid(tf.add(x, b)), tf.tanh(tf.subtract(tf.square(x), b))));
      const [dx] = tf.gradients(y, [x]) as tf.Tensor[];
      return { fetches: [y, dx], feeds: [[x, grid(3, 4)]] };
    });
    assert.ok(r.fused.length >= 2, `fused steps: ${r.fused.length}`);
  });

  it("GradientDescent training gives the same variables with fusion on and off", () => {
    const train = (mode: "off" | "all") => withOptions({ fusion: mode }, () => trainTanhMlp("/cpu:0", 8, 5, () => ({})));
    const off = train("off");
    const on = train("all");
    assert.ok(off.losses[5] < off.losses[0], "it learns");
    assert.deepStrictEqual(on, off);
  });
});

describe("fusion: when the backend declines a group", () => {
  it("its nodes run one by one, freeing only intermediates (RMSProp training, same variables)", () => {
    const train = (mode: "off" | "all") =>
      withOptions({ fusion: mode }, () =>
        new tf.Graph().asDefault(() =>
          tf.device("/cpu:0", () => {
            const x = tf.placeholder("float32", [3, 2], { name: "x" });
            const w = new tf.Variable(
              [
                [0.5, -0.25],
                [0.125, 1],
              ],
              { name: "W" },
            );
            const b = new tf.Variable([0.1, -0.2], { name: "b" });
            const loss = tf.reduceSum(tf.square(tf.subtract(tf.tanh(tf.add(tf.matmul(x, w), b)), 0.3)));
            const step = new tf.train.RMSPropOptimizer(0.05, { momentum: 0.9, centered: true }).minimize(loss);
            const sess = new tf.Session();
            sess.run(tf.globalVariablesInitializer());
            const feeds = new Map<tf.Tensor, number[][]>([[x, grid(3, 2)]]);
            for (let i = 0; i < 4; i++) sess.run(step, feeds as never);
            const vars = [w, b].map((v) => Array.from((sess.run(v.value()) as E).dataSync() as Float32Array));
            sess.close();
            return vars;
          }),
        ),
      );
    const off = train("off");
    const cpu = defaultBackend() as Backend;
    const runFused = cpu.runFused;
    let declined = 0;
    cpu.runFused = () => {
      declined++;
      return null;
    };
    try {
      assert.deepStrictEqual(train("all"), off);
    } finally {
      cpu.runFused = runFused;
    }
    assert.ok(declined > 0);
    assert.deepStrictEqual(train("all"), off);
  });
});

// ---------------------------------------------------------------- GPU

describe("fusion on the GPU", gpuOnly, () => {
  let saved = true;
  before(() => {
    saved = tf.config.experimental.getTsflowOptions().cudaGraphs;
    tf.config.experimental.setTsflowOptions({ cudaGraphs: false });
  });
  after(() => {
    tf.config.experimental.setTsflowOptions({ cudaGraphs: saved });
  });

  /** Values of a GPU run against the CPU reference (float32 computes in float on the GPU, in double on the CPU). */
  const close = (gpuVals: unknown[][], cpuVals: unknown[][], rel = 2e-6) => {
    gpuVals.forEach((g, k) =>
      g.forEach((v, i) => {
        const c = cpuVals[k][i];
        if (typeof v !== "number" || typeof c !== "number" || !Number.isFinite(c)) return assert.deepStrictEqual(v, c, `output ${k}[${i}]`);
        assert.ok(Math.abs(v - c) <= rel * Math.max(1, Math.abs(c)), `output ${k}[${i}]: ${v} vs ${c}`);
      }),
    );
  };

  const chains: [string, Build][] = [
    [
      "float32 broadcasts, unary and binary",
      () => {
        const x = tf.placeholder("float32", [null, 33], { name: "x" });
        const row = tf.constant(ramp(33), { dtype: "float32" });
        const col = tf.constant(
          ramp(40).map((v) => [v]),
          { dtype: "float32" },
        );
        const h = tf.tanh(tf.multiply(tf.add(x, row), col));
        const y = tf.sqrt(tf.add(tf.square(tf.subtract(h, 0.25)), 1e-3));
        return { fetches: [tf.sigmoid(tf.realdiv(tf.exp(tf.negative(tf.abs(x))), tf.add(y, 2)))], feeds: [[x, grid(40, 33, 3)]] };
      },
    ],
    [
      "float64 with a rank-3 broadcast",
      () => {
        const x = tf.placeholder("float64", [2, 3, 5], { name: "x" });
        const m = tf.constant([[[1], [2], [3]]], { dtype: "float64" });
        const v = tf.constant([ramp(5)], { dtype: "float64" });
        return { fetches: [tf.exp(tf.multiply(tf.add(x, m), tf.log1p(tf.square(v))))], feeds: [[x, [grid(3, 5), grid(3, 5, 2)]]] };
      },
    ],
    [
      "int32 with comparisons, select and casts",
      () => {
        const x = tf.placeholder("int32", [null, 3], { name: "x" });
        const a = tf.multiply(tf.add(x, tf.constant([2147483000, -7, 13], { dtype: "int32" })), tf.constant([[3], [-5]], { dtype: "int32" }));
        const c = tf.greater(a, tf.constant(0, { dtype: "int32" }));
        const s = tf.where(c, tf.square(a), tf.negative(tf.abs(a)));
        return {
          fetches: [tf.cast(tf.floor(tf.multiply(tf.cast(s, "float32"), 0.5)), "int32")],
          feeds: [
            [
              x,
              [
                [1, 2, 3],
                [-4, 5, 2147483647],
              ],
            ],
          ],
        };
      },
    ],
  ];

  for (const [name, build] of chains) {
    it(`${name}: fused kernel equals the unfused GPU kernels and the CPU`, () => {
      const off = runGraph(build, "off", "/gpu:0");
      const on = runGraph(build, "all", "/gpu:0");
      const cpu = runGraph(build, "off", "/cpu:0");
      assert.ok(on.fused.length >= 1, "fused on the GPU");
      assert.match(on.plan, /GPU:0 .*fused=/);
      assert.deepStrictEqual(on.values, off.values);
      close(on.values, cpu.values);
    });
  }

  it("training with fusion: same variables as unfused, and the step is captured and replayed as a CUDA graph", () => {
    const b = gpuBackend(0)!;
    // Matrix-product epilogues (runtime/epilogue.ts) would take the Add that this test fuses with the Tanh.
    const train = (mode: "off" | "all", graphs: boolean) =>
      withOptions({ fusion: mode, epilogues: false, cudaGraphs: graphs }, () => {
        const captured0 = b.stats.graphsCaptured;
        const launches0 = b.stats.graphLaunches;
        return trainTanhMlp("/gpu:0", 64, 32, (sess, fetches, feeds) => {
          const meta = new tf.RunMetadata();
          sess.run(fetches, feeds, { traceLevel: 3 }, meta);
          const fusedSteps = meta.stepStats!.devStats.flatMap((d) => d.nodeStats).filter((st) => st.fusedNodes).length;
          return { captured: b.stats.graphsCaptured - captured0, replays: b.stats.graphLaunches - launches0, fusedSteps };
        });
      });
    const off = train("off", false);
    const on = train("all", false);
    const captured = train("all", true);
    assert.equal(off.fusedSteps, 0);
    assert.ok(on.fusedSteps >= 2, `fused steps: ${on.fusedSteps}`);
    assert.deepStrictEqual(on.losses, off.losses);
    assert.deepStrictEqual(on.vars, off.vars);
    assert.ok(captured.captured >= 1, "captured");
    assert.ok(captured.replays >= 4, `replays: ${captured.replays}`);
    assert.deepStrictEqual(captured.losses, on.losses);
    assert.deepStrictEqual(captured.vars, on.vars);
  });
});
