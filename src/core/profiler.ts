/**
 * The recording side of tf.profiler.experimental (profiler/ is the public side): whether a profile is being
 * recorded, and what it has collected. Eager ops and Session steps read `profiling` (one boolean) and do
 * nothing more while it is false: no clock reads, no memory queries.
 */
import type { Backend, Handle } from "./backend.js";
import { fullDeviceName } from "./device_spec.js";
import { DeviceSpans } from "./device_spans.js";
import { epochMicros, type NodeClock, nodeExecStats, type StepStats, StepStatsBuilder } from "./step_stats.js";
import { threadId } from "node:worker_threads";

/** Where Trace spans are listed: the host's own timeline, as TensorFlow's profiler shows TraceMe events. */
const HOST_DEVICE = "/host:CPU";

/** True between tf.profiler.experimental.start() and stop(). */
export let profiling = false;

class ProfileRecording {
  readonly stats = new StepStatsBuilder();
  /** Device-side times of GPU work; null when device tracing is off (ProfilerOptions deviceTracerLevel 0). */
  readonly spans: DeviceSpans | null;
  constructor(deviceTracing: boolean) {
    this.spans = deviceTracing ? new DeviceSpans() : null;
  }
}

let recording: ProfileRecording | null = null;

/** Starts recording (the caller checked that none is running). */
export function beginRecording(deviceTracing: boolean): void {
  recording = new ProfileRecording(deviceTracing);
  profiling = true;
}

/** Stops recording and returns what was recorded, device times resolved (waits for the devices once). */
export function endRecording(): StepStats {
  const r = recording;
  recording = null;
  profiling = false;
  if (!r) return { devStats: [] };
  r.spans?.resolveInto(r.stats);
  return r.stats.build();
}

/** The step stats of a traced Session step, added to the recording. */
export function recordStepStats(stats: StepStats): void {
  recording?.stats.merge(stats);
}

/** Whether the recording times device work (the executor asks before marking a step's GPU work). */
export function recordingSpans(): DeviceSpans | null {
  return recording?.spans ?? null;
}

/**
 * Runs one eager op's kernel while recording: its host times, the bytes it left allocated and, on a device
 * with a timer, its device time.
 */
export function recordKernel(backend: Backend, nodeName: string, opType: string, run: () => Handle[]): Handle[] {
  const spans = recording?.spans ?? null;
  const timer = spans ? backend.deviceTimer : undefined;
  const bytesBefore = backend.memory().numBytes;
  const from = timer ? spans!.begin(timer) : null;
  const t0 = performance.now();
  const outs = run();
  const t1 = performance.now();
  if (timer) spans!.end(timer, nodeName, opType, from!);
  const clock: NodeClock = { all0: t0, op0: t0, op1: t1, all1: t1 };
  recording?.stats.add(fullDeviceName(backend.deviceType, backend.deviceIndex), nodeExecStats(nodeName, opType, [], clock, outs, backend, bytesBefore));
  return outs;
}

/** A tf.profiler.experimental.Trace's span on the host: from t0 to t1 (performance.now() ms). */
export function recordTrace(name: string, t0: number, t1: number, args: Record<string, string | number>): void {
  if (!recording) return;
  const start = epochMicros(t0);
  const dur = Math.max(0, epochMicros(t1) - start);
  recording.stats.add(HOST_DEVICE, {
    nodeName: name,
    allStartMicros: start,
    opStartRelMicros: 0,
    opEndRelMicros: dur,
    allEndRelMicros: dur,
    memory: [],
    output: [],
    timelineLabel: `${name} = Trace()`,
    scheduledMicros: start,
    threadId,
    opType: "Trace",
    traceArgs: args,
  });
}
