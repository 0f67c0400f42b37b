import { DType, tfName } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { Shape, shapesCompatible, shapeStr } from "../core/shape.js";
import { HostValue, isTypedArray, toValues } from "../core/values.js";
import type { Handle } from "../core/backend.js";
import { defaultBackend } from "../core/devices.js";
import { EagerTensor } from "../eager/tensor.js";
import type { Graph } from "../graph/graph.js";
import { SymbolicTensor } from "../graph/tensor.js";
import type { Tensor } from "../core/tensor.js";
import { Variable } from "../variables/variable.js";

/** A value fed to Session.run: a concrete tensor, a typed array, nested arrays or a number. */
export type FeedValue = EagerTensor | HostValue;
export type FeedDict = ReadonlyMap<Tensor | Variable | string, FeedValue> | { readonly [name: string]: FeedValue };

function resolveKey(k: Tensor | Variable | string, g: Graph): SymbolicTensor {
  if (k instanceof Variable) return k.ref;
  if (typeof k === "string") {
    const t = g.asGraphElement(k.includes(":") ? k : `${k}:0`, true, false);
    return t as SymbolicTensor;
  }
  if (!(k instanceof SymbolicTensor)) throw new InvalidArgumentError(`Cannot interpret feed_dict key as Tensor: ${String(k)}`);
  if (k.graph !== g) throw new InvalidArgumentError(`Cannot interpret feed_dict key as Tensor: Tensor ${k.name} is not an element of this graph.`);
  return k;
}

/** A typed array fed flat takes the tensor's static shape, solving one unknown dimension. */
function shapeForFlat(n: number, s: Shape): number[] | null {
  if (s === null) return null;
  const unknown = s.filter((d) => d === null).length;
  const known = s.reduce<number>((p, d) => p * (d ?? 1), 1);
  if (unknown === 0) return known === n ? (s as number[]) : null;
  if (unknown === 1 && known > 0 && n % known === 0) return s.map((d) => (d === null ? n / known : d));
  return null;
}

function hasNonInteger(v: HostValue): boolean {
  if (typeof v === "number") return !Number.isInteger(v);
  if (Array.isArray(v)) return v.some((x) => hasNonInteger(x as HostValue));
  if (v instanceof Float32Array || v instanceof Float64Array) return v.some((x) => !Number.isInteger(x));
  return false;
}

function convert(t: SymbolicTensor, v: FeedValue): Handle {
  const dtype: DType = t.dtype;
  if (v instanceof EagerTensor) {
    if (v.dtype !== dtype) {
      throw new InvalidArgumentError(`Cannot feed value of dtype ${v.dtype} for Tensor '${t.name}', which has dtype ${dtype}`);
    }
    checkShape(t, v.shape);
    return v.handle.backend.alias(v.handle);
  }
  if (v instanceof SymbolicTensor || v instanceof Variable) {
    // TensorFlow's words (session.py), in JS terms.
    throw new InvalidArgumentError(
      `The value of a feed cannot be a tf.Tensor object (feeding ${v.toString()} for Tensor '${t.name}'). Acceptable feed values include JS numbers, booleans, strings, (nested) arrays, typed arrays, and concrete (eager) tensors.`,
    );
  }
  if ((dtype === "int32" || dtype === "int64" || dtype === "uint8") && hasNonInteger(v)) {
    throw new InvalidArgumentError(`Cannot feed non-integer values for Tensor '${t.name}', which has dtype ${dtype}`);
  }
  let { values, shape } = toValues(v, dtype);
  if (isTypedArray(v) && shape.length === 1) {
    const solved = shapeForFlat(values.length, t.shape);
    if (solved) shape = solved;
  }
  checkShape(t, shape);
  return defaultBackend().write(values, dtype, shape);
}

function checkShape(t: SymbolicTensor, shape: number[]): void {
  if (!shapesCompatible(t.shape, shape)) {
    throw new InvalidArgumentError(`Cannot feed value of shape ${shapeStr(shape)} for Tensor '${t.name}', which has shape ${shapeStr(t.shape)}`);
  }
}

/** Resolves and converts a feed dict; on error, frees what was already converted. */
export function convertFeeds(feedDict: FeedDict | undefined, g: Graph): Map<SymbolicTensor, Handle> {
  const out = new Map<SymbolicTensor, Handle>();
  if (!feedDict) return out;
  const entries: [Tensor | Variable | string, FeedValue][] =
    feedDict instanceof Map ? [...feedDict.entries()] : Object.entries(feedDict as Record<string, FeedValue>);
  try {
    for (const [k, v] of entries) {
      const t = resolveKey(k, g);
      const prev = out.get(t);
      if (prev) prev.backend.dispose(prev);
      out.set(t, convert(t, v));
    }
  } catch (e) {
    for (const h of out.values()) h.backend.dispose(h);
    throw e;
  }
  return out;
}

export function describePlaceholder(t: SymbolicTensor): string {
  return `You must feed a value for placeholder tensor '${t.op.name}' with dtype ${tfName(t.dtype)}${t.shape === null ? "" : ` and shape ${shapeStr(t.shape)}`}`;
}
