/**
 * TensorFlow 2's summary API: tf.summary.createFileWriter, the default writer (writer.asDefault(fn),
 * writer.setAsDefault()), the default step (tf.summary.experimental.setStep/getStep), recordIf, and the
 * summary functions scalar, histogram, image and text, which write one Event each to the default writer at
 * call time and return whether they did (false without a default writer or when recording is off, as in
 * TensorFlow).
 */
import { create } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../core/errors.js";
import { declare, defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import type { Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";
import { type Event, EventSchema } from "../proto/tensorflow/core/util/event_pb.js";
import { EventFileWriter } from "./event_file_writer.js";
import { histogramBuckets } from "./histogram_buckets.js";
import { asNumbers, hostData } from "./host_values.js";
import { histogramValue, imageValue, scalarValue, textValue } from "./values.js";

/** A step: a number, a bigint, or a tensor/variable read when the summary is written. */
type StepLike = number | bigint | unknown;

let defaultWriter: SummaryWriter | null = null;
let defaultStep: StepLike | null = null;
let recording: boolean | (() => boolean) = true;

function stepValue(step: StepLike | null | undefined, where: string): bigint {
  const s = step ?? defaultStep;
  if (s === null || s === undefined) throw new InvalidArgumentError(`${where}: no step set via the 'step' argument or tf.summary.experimental.setStep()`);
  if (typeof s === "bigint") return s;
  const v = typeof s === "number" ? s : Number(asNumbers(hostData(s, `${where} (step)`), where)[0]);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`${where}: the step must be an integer, got ${v}`);
  return BigInt(v);
}

function shouldRecord(): boolean {
  return typeof recording === "function" ? Boolean(recording()) : recording;
}

const SUMMARY_WRITER = kind<SummaryWriter>("SummaryWriter");

/** A writer of one event file in a log directory (tf.summary.SummaryWriter as createFileWriter returns it). */
export class SummaryWriter {
  readonly logdir: string;
  private readonly writer: EventFileWriter;
  constructor(logdir: string, options: { maxQueue?: number; flushMillis?: number; filenameSuffix?: string }) {
    this.logdir = logdir;
    this.writer = new EventFileWriter(logdir, options);
  }
  /** The event file this writer writes. */
  get path(): string {
    return this.writer.path;
  }
  /** Runs fn with this writer as the default (restored afterwards, also when fn's promise settles). */
  asDefault<R>(fn: () => R, step?: StepLike): R {
    const prevWriter = defaultWriter;
    const prevStep = defaultStep;
    defaultWriter = this;
    if (step !== undefined) defaultStep = step;
    const restore = () => {
      defaultWriter = prevWriter;
      defaultStep = prevStep;
    };
    let result: R;
    try {
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore) as R;
    restore();
    return result;
  }
  /** Makes this writer the default from now on (and `step` the default step, when given). */
  setAsDefault(step?: StepLike): void {
    defaultWriter = this;
    if (step !== undefined) defaultStep = step;
  }
  /** Accepted for TensorFlow's API: the file is opened at creation. */
  init(): void {
    this.writer.open();
  }
  /** Writes every queued event to disk (fsynced). */
  flush(): void {
    this.writer.flush();
  }
  /** Flushes and closes the file; the writer stops being the default. */
  close(): void {
    this.writer.close();
    if (defaultWriter === this) defaultWriter = null;
  }
  /** Queues one Event (the summary functions and the TF1 FileWriter come through here). */
  writeEvent(event: Event): void {
    if (this.writer.closed) this.writer.open();
    this.writer.add(event);
  }
  /** Queues one summary value at a step. */
  writeValue(value: Summary_Value, step: bigint): void {
    this.writeEvent(create(EventSchema, { wallTime: Date.now() / 1000, step, what: { case: "summary", value: { value: [value] } } }));
  }
}

export const createFileWriter = defineFunction(
  signature("summary.create_file_writer", "A SummaryWriter of a new event file in logdir (created if missing).", [
    param("logdir", K.string, "The log directory."),
    withDefault("maxQueue", K.int, 10, "Events held in memory before they are written."),
    withDefault("flushMillis", K.int, 120_000, "The longest an event waits in memory, in milliseconds."),
    withDefault("filenameSuffix", K.string, ".v2", "Appended to the event file's name."),
    optional("name", K.string, "Accepted for TensorFlow's API."),
  ]),
  (logdir, maxQueue, flushMillis, filenameSuffix): SummaryWriter => new SummaryWriter(logdir, { maxQueue, flushMillis, filenameSuffix }),
);

const NAME = param("name", K.string, "The tag of the summary.");
const STEP = optional("step", kind<StepLike>("number | bigint | Tensor | Variable"), "The step (default: tf.summary.experimental.setStep's).");
const DESCRIPTION = optional("description", K.string, "A Markdown description of the series.");
const DATA = param("data", kind<unknown>("TensorLike"), "The value.");

/** Writes `value` with the default writer: false when there is none or recording is off. */
function record(where: string, step: StepLike | undefined, value: () => Summary_Value): boolean {
  const w = defaultWriter;
  if (w === null || !shouldRecord()) return false;
  const s = stepValue(step, where);
  w.writeValue(value(), s);
  return true;
}

export const scalar = defineFunction(
  signature("summary.scalar", "Writes a scalar (plugin 'scalars', a float32 rank-0 tensor) to the default writer; true if written.", [
    NAME,
    DATA,
    STEP,
    DESCRIPTION,
  ]),
  (name, data, step, description): boolean => {
    const where = `tf.summary.scalar "${name}"`;
    const h = hostData(data, where);
    if (h.shape.length !== 0) throw new InvalidArgumentError(`${where}: data must be a scalar (rank 0), got shape [${h.shape.join(",")}]`);
    const v = asNumbers(h, where)[0];
    return record(where, step, () => scalarValue(name, v, description ?? ""));
  },
);

export const histogram = defineFunction(
  signature("summary.histogram", "Writes a histogram (plugin 'histograms', [buckets, 3] float64 rows of left edge, right edge, count); true if written.", [
    NAME,
    DATA,
    STEP,
    withDefault("buckets", K.int, 30, "The number of equal-width buckets."),
    DESCRIPTION,
  ]),
  (name, data, step, buckets, description): boolean => {
    const where = `tf.summary.histogram "${name}"`;
    if (!Number.isInteger(buckets) || buckets < 0) throw new InvalidArgumentError(`${where}: buckets must be a non-negative integer, got ${buckets}`);
    const values = asNumbers(hostData(data, where), where);
    return record(where, step, () => histogramValue(name, histogramBuckets(values, buckets), description ?? ""));
  },
);

/** uint8 pixels of an image batch; floats in [0, 1] are scaled as tf.image.convert_image_dtype(saturate=True) does. */
function imagePixels(values: Float64Array, dtype: string): Uint8Array {
  const out = new Uint8Array(values.length);
  const scale = dtype === "uint8" ? 1 : 255.5;
  for (let i = 0; i < values.length; i++) {
    const v = Math.trunc(values[i] * scale);
    out[i] = Math.max(0, Math.min(255, v));
  }
  return out;
}

export const image = defineFunction(
  signature("summary.image", "Writes images as PNGs (plugin 'images') from a [k, h, w, c] uint8 or [0, 1] float batch; true if written.", [
    NAME,
    DATA,
    STEP,
    withDefault("maxOutputs", K.int, 3, "The most images of the batch written."),
    DESCRIPTION,
  ]),
  (name, data, step, maxOutputs, description): boolean => {
    const where = `tf.summary.image "${name}"`;
    const h = hostData(data, where);
    if (h.dtype !== "uint8" && h.dtype !== "float32" && h.dtype !== "float64" && h.dtype !== "float16") {
      throw new InvalidArgumentError(`${where}: images must be uint8 or floating point, got dtype ${h.dtype}`);
    }
    const pixels = imagePixels(asNumbers(h, where), h.dtype);
    return record(where, step, () => imageValue(name, h.shape, pixels, maxOutputs, description ?? ""));
  },
);

export const text = defineFunction(
  signature("summary.text", "Writes strings (plugin 'text', Markdown) of any shape; true if written.", [NAME, DATA, STEP, DESCRIPTION]),
  (name, data, step, description): boolean => {
    const where = `tf.summary.text "${name}"`;
    const h = hostData(data, where);
    if (h.dtype !== "string") throw new InvalidArgumentError(`${where}: data must be strings, got dtype ${h.dtype}`);
    return record(where, step, () => textValue(name, h.shape, h.values as string[], description ?? ""));
  },
);

export const flush = defineFunction(
  signature("summary.flush", "Writes the queued events of a writer (default: the default writer) to disk.", [
    optional("writer", SUMMARY_WRITER, "The writer (default: the default one)."),
    optional("name", K.string, "Accepted for TensorFlow's API."),
  ]),
  (writer): void => {
    (writer ?? defaultWriter)?.flush();
  },
);

export const recordIf = defineFunction(
  signature("summary.record_if", "Runs fn with recording on or off (a boolean or a function read at each summary).", [
    param("condition", kind<boolean | (() => boolean)>("boolean | () => boolean"), "Whether summaries are written."),
    param("fn", K.callback, "The code to run."),
  ]),
  (condition, fn): unknown => {
    const prev = recording;
    recording = condition;
    try {
      return fn();
    } finally {
      recording = prev;
    }
  },
);

export const setStep = defineFunction(
  signature("summary.experimental.set_step", "Sets the default step of the summary functions (a number or a tensor/variable read at each write).", [
    param("step", kind<StepLike>("number | bigint | Tensor | Variable | null"), "The step."),
  ]),
  (step): void => {
    defaultStep = step;
  },
);

export const getStep = defineFunction(
  signature("summary.experimental.get_step", "The default step (as set), or null.", [], { args: () => [] }),
  (): StepLike | null => defaultStep,
);

declare(SummaryWriter, signature("summary.SummaryWriter", "Use tf.summary.createFileWriter.", []));
