/**
 * Where a training step's time goes, per op type, from tf.profiler.experimental (the profile a user would
 * open in Perfetto, read back from its trace file): LeNet-5 and the MLP, graph mode (Session.run), SGD. Each
 * configuration runs warm-up steps, then `steps` steps under the profiler, each inside
 * tf.profiler.experimental.Trace("train", { stepNum }); the step's time is the Trace span's. Per op type:
 * nodes per step, milliseconds per step and the share of the step. On a GPU the device's kernel times (the
 * "/stream:all" entry, from CUDA events) are a second table; CUDA-graph capture is turned off so that each
 * op is launched (and timed) on its own. The untraced step time is printed beside the traced one: what the
 * profiler itself costs per step.
 *
 *   node --import tsx bench/op_profile.ts [--models=lenet,mlp] [--batches=64] [--steps=30]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as tf from "../src/index.js";
import { measure } from "./timing.js";
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

function table(title: string, rows: readonly Row[], steps: number, stepMicros: number): string[] {
  const out = [title, "", "| op type | nodes per step | ms per step | % of step |", "| --- | ---: | ---: | ---: |"];
  let total = 0;
  for (const r of rows) {
    total += r.micros;
    out.push(
      `| ${r.op} | ${(r.count / steps).toFixed(r.count % steps === 0 ? 0 : 1)} | ${(r.micros / steps / 1000).toFixed(3)} | ${((100 * r.micros) / steps / stepMicros).toFixed(1)} |`,
    );
  }
  out.push(`| **all ops** | | **${(total / steps / 1000).toFixed(3)}** | **${((100 * total) / steps / stepMicros).toFixed(1)}** |`);
  return out;
}

async function profileOne(model: ModelName, batch: number, steps: number, gpu: boolean): Promise<string[]> {
  const s = graphStep(model, batch, { feedTensors: gpu });
  try {
    const untraced = await measure(s.step, 1, { warmup: 10, reps: 5, repSeconds: 0.5 });
    const logdir = mkdtempSync(join(tmpdir(), "tsflow-op-profile-"));
    try {
      tf.profiler.experimental.start(logdir);
      for (let i = 0; i < steps; i++) tf.profiler.experimental.Trace("train", { stepNum: i, _r: 1 }, s.step);
      tf.profiler.experimental.stop();
      const events = readTrace(logdir);
      const spans = perOp(events, (n) => n.startsWith("/host:CPU"));
      const stepMicros = (spans.find((r) => r.op === "Trace")?.micros ?? 0) / steps;
      const device = gpu ? "GPU:0" : "CPU:0";
      const out = [
        `### ${model}, batch ${batch} (${device})`,
        "",
        `Untraced step ${(1000 / untraced.median).toFixed(3)} ms (median of 5 repetitions); traced step ${(stepMicros / 1000).toFixed(3)} ms (mean of ${steps}).`,
        "",
        ...table(
          "Host (time each node took on the calling thread):",
          perOp(events, (n) => n.endsWith(`device:${device} Compute`)),
          steps,
          stepMicros,
        ),
      ];
      if (gpu) {
        const kernels = perOp(events, (n) => n.includes("/stream:all"));
        out.push("", ...table("GPU kernels (CUDA events around each op's work; share of the traced step):", kernels, steps, stepMicros));
      }
      return out;
    } finally {
      rmSync(logdir, { recursive: true, force: true });
    }
  } finally {
    s.close();
  }
}

const models = arg("models", "lenet,mlp").split(",") as ModelName[];
const batches = arg("batches", "64").split(",").map(Number);
const steps = Number(arg("steps", "30"));
const gpu = tf.config.listPhysicalDevices("GPU").length > 0;
// Per-op times need each op launched on its own: a captured step is one launch (one profiler entry).
if (gpu) tf.config.experimental.setTsflowOptions({ cudaGraphs: false });
const lines = [
  `Per-op profile, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${steps} profiled steps each, graph mode (Session.run), SGD.`,
  "",
];
for (const model of models) for (const batch of batches) lines.push(...(await profileOne(model, batch, steps, gpu)), "");
console.log(lines.join("\n"));
