/**
 * What the board keeps of one run: the events of its files sorted into scalar series, histograms, images,
 * text and the latest GraphDef, by tag. Events come in file order (a file is read incrementally as it grows);
 * a tag's plugin is named only by its first value's metadata (TensorFlow 2 writes the metadata once per tag),
 * so the run remembers it.
 */
import { tensorFromProto } from "../io/tensor_proto.js";
import { DataType } from "../proto/tensorflow/core/framework/types_pb.js";
import type { TensorProto } from "../proto/tensorflow/core/framework/tensor_pb.js";
import type { Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";
import type { Event } from "../proto/tensorflow/core/util/event_pb.js";
import type { HistogramProto } from "../proto/xla/tsl/protobuf/histogram_pb.js";
import { GrowingSeries } from "./series.js";

/** One histogram: buckets as [left, right, count] (TensorBoard's histogram plugin form). */
export interface HistogramEntry {
  readonly step: number;
  readonly wallTime: number;
  readonly buckets: [number, number, number][];
}

/** One image event: the encoded images (PNG, JPEG or GIF bytes) it holds, and their size when known. */
export interface ImageEntry {
  readonly step: number;
  readonly wallTime: number;
  readonly width: number;
  readonly height: number;
  readonly images: Uint8Array[];
}

export interface TextEntry {
  readonly step: number;
  readonly wallTime: number;
  readonly shape: number[];
  readonly texts: string[];
}

/** How many histogram / image / text events a tag keeps: past it, every other one is dropped (thinning). */
const KEEP = { histograms: 500, images: 100, text: 500 };

/** Keeps `list` under `max` entries by dropping every other old one, so that all steps stay represented. */
function pushThinned<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length <= max) return;
  let j = 0;
  for (let i = 0; i < list.length - 1; i++) if (i % 2 === 0) list[j++] = list[i];
  list[j++] = list[list.length - 1];
  list.length = j;
}

export class RunData {
  readonly scalars = new Map<string, GrowingSeries>();
  readonly histograms = new Map<string, HistogramEntry[]>();
  readonly images = new Map<string, ImageEntry[]>();
  readonly text = new Map<string, TextEntry[]>();
  /** The serialized GraphDef of the run's last graph event. */
  graphDef: Uint8Array | undefined;
  private readonly plugins = new Map<string, string>();

  /** Values that could not be read (a malformed tensor), shown on the page as errors; the first few only. */
  readonly problems: string[] = [];

  /** Sorts one event into the run; a malformed value is noted in `problems`, never thrown. */
  add(event: Event): void {
    const what = event.what;
    if (what.case === "graphDef") this.graphDef = what.value;
    if (what.case !== "summary") return;
    for (const v of what.value.value) {
      try {
        this.addValue(v, event.step, event.wallTime);
      } catch (e) {
        if (this.problems.length < 20) this.problems.push(`tag '${v.tag}' at step ${event.step}: ${(e as Error).message}`);
      }
    }
  }

  private addValue(v: Summary_Value, stepBig: bigint, wallTime: number): void {
    const step = Number(stepBig);
    const declared = v.metadata?.pluginData?.pluginName;
    if (declared) this.plugins.set(v.tag, declared);
    const plugin = declared || this.plugins.get(v.tag) || "";
    const value = v.value;
    switch (value.case) {
      case "simpleValue":
        return this.series(v.tag).push(step, wallTime, value.value);
      case "histo":
        return pushThinned(this.list(this.histograms, v.tag), { step, wallTime, buckets: histoBuckets(value.value) }, KEEP.histograms);
      case "image": {
        const im = value.value;
        const entry = { step, wallTime, width: im.width, height: im.height, images: [im.encodedImageString] };
        return pushThinned(this.list(this.images, v.tag), entry, KEEP.images);
      }
      case "tensor":
        return this.addTensor(v.tag, plugin, value.value, step, wallTime);
      default:
        return; // audio and obsolete forms are not shown
    }
  }

  private addTensor(tag: string, plugin: string, t: TensorProto, step: number, wallTime: number): void {
    if (plugin === "images") {
      // TensorFlow 2's image summary: a string vector [width, height, image, image, ...].
      const s = t.stringVal;
      const dec = new TextDecoder();
      const entry = { step, wallTime, width: Number(dec.decode(s[0])) || 0, height: Number(dec.decode(s[1])) || 0, images: s.slice(2) };
      return pushThinned(this.list(this.images, tag), entry, KEEP.images);
    }
    if (t.dtype === DataType.DT_STRING) {
      if (plugin !== "text" && plugin !== "") return;
      const dec = new TextDecoder();
      const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size));
      return pushThinned(this.list(this.text, tag), { step, wallTime, shape, texts: t.stringVal.map((b) => dec.decode(b)) }, KEEP.text);
    }
    const host = tensorFromProto(t, `summary tag '${tag}'`);
    const values = Array.from(host.values as ArrayLike<number | bigint>, Number);
    if (plugin === "histograms") {
      const buckets: [number, number, number][] = [];
      for (let i = 0; i + 2 < values.length; i += 3) buckets.push([values[i], values[i + 1], values[i + 2]]);
      return pushThinned(this.list(this.histograms, tag), { step, wallTime, buckets }, KEEP.histograms);
    }
    if ((plugin === "scalars" || plugin === "") && values.length === 1) this.series(tag).push(step, wallTime, values[0]);
  }

  private series(tag: string): GrowingSeries {
    let s = this.scalars.get(tag);
    if (s === undefined) this.scalars.set(tag, (s = new GrowingSeries()));
    return s;
  }

  private list<T>(map: Map<string, T[]>, tag: string): T[] {
    let l = map.get(tag);
    if (l === undefined) map.set(tag, (l = []));
    return l;
  }
}

/** TensorFlow 1's HistogramProto as [left, right, count] buckets: bucket i spans (limit[i-1], limit[i]]. */
export function histoBuckets(h: HistogramProto): [number, number, number][] {
  const out: [number, number, number][] = [];
  let left = h.min;
  for (let i = 0; i < h.bucket.length; i++) {
    const right = Math.min(h.bucketLimit[i] ?? h.max, h.max);
    if (h.bucket[i] > 0) out.push([Math.max(left, h.min), right, h.bucket[i]]);
    left = right;
  }
  return out;
}
