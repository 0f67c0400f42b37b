/**
 * The Summary protos of TensorFlow 1's summary ops (tensorflow/core/kernels/summary_op.cc,
 * summary_image_op.cc, summary_audio_op.cc, summary_tensor_op.cc), computed from host values: the CPU
 * kernels of ScalarSummary, HistogramSummary, ImageSummary, AudioSummaryV2, TensorSummaryV2 and
 * MergeSummary are these functions. A serialized Summary travels in a string tensor as a latin1 string (one
 * char per byte), the form FileWriter.addSummary accepts.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { encode as encodePng } from "fast-png";
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { type Summary, type Summary_Value, SummaryMetadataSchema, SummarySchema, Summary_ValueSchema } from "../proto/tensorflow/core/framework/summary_pb.js";
import { tensorToProto } from "./tensor_proto.js";
import { histogramProto } from "./summary_histogram.js";
import { encodeWav } from "./wav.js";

/** A tensor's host values (the CPU kernels' inputs). */
interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: Values;
}

const shapeStr = (s: readonly number[]) => `[${s.join(",")}]`;

/** Bytes as a latin1 string (one char per byte): how string tensors carry serialized protos. */
export function bytesToLatin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

export function latin1ToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

function serialize(values: Summary_Value[]): string {
  return bytesToLatin1(toBinary(SummarySchema, create(SummarySchema, { value: values })));
}

function numbers(t: HostTensor): Float64Array {
  const out = new Float64Array(t.values.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.values[i] as number | bigint | boolean);
  return out;
}

function scalarTag(t: HostTensor, op: string): string {
  if (t.shape.length !== 0) throw new InvalidArgumentError(`${op}: the tag must be a scalar string, got shape ${shapeStr(t.shape)}`);
  return (t.values as string[])[0];
}

/** ScalarSummary: one simple_value per tag (tags and values of one shape, as in TensorFlow). */
export function scalarSummary(tags: HostTensor, values: HostTensor): string {
  const same = tags.shape.length === values.shape.length && tags.shape.every((d, i) => d === values.shape[i]);
  if (!same) {
    const single = tags.values.length === 1 ? ` (tag '${(tags.values as string[])[0]}')` : "";
    throw new InvalidArgumentError(`tags and values not the same shape: ${shapeStr(tags.shape)} != ${shapeStr(values.shape)}${single}`);
  }
  const v = numbers(values);
  const names = tags.values as string[];
  // simple_value is a float: the value is rounded to float32 (NaN and infinities pass as they are).
  return serialize(names.map((tag, i) => create(Summary_ValueSchema, { tag, value: { case: "simpleValue", value: Math.fround(v[i]) } })));
}

/** HistogramSummary: TensorFlow 1's HistogramProto over its default exponential buckets; NaN or Inf is an error. */
export function histogramSummary(tag: HostTensor, values: HostTensor): string {
  const name = scalarTag(tag, "HistogramSummary");
  const v = numbers(values);
  for (const x of v) {
    if (Number.isNaN(x)) throw new InvalidArgumentError(`Nan in summary histogram for: ${name}`);
    if (!Number.isFinite(x)) throw new InvalidArgumentError(`Infinity in summary histogram for: ${name}`);
  }
  return serialize([create(Summary_ValueSchema, { tag: name, value: { case: "histo", value: histogramProto(v) } })]);
}

/** The tag of image/audio i: "tag/image/i", or "tag/image" when at most one was asked for (TensorFlow's rule). */
function itemTag(tag: string, kind: string, i: number, max: number): string {
  return max > 1 ? `${tag}/${kind}/${i}` : `${tag}/${kind}`;
}

/**
 * uint8 pixels of image i as TensorFlow scales a float image: non-finite pixels become bad_color; with
 * negative values, v * 127 / max|v| + 128, else v * 255 / max(v) (0 when the largest magnitude is below 1e-6),
 * truncated to uint8; each image of the batch is scaled by itself.
 */
function floatImage(values: Values, dtype: DType, start: number, hw: number, depth: number, badColor: Uint8Array): Uint8Array {
  const f32 = dtype !== "float64";
  const px = (k: number) => Number(values[start + k]);
  const finite = new Uint8Array(hw);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let p = 0; p < hw; p++) {
    let ok = 1;
    for (let c = 0; c < depth; c++) if (!Number.isFinite(px(p * depth + c))) ok = 0;
    finite[p] = ok;
    if (!ok) continue;
    for (let c = 0; c < depth; c++) {
      const x = px(p * depth + c);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  let scale: number;
  let offset: number;
  if (lo < 0) {
    const maxVal = Math.max(Math.abs(lo), Math.abs(hi));
    scale = maxVal < 1e-6 ? 0 : Math.fround(127 / maxVal);
    offset = 128;
  } else {
    scale = hi < 1e-6 ? 0 : Math.fround(255 / hi);
    offset = 0;
  }
  const out = new Uint8Array(hw * depth);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < depth; c++) {
      const k = p * depth + c;
      if (!finite[p]) {
        out[k] = badColor[c];
        continue;
      }
      const y = f32 ? Math.fround(Math.fround(px(k) * scale) + offset) : px(k) * scale + offset;
      out[k] = Math.max(0, Math.min(255, Math.trunc(y)));
    }
  }
  return out;
}

/** ImageSummary: PNGs of the first max_images images of a [batch, h, w, 1|3|4] tensor. */
export function imageSummary(tag: HostTensor, tensor: HostTensor, maxImages: number, badColor: HostTensor): string {
  const name = scalarTag(tag, "ImageSummary");
  const s = tensor.shape;
  if (s.length !== 4 || ![1, 3, 4].includes(s[3])) throw new InvalidArgumentError(`Tensor must be 4-D with last dim 1, 3, or 4, not ${shapeStr(s)}`);
  const [batch, h, w, depth] = s;
  // TensorFlow's limits: the PNG encoder takes int sizes, and an image needs at least one pixel.
  if (batch >= 2 ** 31 || h >= 2 ** 31 || w >= 2 ** 31 || h * w >= 2 ** 29) throw new InvalidArgumentError(`Tensor too large for summary ${shapeStr(s)}`);
  if (h * w === 0) throw new InvalidArgumentError(`input tensor must have non-zero dims. Found: ${shapeStr(s)}.`);
  if (badColor.dtype !== "uint8" || badColor.shape.length !== 1) {
    throw new InvalidArgumentError(`bad_color must be a uint8 vector, got ${badColor.dtype} of shape ${shapeStr(badColor.shape)}`);
  }
  if (badColor.values.length < depth) throw new InvalidArgumentError(`bad_color has ${badColor.values.length} channels, fewer than the images' ${depth}`);
  const bad = badColor.values as Uint8Array;
  const hw = h * w;
  const out: Summary_Value[] = [];
  for (let i = 0; i < Math.min(batch, maxImages); i++) {
    const start = i * hw * depth;
    const pixels =
      tensor.dtype === "uint8"
        ? (tensor.values as Uint8Array).subarray(start, start + hw * depth)
        : floatImage(tensor.values, tensor.dtype, start, hw, depth, bad);
    const png = encodePng({ width: w, height: h, data: pixels, channels: depth, depth: 8 });
    out.push(
      create(Summary_ValueSchema, {
        tag: itemTag(name, "image", i, maxImages),
        value: { case: "image", value: { height: h, width: w, colorspace: depth, encodedImageString: png } },
      }),
    );
  }
  return serialize(out);
}

/** Round half to even (C's lrintf in the default rounding mode). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** AudioSummaryV2: 16-bit WAVs of the first max_outputs clips of a [batch, frames(, channels)] float tensor. */
export function audioSummary(tag: HostTensor, tensor: HostTensor, sampleRate: HostTensor, maxOutputs: number): string {
  const name = scalarTag(tag, "AudioSummaryV2");
  const s = tensor.shape;
  if (s.length < 2 || s.length > 3) throw new InvalidArgumentError(`Shape of input tensor must be 2D or 3D, not ${shapeStr(s)} (tag '${name}')`);
  if (sampleRate.values.length !== 1)
    throw new InvalidArgumentError(`sample_rate must be rank-0 or contain a single value, got shape ${shapeStr(sampleRate.shape)}`);
  const rate = Number(sampleRate.values[0]);
  if (!(rate > 0)) throw new InvalidArgumentError(`sample_rate must be > 0, got ${rate} (tag '${name}')`);
  const [batch, frames] = s;
  const channels = s.length === 2 ? 1 : s[2];
  const v = tensor.values as Float32Array;
  const wavRate = Math.max(1, roundHalfEven(rate));
  const out: Summary_Value[] = [];
  for (let i = 0; i < Math.min(batch, maxOutputs); i++) {
    const clip = v.subarray(i * frames * channels, (i + 1) * frames * channels);
    out.push(
      create(Summary_ValueSchema, {
        tag: itemTag(name, "audio", i, maxOutputs),
        value: {
          case: "audio",
          value: {
            sampleRate: rate,
            numChannels: BigInt(channels),
            lengthFrames: BigInt(frames),
            contentType: "audio/wav",
            encodedAudioString: encodeWav(clip, wavRate, channels, frames),
          },
        },
      }),
    );
  }
  return serialize(out);
}

/** TensorSummaryV2: the tensor itself (strings in string_val, others in tensor_content) with the given metadata. */
export function tensorSummary(tag: HostTensor, tensor: HostTensor, serializedMetadata: HostTensor): string {
  const name = scalarTag(tag, "TensorSummaryV2");
  let metadata;
  try {
    metadata = fromBinary(SummaryMetadataSchema, latin1ToBytes((serializedMetadata.values as string[])[0] ?? ""));
  } catch (e) {
    throw new InvalidArgumentError(`TensorSummaryV2 '${name}': serialized_summary_metadata is not a SummaryMetadata proto (${(e as Error).message})`);
  }
  return serialize([
    create(Summary_ValueSchema, { tag: name, metadata, value: { case: "tensor", value: tensorToProto(tensor.dtype, tensor.shape, tensor.values) } }),
  ]);
}

/** MergeSummary: the values of every serialized Summary of the inputs, in order; a tag seen twice is an error. */
export function mergeSummaries(inputs: readonly HostTensor[]): string {
  const seen = new Set<string>();
  const out: Summary_Value[] = [];
  for (const t of inputs) {
    for (const s of t.values as string[]) {
      let summary: Summary;
      try {
        summary = fromBinary(SummarySchema, latin1ToBytes(s));
      } catch {
        throw new InvalidArgumentError("Could not parse one of the summary inputs");
      }
      for (const v of summary.value) {
        if (v.tag !== "" && seen.has(v.tag)) throw new InvalidArgumentError(`Duplicate tag ${v.tag} found in summary inputs `);
        seen.add(v.tag);
        out.push(v);
      }
    }
  }
  return serialize(out);
}
