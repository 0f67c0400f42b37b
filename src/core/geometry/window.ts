import { InvalidArgumentError } from "../errors.js";
import type { Attrs } from "../schema/types.js";
import type { Dim, Shape } from "../shape.js";

/**
 * Window geometry of convolutions and pooling, shared by shape inference (dims may be unknown, null) and
 * the kernels (all known): data formats, output sizes and SAME/VALID/EXPLICIT padding, as TensorFlow
 * computes them (GetWindowedOutputSizeVerbose). `strides`, `dilations` and `ksize` are lists with one
 * entry per dimension of the data format; explicit paddings are (before, after) pairs per dimension.
 */

export const dimMul = (a: Dim, b: Dim): Dim => (a === null || b === null ? null : a * b);

/** The data formats of each rank: channels-last first, channels-first second. */
export const FORMATS: { readonly [rank: number]: readonly [string, string] } = { 3: ["NWC", "NCW"], 4: ["NHWC", "NCHW"], 5: ["NDHWC", "NCDHW"] };

/** True for channels-first; throws for a format that is not one of the rank's two. */
export function channelsFirst(op: string, format: unknown, rank: number): boolean {
  const f = format;
  const ok = FORMATS[rank];
  if (f === ok[0]) return false;
  if (f === ok[1]) return true;
  throw new InvalidArgumentError(`${op}: Invalid data format '${String(f)}'; expected ${ok[0]} or ${ok[1]}`);
}

/** Batch and channel positions in a rank-r shape of the format. */
export function nonSpatial(rank: number, cf: boolean): [number, number] {
  return [0, cf ? 1 : rank - 1];
}

export function spatialAxes(rank: number, cf: boolean): number[] {
  return Array.from({ length: rank - 2 }, (_, i) => (cf ? 2 + i : 1 + i));
}

/** TensorFlow's windowed output size: SAME ceil(in/s), VALID/EXPLICIT floor((in + pads - dk)/s) + 1. */
export function outDim(
  op: string,
  inD: Dim,
  k: Dim,
  s: number,
  d: number,
  padding: string,
  pads: readonly [number, number] | null,
  shapes: { toString(): string } = "",
): Dim {
  if (inD === null || k === null) return null;
  const dk = (k - 1) * d + 1;
  if (padding === "SAME") return Math.ceil(inD / s);
  const total = inD + (pads ? pads[0] + pads[1] : 0);
  if (total < dk) {
    throw new InvalidArgumentError(
      `${op}: Negative dimension size caused by subtracting ${dk} from ${total}: the window (effective size ${dk}) is larger than the ${padding === "VALID" ? "" : "padded "}input${shapes}`,
    );
  }
  return Math.floor((total - dk) / s) + 1;
}

export function shapeOrUnknown(s: Shape, rank: number): Dim[] {
  return s === null ? new Array<Dim>(rank).fill(null) : s.slice();
}

/** Output shape [n, ...spatial, c] in the format. */
export function fmtShape(n: Dim, spatial: readonly Dim[], c: Dim, cf: boolean): Dim[] {
  return cf ? [n, c, ...spatial] : [n, ...spatial, c];
}

export function splitDims(s: readonly Dim[], cf: boolean): { n: Dim; c: Dim; spatial: Dim[] } {
  const r = s.length;
  return cf ? { n: s[0], c: s[1], spatial: s.slice(2) } : { n: s[0], c: s[r - 1], spatial: s.slice(1, r - 1) };
}

/** One spatial dimension of a windowed op: sizes, stride, dilation, and the padding before the first window. */
export interface Win {
  readonly in: number;
  readonly k: number;
  readonly s: number;
  readonly d: number;
  readonly out: number;
  readonly pad: number;
}

/**
 * A kernel's window (all sizes known): with an effective window dk = (k-1)*d+1, VALID gives
 * ceil((in - dk + 1) / s) windows, SAME gives ceil(in / s) with the total padding split so that the extra
 * element, when it is odd, goes after (bottom/right), EXPLICIT uses the given pads.
 */
export function window(inSize: number, k: number, s: number, d: number, padding: string, explicit: readonly [number, number] | null): Win {
  const dk = (k - 1) * d + 1;
  if (padding === "SAME") {
    const o = Math.ceil(inSize / s);
    const total = Math.max((o - 1) * s + dk - inSize, 0);
    return { in: inSize, k, s, d, out: o, pad: Math.floor(total / 2) };
  }
  if (padding === "EXPLICIT" && explicit) {
    const o = Math.floor((inSize + explicit[0] + explicit[1] - dk) / s) + 1;
    return { in: inSize, k, s, d, out: Math.max(o, 0), pad: explicit[0] };
  }
  const o = inSize >= dk ? Math.floor((inSize - dk) / s) + 1 : 0;
  return { in: inSize, k, s, d, out: o, pad: 0 };
}

/** Channels-first for a data format name (NCHW, NCW, NCDHW). */
export function isChannelsFirst(format: unknown): boolean {
  return typeof format === "string" && format.startsWith("NC");
}

/** A per-dimension list attr (strides, dilations, ksize, explicit_paddings) as numbers. */
export function listAttr(attrs: Attrs, key: string): number[] {
  return Array.from(attrs[key] as ArrayLike<number>, Number);
}

/**
 * A kernel's windows for every spatial dim of `shape` (in the data format's order) from an op's complete
 * attrs (normalised by dispatch): `kernel` holds the filter's spatial sizes, or with `kernelFromAttr` the
 * op's ksize (one entry per dim). Pools have no `dilations` attr (dilation 1); ops without an
 * `explicit_paddings` attr, or with an empty one, pad as `padding` says.
 */
export function windows(shape: readonly number[], kernel: readonly number[], attrs: Attrs, channelsFirst: boolean, kernelFromAttr: boolean): Win[] {
  const axes = spatialAxes(shape.length, channelsFirst);
  const strides = listAttr(attrs, "strides");
  const dil = attrs.dilations === undefined ? null : listAttr(attrs, "dilations");
  const padding = attrs.padding as string;
  const ep = attrs.explicit_paddings as ArrayLike<number> | undefined;
  const pads = (ax: number): [number, number] | null => (ep?.length ? [Number(ep[2 * ax]), Number(ep[2 * ax + 1])] : null);
  return axes.map((ax, i) => window(shape[ax], kernelFromAttr ? kernel[ax] : kernel[i], strides[ax], dil ? dil[ax] : 1, padding, pads(ax)));
}
