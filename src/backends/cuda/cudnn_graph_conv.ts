import type { DType } from "../../core/dtype.js";
import type { ConvShape, Dir } from "./cudnn.js";
import { ATTR, DATA_BFLOAT16, DATA_FLOAT, DATA_HALF, DESC, NOTE } from "./cudnn_backend_enums.js";

/**
 * A 2-D convolution in the terms of cuDNN's graph API, as plain numbers (no library calls, so that it is
 * tested without a GPU): its three tensors, its window, the operation's attributes per direction, and which
 * engines may run it (their numerical notes against the dtype, TF32 and determinism settings).
 */

/** Unique ids of a convolution's tensors by role: the image side (x or dx), the filter side (w or dw), the output side (y or dy). */
export const UID = { x: 1, w: 2, y: 3 } as const;

/** The device pointers' alignment declared to cuDNN: the caching allocator hands out blocks aligned to at least 256 bytes. */
export const BYTE_ALIGNMENT = 16;

export interface GraphTensor {
  readonly uid: number;
  readonly dims: readonly number[];
  readonly strides: readonly number[];
}

/** A channels-last [n, h, w, c] tensor as cuDNN describes it: dimensions in NCHW order, strides of NHWC memory. */
export function channelsLast(uid: number, n: number, h: number, w: number, c: number): GraphTensor {
  return { uid, dims: [n, c, h, w], strides: [h * w * c, 1, w * c, c] };
}

/** x [n, H, W, C], the KRSC filter [OC, kH, kW, C] and y [n, OH, OW, OC] (cudnn.ts's layouts). */
export function convTensors(g: ConvShape): readonly [GraphTensor, GraphTensor, GraphTensor] {
  return [channelsLast(UID.x, g.n, g.H, g.W, g.C), channelsLast(UID.w, g.OC, g.kH, g.kW, g.C), channelsLast(UID.y, g.n, g.OH, g.OW, g.OC)];
}

/**
 * The window: padding before and after (the same unless g says otherwise: TensorFlow's SAME with an odd total
 * pads one more after), strides and dilations, rows first.
 */
export function convWindow(g: ConvShape): { pre: number[]; post: number[]; strides: number[]; dilations: number[] } {
  return { pre: [g.padT, g.padL], post: [g.padB ?? g.padT, g.padR ?? g.padL], strides: [g.sH, g.sW], dilations: [g.dH, g.dW] };
}

/** One direction's operation: its descriptor type and the attribute names of alpha, beta, the convolution and the three tensors by role. */
export interface ConvOpLayout {
  readonly type: number;
  readonly name: string;
  readonly alpha: number;
  readonly beta: number;
  readonly conv: number;
  readonly x: number;
  readonly w: number;
  readonly y: number;
}

export const CONV_OPS: readonly [ConvOpLayout, ConvOpLayout, ConvOpLayout] = [
  {
    type: DESC.OPERATION_CONVOLUTION_FORWARD,
    name: "forward",
    alpha: ATTR.OPERATION_CONVOLUTION_FORWARD_ALPHA,
    beta: ATTR.OPERATION_CONVOLUTION_FORWARD_BETA,
    conv: ATTR.OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
    x: ATTR.OPERATION_CONVOLUTION_FORWARD_X,
    w: ATTR.OPERATION_CONVOLUTION_FORWARD_W,
    y: ATTR.OPERATION_CONVOLUTION_FORWARD_Y,
  },
  {
    type: DESC.OPERATION_CONVOLUTION_BACKWARD_DATA,
    name: "backward data",
    alpha: ATTR.OPERATION_CONVOLUTION_BWD_DATA_ALPHA,
    beta: ATTR.OPERATION_CONVOLUTION_BWD_DATA_BETA,
    conv: ATTR.OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC,
    x: ATTR.OPERATION_CONVOLUTION_BWD_DATA_DX,
    w: ATTR.OPERATION_CONVOLUTION_BWD_DATA_W,
    y: ATTR.OPERATION_CONVOLUTION_BWD_DATA_DY,
  },
  {
    type: DESC.OPERATION_CONVOLUTION_BACKWARD_FILTER,
    name: "backward filter",
    alpha: ATTR.OPERATION_CONVOLUTION_BWD_FILTER_ALPHA,
    beta: ATTR.OPERATION_CONVOLUTION_BWD_FILTER_BETA,
    conv: ATTR.OPERATION_CONVOLUTION_BWD_FILTER_CONV_DESC,
    x: ATTR.OPERATION_CONVOLUTION_BWD_FILTER_X,
    w: ATTR.OPERATION_CONVOLUTION_BWD_FILTER_DW,
    y: ATTR.OPERATION_CONVOLUTION_BWD_FILTER_DY,
  },
];

/**
 * The unique ids of the pointers cudnn.ts passes in the order of the legacy calls (a, b, out): forward
 * (x, w) -> y, input gradient (w, dy) -> dx, filter gradient (x, dy) -> dw.
 */
export function operandUids(dir: Dir): readonly [number, number, number] {
  return dir === 0 ? [UID.x, UID.w, UID.y] : dir === 1 ? [UID.w, UID.y, UID.x] : [UID.x, UID.y, UID.w];
}

/** cuDNN's data type of the tensors of a convolution on `dtype` through the graph API; null where it takes none (float64 stays on the legacy API). */
export function tensorDataType(dtype: DType): number | null {
  return dtype === "float32" ? DATA_FLOAT : dtype === "float16" ? DATA_HALF : dtype === "bfloat16" ? DATA_BFLOAT16 : null;
}

/**
 * Why an engine whose numerical notes are `notes` may not run a convolution (null: it may), as PyTorch's
 * and XLA's filters over cudnn-frontend decide: never one that converts its inputs to a narrower type or
 * sums in less than float32 (TensorFlow's float16/bfloat16 convolutions accumulate in float32); for float32
 * with TF32 off, no tensor-core engine (they round float32 inputs to TF32); with op determinism, no engine
 * whose sums may land in a different order from run to run.
 */
export function exclusion(notes: readonly number[], dtype: DType, tf32: boolean, deterministic: boolean): string | null {
  if (notes.includes(NOTE.DOWN_CONVERT_INPUTS)) return "down-converts inputs";
  if (notes.includes(NOTE.REDUCED_PRECISION_REDUCTION)) return "reduced-precision sums";
  if (dtype === "float32" && !tf32 && notes.includes(NOTE.TENSOR_CORE)) return "tensor cores with TF32 off";
  if (deterministic && notes.includes(NOTE.NONDETERMINISTIC)) return "nondeterministic";
  return null;
}

const NOTE_NAMES: Readonly<Record<number, string>> = {
  [NOTE.TENSOR_CORE]: "tc",
  [NOTE.DOWN_CONVERT_INPUTS]: "downconvert",
  [NOTE.REDUCED_PRECISION_REDUCTION]: "rpr",
  [NOTE.FFT]: "fft",
  [NOTE.NONDETERMINISTIC]: "nd",
  [NOTE.WINOGRAD]: "winograd",
  [NOTE.WINOGRAD_TILE_4x4]: "wino4x4",
  [NOTE.WINOGRAD_TILE_6x6]: "wino6x6",
  [NOTE.WINOGRAD_TILE_13x13]: "wino13x13",
  [NOTE.STRICT_NAN_PROP]: "nanprop",
};

/**
 * An engine configuration as the report shows it: the engine's global index, its knobs (type=value, as
 * cudnn-frontend's plan tags write them), its numerical notes, and `rtc` where it is compiled at run time.
 */
export function engineLabel(engine: number, knobs: readonly (readonly [number, number])[], notes: readonly number[], runtimeCompiled: boolean): string {
  const k = knobs.length > 0 ? ` k${knobs.map(([t, v]) => `${t}=${v}`).join(",")}` : "";
  const n = notes.map((x) => NOTE_NAMES[x] ?? `note${x}`);
  if (runtimeCompiled) n.push("rtc");
  return `eng${engine}${k}${n.length > 0 ? ` [${n.join(" ")}]` : ""}`;
}
