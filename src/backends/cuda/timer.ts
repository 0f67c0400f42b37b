/**
 * The cuda backend's DeviceTimer (core/backend.ts): CUDA events recorded on the device's stream between the
 * work of traced ops, for step stats and the profiler. Events are pooled: a traced step records two per op.
 * Marks are never recorded while a step is being captured into a CUDA graph; a timed graph (capture.ts
 * replayTimed) takes unrecorded events from the pool and has its event-record nodes record them.
 */
import type { DeviceMark, DeviceTimer } from "../../core/backend.js";
import { epochMicros } from "../../core/step_stats.js";
import type { CudaBackend } from "./backend.js";
import type { Ptr } from "./ffi.js";

export class CudaTimer implements DeviceTimer {
  readonly streamName: string;
  readonly #free: Ptr[] = [];

  constructor(private readonly backend: CudaBackend) {
    this.streamName = `${backend.fullName}/stream:all`;
  }

  #event(): Ptr {
    return this.#free.pop() ?? this.backend.ctx.createEvent(true);
  }

  anchor(): { mark: DeviceMark; hostMicros: number } {
    // Once the queue is idle, an event recorded now runs now: its device time is the host's clock.
    this.backend.synchronizeSync();
    const mark = this.mark();
    this.backend.synchronizeSync();
    return { mark, hostMicros: epochMicros(performance.now()) };
  }

  mark(): DeviceMark {
    this.backend.ctx.makeCurrent();
    const ev = this.#event();
    this.backend.ctx.record(ev);
    return { deviceMark: ev };
  }

  /** An unrecorded event from the pool, as a mark whose recording someone else queues (a graph's event-record node). */
  take(): DeviceMark {
    this.backend.ctx.makeCurrent();
    return { deviceMark: this.#event() };
  }

  elapsedMicros(from: DeviceMark, to: DeviceMark): number {
    return this.backend.ctx.elapsedMs(from.deviceMark as Ptr, to.deviceMark as Ptr) * 1000;
  }

  release(m: DeviceMark): void {
    this.#free.push(m.deviceMark as Ptr);
  }
}
