import { ResourceExhaustedError } from "../../core/errors.js";
import { CUDA_ERROR_OUT_OF_MEMORY, CUDA_SUCCESS, DeviceContext } from "./driver.js";
import type { Ptr } from "./ffi.js";

/**
 * A caching, stream-ordered device allocator. Sizes are rounded to classes (512 bytes, then four classes per
 * power of two, so at most 25% is wasted) and freed blocks go back to a free list of their class instead of
 * cuMemFree. Because every kernel and copy of a device runs on its one stream, a block freed by the host
 * may be handed to the next op at once: that op's work is queued after every earlier use of the block.
 * When cuMemAlloc runs out, the cache is released (after the stream drains) and the allocation is retried;
 * if it still fails, ResourceExhaustedError names the op and the bytes, and nothing else changes.
 */
export class CachingAllocator {
  readonly #free = new Map<number, number[]>();
  cachedBytes = 0;
  inUseBytes = 0;
  peakBytes = 0;
  /** Calls to cuMemAlloc (cache misses). */
  deviceAllocs = 0;
  /** Allocations served from the cache. */
  cacheHits = 0;

  /**
   * While a Session step is captured into a CUDA graph: blocks freed go to this private list (and are reused
   * within the capture, in stream order as always) instead of the shared one, and every block handed out is
   * recorded. At the end the private blocks become the step's arena: replays of the graph write them, so no
   * one else may get them while the step exists.
   */
  #capture: { free: Map<number, number[]>; allocated: Set<number> } | null = null;

  constructor(
    readonly ctx: DeviceContext,
    readonly deviceName: string,
    public limitBytes: number | null = null,
  ) {}

  get capturing(): boolean {
    return this.#capture !== null;
  }
  beginCapture(): void {
    this.#capture = { free: new Map(), allocated: new Set() };
  }
  /**
   * Ends capture mode. Returns the blocks freed during the capture (the step's arena, still counted in use)
   * and the addresses handed out during it (what the graph writes).
   */
  endCapture(): { arena: { ptr: number; size: number }[]; allocated: Set<number> } {
    const c = this.#capture;
    this.#capture = null;
    if (!c) return { arena: [], allocated: new Set() };
    const arena: { ptr: number; size: number }[] = [];
    for (const [size, list] of c.free) for (const ptr of list) arena.push({ ptr, size });
    return { arena, allocated: c.allocated };
  }
  /** Gives a step's arena back to the shared cache (its graph is gone, or the capture failed). */
  releaseArena(arena: readonly { ptr: number; size: number }[]): void {
    for (const b of arena) this.free(b.ptr, b.size);
  }

  static roundSize(bytes: number): number {
    if (bytes <= 512) return 512;
    const q = 2 ** Math.floor(Math.log2(bytes)) / 4;
    return Math.ceil(bytes / q) * q;
  }

  /** A block of at least `bytes` (a size class, see roundSize). `describe` names the request in errors. */
  alloc(bytes: number, describe: () => string): number {
    const size = CachingAllocator.roundSize(bytes);
    const cap = this.#capture;
    if (cap) {
      const own = cap.free.get(size);
      // Blocks of the capture's private list are still counted in use.
      const p = own && own.length > 0 ? own.pop()! : this.#allocShared(size, bytes, describe);
      cap.allocated.add(p);
      return p;
    }
    return this.#allocShared(size, bytes, describe);
  }

  #allocShared(size: number, bytes: number, describe: () => string): number {
    const list = this.#free.get(size);
    if (list && list.length > 0) {
      this.cachedBytes -= size;
      this.#used(size);
      this.cacheHits++;
      return list.pop()!;
    }
    if (this.limitBytes !== null && this.inUseBytes + size > this.limitBytes) {
      throw this.#oom(bytes, describe, `the memory limit of ${this.limitBytes} bytes set for this device`);
    }
    let p = this.#tryAlloc(size);
    // Releasing the cache synchronises the stream, which a capture forbids.
    if (p === null && this.cachedBytes > 0 && !this.#capture) {
      this.emptyCache();
      p = this.#tryAlloc(size);
    }
    if (p === null) {
      const { free, total } = this.ctx.memInfo();
      throw this.#oom(bytes, describe, `${free} of ${total} bytes free on the device, ${this.inUseBytes} in use by tsflow`);
    }
    this.deviceAllocs++;
    this.#used(size);
    return p;
  }

  #used(size: number): void {
    this.inUseBytes += size;
    if (this.inUseBytes > this.peakBytes) this.peakBytes = this.inUseBytes;
  }

  #tryAlloc(size: number): number | null {
    this.ctx.makeCurrent();
    const out = [0];
    const r = this.ctx.api.lib.cuMemAlloc(out, size);
    if (r === CUDA_ERROR_OUT_OF_MEMORY) return null;
    this.ctx.api.check("cuMemAlloc", r);
    return Number(out[0]);
  }

  #oom(bytes: number, describe: () => string, detail: string): Error {
    return new ResourceExhaustedError(
      `OOM when allocating ${describe()} (${bytes} bytes) on ${this.deviceName} by allocator GPU_${this.ctx.info.ordinal}_caching: ${detail}`,
    );
  }

  /** Returns a block to its class's free list (usable at once by later work on the stream). */
  free(ptr: number, bytes: number): void {
    const size = CachingAllocator.roundSize(bytes);
    const cap = this.#capture;
    if (cap) {
      let own = cap.free.get(size);
      if (!own) cap.free.set(size, (own = []));
      own.push(ptr);
      return;
    }
    let list = this.#free.get(size);
    if (!list) this.#free.set(size, (list = []));
    list.push(ptr);
    this.inUseBytes -= size;
    this.cachedBytes += size;
  }

  /** Gives every cached block back to the driver (after the stream has drained). */
  emptyCache(): void {
    if (this.cachedBytes === 0) return;
    this.ctx.synchronize();
    for (const list of this.#free.values()) {
      for (const p of list) this.ctx.api.check("cuMemFree", this.ctx.api.lib.cuMemFree(p));
    }
    this.#free.clear();
    this.cachedBytes = 0;
  }

  resetPeak(): void {
    this.peakBytes = this.inUseBytes;
  }
}

/** Page-locked host buffers for asynchronous device-to-host copies, cached by size class. */
export class PinnedPool {
  readonly #free = new Map<number, { ptr: Ptr; buf: ArrayBuffer }[]>();
  pinnedBytes = 0;
  constructor(readonly ctx: DeviceContext) {}

  take(bytes: number): { ptr: Ptr; buf: ArrayBuffer; size: number } {
    const size = CachingAllocator.roundSize(bytes);
    const hit = this.#free.get(size)?.pop();
    if (hit) return { ...hit, size };
    const out: Ptr[] = [null];
    this.ctx.makeCurrent();
    const r = this.ctx.api.lib.cuMemHostAlloc(out, size, 0);
    if (r !== CUDA_SUCCESS) this.ctx.api.check("cuMemHostAlloc", r);
    this.pinnedBytes += size;
    return { ptr: out[0], buf: this.ctx.api.koffi.view(out[0], size), size };
  }

  give(b: { ptr: Ptr; buf: ArrayBuffer; size: number }): void {
    let list = this.#free.get(b.size);
    if (!list) this.#free.set(b.size, (list = []));
    if (list.length >= 4) {
      this.ctx.api.lib.cuMemFreeHost(b.ptr);
      this.pinnedBytes -= b.size;
      return;
    }
    list.push({ ptr: b.ptr, buf: b.buf });
  }
}
