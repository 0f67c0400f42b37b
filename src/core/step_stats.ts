/**
 * TensorFlow's StepStats (tensorflow/core/framework/step_stats.proto) as plain objects: what a traced
 * Session.run puts in RunMetadata.stepStats and what the profiler collects. Field names are the proto's,
 * camelCased; int64 fields are numbers (microseconds and byte counts stay far below 2^53). The runtime
 * converts them to the proto (runtime/step_stats_proto.ts).
 */
import { threadId } from "node:worker_threads";
import type { Backend, Handle } from "./backend.js";
import { bytesPerElement, type DType } from "./dtype.js";
import { sizeOf } from "./shape.js";

/** One allocator's use by one node. */
export interface AllocatorMemoryUsed {
  allocatorName: string;
  totalBytes: number;
  peakBytes: number;
  liveBytes: number;
  allocatorBytesInUse: number;
}

/** One output of a node: its dtype, shape and the bytes it asked for. */
export interface NodeOutput {
  slot: number;
  tensorDescription: {
    dtype: DType;
    shape: number[];
    allocationDescription: { requestedBytes: number; allocatorName: string };
  };
}

/** One execution of one node (TensorFlow's NodeExecStats). */
export interface NodeExecStats {
  nodeName: string;
  /** Wall-clock microseconds since the Unix epoch when the node started (its inputs were being gathered). */
  allStartMicros: number;
  /** From allStartMicros to the kernel's start and end, and to the node's end. */
  opStartRelMicros: number;
  opEndRelMicros: number;
  allEndRelMicros: number;
  memory: AllocatorMemoryUsed[];
  output: NodeOutput[];
  /** "name = OpType(input, input, ...)": TensorFlow's timeline reads the op type and inputs from it. */
  timelineLabel: string;
  scheduledMicros: number;
  threadId: number;
  /** tsflow: the op type (not in TensorFlow's proto, which carries it in timelineLabel). */
  opType: string;
  /** tsflow: the nodes of a fused step (an elementwise chain, an update with its gradient's Cast), nodeName being the last of them. */
  fusedNodes?: string[];
  /** tsflow: a profiler Trace's arguments (stepNum, ...), shown with the event in a Chrome trace. */
  traceArgs?: Record<string, string | number>;
}

export interface DeviceStepStats {
  device: string;
  nodeStats: NodeExecStats[];
  /** Keyed by thread id. */
  threadNames: Record<number, string>;
}

export interface StepStats {
  devStats: DeviceStepStats[];
}

/** The JS thread's name in step stats: every tsflow op is issued from the thread that called it. */
const THREAD_NAME = threadId === 0 ? "main" : `worker ${threadId}`;

/** performance.now() (ms) as wall-clock microseconds since the epoch. */
export function epochMicros(perfMs: number): number {
  return Math.round((performance.timeOrigin + perfMs) * 1000);
}

/** TensorFlow's timeline label: "name = OpType(input, input)". */
function timelineLabel(nodeName: string, opType: string, inputs: readonly string[]): string {
  return `${nodeName} = ${opType}(${inputs.join(", ")})`;
}

/** The times of one node, from performance.now() (ms): all0 <= op0 <= op1 <= all1. */
export interface NodeClock {
  all0: number;
  op0: number;
  op1: number;
  all1: number;
}

/** The allocator name of a backend in step stats. */
function allocatorName(b: Backend): string {
  return b.deviceType === "CPU" ? "cpu" : `${b.name}_${b.deviceIndex}`;
}

/**
 * A node's stats from its clock, its outputs and the backend's bytes in use before it ran (`bytesBefore`).
 * The backends count the buffers tensors hold, not a kernel's scratch, so a node's peak is what it left
 * allocated: peakBytes = totalBytes = liveBytes = the growth of the bytes in use while it ran.
 */
export function nodeExecStats(
  nodeName: string,
  opType: string,
  inputs: readonly string[],
  clock: NodeClock,
  outputs: readonly Handle[],
  backend: Backend,
  bytesBefore: number,
): NodeExecStats {
  const start = epochMicros(clock.all0);
  const rel = (t: number) => Math.max(0, epochMicros(t) - start);
  const allocator = allocatorName(backend);
  const inUse = backend.memory().numBytes;
  const grown = Math.max(0, inUse - bytesBefore);
  return {
    nodeName,
    allStartMicros: start,
    opStartRelMicros: rel(clock.op0),
    opEndRelMicros: rel(clock.op1),
    allEndRelMicros: rel(clock.all1),
    memory: [{ allocatorName: allocator, totalBytes: grown, peakBytes: grown, liveBytes: grown, allocatorBytesInUse: inUse }],
    output: outputs.map((h, slot) => ({
      slot,
      tensorDescription: {
        dtype: h.dtype,
        shape: [...h.shape],
        allocationDescription: { requestedBytes: h.dtype === "string" ? 0 : sizeOf(h.shape) * bytesPerElement(h.dtype), allocatorName: allocator },
      },
    })),
    timelineLabel: timelineLabel(nodeName, opType, inputs),
    scheduledMicros: start,
    threadId,
    opType,
  };
}

/** Step stats per device, in the order devices were first met. */
export class StepStatsBuilder {
  readonly #byDevice = new Map<string, DeviceStepStats>();

  add(device: string, stats: NodeExecStats): void {
    let d = this.#byDevice.get(device);
    if (!d) this.#byDevice.set(device, (d = { device, nodeStats: [], threadNames: {} }));
    d.threadNames[stats.threadId] ??= THREAD_NAME;
    d.nodeStats.push(stats);
  }

  /** Adds every node of `stats`, device by device. */
  merge(stats: StepStats): void {
    for (const d of stats.devStats) for (const n of d.nodeStats) this.add(d.device, n);
  }

  build(): StepStats {
    return { devStats: [...this.#byDevice.values()] };
  }
}
