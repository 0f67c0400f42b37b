/**
 * Summary.Value builders in the forms TensorBoard's plugins read (tf-formats.md §1.4-1.5): a rank-0 DT_FLOAT
 * tensor for "scalars", a [k, 3] DT_DOUBLE tensor for "histograms", a DT_STRING tensor [width, height,
 * png...] for "images", a DT_STRING tensor for "text". Each carries SummaryMetadata with its plugin name and
 * data class, repeated on every value as TensorFlow 2 writes it. Pure: host values in, protos out.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { encode as encodePng } from "fast-png";
import { InvalidArgumentError } from "../core/errors.js";
import { shapeToProto } from "../io/tensor_proto.js";
import { encodeWav } from "../io/wav.js";
import { AudioPluginData_Encoding, AudioPluginDataSchema } from "../proto/tensorboard/plugins/audio/plugin_data_pb.js";
import {
  DataClass,
  type Summary_Value,
  Summary_ValueSchema,
  type SummaryMetadata,
  SummaryMetadataSchema,
} from "../proto/tensorflow/core/framework/summary_pb.js";
import { TensorProtoSchema } from "../proto/tensorflow/core/framework/tensor_pb.js";
import { DataType } from "../proto/tensorflow/core/framework/types_pb.js";

export function pluginMetadata(pluginName: string, dataClass: DataClass, description = "", content = new Uint8Array(0)): SummaryMetadata {
  return create(SummaryMetadataSchema, {
    pluginData: { pluginName, content },
    summaryDescription: description,
    dataClass,
  });
}

export function scalarValue(tag: string, value: number, description = ""): Summary_Value {
  const content = new Uint8Array(4);
  new DataView(content.buffer).setFloat32(0, value, true);
  return create(Summary_ValueSchema, {
    tag,
    metadata: pluginMetadata("scalars", DataClass.SCALAR, description),
    value: { case: "tensor", value: create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: shapeToProto([]), tensorContent: content }) },
  });
}

/** `buckets`: the [k, 3] rows of histogramBuckets. */
export function histogramValue(tag: string, buckets: Float64Array, description = ""): Summary_Value {
  const k = buckets.length / 3;
  return create(Summary_ValueSchema, {
    tag,
    metadata: pluginMetadata("histograms", DataClass.TENSOR, description),
    value: {
      case: "tensor",
      value: create(TensorProtoSchema, {
        dtype: DataType.DT_DOUBLE,
        tensorShape: shapeToProto([k, 3]),
        tensorContent: new Uint8Array(buckets.buffer.slice(buckets.byteOffset, buckets.byteOffset + buckets.byteLength)),
      }),
    },
  });
}

const utf8 = new TextEncoder();

function stringTensorValue(tag: string, metadata: SummaryMetadata, shape: readonly number[], items: readonly Uint8Array[]): Summary_Value {
  return create(Summary_ValueSchema, {
    tag,
    metadata,
    value: { case: "tensor", value: create(TensorProtoSchema, { dtype: DataType.DT_STRING, tensorShape: shapeToProto([...shape]), stringVal: [...items] }) },
  });
}

export function textValue(tag: string, shape: readonly number[], texts: readonly string[], description = ""): Summary_Value {
  return stringTensorValue(
    tag,
    pluginMetadata("text", DataClass.TENSOR, description),
    shape,
    texts.map((t) => utf8.encode(t)),
  );
}

/**
 * PNG images of a [k, h, w, c] uint8 batch (c = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), the first
 * `maxOutputs` of them, as the string tensor [width, height, png...] of the "images" plugin.
 */
export function imageValue(tag: string, shape: readonly number[], pixels: Uint8Array, maxOutputs = 3, description = ""): Summary_Value {
  if (shape.length !== 4) throw new InvalidArgumentError(`tf.summary.image "${tag}": the data must be [k, h, w, c], got shape [${shape.join(",")}]`);
  const [k, h, w, c] = shape;
  if (c < 1 || c > 4) throw new InvalidArgumentError(`tf.summary.image "${tag}": the channel count must be 1, 2, 3 or 4, got ${c}`);
  const per = h * w * c;
  const pngs: Uint8Array[] = [];
  for (let i = 0; i < Math.min(k, maxOutputs); i++) {
    const data = pixels.subarray(i * per, (i + 1) * per);
    pngs.push(encodePng({ width: w, height: h, data, channels: c, depth: 8 }));
  }
  return stringTensorValue(
    tag,
    pluginMetadata("images", DataClass.BLOB_SEQUENCE, description),
    [2 + pngs.length],
    [utf8.encode(String(w)), utf8.encode(String(h)), ...pngs],
  );
}

/**
 * WAV clips of a [k, frames, channels] float batch in [-1, 1], the first `maxOutputs` of them, as the
 * [n, 2] string tensor of TensorBoard's audio summary_v2 (each row: the WAV, an empty label), with the
 * audio plugin's AudioPluginData {version 0, encoding WAV} as content.
 */
export function audioValue(tag: string, shape: readonly number[], samples: Float64Array, sampleRate: number, maxOutputs = 3, description = ""): Summary_Value {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw new InvalidArgumentError(`tf.summary.audio "${tag}": the sample rate must be a positive integer, got ${sampleRate}`);
  const [k, frames, channels] = shape;
  const per = frames * channels;
  const items: Uint8Array[] = [];
  const n = Math.min(k, maxOutputs);
  for (let i = 0; i < n; i++) items.push(encodeWav(samples.subarray(i * per, (i + 1) * per), sampleRate, channels, frames), new Uint8Array(0));
  const content = toBinary(AudioPluginDataSchema, create(AudioPluginDataSchema, { version: 0, encoding: AudioPluginData_Encoding.WAV }));
  return stringTensorValue(tag, pluginMetadata("audio", DataClass.BLOB_SEQUENCE, description, content), [n, 2], items);
}

/** TensorFlow's keras_model summary (the Keras TensorBoard callback's "keras"): the model's JSON config, plugin "graph_keras_model", content "1" (its version). */
export function kerasModelValue(tag: string, json: string): Summary_Value {
  return stringTensorValue(tag, pluginMetadata("graph_keras_model", DataClass.UNKNOWN, "", utf8.encode("1")), [], [utf8.encode(json)]);
}
