import { allocValues, DType } from "../../../core/dtype.js";
import { transpose } from "../blas_ops.js";

/**
 * Data layouts of the CPU's window kernels (conv, pool, norm, image): the typed arrays they loop over,
 * channels-first <-> channels-last relayouts and format-ordered shapes. Window geometry is core/geometry/window.ts.
 */

/** The float storage convolution kernels work on. */
export type FArr = Float32Array | Float64Array;
/** Numeric storage pooling and normalization kernels read (int64 is never routed here). */
export type NArr = Float32Array | Float64Array | Int32Array | Uint8Array;

export function alloc(dtype: DType, n: number): NArr {
  return allocValues(dtype, n) as NArr;
}

/** [N, C, S] -> [N, S, C]: channels-first data to the channels-last layout the kernels loop over. */
export function toChannelsLast<T extends NArr>(v: T, n: number, c: number, s: number): T {
  if (c === 1 || s === 1) return v;
  const o = new (v.constructor as new (len: number) => T)(v.length);
  if ((v instanceof Float32Array || v instanceof Float64Array) && (o instanceof Float32Array || o instanceof Float64Array)) {
    // One (BLAS) transpose per image: [C, S] -> [S, C].
    for (let b = 0; b < n; b++) transpose(c, s, v, b * c * s, s, o, b * c * s, c);
    return o;
  }
  for (let b = 0; b < n; b++) {
    const base = b * c * s;
    for (let ci = 0; ci < c; ci++) {
      let src = base + ci * s;
      let dst = base + ci;
      for (let si = 0; si < s; si++, src++, dst += c) o[dst] = v[src];
    }
  }
  return o;
}

/** [N, S, C] -> [N, C, S]. */
export function toChannelsFirst<T extends NArr>(v: T, n: number, c: number, s: number): T {
  if (c === 1 || s === 1) return v;
  const o = new (v.constructor as new (len: number) => T)(v.length);
  if ((v instanceof Float32Array || v instanceof Float64Array) && (o instanceof Float32Array || o instanceof Float64Array)) {
    for (let b = 0; b < n; b++) transpose(s, c, v, b * c * s, c, o, b * c * s, s);
    return o;
  }
  for (let b = 0; b < n; b++) {
    const base = b * c * s;
    for (let ci = 0; ci < c; ci++) {
      let dst = base + ci * s;
      let src = base + ci;
      for (let si = 0; si < s; si++, dst++, src += c) o[dst] = v[src];
    }
  }
  return o;
}

/** A shape [N, ...spatial, C] written in the given format. */
export function formatShape(n: number, spatial: readonly number[], c: number, channelsFirst: boolean): number[] {
  return channelsFirst ? [n, c, ...spatial] : [n, ...spatial, c];
}

/** Batch, channels and spatial sizes of a shape in the given format. */
export function splitShape(shape: readonly number[], channelsFirst: boolean): { n: number; c: number; spatial: number[] } {
  const r = shape.length;
  return channelsFirst ? { n: shape[0], c: shape[1], spatial: shape.slice(2) } : { n: shape[0], c: shape[r - 1], spatial: shape.slice(1, r - 1) };
}
