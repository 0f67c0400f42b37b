/**
 * Writes the board tests' logdirs: event files of scalars (TF1 simple_value and TF2 tensors), histograms
 * (TF1 HistogramProto and TF2 [k, 3] tensors), images (a PNG made here), text and a GraphDef from a tsflow graph.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { crc32 } from "@node-rs/crc32";
import * as tf from "../../src/index.js";
import { GraphDefSchema } from "../../src/proto/tensorflow/core/framework/graph_pb.js";
import { type Summary_Value, SummarySchema } from "../../src/proto/tensorflow/core/framework/summary_pb.js";
import { DataType } from "../../src/proto/tensorflow/core/framework/types_pb.js";
import { type Event, EventSchema } from "../../src/proto/tensorflow/core/util/event_pb.js";
import { frameRecord } from "../../src/summary/records.js";

type ValueInit = Parameters<typeof create<typeof SummarySchema>>[1] extends infer S ? (S extends { value?: (infer V)[] } ? V : never) : never;

export function eventBytes(init: Parameters<typeof create<typeof EventSchema>>[1]): Uint8Array {
  return frameRecord(toBinary(EventSchema, create(EventSchema, init)));
}

export function summaryEvent(step: number, values: ValueInit[], wallTime = 1_700_000_000 + step): Uint8Array {
  return eventBytes({ wallTime, step: BigInt(step), what: { case: "summary", value: create(SummarySchema, { value: values }) } });
}

export const scalarValue = (tag: string, v: number): ValueInit => ({ tag, value: { case: "simpleValue", value: v } });

/** TF2's scalar: a float tensor with the "scalars" plugin named (on every value here; TF2 names it once). */
export const tf2ScalarValue = (tag: string, v: number): ValueInit => ({
  tag,
  metadata: { pluginData: { pluginName: "scalars" } },
  value: { case: "tensor", value: { dtype: DataType.DT_FLOAT, tensorShape: {}, floatVal: [v] } },
});

export const histogramValue = (tag: string, buckets: [number, number, number][]): ValueInit => ({
  tag,
  metadata: { pluginData: { pluginName: "histograms" } },
  value: {
    case: "tensor",
    value: { dtype: DataType.DT_DOUBLE, tensorShape: { dim: [{ size: BigInt(buckets.length) }, { size: 3n }] }, doubleVal: buckets.flat() },
  },
});

export const textValue = (tag: string, text: string): ValueInit => ({
  tag,
  metadata: { pluginData: { pluginName: "text" } },
  value: { case: "tensor", value: { dtype: DataType.DT_STRING, tensorShape: {}, stringVal: [new TextEncoder().encode(text)] } },
});

export const imageValue = (tag: string, png: Uint8Array, width: number, height: number): ValueInit => ({
  tag,
  value: { case: "image", value: { width, height, colorspace: 1, encodedImageString: png } },
});

/** A grayscale PNG (8-bit) of `pixel(x, y)` values. */
export function grayPng(width: number, height: number, pixel: (x: number, y: number) => number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array()),
  ]);
}

/** A small two-layer graph under name scopes layer1/, layer2/ and loss/ (a tsflow graph's GraphDef). */
export function graphEvent(): Uint8Array {
  const g = new tf.Graph();
  g.asDefault(() => {
    const x = tf.placeholder("float32", [null, 4], { name: "x" });
    const h = tf.nameScope("layer1", () => tf.nn.relu(tf.matmul(x, new tf.Variable(tf.ones([4, 8]), { name: "W" }))));
    const y = tf.nameScope("layer2", () => tf.matmul(h, new tf.Variable(tf.ones([8, 1]), { name: "W" })));
    tf.nameScope("loss", () => tf.reduceMean(tf.square(y)));
  });
  return eventBytes({ wallTime: 1_700_000_000, step: 0n, what: { case: "graphDef", value: toBinary(GraphDefSchema, g.asGraphDef()) } });
}

export const fileVersion = (): Uint8Array => eventBytes({ wallTime: 1_700_000_000, what: { case: "fileVersion", value: "brain.Event:2" } });

export function writeEvents(dir: string, records: Uint8Array[], name = "events.out.tfevents.1700000000.test.1.0.v2"): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([fileVersion(), ...records]));
  return path;
}

export function appendEvents(path: string, records: Uint8Array[]): void {
  appendFileSync(path, Buffer.concat(records));
}

/** The sample logdir of the browser test and the screenshot: two runs with every dashboard's data. */
export function writeSampleLogdir(dir: string, steps = 200): void {
  for (const [run, rate] of [
    ["train", 0.03],
    ["validation", 0.02],
  ] as const) {
    const recs: Uint8Array[] = [];
    if (run === "train") recs.push(graphEvent());
    for (let s = 0; s < steps; s++) {
      const noise = Math.sin(s * 1.7) * 0.15;
      const values = [
        scalarValue("loss", 2.3 * Math.exp(-rate * s) + 0.1 + noise * Math.exp(-0.01 * s)),
        tf2ScalarValue("accuracy", 1 - 0.9 * Math.exp(-rate * s)),
      ];
      if (s % 20 === 0) {
        const c = 1 - s / steps;
        values.push(
          histogramValue("layer1/kernel", [
            [-2 * c - 0.5, -c, 10],
            [-c, 0, 40 + s],
            [0, c, 40 + s],
            [c, 2 * c + 0.5, 10],
          ]),
        );
        values.push(
          imageValue(
            "digits",
            grayPng(28, 28, (x, y) => ((x - 14) ** 2 + (y - 14) ** 2 < (4 + (s / steps) * 9) ** 2 ? 255 : 30)),
            28,
            28,
          ),
        );
        values.push(textValue("notes", `${run} at step ${s}: loss falling`));
      }
      recs.push(summaryEvent(s, values));
    }
    writeEvents(join(dir, run), recs);
  }
}

export type { Event, Summary_Value };
