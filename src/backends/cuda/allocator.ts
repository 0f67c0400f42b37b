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

  constructor(readonly ctx: DeviceContext, readonly deviceName: string, public limitBytes: number | null = null) {}

  static roundSize(bytes: number): number {
    if (bytes <= 512) return 512;
    const q = 2 ** Math.floor(Math.log2(bytes)) / 4;
    return Math.ceil(bytes / q) * q;
  }

  /** A block of at least `bytes` (a size class, see roundSize). `describe` names the request in errors. */
  alloc(bytes: number, describe: () => string): number {
    const size = CachingAllocator.roundSize(bytes);
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
    if (p === null && this.cachedBytes > 0) {
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
