import assert from "node:assert/strict";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import type { CudnnStats } from "../src/backends/cuda/cudnn.js";
import { cudnnGraphTesting } from "../src/backends/cuda/cudnn_backend.js";
import type { DType } from "../src/core/dtype.js";
import { cpu, type E, gpu, onGpu, relErr, rng, runOp } from "./util/gpu.js";
import { type Options, withOptions } from "./util/settings.js";
import { backend, cudnnOnly, dnn } from "./util/cudnn.js";

/**
 * Convolutions through cuDNN's graph API (the cudnnGraph setting, cudnn_graph.ts): Conv2D and both gradients
 * match the CPU in float32 (TF32 off and on), float16 and bfloat16, stride-2 SAME with odd padding included;
 * the graph path really runs (its counters); op determinism gives the same bits run after run; a failing
 * backend call or plan sends the key to the legacy API with the same results; `auto` times the legacy
 * algorithm against the engines; a Session step through the graph API captures and replays. Each case uses
 * shapes of its own, so that its keys are planned under its settings. Skips itself without a GPU or cuDNN.
 */

const snapshot = (): CudnnStats => ({ ...dnn!.stats });
const delta = (a: CudnnStats, b: CudnnStats, keys: readonly (keyof CudnnStats)[]) => keys.map((k) => (b[k] as number) - (a[k] as number));
const ALL = ["forward", "backwardData", "backwardFilter"] as const;
const GRAPH = ["graphForward", "graphBackwardData", "graphBackwardFilter"] as const;

/** The graph-API choices recorded for keys of this input shape (cudnn.ts convKey writes x<n>,<h>,<w>,<c>). */
function choicesFor(x: readonly number[]): string {
  const tag = `|x${x.join(",")}|`;
  return [...dnn!.stats.choices]
    .filter(([k]) => k.includes(tag) && k.includes("|graph-"))
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

interface Case {
  x: number[];
  f: number[];
  s: number;
  d?: number;
  pad: "SAME" | "VALID";
}

const attrsOf = (c: Case) => ({ strides: [1, c.s, c.s, 1], padding: c.pad, dilations: [1, c.d ?? 1, c.d ?? 1, 1], data_format: "NHWC" });

/** Float32 inputs and the CPU's three results (float32, from those inputs). */
function reference(r: () => number, c: Case): { x: E; f: E; dy: E; want: E[] } {
  const rand = (shape: number[], scale: number) =>
    tf.constant(
      Float32Array.from({ length: shape.reduce((p, v) => p * v, 1) }, () => (r() - 0.5) * scale),
      { shape },
    ) as E;
  const attrs = attrsOf(c);
  const x = rand(c.x, 1);
  const f = rand(c.f, 0.5);
  const y = cpu(() => runOp("Conv2D", [x, f], attrs));
  const dy = rand(y.shape as number[], 1);
  const xs = tf.constant(c.x, { dtype: "int32" });
  const fs = tf.constant(c.f, { dtype: "int32" });
  const want = [y, cpu(() => runOp("Conv2DBackpropInput", [xs, f, dy], attrs)), cpu(() => runOp("Conv2DBackpropFilter", [x, fs, dy], attrs))];
  return { x, f, dy, want };
}

/** The three ops on the GPU in `dtype` (results cast back to float32). */
function onDevice(c: Case, dtype: DType, x: E, f: E, dy: E): E[] {
  const attrs = attrsOf(c);
  const [xn, fn, dyn] = [x, f, dy].map((t) => (dtype === "float32" ? t : (tf.cast(t, dtype) as E)));
  const xs = tf.constant(c.x, { dtype: "int32" });
  const fs = tf.constant(c.f, { dtype: "int32" });
  const got = gpu(() => [
    runOp("Conv2D", [xn, fn], attrs),
    runOp("Conv2DBackpropInput", [xs, fn, dyn], attrs),
    runOp("Conv2DBackpropFilter", [xn, fs, dyn], attrs),
  ]);
  for (const t of got) {
    assert.ok(onGpu(t), `on ${t.device}`);
    assert.equal(t.dtype, dtype);
  }
  return got.map((t) => (dtype === "float32" ? t : (tf.cast(t, "float32") as E)));
}

/** Element by element: |got - want| <= atol + rtol |want|. */
function assertClose(what: string, got: E, want: E, rtol: number, atol: number): void {
  const g = got.dataSync() as Float32Array;
  const w = want.dataSync() as Float32Array;
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]), `${what}: element ${i}: got ${g[i]}, want ${w[i]}`);
}

/** The settings of a precision, and the relative error its results may have (those of gpu_cudnn.test.ts). */
const PRECISIONS: { name: string; dtype: DType; tf32: boolean; tol: number }[] = [
  { name: "float32, TF32 off", dtype: "float32", tf32: false, tol: 1e-5 },
  { name: "float32, TF32 on", dtype: "float32", tf32: true, tol: 3e-3 },
  { name: "float16", dtype: "float16", tf32: true, tol: 3e-3 },
  { name: "bfloat16", dtype: "bfloat16", tf32: true, tol: 2e-2 },
];

/** Runs `c` in each precision under `options` (a batch of its own per precision, so every key is new); returns the counter deltas of each. */
function runCase(r: () => number, c: Case, options: Options, check: (what: string, deltas: { all: number[]; graph: number[] }) => void): void {
  PRECISIONS.forEach((p, i) => {
    const ci = { ...c, x: [c.x[0] + i, ...c.x.slice(1)] };
    const what = `${p.name} ${JSON.stringify(ci)}`;
    const { x, f, dy, want } = reference(r, ci);
    tf.config.experimental.enableTensorFloat32Execution(p.tf32);
    try {
      const s0 = snapshot();
      const got = withOptions(options, () => onDevice(ci, p.dtype, x, f, dy));
      const s1 = snapshot();
      got.forEach((t, k) => {
        const e = relErr(t, want[k]);
        assert.ok(e < p.tol, `${what} #${k}: relative error ${e}\n${choicesFor(ci.x)}`);
        if (p.dtype === "float32" && !p.tf32) assertClose(`${what} #${k}`, t, want[k], 1e-4, 1e-4);
      });
      check(`${what}\n${choicesFor(ci.x)}`, { all: delta(s0, s1, ALL), graph: delta(s0, s1, GRAPH) });
    } finally {
      tf.config.experimental.enableTensorFloat32Execution(true);
    }
  });
}

describe("cuDNN's graph API: convolutions against the CPU", cudnnOnly, () => {
  it("Conv2D and both gradients run through the graph API in float32 (TF32 off, on), float16 and bfloat16", () => {
    const r = rng(71);
    const cases: Case[] = [
      { x: [2, 9, 11, 16], f: [3, 3, 16, 16], s: 1, pad: "SAME" },
      { x: [2, 8, 8, 16], f: [3, 3, 16, 32], s: 2, pad: "SAME" }, // ResNet's downsampling: 0 before, 1 after (input padded after)
      { x: [2, 9, 8, 16], f: [3, 3, 16, 16], s: 2, pad: "SAME" }, // rows 1 / 1, columns 0 / 1
      { x: [2, 7, 7, 16], f: [4, 4, 16, 8], s: 1, pad: "SAME" }, // 1 before, 2 after
      { x: [2, 10, 9, 16], f: [3, 3, 16, 16], s: 2, pad: "VALID" },
      { x: [1, 12, 12, 16], f: [3, 3, 16, 16], s: 1, d: 2, pad: "SAME" }, // dilation 2
      { x: [3, 8, 8, 64], f: [1, 1, 64, 32], s: 2, pad: "VALID" }, // a 1x1 stride-2 shortcut
      { x: [4, 16, 16, 32], f: [3, 3, 32, 64], s: 2, pad: "SAME" },
    ];
    for (const c of cases) {
      runCase(r, c, { cudnnGraph: "on" }, (what, d) => {
        assert.deepEqual(d.graph, [1, 1, 1], `${what}: graph-API calls (forward, data, filter)`);
        assert.deepEqual(d.all, [1, 1, 1], `${what}: cuDNN calls`);
      });
    }
    const graphChoices = [...dnn!.stats.choices].filter(([k]) => k.endsWith("|graph-on"));
    assert.ok(graphChoices.length >= cases.length * PRECISIONS.length * 3);
    for (const [k, v] of graphChoices) assert.match(v, /^graph: eng\d+/, k);
    // The float32 keys with TF32 off kept no tensor-core engine.
    for (const [k, v] of graphChoices.filter(([k]) => /\|float32\|/.test(k))) assert.doesNotMatch(v.split(" of [")[0], /\btc\b/, k);
  });

  it("with cudnnGraph off, nothing runs through the graph API", () => {
    const r = rng(72);
    runCase(r, { x: [2, 6, 6, 16], f: [3, 3, 16, 16], s: 1, pad: "SAME" }, { cudnnGraph: "off" }, (what, d) => {
      assert.deepEqual(d.graph, [0, 0, 0], what);
      assert.deepEqual(d.all, [1, 1, 1], what);
    });
  });

  it("auto times the legacy algorithm against the engines and runs the faster", () => {
    const r = rng(73);
    runCase(r, { x: [8, 12, 12, 32], f: [3, 3, 32, 32], s: 1, pad: "SAME" }, { cudnnGraph: "auto" }, (what, d) => {
      assert.deepEqual(d.all, [1, 1, 1], what);
      const lines = what.split("\n").slice(1);
      assert.equal(lines.length, 3, what);
      for (const line of lines) assert.ok(/\blegacy[: ]/.test(line), `the legacy algorithm was timed: ${line}`);
      // Per direction the graph API ran where its engine won.
      const graphWon = lines.map((l) => (/: graph: eng\d+/.test(l) ? 1 : 0));
      const order = ["ConvolutionForward", "ConvolutionBackwardData", "ConvolutionBackwardFilter"];
      const byDir = order.map((o) => graphWon[lines.findIndex((l) => l.startsWith(`${o}|`))]);
      assert.deepEqual(d.graph, byDir, what);
    });
  });

  it("op determinism: repeated runs give the same bits, and no nondeterministic engine is kept", () => {
    const r = rng(74);
    for (const dtype of ["float32", "bfloat16"] as const) {
      const c: Case = { x: [dtype === "float32" ? 16 : 17, 16, 16, 64], f: [3, 3, 64, 64], s: 1, pad: "SAME" };
      const { x, f, dy } = reference(r, c);
      const bits = (ts: E[]) => ts.map((t) => Array.from(new Uint8Array((t.dataSync() as Float32Array).slice().buffer)));
      const runs = withOptions({ cudnnGraph: "on", opDeterminism: true }, () => [0, 1, 2].map(() => bits(onDevice(c, dtype, x, f, dy))));
      for (let i = 1; i < runs.length; i++) {
        runs[i].forEach((b, k) => assert.deepEqual(b, runs[0][k], `${dtype} #${k}: run ${i} differs from run 0`));
      }
      const chosen = choicesFor(c.x).split("\n");
      assert.equal(chosen.length, 3, chosen.join("\n"));
      for (const line of chosen) {
        assert.match(line, /\+det\|/);
        assert.doesNotMatch(line.split(" of [")[0], /\bnd\b/, line);
      }
    }
  });

  it("a failing backend call or plan leaves the key on the legacy API, with the same results", () => {
    const r = rng(75);
    // Even SAME padding: an odd total would pad the input after each image, and the key would name the padded shape.
    const c: Case = { x: [2, 10, 10, 16], f: [3, 3, 16, 16], s: 1, pad: "SAME" };
    const fails = (failCall: string, shape: number) => {
      cudnnGraphTesting.failCall = failCall;
      try {
        runCase(r, { ...c, x: [shape, ...c.x.slice(1)] }, { cudnnGraph: "on" }, (what, d) => {
          assert.deepEqual(d.graph, [0, 0, 0], `${failCall}: ${what}`);
          assert.deepEqual(d.all, [1, 1, 1], `${failCall}: ${what}`);
          for (const line of what.split("\n").slice(1)) assert.match(line, /graph: none \(.*\); the legacy API runs it/);
        });
      } finally {
        cudnnGraphTesting.failCall = null;
      }
    };
    const s0 = snapshot();
    fails("operation graph", 10); // the graph itself
    fails("execution plan", 20); // every plan
    assert.equal(snapshot().graphFallbacks - s0.graphFallbacks, 2 * 3 * PRECISIONS.length);

    // A plan that fails to run: the call falls back at once, and the key stays on the legacy API.
    const cr: Case = { x: [30, 6, 6, 16], f: [3, 3, 16, 16], s: 1, pad: "SAME" };
    const { x, f, dy, want } = reference(r, cr);
    const run = () => {
      const s = snapshot();
      const got = withOptions({ cudnnGraph: "on" }, () => onDevice(cr, "float32", x, f, dy));
      got.forEach((t, k) => assert.ok(relErr(t, want[k]) < 3e-3, `#${k}: ${relErr(t, want[k])}`));
      return delta(s, snapshot(), GRAPH);
    };
    assert.deepEqual(run(), [1, 1, 1], "planned and run through the graph API");
    cudnnGraphTesting.failCall = "cudnnBackendExecute";
    try {
      assert.deepEqual(run(), [0, 0, 0], "execution failed: the legacy API ran");
    } finally {
      cudnnGraphTesting.failCall = null;
    }
    assert.deepEqual(run(), [0, 0, 0], "the key stays on the legacy API");
    assert.match(choicesFor(cr.x), /failed to run/);
  });

  it("plans made as while capturing time nothing and take the heuristic's first usable engine", () => {
    const r = rng(76);
    const s0 = snapshot();
    cudnnGraphTesting.untimed = true;
    try {
      runCase(r, { x: [2, 11, 11, 24], f: [3, 3, 24, 24], s: 2, pad: "SAME" }, { cudnnGraph: "on" }, (what, d) => {
        assert.deepEqual(d.graph, [1, 1, 1], what);
      });
    } finally {
      cudnnGraphTesting.untimed = false;
    }
    const s1 = snapshot();
    assert.equal(s1.graphTunes - s0.graphTunes, 0);
    assert.equal(s1.graphHeuristics - s0.graphHeuristics, 3 * PRECISIONS.length);
  });

  it("a Session step through the graph API captures as a CUDA graph and replays the uncaptured results", () => {
    const b = backend!;
    const batch = 8;
    const data = (k: number) => Float32Array.from({ length: batch * 10 * 10 * 16 }, (_, i) => (((i * 2654435761 + k * 977) % 1000) / 1000 - 0.5) % 1);
    const run = (graphs: boolean) =>
      withOptions({ cudaGraphs: graphs, cudnnGraph: "on" }, () => {
        const g = new tf.Graph();
        return g.asDefault(() => {
          tf.setRandomSeed(5);
          const x = tf.placeholder("float32", [null, 10, 10, 16]);
          const w1 = new tf.Variable(tf.randomUniform([3, 3, 16, 16], -0.2, 0.2));
          const w2 = new tf.Variable(tf.randomUniform([3, 3, 16, 16], -0.2, 0.2));
          const conv = tf.nn as unknown as { conv2d(x: tf.Tensor, w: tf.Variable, s: number, p: string): tf.Tensor };
          const y = conv.conv2d(tf.nn.relu(conv.conv2d(x, w1, 1, "SAME")), w2, 2, "SAME");
          const loss = tf.reduceMean(tf.square(y));
          const train = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
          const sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const captured0 = b.stats.graphsCaptured;
          const s0 = snapshot();
          const losses: number[] = [];
          let tunesAfterFirst = 0;
          for (let k = 0; k < 6; k++) {
            const a = snapshot();
            losses.push((sess.run([loss, train], new Map([[x, data(k)]])) as [E, null])[0].item() as number);
            if (k >= 1) tunesAfterFirst += snapshot().graphTunes - a.graphTunes + snapshot().graphHeuristics - a.graphHeuristics;
          }
          const s1 = snapshot();
          return { losses, captured: b.stats.graphsCaptured - captured0, all: delta(s0, s1, ALL), graphCalls: delta(s0, s1, GRAPH), tunesAfterFirst };
        });
      });
    const plain = withTf32Off(() => run(false));
    const cap = withTf32Off(() => run(true));
    // Per step: two forward convolutions, two filter gradients, the input gradient of the second (at least).
    const [fw, bd, bf] = plain.graphCalls;
    assert.ok(fw === 12 && bf === 12 && bd >= 6 && bd % 6 === 0, `graph-API calls of the uncaptured steps: ${plain.graphCalls}`);
    assert.deepEqual(plain.all, plain.graphCalls, "every convolution ran through the graph API");
    assert.ok(cap.captured >= 1, "the training step was captured");
    // The first (uncaptured) run and the capture call cuDNN; replays run the captured graph.
    assert.deepEqual(
      cap.graphCalls.map((v) => v * 3),
      plain.graphCalls,
      `graph-API calls with capture: ${cap.graphCalls}`,
    );
    assert.deepEqual(cap.all, cap.graphCalls);
    assert.equal(cap.tunesAfterFirst, 0, "engines were chosen in the first, uncaptured run");
    assert.ok(new Set(plain.losses).size === plain.losses.length, "losses change step by step");
    cap.losses.forEach((l, i) => assert.ok(Math.abs(l - plain.losses[i]) <= 1e-6 * Math.abs(plain.losses[i]), `loss ${i}: ${l} vs ${plain.losses[i]}`));
  });
});

function withTf32Off<T>(fn: () => T): T {
  tf.config.experimental.enableTensorFloat32Execution(false);
  try {
    return fn();
  } finally {
    tf.config.experimental.enableTensorFloat32Execution(true);
  }
}
