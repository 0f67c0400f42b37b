/**
 * Where a training step's time goes, per op type, from tf.profiler.experimental (the profile a user would
 * open in Perfetto, read back from its trace file): LeNet-5 and the MLP, graph mode (Session.run), SGD. Each
 * configuration runs warm-up steps, then `runs` profiles of `steps` steps, each step inside
 * tf.profiler.experimental.Trace("train", { stepNum }); the step's time is the Trace span's. Per op type:
 * nodes per step, milliseconds per step (the median of the profiles: a shared machine's noise hits single
 * runs) and the share of the step. On a GPU the device's kernel times (the
 * "/stream:all" entry, from CUDA events) are a second table; CUDA-graph capture is turned off so that each
 * op is launched (and timed) on its own. The untraced step time is printed beside the traced one: what the
 * profiler itself costs per step.
 *
 * The mixed-precision models of bench/mp_models.ts (resnet18, mlp4096) profile the same way, in the precision
 * --precision names (fp32, tf32, bf16, fp16; TF32 on only for tf32).
 *
 * With --keras, LeNet-5 and the MLP are bench/keras_fit.ts's Keras twins and a profile is one
 * `model.fitSync` epoch of `steps` batches (shuffled, as fit does), its times divided by `steps`: where
 * Keras fit's step differs from graph mode's.
 *
 *   node --import tsx bench/op_profile.ts [--models=lenet,mlp,resnet18,mlp4096] [--batches=64] [--steps=30] [--runs=3] [--precision=fp32] [--captured] [--keras]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as tf from "../src/index.js";
import { type KerasBenchModel, kerasModel, syntheticSet } from "./keras_fit.js";
import { measure } from "./timing.js";
import { MP_MODELS, type MpModelName, mpTrainStep, type Precision } from "./mp_models.js";
import { graphStep, type ModelName } from "./tsflow_models.js";

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  dur?: number;
  args?: Record<string, unknown>;
}

function arg(name: string, def: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
}

/** The events of the one profile under logdir. */
function readTrace(logdir: string): TraceEvent[] {
  const base = join(logdir, "plugins", "profile");
  const [run] = readdirSync(base);
  const [file] = readdirSync(join(base, run));
  return (JSON.parse(gunzipSync(readFileSync(join(base, run, file))).toString()) as { traceEvents: TraceEvent[] }).traceEvents;
}

interface Row {
  op: string;
  count: number;
  micros: number;
}

/** Per op type, the X events of the processes whose name matches. */
function perOp(events: readonly TraceEvent[], process: (name: string) => boolean): Row[] {
  const pids = new Set(events.filter((e) => e.ph === "M" && e.name === "process_name" && process(e.args!.name as string)).map((e) => e.pid));
  const rows = new Map<string, Row>();
  for (const e of events) {
    if (e.ph !== "X" || !pids.has(e.pid)) continue;
    const r = rows.get(e.name) ?? { op: e.name, count: 0, micros: 0 };
    r.count++;
    r.micros += e.dur ?? 0;
    rows.set(e.name, r);
  }
  return [...rows.values()].sort((a, b) => b.micros - a.micros);
}

/** Per op type, its nodes and microseconds per step in each run (0 in a run that had none). */
interface OpRuns {
  op: string;
  nodesPerStep: number;
  micros: number[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The runs' rows joined by op type, per step. */
function joinRuns(runs: readonly Row[][], steps: number): OpRuns[] {
  const byOp = new Map<string, OpRuns>();
  runs.forEach((rows, k) => {
    for (const r of rows) {
      let o = byOp.get(r.op);
      if (!o) byOp.set(r.op, (o = { op: r.op, nodesPerStep: r.count / steps, micros: runs.map(() => 0) }));
      o.micros[k] = r.micros / steps;
    }
  });
  return [...byOp.values()].sort((a, b) => median(b.micros) - median(a.micros));
}

function table(title: string, rows: readonly OpRuns[], stepMicros: number): string[] {
  const out = [title, "", "| op type | nodes per step | ms per step | % of step |", "| --- | ---: | ---: | ---: |"];
  let total = 0;
  for (const r of rows) {
    const m = median(r.micros);
    total += m;
    out.push(
      `| ${r.op} | ${r.nodesPerStep.toFixed(Number.isInteger(r.nodesPerStep) ? 0 : 1)} | ${(m / 1000).toFixed(3)} | ${((100 * m) / stepMicros).toFixed(1)} |`,
    );
  }
  out.push(`| **all ops** | | **${(total / 1000).toFixed(3)}** | **${((100 * total) / stepMicros).toFixed(1)}** |`);
  return out;
}

/**
 * One profile of `steps` steps: the trace's events and the mean Trace span (the step) in microseconds. A
 * `step` that runs `inner` training steps itself (a Keras fit epoch) is called steps / inner times.
 */
function profileRun(step: () => void, steps: number, inner = 1): { events: TraceEvent[]; stepMicros: number } {
  const logdir = mkdtempSync(join(tmpdir(), "tsflow-op-profile-"));
  try {
    tf.profiler.experimental.start(logdir);
    for (let i = 0; i < steps / inner; i++) tf.profiler.experimental.Trace("train", { stepNum: i, _r: 1 }, step);
    tf.profiler.experimental.stop();
    const events = readTrace(logdir);
    const spans = perOp(events, (n) => n.startsWith("/host:CPU"));
    return { events, stepMicros: (spans.find((r) => r.op === "Trace")?.micros ?? 0) / steps };
  } finally {
    rmSync(logdir, { recursive: true, force: true });
  }
}

type AnyModel = ModelName | MpModelName;
const isMp = (m: AnyModel): m is MpModelName => m in MP_MODELS;

/** A Keras fit epoch of `steps` batches as one profiled "step" (`inner` training steps). */
function kerasEpoch(model: KerasBenchModel, batch: number, steps: number): { step: () => void; close: () => void; inner: number } {
  tf.setRandomSeed(1);
  const m = kerasModel(model);
  const { x, y } = syntheticSet(batch * steps);
  return { step: () => void m.fitSync(x, y, { batchSize: batch, epochs: 1, verbose: 0 }), close: () => tf.dispose([x, y]), inner: steps };
}

async function profileOne(model: AnyModel, batch: number, steps: number, runs: number, gpu: boolean, precision: Precision): Promise<string[]> {
  const s = isMp(model)
    ? { ...mpTrainStep(MP_MODELS[model], batch, precision, { feedTensors: gpu }), inner: 1 }
    : keras
      ? kerasEpoch(model as KerasBenchModel, batch, steps)
      : { ...graphStep(model, batch, { feedTensors: gpu }), inner: 1 };
  try {
    const untraced = await measure(s.step, s.inner, { warmup: s.inner === 1 ? 10 : 2, reps: 5, repSeconds: 0.5 });
    const profiles = Array.from({ length: runs }, () => profileRun(s.step, steps, s.inner));
    const stepMicros = median(profiles.map((p) => p.stepMicros));
    const device = gpu ? "GPU:0" : "CPU:0";
    const host = joinRuns(
      profiles.map((p) => perOp(p.events, (n) => n.endsWith(`device:${device} Compute`))),
      steps,
    );
    const out = [
      `### ${keras ? "Keras fit " : ""}${model}, batch ${batch}${isMp(model) ? `, ${precision}` : ""} (${device})`,
      "",
      `Untraced step ${(1000 / untraced.median).toFixed(3)} ms (median of 5 repetitions); traced step ${(stepMicros / 1000).toFixed(3)} ms ` +
        `(median of ${runs} profiles of ${steps} steps: ${profiles.map((p) => (p.stepMicros / 1000).toFixed(1)).join(", ")} ms).`,
      "",
      ...table("Host (time each node took on the calling thread; per op type the median of the profiles):", host, stepMicros),
    ];
    if (gpu) {
      const kernels = joinRuns(
        profiles.map((p) => perOp(p.events, (n) => n.includes("/stream:all"))),
        steps,
      );
      out.push("", ...table("GPU kernels (CUDA events around each op's work; share of the traced step):", kernels, stepMicros));
    }
    return out;
  } finally {
    s.close();
  }
}

const models = arg("models", "lenet,mlp").split(",") as AnyModel[];
const precision = arg("precision", "fp32") as Precision;
tf.config.experimental.enableTensorFloat32Execution(precision === "tf32");
const batches = arg("batches", "64").split(",").map(Number);
const steps = Number(arg("steps", "30"));
const runs = Number(arg("runs", "3"));
const gpu = tf.config.listPhysicalDevices("GPU").length > 0;
// Per-op host times need each op launched on its own: a captured step is one host entry. With --captured the
// step is captured and its replays timed node by node on the device (the GPU kernel table is then the
// captured step's).
const captured = process.argv.includes("--captured");
const keras = process.argv.includes("--keras");
if (gpu) tf.config.experimental.setTsflowOptions({ cudaGraphs: captured });
const lines = [
  `Per-op profile, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${runs} profiles of ${steps} steps each, graph mode (Session.run), SGD.`,
  "",
];
for (const model of models) for (const batch of batches) lines.push(...(await profileOne(model, batch, steps, runs, gpu, precision)), "");
console.log(lines.join("\n"));
