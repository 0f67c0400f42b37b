/**
 * Host-to-device copies of up to a megabyte through page-locked staging slots. A cuMemcpyHtoDAsync from pageable memory
 * synchronises the stream before it copies (CUDA's documented behaviour for pageable transfers), so a feed
 * uploaded before each replay of a captured step, such as the row indices of a Keras batch or a
 * Session.run feed from a host array, made the host wait for the previous step to finish: host and device
 * time added up instead of overlapping. From pinned memory the copy is queued like a kernel. Each slot is
 * reused once an event recorded after its copy has completed.
 */
import type { DeviceContext } from "./driver.js";
import type { Ptr } from "./ffi.js";

/** The bytes of one slot: a copy larger than this takes several, in order. */
export const SLOT_BYTES = 64 * 1024;
/**
 * The largest copy that is staged (a Keras epoch's order table of 60,000 rows: 240 KB); larger ones (data
 * loads, not per-step feeds) stay pageable.
 */
export const STAGED_UPLOAD_BYTES = 1024 * 1024;
/** Slots before a new copy waits for the oldest one: more steps in flight than this is unusual. */
const MAX_SLOTS = 64;

interface Slot {
  readonly ptr: Ptr;
  readonly bytes: Uint8Array;
  readonly done: Ptr;
}

export class UploadStage {
  readonly #slots: Slot[] = [];
  /** Slots whose copies may still be in flight, oldest first. */
  readonly #inFlight: Slot[] = [];
  readonly #free: Slot[] = [];

  constructor(private readonly ctx: DeviceContext) {}

  /** Queues a copy of `src` (at most STAGED_UPLOAD_BYTES) to device address `dst` on the context's stream, a slot at a time. */
  copy(dst: number, src: ArrayBufferView): void {
    const api = this.ctx.api;
    for (let off = 0; off < src.byteLength; off += SLOT_BYTES) {
      const n = Math.min(SLOT_BYTES, src.byteLength - off);
      const slot = this.#take();
      slot.bytes.set(new Uint8Array(src.buffer, src.byteOffset + off, n));
      api.check("cuMemcpyHtoDAsync", api.lib.cuMemcpyHtoDAsync(dst + off, slot.ptr, n, this.ctx.stream));
      this.ctx.record(slot.done);
      this.#inFlight.push(slot);
    }
  }

  #take(): Slot {
    // Completed copies free their slots in order (one stream: events complete in recording order).
    while (this.#inFlight.length > 0 && this.ctx.eventDone(this.#inFlight[0].done)) this.#free.push(this.#inFlight.shift()!);
    const free = this.#free.pop();
    if (free) return free;
    if (this.#slots.length < MAX_SLOTS) return this.#allocate();
    const oldest = this.#inFlight.shift()!;
    this.ctx.api.check("cuEventSynchronize", this.ctx.api.lib.cuEventSynchronize(oldest.done));
    return oldest;
  }

  #allocate(): Slot {
    const out: Ptr[] = [null];
    const api = this.ctx.api;
    api.check("cuMemHostAlloc", api.lib.cuMemHostAlloc(out, SLOT_BYTES, 0));
    const slot = { ptr: out[0], bytes: new Uint8Array(api.koffi.view(out[0], SLOT_BYTES)), done: this.ctx.createEvent(false) };
    this.#slots.push(slot);
    return slot;
  }
}
