import { InvalidArgumentError } from "./errors.js";

/** A dimension that may be unknown (null) in a graph. */
export type Dim = number | null;
/** A static shape: dims with possible nulls, or null when even the rank is unknown. */
export type Shape = Dim[] | null;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isFullyDefined(s: Shape): s is number[] {
  return s?.every((d) => d !== null) ?? false;
}

/** TensorFlow's error-message form: [?,1], <unknown>. */
export function shapeStr(s: Shape): string {
  return s === null ? "<unknown>" : `[${s.map((d) => (d === null ? "?" : d)).join(",")}]`;
}

/** TensorFlow's "indices[1,0] = 7 is not in [0, 5)": the multi-index of flat position k. */
export function indexStr(shape: readonly number[], k: number): string {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = shape[d] === 0 ? 0 : k % shape[d];
    k = shape[d] === 0 ? 0 : Math.floor(k / shape[d]);
  }
  return idx.join(",");
}

export function shapesCompatible(a: Shape, b: Shape): boolean {
  if (a === null || b === null) return true;
  if (a.length !== b.length) return false;
  return a.every((d, i) => d === null || b[i] === null || d === b[i]);
}

/** The most specific shape compatible with both. */
export function mergeShapes(a: Shape, b: Shape): Shape {
  if (a === null) return b;
  if (b === null) return a;
  return a.map((d, i) => (d === null ? b[i] : d));
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * NumPy/TensorFlow broadcasting of two static shapes; unknown dims broadcast to unknown unless the other
 * side decides them. Returns null when the shapes cannot broadcast.
 */
export function broadcastShapes(a: Shape, b: Shape): Shape | "incompatible" {
  if (a === null || b === null) return null;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === 1) out[i] = db;
    else if (db === 1) out[i] = da;
    else if (da === null) out[i] = db;
    else if (db === null) out[i] = da;
    else if (da === db) out[i] = da;
    else return "incompatible";
  }
  return out;
}

export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (axis < -rank || axis >= Math.max(rank, 1)) {
    throw new InvalidArgumentError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}; expected [${-rank}, ${rank})`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
