/**
 * TensorFlow's timeline (tensorflow/python/client/timeline.py): step stats as a Chrome trace, which
 * chrome://tracing and Perfetto open. The layout is TensorFlow's: a process "Allocators" (memory counters),
 * then per device a "<device> Compute" process whose threads are lanes of non-overlapping ops ("X" events
 * named by op type, args name/op/input0...), and a "<device> Tensors" process (tensor lifetimes with
 * showMemory); flow arrows ("s"/"t") join a tensor's producer to readers on another lane or device.
 */
import type { NodeExecStats, StepStats } from "../core/step_stats.js";
import { declare, kind, optional, param, parseArgs, positionalOnly, signature, withDefault } from "../core/signature.js";
import { InvalidArgumentError } from "../core/errors.js";

/** One Chrome trace event (the fields TensorFlow's timeline writes). */
export interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid?: number;
  ts?: number;
  cat?: string;
  dur?: number;
  id?: number;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
}

export type OpTime = "schedule" | "gpu" | "all";

interface Tensor {
  name: string;
  id: number;
  created: number;
  pid: number;
  allocator: string;
  bytes: number;
  unrefs: number[];
}

/** "name = Op(a, b)" -> [name, op, inputs]; TensorFlow's fallback for other labels is "unknown". */
function parseOpLabel(label: string): [string, string, string[]] {
  const m = /^(.*) = (.*)\((.*)\)$/s.exec(label);
  if (!m) return ["unknown", "unknown", []];
  return [m[1], m[2], m[3] ? m[3].split(", ") : []];
}

/** A GPU entry: its node and op from "...@@node#..." in the label, else from nodeName "node:Op". */
function parseKernelLabel(label: string, nodeName: string): [string, string] {
  const at = label.indexOf("@@");
  const hash = label.indexOf("#");
  const name = at >= 0 && hash >= 0 && at + 2 < hash ? label.slice(at + 2, hash) : nodeName;
  const [n, op = "unknown"] = name.split(":");
  return [n, op];
}

/** A device entry written by a GPU tracer (kernel times), whose labels are kernel labels. */
function isGpuTrace(device: string): boolean {
  return device.includes("/stream:") || device.includes("/memcpy");
}

const end = (n: NodeExecStats) => n.allStartMicros + n.allEndRelMicros;

/**
 * op_time "gpu" / "all": each host node's span taken from (or stretched to) its kernels' span in the
 * "/stream:all" entries; "schedule" leaves the host's times.
 */
function applyOpTime(stats: StepStats, opTime: OpTime): void {
  if (opTime === "schedule") return;
  const gpu = new Map<string, [number, number]>();
  for (const d of stats.devStats) {
    if (!d.device.includes("/stream:all")) continue;
    for (const k of d.nodeStats) {
      const [name] = parseKernelLabel(k.timelineLabel, k.nodeName);
      const span = gpu.get(name);
      gpu.set(name, span ? [Math.min(span[0], k.allStartMicros), Math.max(span[1], end(k))] : [k.allStartMicros, end(k)]);
    }
  }
  for (const d of stats.devStats) {
    if (!d.device.includes("/job")) continue;
    for (const n of d.nodeStats) {
      const span = gpu.get(n.nodeName);
      if (!span) continue;
      const stop = Math.max(span[1], end(n));
      if (opTime === "gpu") n.allStartMicros = span[0];
      n.allEndRelMicros = stop - n.allStartMicros;
    }
  }
}

/** Lanes per device: each node goes to the first lane free before it starts (its threadId becomes the lane). */
function assignLanes(stats: StepStats): void {
  for (const d of stats.devStats) {
    const lanes = [0];
    for (const n of d.nodeStats) {
      let lane = lanes.findIndex((busyUntil) => n.allStartMicros > busyUntil);
      if (lane < 0) lane = lanes.push(0) - 1;
      lanes[lane] = end(n);
      n.threadId = lane;
    }
  }
}

/** The Chrome trace of `stepStats` as an object (Timeline.generateChromeTraceFormat gives it as JSON). */
export function chromeTrace(stepStats: StepStats, showDataflow = true, showMemory = false, opTime: OpTime = "schedule"): ChromeTrace {
  const stats: StepStats = structuredClone(stepStats);
  applyOpTime(stats, opTime);
  const metadata: TraceEvent[] = [];
  const events: TraceEvent[] = [];
  let nextPid = 0;
  const processName = (name: string) => {
    const pid = nextPid++;
    metadata.push({ name: "process_name", ph: "M", pid, args: { name } });
    return pid;
  };
  const allocatorsPid = processName("Allocators");
  const computePid = new Map<string, number>();
  const tensorsPid = new Map<string, number>();
  for (const d of stats.devStats) {
    computePid.set(d.device, processName(`${d.device} Compute`));
    tensorsPid.set(d.device, processName(`${d.device} Tensors`));
  }
  assignLanes(stats);

  // Tensors: each output lives from its producer's start to its last reader's end.
  const tensors = new Map<string, Tensor>();
  const flowFrom = new Map<string, [number, number, number]>();
  for (const d of stats.devStats) {
    const pid = tensorsPid.get(d.device)!;
    for (const n of d.nodeStats) {
      n.output.forEach((o, i) => {
        const name = i === 0 ? n.nodeName : `${n.nodeName}:${i}`;
        const alloc = o.tensorDescription.allocationDescription;
        const t: Tensor = {
          name,
          id: tensors.size,
          created: n.allStartMicros,
          pid,
          allocator: alloc.allocatorName,
          bytes: alloc.requestedBytes,
          unrefs: [end(n)],
        };
        tensors.set(name, t);
        flowFrom.set(name, [end(n), computePid.get(d.device)!, n.threadId]);
        if (showMemory) {
          events.push({ ph: "N", cat: "Tensor", name, pid, tid: n.threadId, ts: n.allStartMicros, id: t.id });
          const desc = `dtype: ${o.tensorDescription.dtype} shape: [${o.tensorDescription.shape.join(",")}] requested_bytes: ${alloc.requestedBytes}`;
          events.push({ ph: "O", cat: "Tensor", name, pid, tid: n.threadId, ts: end(n) - 1, id: t.id, args: { snapshot: { tensor_description: desc } } });
        }
      });
    }
  }

  // Compute: one "X" event per node, and flows from each input's producer.
  let nextFlow = 0;
  for (const d of stats.devStats) {
    const pid = computePid.get(d.device)!;
    const gpu = isGpuTrace(d.device);
    for (const n of d.nodeStats) {
      let name = n.nodeName;
      let op: string;
      let inputs: string[] = [];
      if (gpu) [name, op] = parseKernelLabel(n.timelineLabel, n.nodeName);
      else [, op, inputs] = parseOpLabel(n.timelineLabel);
      const args: Record<string, unknown> = { name, op };
      inputs.forEach((input, i) => {
        args[`input${i}`] = input;
      });
      if (n.traceArgs) Object.assign(args, n.traceArgs);
      events.push({ ph: "X", cat: "Op", name: op, pid, tid: n.threadId, ts: n.allStartMicros, dur: n.allEndRelMicros, args });
      if (gpu) continue;
      for (let input of inputs) {
        if (!tensors.has(input)) {
          // A Send/Recv pair's suffix: the data comes from the original node.
          const cut = input.lastIndexOf("/_");
          if (cut > 0) input = input.slice(0, cut);
        }
        const t = tensors.get(input);
        if (!t) continue;
        t.unrefs.push(end(n) - 1);
        const [ts, fromPid, fromTid] = flowFrom.get(input)!;
        if (showDataflow && (fromPid !== pid || fromTid !== n.threadId)) {
          const id = nextFlow++;
          events.push({ ph: "s", cat: "DataFlow", name: input, pid: fromPid, tid: fromTid, ts, id });
          events.push({ ph: "t", cat: "DataFlow", name: input, pid, tid: n.threadId, ts: n.allStartMicros, id });
        }
      }
    }
  }

  if (showMemory) {
    // Per allocator, bytes held over time: each tensor from its creation to its last reader.
    const changes = new Map<string, [number, number][]>();
    for (const t of tensors.values()) {
      const last = Math.max(...t.unrefs);
      events.push({ ph: "D", cat: "Tensor", name: t.name, pid: t.pid, tid: 0, ts: last, id: t.id });
      let list = changes.get(t.allocator);
      if (!list) changes.set(t.allocator, (list = []));
      list.push([t.created, t.bytes], [last, -t.bytes]);
    }
    for (const [allocator, list] of changes) {
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let total = 0;
      for (const [ts, bytes] of list) {
        total += bytes;
        events.push({ ph: "C", cat: "Memory", name: allocator, pid: allocatorsPid, tid: 0, ts, args: { [allocator]: total } });
      }
    }
  }
  return { traceEvents: [...metadata, ...events] };
}

const timelineSignature = signature(
  "python.client.timeline.Timeline",
  "Step stats (RunMetadata.stepStats) as a Chrome trace: chrome://tracing and Perfetto open it.",
  [
    positionalOnly(param("stepStats", kind<StepStats>("StepStats"), "A RunMetadata's stepStats, after a Session.run with RunOptions FULL_TRACE.")),
    optional("graph", kind<unknown>("Graph"), "The graph that ran (accepted, as in TensorFlow; not read)."),
  ],
  { args: () => [{ devStats: [] }] },
);

const generateSignature = signature(
  "python.client.timeline.Timeline.generate_chrome_trace_format",
  "The trace as a JSON string (TensorFlow's format, indented).",
  [
    withDefault("showDataflow", kind<boolean>("boolean"), true, "Arrows from each tensor's producer to its readers on other lanes or devices."),
    withDefault("showMemory", kind<boolean>("boolean"), false, "Tensor lifetimes and per-allocator memory counters."),
    withDefault(
      "opTime",
      kind<OpTime>('"schedule" | "gpu" | "all"'),
      "schedule",
      "Host times, the kernels' GPU times, or from the host start to the last kernel.",
    ),
  ],
);

/** tensorflow.python.client.timeline.Timeline: `new Timeline(runMetadata.stepStats).generateChromeTraceFormat()`. */
export class Timeline {
  readonly #stepStats: StepStats;
  constructor(...args: [stepStats: StepStats, graph?: unknown] | [stepStats: StepStats, options: { graph?: unknown }]) {
    const [stepStats] = parseArgs(timelineSignature, args);
    if (!stepStats || !Array.isArray(stepStats.devStats)) {
      throw new InvalidArgumentError("Timeline: stepStats must be a RunMetadata's stepStats ({ devStats: [...] }); run the step with RunOptions FULL_TRACE");
    }
    this.#stepStats = stepStats;
  }

  generateChromeTraceFormat(
    ...args: [showDataflow?: boolean, showMemory?: boolean, opTime?: OpTime] | [options: { showDataflow?: boolean; showMemory?: boolean; opTime?: OpTime }]
  ): string {
    const [showDataflow, showMemory, opTime] = parseArgs(generateSignature, args);
    if (opTime !== "schedule" && opTime !== "gpu" && opTime !== "all") {
      throw new InvalidArgumentError(`Timeline.generateChromeTraceFormat: opTime must be "schedule", "gpu" or "all", got ${JSON.stringify(opTime)}`);
    }
    return JSON.stringify(chromeTrace(this.#stepStats, showDataflow, showMemory, opTime), null, 4);
  }
}
declare(Timeline, timelineSignature);
declare(Timeline.prototype.generateChromeTraceFormat, generateSignature);
