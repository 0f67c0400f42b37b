/**
 * The profiler as a user meets it: RunOptions FULL_TRACE filling RunMetadata.stepStats (TensorFlow's
 * StepStats, serialised to TensorFlow's RunMetadata proto, checked at the wire level), the Chrome trace of
 * tensorflow.python.client.timeline.Timeline, and tf.profiler.experimental start/stop/Profile/Trace writing
 * logdir/plugins/profile/<run>/<host>.trace.json.gz with eager ops, Session steps and tf.function steps. GPU
 * kernel times (a "/stream:all" device entry) are checked where a GPU is present.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import * as tf from "../src/index.js";
import { defaultBackend } from "../src/core/devices.js";
import { gpuOnly } from "./util/gpu.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tsflow-profiler-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

/** The one profile a run of the profiler wrote under logdir: its path and events. */
function readProfile(logdir: string): { file: string; events: TraceEvent[] } {
  const runs = readdirSync(join(logdir, "plugins", "profile"));
  assert.equal(runs.length, 1, `one run directory: ${runs}`);
  assert.match(runs[0], /^\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d$/);
  const dir = join(logdir, "plugins", "profile", runs[0]);
  assert.deepEqual(readdirSync(dir), [`${hostname()}.trace.json.gz`]);
  const file = join(dir, `${hostname()}.trace.json.gz`);
  return { file, events: (JSON.parse(gunzipSync(readFileSync(file)).toString()) as { traceEvents: TraceEvent[] }).traceEvents };
}

/** Process names by pid, from the trace's "M" events. */
const processes = (events: TraceEvent[]) =>
  new Map(events.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => [e.pid, e.args!.name as string]));

/** The "X" events of a device's Compute process. */
function opsOn(events: TraceEvent[], device: RegExp): TraceEvent[] {
  const pids = [...processes(events)].filter(([, n]) => device.test(n) && n.endsWith(" Compute")).map(([p]) => p);
  return events.filter((e) => e.ph === "X" && pids.includes(e.pid));
}

/**
 * The CPU's traces, wherever the test runs: on a machine with a GPU, ops left unplaced would go to it, and the
 * GPU's trace (a /stream:all entry beside the device's) is tested apart, below.
 */
const onCpu = <T>(f: () => T): T => tf.device("/cpu:0", f);

/** A graph x -> MatMul(x, w) -> Relu, w a variable, traced once with FULL_TRACE. */
function tracedStep(device = "/cpu:0") {
  const g = new tf.Graph();
  // A graph's device scopes are its own (as in TensorFlow): one opened outside asDefault does not reach it.
  return g.asDefault(() =>
    tf.device(device, () => {
      const x = tf.placeholder("float32", [null, 3], { name: "x" });
      const w = new tf.Variable(tf.ones([3, 2]), { name: "w" });
      const y = tf.nn.relu(tf.matmul(x, w, { name: "mm" }), { name: "y" });
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const meta = new tf.RunMetadata();
      const before = Date.now() * 1000;
      const out = sess.run(
        y,
        {
          "x:0": [
            [1, 2, 3],
            [-1, -2, -3],
          ],
        },
        new tf.compat.v1.RunOptions({ traceLevel: tf.compat.v1.RunOptions.FULL_TRACE }),
        meta,
      ) as tf.Tensor;
      const afterMicros = Date.now() * 1000;
      assert.deepEqual(out.arraySync(), [
        [6, 6],
        [0, 0],
      ]);
      sess.close();
      return { meta, before, afterMicros };
    }),
  );
}

/** Reads protobuf wire format (varints and length-delimited fields) without the generated code. */
function wireFields(bytes: Uint8Array): { field: number; value: bigint | Uint8Array }[] {
  const out: { field: number; value: bigint | Uint8Array }[] = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, value: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, value: bytes.subarray(i, i + n) });
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}
const text = (b: bigint | Uint8Array) => new TextDecoder().decode(b as Uint8Array);

describe("RunOptions FULL_TRACE: RunMetadata.stepStats", () => {
  it("has TensorFlow's NodeExecStats per node: times, timeline label, outputs, memory, thread", () => {
    const { meta, before, afterMicros } = tracedStep();
    const devStats = meta.stepStats!.devStats;
    assert.deepEqual(
      devStats.map((d) => d.device),
      ["/job:localhost/replica:0/task:0/device:CPU:0"],
    );
    const cpu = devStats[0];
    const byName = new Map(cpu.nodeStats.map((n) => [n.nodeName, n]));
    assert.deepEqual([...byName.keys()].sort(), ["mm", "w", "w/read", "y"]);
    const mm = byName.get("mm")!;
    assert.equal(mm.timelineLabel, "mm = MatMul(x, w/read)");
    assert.equal(byName.get("y")!.timelineLabel, "y = Relu(mm)");
    assert.equal(mm.opType, "MatMul");
    // Wall-clock microseconds since the epoch, inside the run; the relative times in order.
    for (const n of cpu.nodeStats) {
      assert.ok(n.allStartMicros >= before - 1000 && n.allStartMicros <= afterMicros + 1000, `${n.nodeName} starts within the run`);
      assert.ok(0 <= n.opStartRelMicros && n.opStartRelMicros <= n.opEndRelMicros && n.opEndRelMicros <= n.allEndRelMicros, n.nodeName);
      assert.equal(n.scheduledMicros, n.allStartMicros);
      assert.ok(String(n.threadId) in cpu.threadNames);
    }
    // Nodes run one after another, in the plan's order.
    const starts = cpu.nodeStats.map((n) => n.allStartMicros);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
    assert.deepEqual(mm.output, [
      { slot: 0, tensorDescription: { dtype: "float32", shape: [2, 2], allocationDescription: { requestedBytes: 16, allocatorName: "cpu" } } },
    ]);
    // The product's buffer is new: the allocator's bytes grew by its 16 bytes while it ran.
    assert.equal(mm.memory.length, 1);
    assert.equal(mm.memory[0].allocatorName, "cpu");
    assert.equal(mm.memory[0].totalBytes, 16);
    assert.equal(mm.memory[0].liveBytes, 16);
    assert.ok(mm.memory[0].allocatorBytesInUse >= 16);
    // A variable read aliases the variable's buffer: nothing allocated.
    assert.equal(byName.get("w/read")!.memory[0].totalBytes, 0);
  });

  it("serialises to TensorFlow's RunMetadata proto (field numbers checked on the wire) and reads it back", () => {
    const { meta } = tracedStep();
    const bytes = meta.serializeToString();
    // RunMetadata.step_stats = 1 -> StepStats.dev_stats = 1 -> DeviceStepStats.device = 1, node_stats = 2.
    const [stepStats] = wireFields(bytes);
    assert.equal(stepStats.field, 1);
    const [dev] = wireFields(stepStats.value as Uint8Array);
    assert.equal(dev.field, 1);
    const devFields = wireFields(dev.value as Uint8Array);
    assert.equal(text(devFields.find((f) => f.field === 1)!.value), "/job:localhost/replica:0/task:0/device:CPU:0");
    const nodes = devFields.filter((f) => f.field === 2).map((f) => wireFields(f.value as Uint8Array));
    const mm = nodes.find((n) => text(n.find((f) => f.field === 1)!.value) === "mm")!;
    const source = meta.stepStats!.devStats[0].nodeStats.find((n) => n.nodeName === "mm")!;
    // NodeExecStats: all_start_micros 2, all_end_rel_micros 5, timeline_label 8, output 7, memory 6.
    assert.equal(mm.find((f) => f.field === 2)!.value, BigInt(source.allStartMicros));
    assert.equal(mm.find((f) => f.field === 5)?.value ?? 0n, BigInt(source.allEndRelMicros));
    assert.equal(text(mm.find((f) => f.field === 8)!.value), "mm = MatMul(x, w/read)");
    // NodeOutput.tensor_description = 3 -> TensorDescription.dtype = 1 (DT_FLOAT = 1), allocation_description = 4
    // -> AllocationDescription.requested_bytes = 1.
    const output = wireFields(mm.find((f) => f.field === 7)!.value as Uint8Array);
    const desc = wireFields(output.find((f) => f.field === 3)!.value as Uint8Array);
    assert.equal(desc.find((f) => f.field === 1)!.value, 1n);
    const alloc = wireFields(desc.find((f) => f.field === 4)!.value as Uint8Array);
    assert.equal(alloc.find((f) => f.field === 1)!.value, 16n);
    // AllocatorMemoryUsed: allocator_name 1, total_bytes 2.
    const memory = wireFields(mm.find((f) => f.field === 6)!.value as Uint8Array);
    assert.equal(text(memory.find((f) => f.field === 1)!.value), "cpu");
    assert.equal(memory.find((f) => f.field === 2)!.value, 16n);

    const back = tf.RunMetadata.fromString(bytes);
    assert.deepEqual(back.stepStats, structuredClone(meta.stepStats));
    assert.equal(new tf.RunMetadata().serializeToString().length, 0);
  });

  it("traces a while loop's body nodes once per iteration, and the loop as one node spanning them", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = tf.placeholder("float32", [], { name: "x" });
      const [, acc] = tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, 3),
        (i: tf.Tensor, a: tf.Tensor) => [tf.add(i, 1), tf.multiply(a, 2)],
        [tf.constant(0), x],
      ) as tf.Tensor[];
      const sess = new tf.Session();
      const meta = new tf.RunMetadata();
      assert.equal((sess.run(acc, { "x:0": 1 }, { traceLevel: 3 }, meta) as tf.Tensor).arraySync(), 8);
      const nodes = meta.stepStats!.devStats[0].nodeStats;
      assert.equal(nodes.filter((n) => n.opType === "Mul").length, 3);
      assert.equal(nodes.filter((n) => n.opType === "Less").length, 4);
      const loop = nodes.find((n) => n.opType === "StatelessWhile")!;
      assert.equal(loop.timelineLabel, "while = StatelessWhile(Const, x)");
      const body = nodes.filter((n) => n.opType === "Mul");
      for (const n of body)
        assert.ok(n.allStartMicros >= loop.allStartMicros && n.allStartMicros + n.allEndRelMicros <= loop.allStartMicros + loop.allEndRelMicros);
      // The loop has no kernel of its own: its kernel span is its whole span.
      assert.deepEqual([loop.opStartRelMicros, loop.opEndRelMicros], [0, loop.allEndRelMicros]);
      sess.close();
    });
  });

  it("lists each fused elementwise chain once, naming its nodes, with the chain's outside inputs", () => {
    tf.config.experimental.setTsflowOptions({ fusion: "all" });
    try {
      const g = new tf.Graph();
      g.asDefault(() => {
        const x = tf.placeholder("float32", [4], { name: "x" });
        const y = tf.exp(tf.neg(tf.abs(x, { name: "a" }), { name: "n" }), { name: "e" });
        const sess = new tf.Session();
        const meta = new tf.RunMetadata();
        sess.run(y, { "x:0": [1, -2, 3, -4] }, { traceLevel: 3 }, meta);
        const fused = meta.stepStats!.devStats[0].nodeStats.filter((n) => n.fusedNodes);
        assert.equal(fused.length, 1);
        assert.deepEqual(fused[0].fusedNodes, ["a", "n", "e"]);
        assert.equal(fused[0].timelineLabel, "e = FusedElementwise(x)");
        sess.close();
      });
    } finally {
      tf.config.experimental.setTsflowOptions({ fusion: "gpu" });
    }
  });
});

describe("tensorflow.python.client.timeline.Timeline", () => {
  it("generates TensorFlow's Chrome trace: processes per device, one X event per node with its op and inputs", () => {
    const { meta } = tracedStep();
    const trace = JSON.parse(new tf.python.client.timeline.Timeline(meta.stepStats!).generateChromeTraceFormat()) as { traceEvents: TraceEvent[] };
    const events = trace.traceEvents;
    const names = processes(events);
    assert.deepEqual(
      [...names.values()],
      ["Allocators", "/job:localhost/replica:0/task:0/device:CPU:0 Compute", "/job:localhost/replica:0/task:0/device:CPU:0 Tensors"],
    );
    // Metadata first, as TensorFlow writes it.
    const firstOther = events.findIndex((e) => e.ph !== "M");
    assert.ok(events.slice(firstOther).every((e) => e.ph !== "M"));
    const ops = opsOn(events, /CPU:0/);
    const mm = ops.find((e) => e.args!.name === "mm")!;
    assert.deepEqual(
      { ph: mm.ph, cat: mm.cat, name: mm.name, args: mm.args },
      { ph: "X", cat: "Op", name: "MatMul", args: { name: "mm", op: "MatMul", input0: "x", input1: "w/read" } },
    );
    const source = meta.stepStats!.devStats[0].nodeStats.find((n) => n.nodeName === "mm")!;
    assert.equal(mm.ts, source.allStartMicros);
    assert.equal(mm.dur, source.allEndRelMicros);
    // The input is not changed (TensorFlow's Timeline reassigns lanes on a copy).
    assert.deepEqual(meta.stepStats, tf.RunMetadata.fromString(meta.serializeToString()).stepStats);
  });

  it("showMemory adds tensor lifetimes and per-allocator counters; bad arguments are InvalidArgumentErrors", () => {
    const { meta } = tracedStep();
    const tl = new tf.python.client.timeline.Timeline(meta.stepStats!);
    const events = (JSON.parse(tl.generateChromeTraceFormat({ showMemory: true })) as { traceEvents: TraceEvent[] }).traceEvents;
    const created = events.filter((e) => e.ph === "N").map((e) => e.name);
    assert.ok(created.includes("mm") && created.includes("y"), String(created));
    const counters = events.filter((e) => e.ph === "C" && e.name === "cpu").map((e) => e.args!.cpu as number);
    // w/read (24 bytes) lives until mm, its reader, ends; mm (16) until y ends; y (16) until its own end:
    // at most 40 bytes at once, and all released at the end.
    assert.equal(Math.max(...counters), 40);
    assert.equal(counters[counters.length - 1], 0);
    assert.throws(() => tl.generateChromeTraceFormat({ opTime: "wall" as "all" }), tf.errors.InvalidArgumentError);
    assert.throws(() => new tf.python.client.timeline.Timeline({} as tf.RunMetadata["stepStats"] & object), tf.errors.InvalidArgumentError);
  });

  it("opTime 'gpu' takes a node's span from its kernels in a /stream:all entry", () => {
    const dev = "/job:localhost/replica:0/task:0/device:GPU:0";
    const node = (nodeName: string, start: number, dur: number, label: string) => ({
      nodeName,
      allStartMicros: start,
      opStartRelMicros: 0,
      opEndRelMicros: dur,
      allEndRelMicros: dur,
      memory: [],
      output: [],
      timelineLabel: label,
      scheduledMicros: start,
      threadId: 0,
      opType: "",
    });
    const stats = {
      devStats: [
        { device: dev, nodeStats: [node("mm", 100, 10, "mm = MatMul(a, b)")], threadNames: {} },
        { device: `${dev}/stream:all`, nodeStats: [node("mm:MatMul", 150, 40, "MatMul @@mm")], threadNames: {} },
      ],
    };
    const x = (opTime: "schedule" | "gpu" | "all") =>
      (JSON.parse(new tf.python.client.timeline.Timeline(stats).generateChromeTraceFormat({ opTime })) as { traceEvents: TraceEvent[] }).traceEvents.filter(
        (e) => e.ph === "X",
      );
    assert.deepEqual(
      x("schedule").map((e) => [e.args!.name, e.ts, e.dur]),
      [
        ["mm", 100, 10],
        ["mm", 150, 40],
      ],
    );
    assert.deepEqual(x("gpu")[0].ts, 150);
    assert.deepEqual(x("gpu")[0].dur, 40);
    assert.deepEqual([x("all")[0].ts, x("all")[0].dur], [100, 90]);
    // The stream entry's event is named by the kernel's op, its args by the node.
    assert.deepEqual(x("schedule")[1].args, { name: "mm", op: "MatMul" });
  });
});

describe("tf.profiler.experimental", () => {
  it("start/stop records eager ops, Session steps and Trace spans, and writes logdir/plugins/profile/<run>/<host>.trace.json.gz", () => {
    onCpu(() => {
      const logdir = tmp();
      const a = tf.constant([
        [1, 2],
        [3, 4],
      ]);
      tf.matmul(a, a).dispose(); // before start: not recorded
      tf.profiler.experimental.start(logdir);
      for (let step = 0; step < 3; step++) {
        tf.profiler.experimental.Trace("train", { stepNum: step, _r: 1 }, () => {
          tf.tidy(() => tf.nn.relu(tf.matmul(a, a)));
        });
      }
      const g = new tf.Graph();
      g.asDefault(() =>
        onCpu(() => {
          const x = tf.placeholder("float32", [2], { name: "x" });
          const y = tf.square(x, { name: "sq" });
          const sess = new tf.Session();
          sess.run(y, { "x:0": [1, 2] });
          sess.close();
        }),
      );
      tf.profiler.experimental.stop();
      tf.matmul(a, a).dispose(); // after stop: not recorded

      const { events } = readProfile(logdir);
      const cpuOps = opsOn(events, /device:CPU:0/);
      assert.deepEqual(
        cpuOps.map((e) => e.name),
        ["MatMul", "Relu", "MatMul", "Relu", "MatMul", "Relu", "Square"],
      );
      assert.equal(cpuOps[6].args!.name, "sq");
      assert.equal(cpuOps[6].args!.input0, "x");
      const traces = opsOn(events, /^\/host:CPU/);
      assert.deepEqual(
        traces.map((e) => [e.name, e.args!.name, e.args!.step_num, e.args!._r]),
        [
          ["Trace", "train", 0, 1],
          ["Trace", "train", 1, 1],
          ["Trace", "train", 2, 1],
        ],
      );
      // Each step's ops lie inside its Trace span.
      for (let s = 0; s < 3; s++) {
        const span = traces[s];
        for (const op of cpuOps.slice(2 * s, 2 * s + 2)) assert.ok(op.ts! >= span.ts! && op.ts! + op.dur! <= span.ts! + span.dur!);
      }
      a.dispose();
    });
  });

  it("profiles tf.function steps; one profiler at a time; stop without start, and stop(false), as TensorFlow", () => {
    onCpu(() => {
      const logdir = tmp();
      const w = new tf.Variable(tf.ones([2, 2]), { name: "w" });
      const f = tf.function((x: tf.Tensor) => tf.matmul(x, w.value()));
      const x = tf.ones([1, 2]);
      f(x); // traced before the profile
      tf.profiler.experimental.start(logdir, new tf.profiler.experimental.ProfilerOptions({ hostTracerLevel: 2 }));
      assert.throws(
        () => tf.profiler.experimental.start(logdir),
        (e: unknown) => e instanceof tf.errors.AlreadyExistsError && /Another profiler is running/.test(String(e)),
      );
      (f(x) as tf.Tensor).dispose();
      tf.profiler.experimental.stop();
      assert.ok(opsOn(readProfile(logdir).events, /device:CPU:0/).some((e) => e.name === "MatMul"));
      assert.throws(
        () => tf.profiler.experimental.stop(),
        (e: unknown) => e instanceof tf.errors.UnavailableError && /No profiler is running/.test(String(e)),
      );
      const discarded = tmp();
      tf.profiler.experimental.start(discarded);
      tf.square(x).dispose();
      tf.profiler.experimental.stop(false);
      assert.equal(existsSync(join(discarded, "plugins")), false);
      w.dispose();
      x.dispose();
    });
  });

  it("Profile scopes a body (sync, and async until its promise settles) and stops on a throw; hostTracerLevel 0 keeps no host ops", async () => {
    const logdir = tmp();
    const r = tf.profiler.experimental.Profile(logdir, () => onCpu(() => tf.tidy(() => tf.reduceSum(tf.ones([3])).arraySync())));
    assert.equal(r, 3);
    assert.ok(opsOn(readProfile(logdir).events, /device:CPU:0/).some((e) => e.name === "Sum"));

    const asyncDir = tmp();
    const v = await tf.profiler.experimental.Profile(asyncDir, async () => {
      await new Promise((res) => setImmediate(res));
      return onCpu(() => tf.tidy(() => tf.neg(tf.ones([2])).arraySync()));
    });
    assert.deepEqual(v, [-1, -1]);
    assert.ok(opsOn(readProfile(asyncDir).events, /device:CPU:0/).some((e) => e.name === "Neg"));

    const failing = tmp();
    assert.throws(
      () =>
        tf.profiler.experimental.Profile(failing, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.ok(existsSync(readProfile(failing).file), "the profile is written and the profiler stopped");

    const noHost = tmp();
    tf.profiler.experimental.Profile(noHost, { hostTracerLevel: 0 }, () => onCpu(() => tf.tidy(() => tf.square(tf.ones([2])))));
    assert.deepEqual(
      readProfile(noHost).events.filter((e) => e.ph === "X"),
      [],
    );
    assert.throws(() => new tf.profiler.experimental.ProfilerOptions({ deviceTracerLevel: -1 }), tf.errors.InvalidArgumentError);
  });

  it("costs no clock read and no memory query per eager op or Session step while no profile is recorded", (t) => {
    onCpu(() => {
      const a = tf.constant([1, 2, 3, 4]);
      const g = new tf.Graph();
      const { run, sess } = g.asDefault(() =>
        onCpu(() => {
          const b = tf.add(tf.constant(1.0), 1);
          const s = new tf.Session();
          return { run: () => (s.run(b) as tf.Tensor).dispose(), sess: s };
        }),
      );
      run();
      tf.add(a, a).dispose();
      const clock = t.mock.method(performance, "now");
      const cpu = defaultBackend();
      const memory = t.mock.method(cpu, "memory");
      for (let i = 0; i < 50; i++) {
        tf.add(a, a).dispose();
        run();
      }
      assert.equal(clock.mock.callCount(), 0);
      assert.equal(memory.mock.callCount(), 0);
      // The same calls under the profiler do read them (the mocks see the calls).
      const logdir = tmp();
      tf.profiler.experimental.Profile(logdir, () => {
        tf.add(a, a).dispose();
        run();
      });
      assert.ok(clock.mock.callCount() > 0 && memory.mock.callCount() > 0);
      sess.close();
      a.dispose();
    });
  });

  it("Trace just runs its body when no profile is being recorded", () => {
    assert.equal(
      tf.profiler.experimental.Trace("idle", () => 7),
      7,
    );
  });

  it("a GPU's kernels are timed with events: a /stream:all device entry per traced step and per profile", gpuOnly, () => {
    const { meta } = tracedStep("/gpu:0");
    const stream = meta.stepStats!.devStats.find((d) => d.device.endsWith("GPU:0/stream:all"));
    assert.ok(stream, `devices: ${meta.stepStats!.devStats.map((d) => d.device)}`);
    const mm = stream.nodeStats.find((n) => n.nodeName === "mm:MatMul")!;
    assert.equal(mm.timelineLabel, "MatMul @@mm");
    assert.ok(mm.allEndRelMicros >= 0);
    const logdir = tmp();
    tf.profiler.experimental.Profile(logdir, () => tf.device("/gpu:0", () => tf.tidy(() => tf.matmul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync())));
    const events = readProfile(logdir).events;
    assert.ok(opsOn(events, /GPU:0\/stream:all/).some((e) => e.name === "MatMul"));
    assert.ok(opsOn(events, /device:GPU:0 Compute/).some((e) => e.name === "MatMul"));
  });
  it("a captured training step replayed under the profiler: each node's GPU time, adding up to the replay's", gpuOnly, () => {
    // Run 0 runs uncaptured, run 1 captures, runs 2.. replay; the profiler records the last three.
    const runs = 6;
    const profiled = 3;
    const train = (logdir: string | null) => {
      const g = new tf.Graph();
      return g.asDefault(() =>
        tf.device("/gpu:0", () => {
          const x = tf.placeholder("float32", [64, 32], { name: "x" });
          const y = tf.placeholder("float32", [64, 1], { name: "y" });
          const w1 = new tf.Variable(tf.random.normal([32, 64], { stddev: 0.1, seed: 1 }), { name: "w1" });
          const b1 = new tf.Variable(tf.zeros([64]), { name: "b1" });
          const w2 = new tf.Variable(tf.random.normal([64, 1], { stddev: 0.1, seed: 2 }), { name: "w2" });
          const h = tf.nn.relu(tf.add(tf.matmul(x, w1), b1));
          const loss = tf.reduceMean(tf.square(tf.sub(tf.matmul(h, w2), y)), { name: "loss" });
          const step = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
          const sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const feeds = new Map<tf.Tensor, Float32Array>([
            [x, Float32Array.from({ length: 64 * 32 }, (_, i) => ((i * 7919) % 101) / 101 - 0.5)],
            [y, Float32Array.from({ length: 64 }, (_, i) => (i % 5) / 5)],
          ]);
          const losses: number[] = [];
          for (let k = 0; k < runs; k++) {
            if (logdir && k === runs - profiled) tf.profiler.experimental.start(logdir);
            losses.push(((sess.run([loss, step], feeds) as [tf.Tensor, null])[0] as tf.EagerTensor).item() as number);
          }
          if (logdir) tf.profiler.experimental.stop();
          sess.close();
          return losses;
        }),
      );
    };
    const plain = train(null);
    const logdir = tmp();
    const traced = train(logdir);
    // The timed variant computes what the plain graph computes.
    traced.forEach((l, k) => assert.ok(Math.abs(l - plain[k]) <= 1e-5 * Math.max(1, Math.abs(plain[k])), `run ${k}: ${l} vs ${plain[k]}`));

    const events = readProfile(logdir).events;
    const host = opsOn(events, /device:GPU:0 Compute/);
    assert.deepEqual(
      host.map((e) => e.name),
      Array(profiled).fill("CudaGraphReplay"),
    );
    const nodes = Number.parseInt(String(host[0].args!.name), 10);
    assert.ok(nodes > 3, `plan steps: ${host[0].args!.name}`);
    const stream = opsOn(events, /GPU:0\/stream:all/).sort((a, b) => a.ts! - b.ts!);
    assert.equal(stream.length, profiled * nodes, `stream entries: ${stream.map((e) => e.name)}`);
    for (let r = 0; r < profiled; r++) {
      const replay = stream.slice(r * nodes, (r + 1) * nodes);
      assert.deepEqual(
        replay.map((e) => e.args!.name),
        stream.slice(0, nodes).map((e) => e.args!.name),
        "every replay times the same nodes in the same order",
      );
      assert.ok(
        replay.some((e) => /MatMul/.test(e.name)),
        `nodes: ${replay.map((e) => e.name)}`,
      );
      assert.ok(replay.every((e) => e.dur! >= 0));
      const sum = replay.reduce((t, e) => t + e.dur!, 0);
      const length = replay[nodes - 1].ts! + replay[nodes - 1].dur! - replay[0].ts!;
      assert.ok(sum > 0, "the replay took device time");
      // Consecutive marks: the nodes' times tile the replay, up to a microsecond of rounding per node.
      assert.ok(Math.abs(sum - length) <= nodes, `replay ${r}: nodes sum to ${sum} µs, the replay spans ${length} µs`);
    }
  });
});
