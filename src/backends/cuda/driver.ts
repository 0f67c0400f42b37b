import { InternalError } from "../../core/errors.js";
import type { Driver, Koffi, Ptr } from "./ffi.js";

/**
 * The driver API in TypeScript terms: result codes become exceptions naming the call, handles stay opaque
 * (koffi's BigInt pointers), device memory is a JS number (CUdeviceptr).
 */

export const CUDA_SUCCESS = 0;
export const CUDA_ERROR_OUT_OF_MEMORY = 2;
export const CUDA_ERROR_NOT_READY = 600;
const CU_GRAPH_NODE_TYPE_EVENT_RECORD = 7;

const ATTR = {
  maxThreadsPerBlock: 1,
  sharedMemPerBlock: 8,
  warpSize: 10,
  clockRateKHz: 13,
  multiprocessors: 16,
  memoryClockKHz: 36,
  memoryBusWidth: 37,
  l2CacheBytes: 38,
  ccMajor: 75,
  ccMinor: 76,
} as const;

/** A CUDA driver error: `code` is the CUresult, `call` the function that returned it. */
export class CudaError extends InternalError {
  constructor(
    readonly call: string,
    readonly cuCode: number,
    name: string,
  ) {
    super(`CUDA error in ${call}: ${name} (${cuCode})`);
  }
}

export class DriverApi {
  constructor(
    readonly lib: Driver,
    readonly koffi: Koffi,
  ) {}

  errorName(code: number): string {
    const out: (string | null)[] = [null];
    const desc: (string | null)[] = [null];
    try {
      this.lib.cuGetErrorName(code, out);
      this.lib.cuGetErrorString(code, desc);
    } catch {
      // fall through
    }
    return out[0] ? `${out[0]}${desc[0] ? `: ${desc[0]}` : ""}` : `CUresult ${code}`;
  }

  check(call: string, code: unknown): void {
    if (code !== CUDA_SUCCESS) throw new CudaError(call, code as number, this.errorName(code as number));
  }

  version(): number {
    const v = [0];
    this.check("cuDriverGetVersion", this.lib.cuDriverGetVersion(v));
    return v[0];
  }

  deviceCount(): number {
    const n = [0];
    this.check("cuDeviceGetCount", this.lib.cuDeviceGetCount(n));
    return n[0];
  }

  deviceInfo(ordinal: number): DeviceInfo {
    const dev = [0];
    this.check("cuDeviceGet", this.lib.cuDeviceGet(dev, ordinal));
    const d = dev[0];
    const buf = Buffer.alloc(256);
    this.check("cuDeviceGetName", this.lib.cuDeviceGetName(buf, 256, d));
    const name = buf.toString("utf8", 0, Math.max(0, buf.indexOf(0)));
    const mem = [0];
    this.check("cuDeviceTotalMem", this.lib.cuDeviceTotalMem(mem, d));
    const attr = (a: number) => {
      const v = [0];
      this.check("cuDeviceGetAttribute", this.lib.cuDeviceGetAttribute(v, a, d));
      return v[0];
    };
    return {
      ordinal,
      device: d,
      name,
      totalMemory: Number(mem[0]),
      computeCapability: [attr(ATTR.ccMajor), attr(ATTR.ccMinor)],
      multiprocessors: attr(ATTR.multiprocessors),
      clockRateKHz: attr(ATTR.clockRateKHz),
      memoryClockKHz: attr(ATTR.memoryClockKHz),
      memoryBusWidth: attr(ATTR.memoryBusWidth),
      l2CacheBytes: attr(ATTR.l2CacheBytes),
      maxThreadsPerBlock: attr(ATTR.maxThreadsPerBlock),
      sharedMemPerBlock: attr(ATTR.sharedMemPerBlock),
    };
  }
}

/** What tsflow knows of one GPU (tf.config.experimental.getDeviceDetails and the bench's roofline). */
export interface DeviceInfo {
  readonly ordinal: number;
  readonly device: number;
  readonly name: string;
  readonly totalMemory: number;
  readonly computeCapability: readonly [number, number];
  readonly multiprocessors: number;
  readonly clockRateKHz: number;
  readonly memoryClockKHz: number;
  readonly memoryBusWidth: number;
  readonly l2CacheBytes: number;
  readonly maxThreadsPerBlock: number;
  readonly sharedMemPerBlock: number;
}

/** Peak DRAM bandwidth from the device's attributes (double data rate), bytes per second. */
export function peakBandwidth(d: DeviceInfo): number {
  return 2 * d.memoryClockKHz * 1e3 * (d.memoryBusWidth / 8);
}

let currentCtx: Ptr = null;

/**
 * One device's primary context (the one cuBLAS and every CUDA runtime user share), its stream, and the
 * launch machinery. All work of a device goes to its one stream, in order; that is what makes the caching
 * allocator's immediate reuse of freed blocks safe.
 */
export class DeviceContext {
  readonly ctx: Ptr;
  readonly stream: Ptr;
  // Kernel arguments: each parameter gets 8-byte slots in native memory; `params` holds their addresses.
  readonly #slotsAddr: number;
  readonly #slotU32: Uint32Array;
  readonly #slotI32: Int32Array;
  readonly #slotF32: Float32Array;
  readonly #slotF64: Float64Array;
  readonly #paramsU32: Uint32Array;
  readonly #params: Ptr;
  #nSlots = 0;
  #nParams = 0;
  static readonly MAX_SLOTS = 256;

  constructor(
    readonly api: DriverApi,
    readonly info: DeviceInfo,
  ) {
    const lib = api.lib;
    const ctx: Ptr[] = [null];
    api.check("cuDevicePrimaryCtxRetain", lib.cuDevicePrimaryCtxRetain(ctx, info.device));
    this.ctx = ctx[0];
    this.makeCurrent();
    const s: Ptr[] = [null];
    // A blocking stream (flags 0): the legacy default stream, which some libraries use, orders with it.
    api.check("cuStreamCreate", lib.cuStreamCreate(s, 0));
    this.stream = s[0];
    const koffi = api.koffi;
    const slots = koffi.alloc("uint64_t", DeviceContext.MAX_SLOTS) as unknown as bigint;
    const params = koffi.alloc("uint64_t", DeviceContext.MAX_SLOTS) as unknown as bigint;
    const slotBuf = koffi.view(slots, DeviceContext.MAX_SLOTS * 8);
    this.#slotsAddr = Number(koffi.address(slots));
    this.#slotU32 = new Uint32Array(slotBuf);
    this.#slotI32 = new Int32Array(slotBuf);
    this.#slotF32 = new Float32Array(slotBuf);
    this.#slotF64 = new Float64Array(slotBuf);
    this.#paramsU32 = new Uint32Array(koffi.view(params, DeviceContext.MAX_SLOTS * 8));
    this.#params = params;
  }

  makeCurrent(): void {
    if (currentCtx === this.ctx) return;
    this.api.check("cuCtxSetCurrent", this.api.lib.cuCtxSetCurrent(this.ctx));
    currentCtx = this.ctx;
  }

  // ---- kernel arguments, written in order before launch()
  #param(slots: number): number {
    if (this.#nSlots + slots > DeviceContext.MAX_SLOTS) throw new InternalError("too many kernel arguments");
    const s = this.#nSlots;
    const addr = this.#slotsAddr + s * 8;
    const p = this.#nParams++ * 2;
    this.#paramsU32[p] = addr % 4294967296;
    this.#paramsU32[p + 1] = Math.floor(addr / 4294967296);
    this.#nSlots += slots;
    return s;
  }
  /** A device pointer (or any unsigned 64-bit integer below 2^53). */
  argPtr(v: number): this {
    // NaN or a non-number (a host buffer passed by mistake) would fault the context for good: refuse it.
    if (!(v >= 0)) throw new InternalError(`kernel argument is not a device pointer: ${String(v)}`);
    const s = this.#param(1) * 2;
    this.#slotU32[s] = v % 4294967296;
    this.#slotU32[s + 1] = Math.floor(v / 4294967296);
    return this;
  }
  /** A signed 64-bit integer (long long) below 2^53 in magnitude. */
  argI64(v: number): this {
    const s = this.#param(1) * 2;
    const lo = v % 4294967296;
    const hi = Math.floor(v / 4294967296);
    this.#slotU32[s] = lo < 0 ? lo + 4294967296 : lo;
    this.#slotI32[s + 1] = hi;
    return this;
  }
  argI32(v: number): this {
    this.#slotI32[this.#param(1) * 2] = v;
    return this;
  }
  argF32(v: number): this {
    this.#slotF32[this.#param(1) * 2] = v;
    return this;
  }
  argF64(v: number): this {
    this.#slotF64[this.#param(1)] = v;
    return this;
  }
  /** A struct of 64-bit integers passed by value (must be the last argument or followed by slot-aligned ones). */
  argI64s(vs: readonly number[]): this {
    const s0 = this.#param(vs.length);
    for (let i = 0; i < vs.length; i++) {
      const s = (s0 + i) * 2;
      const v = vs[i];
      const lo = v % 4294967296;
      this.#slotU32[s] = lo < 0 ? lo + 4294967296 : lo;
      this.#slotI32[s + 1] = Math.floor(v / 4294967296);
    }
    return this;
  }

  /** Launches `fn` with the arguments written since the last launch, on this device's stream. */
  launch(fn: Ptr, gx: number, bx: number, gy = 1, shmem = 0): void {
    this.#nSlots = 0;
    this.#nParams = 0;
    const r = this.api.lib.cuLaunchKernel(fn, gx, gy, 1, bx, 1, 1, shmem, this.stream, this.#params, null);
    if (r !== CUDA_SUCCESS) this.api.check("cuLaunchKernel", r);
  }
  /** Drops arguments written for a launch that did not happen. */
  resetArgs(): void {
    this.#nSlots = 0;
    this.#nParams = 0;
  }

  synchronize(): void {
    this.makeCurrent();
    this.api.check("cuStreamSynchronize", this.api.lib.cuStreamSynchronize(this.stream));
  }

  loadModule(image: Uint8Array): Ptr {
    this.makeCurrent();
    const m: Ptr[] = [null];
    this.api.check("cuModuleLoadData", this.api.lib.cuModuleLoadData(m, image));
    return m[0];
  }
  getFunction(module: Ptr, name: string): Ptr {
    const f: Ptr[] = [null];
    this.api.check(`cuModuleGetFunction(${name})`, this.api.lib.cuModuleGetFunction(f, module, name));
    return f[0];
  }

  memInfo(): { free: number; total: number } {
    this.makeCurrent();
    const f = [0];
    const t = [0];
    this.api.check("cuMemGetInfo", this.api.lib.cuMemGetInfo(f, t));
    return { free: Number(f[0]), total: Number(t[0]) };
  }

  createEvent(timing = true): Ptr {
    const e: Ptr[] = [null];
    // CU_EVENT_DISABLE_TIMING = 2
    this.api.check("cuEventCreate", this.api.lib.cuEventCreate(e, timing ? 0 : 2));
    return e[0];
  }
  record(ev: Ptr): void {
    this.api.check("cuEventRecord", this.api.lib.cuEventRecord(ev, this.stream));
  }
  elapsedMs(a: Ptr, b: Ptr): number {
    this.api.check("cuEventSynchronize", this.api.lib.cuEventSynchronize(b));
    const ms = [0];
    this.api.check("cuEventElapsedTime", this.api.lib.cuEventElapsedTime(ms, a, b));
    return ms[0];
  }
  /** True once everything recorded before `ev` has run; throws on an asynchronous error. */
  eventDone(ev: Ptr): boolean {
    const r = this.api.lib.cuEventQuery(ev) as number;
    if (r === CUDA_ERROR_NOT_READY) return false;
    this.api.check("cuEventQuery", r);
    return true;
  }
  destroyEvent(ev: Ptr): void {
    this.api.lib.cuEventDestroy(ev);
  }

  // ---- stream capture (CUDA graphs)
  get canCapture(): boolean {
    return this.api.lib.graphs !== null;
  }
  /**
   * Starts capturing this device's stream: work queued from now on is recorded, not run. Relaxed mode
   * (CU_STREAM_CAPTURE_MODE_RELAXED = 2): cuMemAlloc stays legal while capturing (the caching allocator
   * may need a new block).
   */
  beginCapture(): void {
    this.makeCurrent();
    this.api.check("cuStreamBeginCapture", this.api.lib.graphs!.cuStreamBeginCapture(this.stream, 2));
  }
  /** Ends the capture; returns the graph, or throws (the capture was invalidated). */
  endCapture(): Ptr {
    const g: Ptr[] = [null];
    this.api.check("cuStreamEndCapture", this.api.lib.graphs!.cuStreamEndCapture(this.stream, g));
    return g[0];
  }
  /** An executable graph (cuGraphInstantiateWithFlags, no flags) and its node count. */
  instantiate(graph: Ptr): { exec: Ptr; nodes: number } {
    const G = this.api.lib.graphs!;
    const n = [0];
    this.api.check("cuGraphGetNodes", G.cuGraphGetNodes(graph, null, n));
    const e: Ptr[] = [null];
    this.api.check("cuGraphInstantiate", G.cuGraphInstantiateWithFlags(e, graph, 0));
    return { exec: e[0], nodes: Number(n[0]) };
  }
  /** Whether graphs can hold event-record nodes whose events are swapped per launch (the profiler's timed graphs). */
  get canTimeGraphs(): boolean {
    return this.api.lib.graphs !== null && this.api.lib.graphEvents !== null;
  }
  /**
   * While capturing: records `ev` as an event-record node of the graph (CU_EVENT_RECORD_EXTERNAL = 1; a plain
   * record during capture would only order work inside the graph, and its event could not be read outside).
   */
  recordInGraph(ev: Ptr): void {
    this.api.check("cuEventRecordWithFlags", this.api.lib.graphEvents!.cuEventRecordWithFlags(ev, this.stream, 1));
  }
  /** The event-record nodes of `graph` that record `events`, in the order of `events`. */
  eventRecordNodes(graph: Ptr, events: readonly Ptr[]): bigint[] {
    const G = this.api.lib.graphs!;
    const E = this.api.lib.graphEvents!;
    const koffi = this.api.koffi;
    const n = [0];
    this.api.check("cuGraphGetNodes", G.cuGraphGetNodes(graph, null, n));
    const nodes = new BigUint64Array(Number(n[0]));
    this.api.check("cuGraphGetNodes", G.cuGraphGetNodes(graph, nodes, n));
    const order = new Map(events.map((e, i) => [koffi.address(e), i]));
    const found: (bigint | undefined)[] = events.map(() => undefined);
    for (const node of nodes) {
      const type = [0];
      this.api.check("cuGraphNodeGetType", E.cuGraphNodeGetType(node, type));
      if (type[0] !== CU_GRAPH_NODE_TYPE_EVENT_RECORD) continue;
      const ev: Ptr[] = [null];
      this.api.check("cuGraphEventRecordNodeGetEvent", E.cuGraphEventRecordNodeGetEvent(node, ev));
      const i = order.get(koffi.address(ev[0]));
      if (i !== undefined) found[i] = node;
    }
    const missing = found.indexOf(undefined);
    if (missing >= 0) throw new InternalError(`the captured graph has no event-record node for mark ${missing} of ${events.length}`);
    return found as bigint[];
  }
  /** The event an executable graph's event-record node records at its next launches. */
  setNodeEvent(exec: Ptr, node: bigint, ev: Ptr): void {
    this.api.check("cuGraphExecEventRecordNodeSetEvent", this.api.lib.graphEvents!.cuGraphExecEventRecordNodeSetEvent(exec, node, ev));
  }
  graphLaunch(exec: Ptr): void {
    const r = this.api.lib.graphs!.cuGraphLaunch(exec, this.stream);
    if (r !== CUDA_SUCCESS) this.api.check("cuGraphLaunch", r);
  }
  destroyGraph(graph: Ptr, exec: Ptr): void {
    const G = this.api.lib.graphs!;
    if (exec) G.cuGraphExecDestroy(exec);
    if (graph) G.cuGraphDestroy(graph);
  }
  /** Device-to-device copy on the stream (recorded as a memcpy node while capturing). */
  copyDtoD(dst: number, src: number, bytes: number): void {
    if (bytes === 0) return;
    const r = this.api.lib.cuMemcpyDtoDAsync(dst, src, bytes, this.stream);
    if (r !== CUDA_SUCCESS) this.api.check("cuMemcpyDtoDAsync", r);
  }
}
