import { DType, Values } from "../../core/dtype.js";
import { InternalError, UnimplementedError } from "../../core/errors.js";
import { sizeOf } from "../../core/shape.js";
import type { Backend, Handle, KernelEnv } from "../../core/backend.js";
import type { Attrs } from "../../core/schema/types.js";
import { CpuHandle, Storage, storageBytes } from "./handle.js";
import type { CpuKernel } from "./kernel.js";
import { cpuKernels, generatedKernels } from "./kernels/index.js";
import { conv2dBiasRelu } from "./kernels/conv.js";
import { cpuTakesNarrowGradient } from "./kernels/training.js";
import type { FusedProgram } from "../../core/fused.js";
import { cpuCanFuse, runFusedCpu } from "./fused.js";
import { giveValues, takeValues } from "./buffer_recycler.js";
import { setValuesRecycler } from "../../core/dtype.js";
import { isNarrowFloat, roundToNarrow } from "../../core/half.js";
import { registerCpuBackend } from "../../core/devices.js";

/** The reference backend: every op has a TypeScript kernel here, and faster backends are tested against it. */
export class CpuBackend implements Backend {
  readonly name = "cpu";
  readonly deviceType = "CPU" as const;
  readonly deviceIndex = 0;
  #numBuffers = 0;
  #numBytes = 0;
  readonly #kernels: Map<string, CpuKernel>;

  constructor(kernels: Readonly<Record<string, CpuKernel>> = cpuKernels()) {
    this.#kernels = new Map(Object.entries(kernels));
    setValuesRecycler(takeValues);
  }

  /**
   * Takes ownership of `values`. The one place where float16/bfloat16 results are rounded to their type
   * (core/half.ts): kernels compute them in float32, whatever op produced them.
   */
  #wrap(values: Values, dtype: DType, shape: readonly number[]): CpuHandle {
    if (isNarrowFloat(dtype)) {
      if (!(values instanceof Float32Array)) values = Float32Array.from(values as ArrayLike<number>);
      roundToNarrow(dtype, values);
    }
    const s = new Storage(values);
    this.#numBuffers++;
    this.#numBytes += storageBytes(s);
    return new CpuHandle(this, s, dtype, shape);
  }
  write(values: Values, dtype: DType, shape: readonly number[]): Handle {
    if (values.length !== sizeOf(shape)) {
      throw new InternalError(`cpu.write: ${values.length} values for shape [${shape}]`);
    }
    // The caller's array is never rounded in place: it may still be the caller's float32 data.
    const h = this.#wrap(isNarrowFloat(dtype) ? Float32Array.from(values as ArrayLike<number>) : values, dtype, shape.slice());
    h.storage.exposed = true;
    return h;
  }
  readSync(h: Handle): Values {
    const c = h as CpuHandle;
    c.storage.exposed = true;
    return c.values;
  }
  hostValues(h: Handle, use: "read" | "overwrite"): Values | null {
    const s = (h as CpuHandle).storage;
    return use === "read" || (s.refs === 1 && !s.exposed) ? s.values : null;
  }
  async read(h: Handle): Promise<Values> {
    return this.readSync(h);
  }
  alias(h: Handle, shape: readonly number[] = h.shape): Handle {
    const c = h as CpuHandle;
    c.storage.refs++;
    return new CpuHandle(this, c.storage, c.dtype, shape.slice());
  }
  dispose(h: Handle): void {
    const s = (h as CpuHandle).storage;
    if (s.refs <= 0) return;
    if (--s.refs === 0) {
      this.#numBuffers--;
      this.#numBytes -= storageBytes(s);
      if (!s.exposed) giveValues(h.dtype, s.values);
    }
  }
  hasKernel(type: string): boolean {
    return this.#kernels.has(type);
  }
  /**
   * Grouped optimizer updates run one by one here (there is no launch to save); implementing the seam makes
   * Sessions and eager optimizers take the same grouping path on every device.
   */
  runKernelGroup(type: string, items: readonly (readonly Handle[])[], attrs: Attrs, env: KernelEnv = {}): Handle[][] | null {
    if (type !== "ApplyGradientDescent" || !items.every((it) => it.every((h) => h.backend === this))) return null;
    return items.map((it) => this.runKernel(type, it, attrs, env));
  }

  takesNarrowGradient(type: string, dtypes: readonly DType[]): boolean {
    return cpuTakesNarrowGradient(type, dtypes);
  }

  canFuse(type: string, inDType: DType, outDType: DType): boolean {
    const k = this.#kernels.get(type);
    return k !== undefined && cpuCanFuse(type, inDType, outDType, generatedKernels.has(k));
  }
  /** One generated loop for the whole program (backends/cpu/fused.ts): no temporaries between its ops. */
  runFused(program: FusedProgram, inputs: readonly Handle[], shape: readonly number[]): Handle | null {
    if (!inputs.every((h) => h.backend === this)) return null;
    const values = runFusedCpu(program, inputs as CpuHandle[], shape);
    return this.#wrap(values, program.ops[program.ops.length - 1].outDType, shape.slice());
  }

  runKernel(type: string, inputs: readonly Handle[], attrs: Attrs, env: KernelEnv): Handle[] {
    const k = this.#kernels.get(type);
    if (!k) throw new UnimplementedError(`No CPU kernel registered for op ${type}`);
    const ins = inputs as CpuHandle[];
    return k(ins, attrs, env).map((o) => {
      if (o instanceof CpuHandle) return o;
      // A kernel that hands back an input's array (without aliasOf) shares that input's storage.
      const shared = ins.find((i) => i.values === o.values);
      if (shared && shared.dtype === o.dtype) return this.alias(shared, o.shape);
      const view =
        !Array.isArray(o.values) && ins.some((i) => !Array.isArray(i.values) && (i.values as Float32Array).buffer === (o.values as Float32Array).buffer);
      // An input's values relabelled as a narrow float are rounded in a copy: the input keeps its own.
      if (isNarrowFloat(o.dtype) && view && !ins.some((i) => i.dtype === o.dtype && (i.values as Float32Array).buffer === (o.values as Float32Array).buffer)) {
        return this.#wrap(Float32Array.from(o.values as Float32Array), o.dtype, o.shape);
      }
      if (shared) return this.alias(shared, o.shape);
      const h = this.#wrap(o.values, o.dtype, o.shape);
      // A view into an input's memory must never be recycled while that input may live on.
      if (view) h.storage.exposed = true;
      return h;
    });
  }
  /**
   * Conv2D + bias (+ Relu) as one pass where the direct WebAssembly convolution serves it (float32 NHWC):
   * the bias and the Relu are applied as the output is stored. null otherwise (the Session runs the nodes).
   */
  conv2dEpilogue(x: Handle, filter: Handle, bias: Handle, attrs: Attrs, relu: boolean): Handle | null {
    if (![x, filter, bias].every((h) => h instanceof CpuHandle && h.backend === this)) return null;
    const o = conv2dBiasRelu(x as CpuHandle, filter as CpuHandle, bias as CpuHandle, attrs, relu);
    return o === null ? null : this.#wrap(o.values, o.dtype, o.shape);
  }
  async synchronize(): Promise<void> {}
  memory(): { numBuffers: number; numBytes: number } {
    return { numBuffers: this.#numBuffers, numBytes: this.#numBytes };
  }
}

// The CPU is always there: loading this module makes it the default device (core/devices.ts).
registerCpuBackend(() => new CpuBackend());
