/**
 * Device-side times of traced nodes (GPUs): a pair of marks on the device's queue around the work a node
 * queued, resolved into NodeExecStats of the device's "stream:all" entry once the work has run. Marks are
 * resolved together, at the end of a traced step or when the profiler stops, so tracing waits for the
 * device once, not per node.
 */
import type { DeviceMark, DeviceTimer } from "./backend.js";
import { InternalError } from "./errors.js";
import type { NodeExecStats, StepStatsBuilder } from "./step_stats.js";
import { threadId } from "node:worker_threads";

interface Span {
  timer: DeviceTimer;
  nodeName: string;
  opType: string;
  from: DeviceMark;
  to: DeviceMark;
  /** False where `from` is the previous span's `to` (a chain): each mark is released once. */
  ownsFrom: boolean;
}

export class DeviceSpans {
  readonly #spans: Span[] = [];
  /** Per timer, the mark whose device time is known on the host's clock. */
  readonly #anchors = new Map<DeviceTimer, { mark: DeviceMark; hostMicros: number }>();

  /** Marks the queue before a node's work; the first mark on a device anchors its clock (waits for it once). */
  begin(timer: DeviceTimer): DeviceMark {
    if (!this.#anchors.has(timer)) this.#anchors.set(timer, timer.anchor());
    return timer.mark();
  }

  /** Marks the queue after a node's work. */
  end(timer: DeviceTimer, nodeName: string, opType: string, from: DeviceMark): void {
    this.#spans.push({ timer, nodeName, opType, from, to: timer.mark(), ownsFrom: true });
  }

  /**
   * Nodes whose work lies between consecutive marks recorded elsewhere (a CUDA graph's event nodes): node i
   * from `marks[i]` to `marks[i + 1]`. The device must have been anchored before the marks were queued
   * (`begin`). Takes the marks over.
   */
  chain(timer: DeviceTimer, nodes: readonly { nodeName: string; opType: string }[], marks: readonly DeviceMark[]): void {
    if (marks.length !== nodes.length + 1) {
      for (const m of marks) timer.release(m);
      throw new InternalError(`${nodes.length} timed nodes need ${nodes.length + 1} marks, got ${marks.length}`);
    }
    nodes.forEach((n, i) => this.#spans.push({ timer, nodeName: n.nodeName, opType: n.opType, from: marks[i], to: marks[i + 1], ownsFrom: i === 0 }));
  }

  /** Releases every mark unread (a step that failed: its device work may never have run). */
  discard(): void {
    for (const s of this.#spans) {
      if (s.ownsFrom) s.timer.release(s.from);
      s.timer.release(s.to);
    }
    this.#spans.length = 0;
    for (const [timer, a] of this.#anchors) timer.release(a.mark);
    this.#anchors.clear();
  }

  /**
   * Waits for the marked work and adds one entry per span to `into`, under the timer's stream name. As
   * TensorFlow's GPU tracer writes them, nodeName is "name:OpType" and the label names the node after "@@".
   * Releases every mark.
   */
  resolveInto(into: StepStatsBuilder): void {
    for (const s of this.#spans) {
      const anchor = this.#anchors.get(s.timer)!;
      const start = anchor.hostMicros + Math.round(s.timer.elapsedMicros(anchor.mark, s.from));
      const dur = Math.max(0, Math.round(s.timer.elapsedMicros(s.from, s.to)));
      const stats: NodeExecStats = {
        nodeName: `${s.nodeName}:${s.opType}`,
        allStartMicros: start,
        opStartRelMicros: 0,
        opEndRelMicros: dur,
        allEndRelMicros: dur,
        memory: [],
        output: [],
        timelineLabel: `${s.opType} @@${s.nodeName}`,
        scheduledMicros: start,
        threadId,
        opType: s.opType,
      };
      into.add(s.timer.streamName, stats);
    }
    for (const s of this.#spans) {
      if (s.ownsFrom) s.timer.release(s.from);
      s.timer.release(s.to);
    }
    this.#spans.length = 0;
    for (const [timer, a] of this.#anchors) timer.release(a.mark);
    this.#anchors.clear();
  }
}
