/**
 * The profiler's device paths without a GPU: a simulated device whose backend has a DeviceTimer (a device
 * clock that advances 7 µs per kernel) and a StepCapture (records a step by running it, replays by running
 * it again), so that the executor's GPU logic runs here: kernel times in a "/stream:all" entry anchored to
 * the host clock, FULL_TRACE resolving its own marks, a captured step and its replays as one entry each
 * under the profiler, and every mark released. With `timedReplays` the capture also replays a timed variant
 * (StepCapture.replayTimed: marks between the step's nodes, as a CUDA graph's event-record nodes), so that
 * traced replays get per-node device entries.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import * as tf from "../src/index.js";
import type { Backend, CapturedStep, DeviceMark, DeviceTimer, Handle, StepCapture, StepRun } from "../src/core/backend.js";
import { defaultBackend } from "../src/core/devices.js";
import type { LocalDevice } from "../src/backends/placement.js";
import { orderedPlan, runPasses } from "../src/runtime/compile.js";
import { Executor } from "../src/runtime/executor.js";
import { ResourceStore } from "../src/runtime/resources.js";

const DEVICE = "/job:localhost/replica:0/task:0/device:SIM:0";
const KERNEL_MICROS = 7;
const ANCHOR_HOST_MICROS = 1_000_000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A device computing with the CPU's kernels, with a simulated device clock, timer and step capture. */
function simulatedDevice(timedReplays = false) {
  const cpu = defaultBackend();
  let clock = 0;
  let live = 0;
  let anchors = 0;
  let marks = 0;
  const timed = { recorded: 0, replays: 0, released: 0 };
  const timer: DeviceTimer = {
    streamName: `${DEVICE}/stream:all`,
    anchor: () => {
      anchors++;
      live++;
      return { mark: { deviceMark: clock }, hostMicros: ANCHOR_HOST_MICROS };
    },
    mark: (): DeviceMark => {
      live++;
      marks++;
      return { deviceMark: clock };
    },
    elapsedMicros: (from, to) => (to.deviceMark as number) - (from.deviceMark as number),
    release: () => {
      live--;
    },
  };
  const runs = new Map<CapturedStep, (feeds: readonly Handle[]) => StepRun<unknown>>();
  const stepCapture: { -readonly [P in keyof StepCapture]: StepCapture[P] } = {
    enabled: true,
    capture: (_variables, feeds, _names, _store, run) => {
      const step: CapturedStep = { backend };
      runs.set(step, run as (feeds: readonly Handle[]) => StepRun<unknown>);
      const r = run(feeds);
      r.release();
      return { step, fetched: [...r.fetched] };
    },
    replay: (step, feeds) => {
      const r = runs.get(step)!(feeds);
      r.release();
      return [...r.fetched];
    },
    release: (step) => {
      runs.delete(step);
      if (timedVariants.delete(step)) timed.released++;
    },
  };
  // The timed variant is "recorded" at a step's first traced replay; a replay of it re-runs the step, marking
  // the clock wherever the executor asks for a mark (a CUDA graph's event-record nodes record there).
  const timedVariants = new Set<CapturedStep>();
  if (timedReplays) {
    stepCapture.replayTimed = (step, feeds, _store, run) => {
      if (!timedVariants.has(step)) {
        timedVariants.add(step);
        timed.recorded++;
      }
      timed.replays++;
      const between: DeviceMark[] = [];
      const r = run(feeds, () => between.push(timer.mark()));
      r.release();
      return { fetched: [...r.fetched], marks: between };
    };
  }
  const backend: Backend = {
    name: "sim",
    deviceType: "GPU",
    deviceIndex: 0,
    write: (v, d, s) => cpu.write(v, d, s),
    readSync: (h) => cpu.readSync(h),
    read: (h) => cpu.read(h),
    alias: (h, s) => cpu.alias(h, s),
    dispose: (h) => cpu.dispose(h),
    hasKernel: (t) => cpu.hasKernel(t),
    runKernel: (t, ins, a, e) => {
      clock += KERNEL_MICROS;
      return cpu.runKernel(t, ins, a, e);
    },
    synchronize: () => cpu.synchronize(),
    memory: () => cpu.memory(),
    stepCapture,
    deviceTimer: timer,
  };
  const device: LocalDevice = { name: DEVICE, type: "GPU", index: 0, backend };
  return { device, liveMarks: () => live, anchors: () => anchors, marks: () => marks, timed };
}

/** The trace events of the one profile written under `logdir`. */
function profileEvents(logdir: string) {
  const [run] = readdirSync(join(logdir, "plugins", "profile"));
  const [file] = readdirSync(join(logdir, "plugins", "profile", run));
  return (
    JSON.parse(gunzipSync(readFileSync(join(logdir, "plugins", "profile", run, file))).toString()) as {
      traceEvents: { ph: string; name: string; pid: number; ts?: number; dur?: number; args?: Record<string, unknown> }[];
    }
  ).traceEvents;
}

/** x -> Square -> Neg on the simulated device: two kernels per step. */
function simulatedPlan(device: LocalDevice) {
  const g = new tf.Graph();
  return g.asDefault(() => {
    const x = tf.placeholder("float32", [2], { name: "x" });
    const y = tf.neg(tf.square(x, { name: "sq" }), { name: "neg" });
    const plan = runPasses(orderedPlan([y as tf.SymbolicTensor], [], [x as tf.SymbolicTensor], () => device));
    return { plan, x: x as tf.SymbolicTensor };
  });
}

describe("profiler on a device with a timer and step capture (simulated)", () => {
  it("FULL_TRACE: each node's kernels in a /stream:all entry, anchored to the host clock; every mark released", () => {
    const sim = simulatedDevice();
    tf.config.experimental.setTsflowOptions({ fusion: "off" });
    try {
      const { plan, x } = simulatedPlan(sim.device);
      assert.equal(plan.captureOn, sim.device.backend);
      const cpu = defaultBackend();
      const executor = new Executor(new ResourceStore());
      const fed = cpu.write(Float32Array.of(1, -2), "float32", [2]);
      const meta = new tf.RunMetadata();
      const [out] = executor.run(plan, new Map([[x, fed]]), { traceLevel: 3 }, meta);
      assert.deepEqual(Array.from(cpu.readSync(out) as Float32Array), [-1, -4]);
      const host = meta.stepStats!.devStats.find((d) => d.device === DEVICE)!;
      assert.deepEqual(
        host.nodeStats.map((n) => n.nodeName),
        ["sq", "neg"],
      );
      const stream = meta.stepStats!.devStats.find((d) => d.device === `${DEVICE}/stream:all`)!;
      assert.deepEqual(
        stream.nodeStats.map((n) => [n.nodeName, n.timelineLabel, n.allStartMicros, n.allEndRelMicros]),
        [
          ["sq:Square", "Square @@sq", ANCHOR_HOST_MICROS, KERNEL_MICROS],
          ["neg:Neg", "Neg @@neg", ANCHOR_HOST_MICROS + KERNEL_MICROS, KERNEL_MICROS],
        ],
      );
      // The timeline reads the stream entry as a GPU tracer's: events named by op, args by node.
      const events = (
        JSON.parse(new tf.python.client.timeline.Timeline(meta.stepStats!).generateChromeTraceFormat()) as {
          traceEvents: { ph: string; name: string; args?: { name?: string } }[];
        }
      ).traceEvents;
      assert.ok(events.some((e) => e.ph === "X" && e.name === "Square" && e.args?.name === "sq"));
      assert.equal(sim.liveMarks(), 0);
      for (const h of [out, fed]) cpu.dispose(h);
      executor.close();
      executor.releaseConstants();
    } finally {
      tf.config.experimental.setTsflowOptions({ fusion: "gpu" });
    }
  });

  it("under the profiler: a step traced per node while uncaptured, then its capture and each replay as one entry", () => {
    const sim = simulatedDevice();
    tf.config.experimental.setTsflowOptions({ fusion: "off" });
    const logdir = mkdtempSync(join(tmpdir(), "tsflow-profiler-sim-"));
    dirs.push(logdir);
    try {
      const { plan, x } = simulatedPlan(sim.device);
      const cpu = defaultBackend();
      const executor = new Executor(new ResourceStore());
      const fed = cpu.write(Float32Array.of(3, 4), "float32", [2]);
      tf.profiler.experimental.start(logdir);
      for (let i = 0; i < 4; i++) {
        const [out] = executor.run(plan, new Map([[x, fed]]));
        assert.deepEqual(Array.from(cpu.readSync(out) as Float32Array), [-9, -16]);
        cpu.dispose(out);
      }
      assert.ok(sim.liveMarks() > 0, "marks wait for stop()");
      tf.profiler.experimental.stop();
      assert.equal(sim.liveMarks(), 0);
      assert.equal(sim.anchors(), 1, "one anchor per device per recording");

      const events = profileEvents(logdir);
      const pidOf = (name: string) => events.find((e) => e.ph === "M" && e.args?.name === name)!.pid;
      const on = (pid: number) => events.filter((e) => e.ph === "X" && e.pid === pid).map((e) => e.name);
      // Run 1 uncaptured (per node), run 2 captured, runs 3 and 4 replayed.
      assert.deepEqual(on(pidOf(`${DEVICE} Compute`)), ["Square", "Neg", "CudaGraphCapture", "CudaGraphReplay", "CudaGraphReplay"]);
      const stream = events.filter((e) => e.ph === "X" && e.pid === pidOf(`${DEVICE}/stream:all Compute`));
      assert.deepEqual(
        stream.map((e) => [e.name, e.dur]),
        [
          ["Square", KERNEL_MICROS],
          ["Neg", KERNEL_MICROS],
          ["CudaGraphCapture", 2 * KERNEL_MICROS],
          ["CudaGraphReplay", 2 * KERNEL_MICROS],
          ["CudaGraphReplay", 2 * KERNEL_MICROS],
        ],
      );
      cpu.dispose(fed);
      executor.close();
      executor.releaseConstants();
    } finally {
      tf.config.experimental.setTsflowOptions({ fusion: "gpu" });
    }
  });
  it("under the profiler: a replay of a timed variant gets per-node device entries; untraced replays take no marks", () => {
    const sim = simulatedDevice(true);
    tf.config.experimental.setTsflowOptions({ fusion: "off" });
    const logdir = mkdtempSync(join(tmpdir(), "tsflow-profiler-sim-"));
    dirs.push(logdir);
    try {
      const { plan, x } = simulatedPlan(sim.device);
      const cpu = defaultBackend();
      const executor = new Executor(new ResourceStore());
      const fed = cpu.write(Float32Array.of(3, 4), "float32", [2]);
      const step = () => {
        const [out] = executor.run(plan, new Map([[x, fed]]));
        assert.deepEqual(Array.from(cpu.readSync(out) as Float32Array), [-9, -16]);
        cpu.dispose(out);
      };
      tf.profiler.experimental.start(logdir);
      for (let i = 0; i < 4; i++) step();
      tf.profiler.experimental.stop();
      assert.equal(sim.liveMarks(), 0);
      assert.deepEqual(sim.timed, { recorded: 1, replays: 2, released: 0 }, "the timed variant is recorded once, at the first traced replay");

      const events = profileEvents(logdir);
      const pidOf = (name: string) => events.find((e) => e.ph === "M" && e.args?.name === name)!.pid;
      // Run 1 uncaptured (per node), run 2 captured, runs 3 and 4 replayed: one host entry each.
      assert.deepEqual(
        events.filter((e) => e.ph === "X" && e.pid === pidOf(`${DEVICE} Compute`)).map((e) => e.name),
        ["Square", "Neg", "CudaGraphCapture", "CudaGraphReplay", "CudaGraphReplay"],
      );
      // On the device: each replayed node's own kernel time, where the uncaptured run's are, in order.
      const stream = events.filter((e) => e.ph === "X" && e.pid === pidOf(`${DEVICE}/stream:all Compute`));
      assert.deepEqual(
        stream.map((e) => [e.name, e.args?.name, e.dur]),
        [
          ["Square", "sq", KERNEL_MICROS],
          ["Neg", "neg", KERNEL_MICROS],
          ["CudaGraphCapture", "2 steps", 2 * KERNEL_MICROS],
          ["Square", "sq", KERNEL_MICROS],
          ["Neg", "neg", KERNEL_MICROS],
          ["Square", "sq", KERNEL_MICROS],
          ["Neg", "neg", KERNEL_MICROS],
        ],
      );
      // Anchored like uncaptured nodes: the device clock had run 2 steps of 2 kernels before the first replay.
      const firstReplayed = stream[3].ts!;
      assert.equal(firstReplayed - stream[0].ts!, 4 * KERNEL_MICROS);
      assert.equal(stream[4].ts! - firstReplayed, KERNEL_MICROS);

      // Profiler off: plain replays, no marks, the timed variant left alone.
      const marksBefore = sim.marks();
      for (let i = 0; i < 2; i++) step();
      assert.equal(sim.marks(), marksBefore);
      assert.equal(sim.timed.replays, 2);
      assert.equal(sim.liveMarks(), 0);
      cpu.dispose(fed);
      executor.close();
      executor.releaseConstants();
      assert.equal(sim.timed.released, 1, "the timed variant is released with its step");
    } finally {
      tf.config.experimental.setTsflowOptions({ fusion: "gpu" });
    }
  });

  it("FULL_TRACE on a recorded step: the replay's host entry and each node's device time in RunMetadata", () => {
    const sim = simulatedDevice(true);
    tf.config.experimental.setTsflowOptions({ fusion: "off" });
    try {
      const { plan, x } = simulatedPlan(sim.device);
      const cpu = defaultBackend();
      const executor = new Executor(new ResourceStore());
      const fed = cpu.write(Float32Array.of(1, 2), "float32", [2]);
      const run = (options?: { traceLevel: number }, meta?: tf.RunMetadata) => {
        const [out] = executor.run(plan, new Map([[x, fed]]), options, meta);
        assert.deepEqual(Array.from(cpu.readSync(out) as Float32Array), [-1, -4]);
        cpu.dispose(out);
      };
      // Traced before it is recorded: uncaptured, and not counted towards recording it.
      const early = new tf.RunMetadata();
      run({ traceLevel: 3 }, early);
      assert.deepEqual(
        early.stepStats!.devStats.find((d) => d.device === DEVICE)!.nodeStats.map((n) => n.nodeName),
        ["sq", "neg"],
      );
      run();
      run(); // recorded
      assert.equal(sim.timed.replays, 0);
      const meta = new tf.RunMetadata();
      run({ traceLevel: 3 }, meta);
      assert.deepEqual(
        meta.stepStats!.devStats.find((d) => d.device === DEVICE)!.nodeStats.map((n) => n.nodeName),
        ["2 steps"],
      );
      assert.match(meta.stepStats!.devStats.find((d) => d.device === DEVICE)!.nodeStats[0].timelineLabel, /CudaGraphReplay/);
      const stream = meta.stepStats!.devStats.find((d) => d.device === `${DEVICE}/stream:all`)!;
      assert.deepEqual(
        stream.nodeStats.map((n) => [n.nodeName, n.timelineLabel, n.allStartMicros, n.allEndRelMicros]),
        [
          ["sq:Square", "Square @@sq", ANCHOR_HOST_MICROS, KERNEL_MICROS],
          ["neg:Neg", "Neg @@neg", ANCHOR_HOST_MICROS + KERNEL_MICROS, KERNEL_MICROS],
        ],
      );
      assert.equal(sim.timed.recorded, 1);
      assert.equal(sim.liveMarks(), 0);
      cpu.dispose(fed);
      executor.close();
      executor.releaseConstants();
      assert.equal(sim.timed.released, 1);
    } finally {
      tf.config.experimental.setTsflowOptions({ fusion: "gpu" });
    }
  });
});
