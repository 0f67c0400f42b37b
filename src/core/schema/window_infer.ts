import { InvalidArgumentError } from "../errors.js";
import { Shape, shapeStr } from "../shape.js";
import { channelsFirst, nonSpatial } from "../geometry/window.js";
import { type AttrDef, type Attrs, type TensorSpec } from "./types.js";

/**
 * Shape-inference helpers of the window families (conv, pool) and of the norm and image rows: window
 * attrs read and checked as TensorFlow checks them, rank checks and the shapes tail of their errors.
 */

export type Ints = readonly number[];

/** A list attr (strides, dilations, ksize) checked as TensorFlow checks it: one entry per dim, 1 on batch and channels, positive. */
export function windowList(op: string, key: string, v: unknown, rank: number, cf: boolean, shapes: ShapesMsg): number[] {
  const list = Array.from(v as ArrayLike<number>, Number);
  if (list.length !== rank) {
    throw new InvalidArgumentError(`${op}: ${key} must specify ${rank} dimensions (one per dimension of the data format), got [${list}]${shapes}`);
  }
  if (list.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new InvalidArgumentError(`${op}: ${key} must be positive integers, got [${list}]${shapes}`);
  }
  const [b, c] = nonSpatial(rank, cf);
  if (list[b] !== 1 || list[c] !== 1) {
    const what =
      key === "ksize"
        ? "Pooling is not yet supported on the batch or depth dimension"
        : `Current implementation does not yet support ${key} in the batch and depth dimensions`;
    throw new InvalidArgumentError(`${op}: ${what}: ${key} = [${list}]${shapes}`);
  }
  return list;
}

export interface WindowSpec {
  cf: boolean;
  strides: number[];
  dilations: number[];
  padding: string;
  /** Explicit (before, after) pads per dim, or null. */
  pads: [number, number][] | null;
}

export function readWindowAttrs(op: string, attrs: Attrs, rank: number, shapes: ShapesMsg): WindowSpec {
  const cf = channelsFirst(op, attrs.data_format, rank);
  const strides = windowList(op, "strides", attrs.strides, rank, cf, shapes);
  // Pools have no dilations attr: their windows are dense.
  const dilations = attrs.dilations === undefined ? new Array<number>(rank).fill(1) : windowList(op, "dilations", attrs.dilations, rank, cf, shapes);
  const padding = attrs.padding as string;
  let pads: [number, number][] | null = null;
  const ep = attrs.explicit_paddings as Ints | undefined;
  if (padding === "EXPLICIT") {
    if (!ep || ep.length !== 2 * rank)
      throw new InvalidArgumentError(`${op}: explicit_paddings must have ${2 * rank} entries (a pair per dimension), got [${ep ?? []}]${shapes}`);
    pads = Array.from({ length: rank }, (_, i) => [Number(ep[2 * i]), Number(ep[2 * i + 1])] as [number, number]);
    const [b, c] = nonSpatial(rank, cf);
    if (pads.some(([p, q]) => p < 0 || q < 0)) throw new InvalidArgumentError(`${op}: explicit paddings must be nonnegative, got [${ep}]${shapes}`);
    if (pads[b][0] || pads[b][1] || pads[c][0] || pads[c][1]) {
      throw new InvalidArgumentError(`${op}: Nonzero explicit padding in the batch or depth dimensions is not supported, got [${ep}]${shapes}`);
    }
  } else if (padding !== "SAME" && padding !== "VALID") {
    throw new InvalidArgumentError(`${op}: padding must be "SAME", "VALID" or explicit paddings, got '${padding}'${shapes}`);
  } else if (ep?.length) {
    throw new InvalidArgumentError(`${op}: explicit_paddings must be empty unless padding is EXPLICIT${shapes}`);
  }
  return { cf, strides, dilations, padding, pads };
}

export function requireRankIn(op: string, what: string, s: Shape, ranks: readonly number[], shapes: ShapesMsg): void {
  if (s !== null && !ranks.includes(s.length)) {
    throw new InvalidArgumentError(`${op}: ${what} must be ${ranks.map((r) => `${r}-dimensional`).join(" or ")}, got shape ${shapeStr(s)}${shapes}`);
  }
}

/**
 * The "; input shape [..], filter shape [..]" tail of a shape error, written only if an error is raised:
 * shape inference runs before every eager op, and formatting it each time cost ~1% of an eager step.
 */
export class ShapesMsg {
  constructor(
    readonly names: readonly string[],
    readonly specs: readonly (TensorSpec | undefined)[],
  ) {}
  toString(): string {
    return `; ${this.names.map((n, i) => `${n} shape ${shapeStr(this.specs[i]?.shape ?? null)}`).join(", ")}`;
  }
}

export function shapesMsg(names: readonly string[], specs: readonly (TensorSpec | undefined)[]): ShapesMsg {
  return new ShapesMsg(names, specs);
}

export const DATA_FORMAT_2D: AttrDef = { name: "data_format", type: "string", default: "NHWC", allowed: ["NHWC", "NCHW"] };
export const DATA_FORMAT_3D: AttrDef = { name: "data_format", type: "string", default: "NDHWC", allowed: ["NDHWC", "NCDHW"] };
