import type { Backend, Handle } from "../core/backend.js";
import { defaultBackend } from "../core/devices.js";
import { type DType, type Values, zeroValues } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { sizeOf } from "../core/shape.js";
import { isTensorConvertible } from "../core/tensor_like.js";
import { type HostValue, inferDType, isTypedArray, toValues } from "../core/values.js";
import { EagerTensor } from "../eager/tensor.js";
import { isTensor } from "../ops/dispatch.js";
import { constValueOf } from "../graph/build.js";
import { SymbolicTensor } from "../graph/tensor.js";

/**
 * One component of a dataset element as the pipeline carries it: host values (a typed array or string
 * list, row-major) with their dtype and shape. Elements stay on the host between transformations (TensorFlow
 * runs input pipelines on the CPU); they become EagerTensors where a user sees them (iteration, map
 * functions), without a copy on the CPU (the CPU backend adopts the array). A prefetch to a GPU carries a
 * device `Handle` instead (isHandle).
 */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: Values;
}

export type Component = HostTensor | Handle;
/** A dataset element, flat: one component per tensor of the element's structure. */
export type Element = Component[];

export function isHandle(c: Component): c is Handle {
  return (c as Handle).backend !== undefined;
}

/** The host values of a component (a device handle is read back). */
export function valuesOf(c: Component): Values {
  return isHandle(c) ? c.backend.readSync(c) : c.values;
}

/** A component as an EagerTensor the caller owns: on `backend` (default: the CPU, where the values are). */
export function toEager(c: Component, backend: Backend = defaultBackend()): EagerTensor {
  if (isHandle(c)) {
    if (c.backend === backend) return new EagerTensor(c);
    const t = new EagerTensor(backend.write(c.backend.readSync(c), c.dtype, c.shape));
    c.backend.dispose(c);
    return t;
  }
  return new EagerTensor(backend.write(c.values, c.dtype, c.shape));
}

/** Releases the device buffers an element holds (host components need nothing). */
export function releaseElement(e: Element): void {
  for (const c of e) if (isHandle(c)) c.backend.dispose(c);
}

function typedArrayDType(v: ArrayBufferView): DType | null {
  if (v instanceof Float32Array) return "float32";
  if (v instanceof Float64Array) return "float64";
  if (v instanceof Int32Array) return "int32";
  if (v instanceof Uint8Array) return "uint8";
  if (v instanceof BigInt64Array) return "int64";
  return null;
}

/**
 * A user's value (an eager tensor, a variable, a typed array, a number, nested arrays) as a host component.
 * `dtype` converts JS values (numbers are float32 unless asked otherwise, as everywhere in tsflow).
 */
export function toHost(x: unknown, where: string, dtype?: DType): HostTensor {
  if (isTensorConvertible(x)) x = x.value();
  if (isTensor(x)) {
    if (!(x instanceof EagerTensor)) {
      // A graph constant (TensorFlow 1 code builds datasets from tf.constant in a graph) has its value now.
      const known = x instanceof SymbolicTensor ? constValueOf(x) : undefined;
      if (known && x.shape?.every((d) => d !== null)) return { dtype: x.dtype, shape: x.shape as number[], values: known };
      throw new InvalidArgumentError(
        `${where}: ${x.toString()} is a graph tensor whose value is not known while building (feeding datasets through placeholders is not supported); a dataset needs concrete values (eager tensors, graph constants, typed arrays or JS arrays)`,
      );
    }
    if (dtype !== undefined && dtype !== x.dtype) throw new InvalidArgumentError(`${where}: expected dtype ${dtype} but the tensor has dtype ${x.dtype}`);
    return { dtype: x.dtype, shape: x.shape.slice(), values: x.dataSync() };
  }
  if (isTypedArray(x)) {
    const own = typedArrayDType(x);
    if (own !== null && (dtype === undefined || dtype === own)) return { dtype: own, shape: [x.length], values: x as unknown as Values };
  }
  if (x === null || x === undefined) throw new InvalidArgumentError(`${where}: ${String(x)} is not a tensor value`);
  const dt = dtype ?? inferDType(x as HostValue);
  const { values, shape } = toValues(x as HostValue, dt);
  return { dtype: dt, shape, values };
}

/** Copies `n` values from src[sOff..] to dst[dOff..]. */
export function copyValues(dst: Values, dOff: number, src: Values, sOff: number, n: number): void {
  if (Array.isArray(dst)) {
    const s = src as string[];
    for (let i = 0; i < n; i++) dst[dOff + i] = s[sOff + i];
    return;
  }
  if (sOff === 0 && n === src.length) (dst as Float32Array).set(src as Float32Array, dOff);
  else (dst as Float32Array).set((src as Float32Array).subarray(sOff, sOff + n), dOff);
}

/** Row `i` of a component whose first dimension is the row (a copy: the element outlives the source's use). */
export function sliceRow(c: HostTensor, i: number): HostTensor {
  const shape = c.shape.slice(1);
  const n = sizeOf(shape);
  const values = Array.isArray(c.values) ? c.values.slice(i * n, (i + 1) * n) : (c.values as Float32Array).slice(i * n, (i + 1) * n);
  return { dtype: c.dtype, shape, values };
}

/** A scalar component. */
export function scalar(dtype: DType, v: number | bigint | string): HostTensor {
  const values = zeroValues(dtype, 1);
  (values as unknown[])[0] = v;
  return { dtype, shape: [], values };
}
