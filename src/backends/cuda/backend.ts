import { bytesPerElement, DType, Values, zeroValues } from "../../core/dtype.js";
import { fromNarrowBits, isNarrowFloat, toNarrowBits } from "../../core/half.js";
import { InternalError } from "../../core/errors.js";
import { matmulDims } from "../../core/geometry/matmul.js";
import { sizeOf } from "../../core/shape.js";
import { defaultBackend } from "../../core/devices.js";
import { getOpSchema } from "../../core/schema/index.js";
import type { Backend, DeviceTimer, Handle, KernelEnv, StepCapture, UpdateGroupCall } from "../../core/backend.js";
import type { Attrs } from "../../core/schema/types.js";
import { CachingAllocator, PinnedPool } from "./allocator.js";
import { EPILOGUE_BIAS, EPILOGUE_RELU_BIAS, type CublasHandle } from "./blas.js";
import { debugOn, getSetting } from "../../core/settings.js";
import type { DeviceContext } from "./driver.js";
import type { Ptr } from "./ffi.js";
import type { CudaKernelDef, GroupCall, KernelContext } from "./kernel.js";
import { cudaKernels, mixedUpdateGroups } from "./kernels/index.js";
import { kernelSupports } from "./kernels/util.js";
import { GRADIENT_INPUT } from "../../core/schema/training.js";
import { CudaHandle, DeviceStorage } from "./handle.js";
import type { Compiler } from "./nvrtc.js";
import type { FusedProgram } from "../../core/fused.js";
import { cudaCanFuse, runFusedCuda } from "./fused.js";
import { STAGED_UPLOAD_BYTES, UploadStage } from "./upload_stage.js";

/** Dtypes stored in device memory; others (strings) live on the host inside cuda handles. */
export const DEVICE_DTYPES: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8", "bool", "float16", "bfloat16"]);

/**
 * The bytes a device buffer of `dtype` holds for host values: float16/bfloat16 host values (a Float32Array)
 * become their 2-byte patterns, rounded to nearest even; other dtypes are their host arrays.
 */
function deviceForm(values: Values, dtype: DType): Exclude<Values, string[]> {
  return (isNarrowFloat(dtype) ? toNarrowBits(dtype, values as Float32Array) : values) as Exclude<Values, string[]>;
}
/** An array the download of a buffer of `n` elements of `dtype` goes into (2-byte patterns for the 16-bit floats). */
function downloadArray(dtype: DType, n: number): Values | Uint16Array {
  return isNarrowFloat(dtype) ? new Uint16Array(n) : zeroValues(dtype, n);
}
/** Host values from a download (the 16-bit patterns widened to their float32 values). */
function hostForm(v: Values | Uint16Array, dtype: DType): Values {
  return isNarrowFloat(dtype) ? fromNarrowBits(dtype, v as Uint16Array) : (v as Values);
}

/**
 * Raised when a Session step being captured into a CUDA graph does something a graph cannot replay (a host
 * read or upload, a CPU fallback): the capture is dropped and the step runs uncaptured from then on.
 */
export class CaptureUnsupported extends InternalError {}

/** Ops #fold may compute on the host besides the elementwise rows of the op table. */
const FOLD_TYPES: ReadonlySet<string> = new Set(["Cast", "Sum", "Prod", "Mean", "Max", "Min", "Any", "All"]);

/** Integer tensors of at most this many elements are uploaded once per value and shared (see #scalar). */
const SMALL_INTS = 16;
const SMALL_INT_DTYPES: ReadonlySet<DType> = new Set(["int32", "int64"]);

/** Host values up to this size are kept beside their device copy (shapes, axes, scalars, labels). */
const MIRROR_BYTES = 64 * 1024;
/** Reads at least this large go through pinned staging buffers when asynchronous. */
const PINNED_READ_BYTES = 64 * 1024;

/**
 * A GPU: buffers in its memory, kernels generated and compiled at run time, matrix products in cuBLAS. Work
 * is queued on the device's stream and runs asynchronously; only readSync, read and synchronize wait. Ops
 * it has no kernel for (or dtypes its kernels do not take) run on the CPU with copies, so a placement
 * mistake costs time, never a wrong result.
 */
/** Per dtype of each input in turn a further level; "=" + attrKey leads to the answer. */
type SupportTrie = Map<string, SupportTrie | boolean>;

export class CudaBackend implements Backend, KernelContext {
  readonly name = "cuda";
  readonly deviceType = "GPU" as const;
  readonly fullName: string;
  readonly allocator: CachingAllocator;
  readonly pinned: PinnedPool;
  /** Blocks for grid-stride launches: enough to fill every multiprocessor several times. */
  readonly maxBlocks: number;
  readonly stats = {
    launches: 0,
    fallbacks: new Map<string, number>(),
    uploads: 0,
    downloads: 0,
    graphsCaptured: 0,
    graphLaunches: 0,
    graphNodes: 0,
    /** Variables copied into a captured step's buffers before a replay (changed since by another step). */
    homeCopies: 0,
    epilogues: 0,
  };
  /** readSync of at least this many bytes stages through pinned memory (Infinity: never). */
  pinnedReadBytes = 4 * 2 ** 20;
  #numBuffers = 0;
  #numBytes = 0;
  readonly #kernels: Map<string, CudaKernelDef>;
  readonly #modules = new Map<string, { module: Ptr; fns: Map<string, Ptr> }>();
  /** canRun's answers: per kernel, a trie over the input dtypes, then the attrKey (no string building per op). */
  readonly #supportCache = new Map<CudaKernelDef, SupportTrie>();

  constructor(
    readonly deviceIndex: number,
    readonly ctx: DeviceContext,
    readonly compiler: Compiler,
    readonly blas: CublasHandle,
    memoryLimit: number | null,
  ) {
    this.fullName = `/job:localhost/replica:0/task:0/device:GPU:${deviceIndex}`;
    this.allocator = new CachingAllocator(ctx, this.fullName, memoryLimit);
    this.pinned = new PinnedPool(ctx);
    this.#stage = new UploadStage(ctx);
    this.maxBlocks = ctx.info.multiprocessors * 16;
    this.#kernels = cudaKernels();
  }

  // ---------------------------------------------------------------- buffers

  /** A fresh uninitialised buffer for an op's output. */
  empty(dtype: DType, shape: readonly number[], op: string): CudaHandle {
    const n = sizeOf(shape);
    const bytes = n * bytesPerElement(dtype);
    const ptr = bytes === 0 ? 0 : this.allocator.alloc(bytes, () => `tensor with shape[${shape.join(",")}] and type ${dtype} for op ${op}`);
    this.#numBuffers++;
    this.#numBytes += bytes;
    return new CudaHandle(this, new DeviceStorage(ptr, bytes, null), dtype, shape.slice());
  }

  write(values: Values, dtype: DType, shape: readonly number[]): Handle {
    if (values.length !== sizeOf(shape)) throw new InternalError(`cuda.write: ${values.length} values for shape [${shape}]`);
    if (!DEVICE_DTYPES.has(dtype)) {
      this.#numBuffers++;
      return new CudaHandle(this, new DeviceStorage(0, 0, values), dtype, shape.slice());
    }
    if (values.length === 1 || (values.length <= SMALL_INTS && SMALL_INT_DTYPES.has(dtype))) return this.#scalar(values, dtype, shape);
    return this.#upload(values, dtype, shape);
  }

  /**
   * Scalars written from JS (`tf.add(x, 1)`, learning rates, feeds of one value) are uploaded once and
   * shared: device buffers are immutable, so every later write of the same value aliases the first.
   */
  #scalar(values: Values, dtype: DType, shape: readonly number[]): Handle {
    // Small integer vectors (shapes, axes, reduction indices) are cached the same way: a Session step that
    // computes them on the host (Shape, BroadcastGradientArgs) then uploads nothing when run again, which
    // lets it be captured as a CUDA graph.
    const v = values[0];
    const key =
      values.length === 1 ? `${dtype}:${Object.is(v, -0) ? "-0" : String(v)}` : `${dtype}:[${Array.from(values as ArrayLike<unknown>, String).join(",")}]`;
    let c = this.#scalars.get(key);
    if (!c) {
      if (this.#scalars.size >= 1024) {
        const [k0, h0] = this.#scalars.entries().next().value as [string, CudaHandle];
        this.#scalars.delete(k0);
        this.dispose(h0);
      }
      c = this.#upload(values, dtype, values.length === 1 ? [] : [values.length]);
      c.storage.internal = true;
      this.#numBuffers--;
      this.#numBytes -= c.storage.bytes;
      this.#scalars.set(key, c);
    }
    c.storage.refs++;
    return new CudaHandle(this, c.storage, dtype, shape.slice());
  }

  #upload(values: Values, dtype: DType, shape: readonly number[]): CudaHandle {
    if (values.length > 0) this.#noCapture("an upload from the host");
    const h = this.empty(dtype, shape, "write");
    const v = deviceForm(values, dtype);
    if (h.storage.bytes > 0) {
      this.ctx.makeCurrent();
      this.#hostToDevice(h.ptr, v, h.storage.bytes);
      this.stats.uploads++;
    }
    if (h.storage.bytes <= MIRROR_BYTES) h.storage.host = isNarrowFloat(dtype) ? hostForm(v, dtype) : (v.slice() as Values);
    return h;
  }
  readonly #scalars = new Map<string, CudaHandle>();

  readSync(handle: Handle): Values {
    const h = handle as CudaHandle;
    const s = h.storage;
    if (s.host) return s.host;
    this.#noCapture("a read to the host");
    const raw = downloadArray(h.dtype, sizeOf(h.shape));
    if (s.bytes > 0) {
      this.ctx.makeCurrent();
      if (s.bytes >= this.pinnedReadBytes) this.#readPinned(s, raw);
      // Into pageable memory the copy returns only once done, after all earlier work on the stream.
      else this.ctx.api.check("cuMemcpyDtoHAsync", this.ctx.api.lib.cuMemcpyDtoHAsync(raw, s.ptr, s.bytes, this.ctx.stream));
      this.stats.downloads++;
    }
    const out = hostForm(raw, h.dtype);
    if (s.bytes <= MIRROR_BYTES) s.host = out;
    return out;
  }

  /**
   * Large reads go through a page-locked staging buffer in chunks: the DMA engine copies at full speed into
   * pinned memory, where a pageable destination is copied by the driver through its own bounce buffers.
   */
  #readPinned(s: DeviceStorage, out: Values | Uint16Array): void {
    const chunk = Math.min(s.bytes, 32 * 2 ** 20);
    const stage = this.pinned.take(chunk);
    const dst = new Uint8Array((out as Uint8Array).buffer, 0, s.bytes);
    try {
      for (let off = 0; off < s.bytes; off += chunk) {
        const len = Math.min(chunk, s.bytes - off);
        this.ctx.api.check("cuMemcpyDtoHAsync", this.ctx.api.lib.cuMemcpyDtoHAsync(stage.ptr, s.ptr + off, len, this.ctx.stream));
        this.ctx.synchronize();
        dst.set(new Uint8Array(stage.buf, 0, len), off);
      }
    } finally {
      this.pinned.give(stage);
    }
  }

  /** Reads without blocking the event loop: a pinned staging buffer, an event, and polling. */
  async read(handle: Handle): Promise<Values> {
    const h = handle as CudaHandle;
    const s = h.storage;
    if (s.host || s.bytes < PINNED_READ_BYTES) return this.readSync(h);
    this.#noCapture("a read to the host");
    this.ctx.makeCurrent();
    const stage = this.pinned.take(s.bytes);
    const ev = this.ctx.createEvent(false);
    try {
      this.ctx.api.check("cuMemcpyDtoHAsync", this.ctx.api.lib.cuMemcpyDtoHAsync(stage.ptr, s.ptr, s.bytes, this.ctx.stream));
      this.ctx.record(ev);
      await this.#until(ev);
      const raw = downloadArray(h.dtype, sizeOf(h.shape));
      new Uint8Array((raw as Uint8Array).buffer, 0, s.bytes).set(new Uint8Array(stage.buf, 0, s.bytes));
      this.stats.downloads++;
      return hostForm(raw, h.dtype);
    } finally {
      this.ctx.destroyEvent(ev);
      this.pinned.give(stage);
    }
  }

  async #until(ev: Ptr): Promise<void> {
    let wait = 0;
    while (!this.ctx.eventDone(ev)) {
      await new Promise((r) => (wait < 20 ? setImmediate(r) : setTimeout(r, 1)));
      wait++;
    }
  }

  alias(handle: Handle, shape: readonly number[] = handle.shape): Handle {
    const h = handle as CudaHandle;
    h.storage.refs++;
    return new CudaHandle(this, h.storage, h.dtype, shape.slice());
  }

  dispose(handle: Handle): void {
    const s = (handle as CudaHandle).storage;
    if (s.refs <= 0) return;
    if (--s.refs === 0) {
      if (!s.internal) {
        this.#numBuffers--;
        this.#numBytes -= s.bytes;
      }
      if (s.ptr !== 0) this.allocator.free(s.ptr, s.bytes);
    }
  }

  async synchronize(): Promise<void> {
    this.#noCapture("a synchronisation");
    this.ctx.makeCurrent();
    const ev = this.ctx.createEvent(false);
    try {
      this.ctx.record(ev);
      await this.#until(ev);
    } finally {
      this.ctx.destroyEvent(ev);
    }
  }

  /** Waits for all queued work; surfaces asynchronous errors (a kernel fault) as exceptions. */
  synchronizeSync(): void {
    this.#noCapture("a synchronisation");
    this.ctx.synchronize();
  }

  // ---------------------------------------------------------------- CUDA graphs (captured Session steps)

  /** Session steps recorded as CUDA graphs (capture.ts), attached where the backend is created (index.ts). */
  stepCapture?: StepCapture;
  /** Device times of traced ops (timer.ts), attached where the backend is created. */
  deviceTimer?: DeviceTimer;

  /** True while a Session step is being captured: host reads, uploads and CPU fallbacks are refused. */
  get capturing(): boolean {
    return this.allocator.capturing;
  }

  /**
   * While a step is recorded (capture.ts): the home buffers of its variables, each with its holders at the
   * start of the recording (the variable store's handle and the capture's own).
   */
  #homes: Map<DeviceStorage, number> | null = null;
  recordingHomes(homes: readonly CudaHandle[] | null): void {
    this.#homes = homes ? new Map(homes.map((h) => [h.storage, h.storage.refs])) : null;
  }

  inPlace(h: CudaHandle, extraRefs: number): CudaHandle | null {
    const base = this.#homes?.get(h.storage);
    return base !== undefined && h.storage.refs === base + extraRefs ? (this.alias(h) as CudaHandle) : null;
  }
  #noCapture(what: string): void {
    if (this.allocator.capturing) throw new CaptureUnsupported(`${what} cannot be captured in a CUDA graph`);
  }
  /**
   * A buffer a captured Session step keeps for its lifetime (its feeds, its fetched values): like the scalar
   * cache, not counted among the buffers tensors hold (tf.memory), so that memory stays flat over a loop.
   */
  markInternal(h: CudaHandle): void {
    const s = h.storage;
    if (s.internal) return;
    s.internal = true;
    this.#numBuffers--;
    this.#numBytes -= s.bytes;
  }

  /** Copies src's buffer into dst's (same byte size), from any backend: on the stream, or uploaded. */
  copyInto(dst: CudaHandle, src: Handle): void {
    const d = dst.storage;
    d.host = null;
    if (src instanceof CudaHandle && src.backend === this) {
      this.ctx.makeCurrent();
      this.ctx.copyDtoD(d.ptr, src.storage.ptr, d.bytes);
      return;
    }
    const v = deviceForm(src.backend.readSync(src), src.dtype);
    if (d.bytes === 0) return;
    this.ctx.makeCurrent();
    this.#hostToDevice(d.ptr, v, d.bytes);
    this.stats.uploads++;
  }

  readonly #stage: UploadStage;
  /**
   * A copy of host values to the device that returns at once; `v` may change afterwards either way. Small
   * copies (per-step feeds) go through pinned slots, which do not make the host wait for the stream; larger
   * ones from pageable memory, which the driver stages after synchronising the stream.
   */
  #hostToDevice(dst: number, v: Exclude<Values, string[]>, bytes: number): void {
    if (bytes <= STAGED_UPLOAD_BYTES) this.#stage.copy(dst, new Uint8Array(v.buffer, v.byteOffset, bytes));
    else this.ctx.api.check("cuMemcpyHtoDAsync", this.ctx.api.lib.cuMemcpyHtoDAsync(dst, v, bytes, this.ctx.stream));
  }

  /**
   * Before a captured step overwrites the buffer of `h`, holders other than the `mine` handles the step
   * expects (a value fetched earlier and still held) keep their values: their storage moves to a copy, and
   * a fresh storage on the original address is returned for the step's own handles.
   */
  detach(h: CudaHandle, mine: number): CudaHandle {
    const s = h.storage;
    if (s.refs <= mine || s.ptr === 0) return h;
    const copy = this.allocator.alloc(s.bytes, () => `a copy of a value a captured step overwrites (${s.bytes} bytes)`);
    this.ctx.makeCurrent();
    this.ctx.copyDtoD(copy, s.ptr, s.bytes);
    const fresh = new DeviceStorage(s.ptr, s.bytes, null);
    fresh.refs = mine;
    // The step's own buffers are not counted among the tensors' (internal); the holders' copy is.
    fresh.internal = s.internal;
    s.internal = false;
    s.ptr = copy;
    s.refs -= mine;
    this.#numBuffers++;
    this.#numBytes += s.bytes;
    return new CudaHandle(this, fresh, h.dtype, h.shape);
  }

  memory(): { numBuffers: number; numBytes: number } {
    return { numBuffers: this.#numBuffers, numBytes: this.#numBytes };
  }

  // ---------------------------------------------------------------- kernels

  hasKernel(type: string): boolean {
    return this.#kernels.has(type);
  }

  /** Whether `type` runs here on inputs of these dtypes (else it would run on the CPU with copies). */
  canRun(type: string, dtypes: readonly DType[], attrs: Attrs = {}): boolean {
    const k = this.#kernels.get(type);
    if (!k) return false;
    if (!k.supports) return kernelSupports(k, dtypes, attrs);
    let node = this.#supportCache.get(k);
    if (node === undefined) this.#supportCache.set(k, (node = new Map()));
    for (const d of dtypes) {
      let next = node.get(d) as SupportTrie | undefined;
      if (next === undefined) node.set(d, (next = new Map()));
      node = next;
    }
    const key = k.attrKey ? `=${k.attrKey(attrs)}` : "=";
    let ok = node.get(key) as boolean | undefined;
    if (ok === undefined) {
      ok = kernelSupports(k, dtypes, attrs);
      node.set(key, ok);
    }
    return ok;
  }

  /** A float32 variable's update reading a 16-bit gradient, where the update's kernel `supports` says it takes that. */
  takesNarrowGradient(type: string, dtypes: readonly DType[]): boolean {
    return GRADIENT_INPUT.has(type) && this.canRun(type, dtypes);
  }

  /**
   * `type` on several input lists at once where its kernel can group them (one launch for all of an
   * optimizer's variables); null when it cannot, and the caller runs them one by one.
   */
  runKernelGroup(type: string, items: readonly (readonly Handle[])[], attrs: Attrs): Handle[][] | null {
    return this.runUpdateGroups([{ type, items, attrs }])?.[0] ?? null;
  }

  /**
   * Grouped calls of several op types at once: one call runs its kernel's group; more run as one group of
   * mixed items where kernels/training.ts's mixedUpdateGroups takes them (an optimizer's updates and a Keras
   * step's counters). null when they cannot: the caller makes the calls one by one.
   */
  runUpdateGroups(calls: readonly UpdateGroupCall[]): Handle[][][] | null {
    for (const c of calls) {
      if (!this.#kernels.get(c.type)?.runGroup) return null;
      for (const it of c.items) {
        if (
          !it.every((h) => h.backend === this) ||
          !this.canRun(
            c.type,
            it.map((h) => h.dtype),
            c.attrs,
          )
        )
          return null;
      }
    }
    // Items of small host-known values are computed on the host, as runKernel computes them one by one.
    const outs: (Handle[] | null)[][] = calls.map((c) => c.items.map((it) => this.#fold(c.type, it, c.attrs)));
    const rest: GroupCall[] = calls.map((c, i) => ({ type: c.type, attrs: c.attrs, items: c.items.filter((_, k) => outs[i][k] === null) as CudaHandle[][] }));
    const live = rest.filter((c) => c.items.length > 0);
    if (live.length > 0) {
      this.ctx.makeCurrent();
      this.ctx.resetArgs();
      let grouped: Handle[][][] | null;
      try {
        if (live.length > 1) grouped = mixedUpdateGroups(this, live);
        else {
          const one = this.#kernels.get(live[0].type)!.runGroup!(this, live[0].items, live[0].attrs);
          grouped = one && [one];
        }
      } finally {
        this.ctx.resetArgs();
      }
      if (!grouped) {
        for (const call of outs) for (const o of call) if (o) for (const h of o) this.dispose(h);
        return null;
      }
      let j = 0;
      rest.forEach((c, i) => {
        if (c.items.length === 0) return;
        const g = grouped[j++];
        let m = 0;
        for (let k = 0; k < outs[i].length; k++) if (outs[i][k] === null) outs[i][k] = g[m++];
      });
    }
    return outs as Handle[][][];
  }

  runKernel(type: string, inputs: readonly Handle[], attrs: Attrs, env: KernelEnv = {}): Handle[] {
    const k = this.#kernels.get(type);
    if (
      k &&
      this.canRun(
        type,
        inputs.map((h) => h.dtype),
        attrs,
      )
    ) {
      const folded = this.#fold(type, inputs, attrs);
      if (folded) return folded;
      const uploaded: CudaHandle[] = [];
      const ins = inputs.map((h, i) => {
        if (h.backend === this || k.host?.includes(i)) return h;
        const u = this.write(h.backend.readSync(h), h.dtype, h.shape) as CudaHandle;
        uploaded.push(u);
        return u;
      });
      try {
        this.ctx.makeCurrent();
        this.ctx.resetArgs();
        const outs = k.run(this, ins as CudaHandle[], attrs, env);
        if (outs) return outs;
      } finally {
        this.ctx.resetArgs();
        for (const u of uploaded) this.dispose(u);
      }
    }
    return this.#onCpu(type, inputs, attrs, env);
  }

  /**
   * MatMul + bias (+ ReLU) as one cuBLASLt product with a bias epilogue (blas.ts gemmEpilogue), TF32 as the
   * plain MatMul kernel sets it. null where the operands do not fit (the session runs the original nodes).
   */
  matmulEpilogue(a: Handle, b: Handle, bias: Handle, transposeA: boolean, transposeB: boolean, relu: boolean): Handle | null {
    if (!(a instanceof CudaHandle && b instanceof CudaHandle && bias instanceof CudaHandle) || !this.blas.usesLt) return null;
    if (a.backend !== this || b.backend !== this || bias.backend !== this) return null;
    const dt = a.dtype;
    if ((dt !== "float32" && dt !== "float64") || b.dtype !== dt || bias.dtype !== dt) return null;
    if (a.shape.length !== 2 || b.shape.length !== 2 || bias.shape.length !== 1) return null;
    const { m, ka: k, kb, n } = matmulDims(a.shape, b.shape, transposeA, transposeB);
    if (kb !== k || bias.shape[0] !== n || m * n * k === 0) return null;
    if (a.ptr === 0 || b.ptr === 0 || bias.ptr === 0) return null;
    this.ctx.makeCurrent();
    this.blas.setTf32(getSetting("tf32"));
    const out = this.empty(dt, [m, n], relu ? "MatMul+BiasAdd+Relu" : "MatMul+BiasAdd");
    if (!this.blas.gemmEpilogue(dt, transposeA, transposeB, m, n, k, a.ptr, b.ptr, out.ptr, bias.ptr, relu ? EPILOGUE_RELU_BIAS : EPILOGUE_BIAS)) {
      this.dispose(out);
      return null;
    }
    this.stats.epilogues++;
    return out;
  }

  canFuse(type: string, inDType: DType, outDType: DType): boolean {
    return cudaCanFuse(this, type, inDType, outDType);
  }
  /** A fused elementwise program as one generated kernel (cuda/fused.ts); null: the ops run one by one. */
  runFused(program: FusedProgram, inputs: readonly Handle[], shape: readonly number[]): Handle | null {
    return runFusedCuda(this, program, inputs as CudaHandle[], shape);
  }

  /**
   * Small values known on the host (shapes, counts, scalars: at most SMALL_INTS elements, each with a host
   * copy) are computed on the host by the CPU kernel, when every result is small enough to be cached by
   * write(): no launch, and a Session step then holds no node for its shape arithmetic (a mean's gradient
   * divides by a count computed from Shape). Deterministic ops only (elementwise, casts, reductions).
   */
  #fold(type: string, inputs: readonly Handle[], attrs: Attrs): Handle[] | null {
    let ok = this.#foldable.get(type);
    if (ok === undefined) this.#foldable.set(type, (ok = FOLD_TYPES.has(type) || getOpSchema(type)?.elementwise !== undefined));
    if (!ok || inputs.length === 0) return null;
    for (const h of inputs) {
      if (sizeOf(h.shape) > SMALL_INTS || !DEVICE_DTYPES.has(h.dtype)) return null;
      if (h instanceof CudaHandle ? h.storage.host === null : h.backend.deviceType !== "CPU") return null;
    }
    const cpu = defaultBackend();
    const ins = inputs.map((h) => (h.backend === cpu ? cpu.alias(h) : cpu.write(h.backend.readSync(h), h.dtype, h.shape)));
    let outs: Handle[] = [];
    try {
      outs = cpu.runKernel(type, ins, attrs, {});
      const cacheable = (o: Handle) => {
        const n = sizeOf(o.shape);
        return DEVICE_DTYPES.has(o.dtype) && (n === 1 || (n <= SMALL_INTS && SMALL_INT_DTYPES.has(o.dtype)));
      };
      if (!outs.every(cacheable)) return null;
      return outs.map((o) => this.write(cpu.readSync(o), o.dtype, o.shape));
    } finally {
      for (const h of ins) cpu.dispose(h);
      for (const o of outs) cpu.dispose(o);
    }
  }
  readonly #foldable = new Map<string, boolean>();

  /** Soft placement inside the backend: the CPU kernel on copies; results stay on the CPU. */
  #onCpu(type: string, inputs: readonly Handle[], attrs: Attrs, env: KernelEnv): Handle[] {
    this.#noCapture(`${type} on the CPU`);
    this.stats.fallbacks.set(type, (this.stats.fallbacks.get(type) ?? 0) + 1);
    if (debugOn("kernels") && this.stats.fallbacks.get(type) === 1) {
      process.stderr.write(`tsflow cuda: ${type} (${inputs.map((h) => h.dtype).join(", ")}) runs on the CPU\n`);
    }
    const cpu = defaultBackend();
    const ins = inputs.map((h) => (h.backend === cpu ? cpu.alias(h) : cpu.write(h.backend.readSync(h), h.dtype, h.shape)));
    try {
      return cpu.runKernel(type, ins, attrs, env);
    } finally {
      for (const h of ins) cpu.dispose(h);
    }
  }

  /** The values of a host-side input (shape, axes), whichever backend holds it. */
  hostValues(h: Handle): Values {
    return h.backend.readSync(h);
  }

  /**
   * Function `name` of the module `key`, compiled from `source()` on first use (and cached on disk by
   * the compiler). Keys name everything the source depends on.
   */
  fn(key: string, name: string, source: () => string, options: readonly string[] = []): Ptr {
    let m = this.#modules.get(key);
    if (!m) {
      const image = this.compiler.compile(source(), key.replace(/[^\w.-]+/g, "_"), options);
      m = { module: this.ctx.loadModule(image), fns: new Map() };
      this.#modules.set(key, m);
    }
    let f = m.fns.get(name);
    if (f === undefined) {
      f = this.ctx.getFunction(m.module, name);
      m.fns.set(name, f);
    }
    return f;
  }

  get modulesLoaded(): number {
    return this.#modules.size;
  }

  /** Grid for a grid-stride loop over n elements with 256-thread blocks. */
  grid(n: number, block = 256): number {
    return Math.max(1, Math.min(Math.ceil(n / block), this.maxBlocks));
  }

  /** Launches with the arguments written on ctx since the last launch. */
  launch(fn: Ptr, gx: number, bx = 256, gy = 1, shmem = 0): void {
    this.stats.launches++;
    this.ctx.launch(fn, gx, bx, gy, shmem);
  }
}
