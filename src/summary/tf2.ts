/**
 * TensorFlow 2's summary API: tf.summary.createFileWriter, the default writer (writer.asDefault(fn),
 * writer.setAsDefault()), the default step (tf.summary.experimental.setStep/getStep), recordIf, and the
 * summary functions scalar, histogram, image and text, which write one Event each to the default writer at
 * call time and return whether they did (false without a default writer or when recording is off, as in
 * TensorFlow). A tag is the name inside the current name scopes (TensorFlow 2's summary_scope: `foo/x`,
 * never made unique).
 */
import { create } from "@bufbuild/protobuf";
import { executingEagerly } from "../core/context.js";
import { eagerNameScope } from "../core/eager_name_scope.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { declare, defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import type { Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";
import { type Event, EventSchema } from "../proto/tensorflow/core/util/event_pb.js";
import { type RecordCondition, type StepLike, shouldRecord, stepValue, summaryState } from "./default_state.js";
import { EventFileWriter } from "./event_file_writer.js";
import { buildingFunction, type SummaryRequest, scopedTag, traceWrite } from "./function_writes.js";
import { asNumbers, hostData } from "./host_values.js";
import { audioV1, histogramV1, imageV1, scalarV1, textV1 } from "./tf1.js";
import { valueBuilder } from "./value_spec.js";

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
    const prevWriter = summaryState.writer;
    const prevStep = summaryState.step;
    summaryState.writer = this;
    if (step !== undefined) summaryState.step = step;
    const restore = () => {
      summaryState.writer = prevWriter;
      summaryState.step = prevStep;
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
    summaryState.writer = this;
    if (step !== undefined) summaryState.step = step;
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
    if (summaryState.writer === this) summaryState.writer = null;
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
const COLLECTIONS = optional("collections", kind<readonly string[]>("string[]"), "In a TensorFlow 1 graph: the output's collections (default SUMMARIES).");
const FAMILY = optional("family", K.string, "In a TensorFlow 1 graph: a prefix of the tag and scope.");

/** Writes `value` with the default writer: false when there is none or recording is off. */
function record(where: string, step: StepLike | undefined, value: () => Summary_Value): boolean {
  const w = summaryState.writer;
  if (w === null || !shouldRecord()) return false;
  const s = stepValue(step, where);
  w.writeValue(value(), s);
  return true;
}

/**
 * The three homes of a TensorFlow 2 summary call: eagerly it writes now (false without a default writer or
 * when recording is off); while tf.function traces, also inside a tf.cond branch or tf.whileLoop body of
 * the trace, it adds a WriteSummary node (function_writes.ts); in a TensorFlow 1 graph it is the TF1
 * summary op (`v1`), whose string tensor it returns.
 */
function summaryCall(req: SummaryRequest, v1: () => Tensor): boolean | Tensor {
  if (executingEagerly()) {
    const value = valueBuilder(req.value)(hostData(req.data, req.value.where), scopedTag(eagerNameScope(), req.name));
    return record(req.value.where, req.step, () => value);
  }
  const trace = buildingFunction();
  return trace === null ? v1() : traceWrite(req, trace);
}

export const scalar = defineFunction(
  signature(
    "summary.scalar",
    "Writes a scalar (plugin 'scalars', a float32 rank-0 tensor) to the default writer; true if written. In a TF1 graph: the ScalarSummary op's string tensor.",
    [NAME, DATA, STEP, DESCRIPTION, COLLECTIONS, FAMILY],
  ),
  (name, data, step, description, collections, family): boolean | Tensor => {
    const where = `tf.summary.scalar "${name}"`;
    const value = { kind: "scalar", where, description: description ?? "" } as const;
    return summaryCall({ name, defaultName: "scalar_summary", data, step, value }, () =>
      scalarV1(name, data as TensorLike, v1Collections(step, collections), family),
    );
  },
);

/** TensorFlow 1 code passes collections third, where TensorFlow 2 has the step. */
function v1Collections(step: StepLike | undefined, collections: readonly string[] | undefined): readonly string[] | undefined {
  return Array.isArray(step) ? (step as string[]) : collections;
}

export const histogram = defineFunction(
  signature(
    "summary.histogram",
    "Writes a histogram (plugin 'histograms', [buckets, 3] float64 rows of left edge, right edge, count); true if written. In a TF1 graph: the HistogramSummary op.",
    [NAME, DATA, STEP, withDefault("buckets", K.int, 30, "The number of equal-width buckets."), DESCRIPTION, COLLECTIONS, FAMILY],
  ),
  (name, data, step, buckets, description, collections, family): boolean | Tensor => {
    const where = `tf.summary.histogram "${name}"`;
    if (!Number.isInteger(buckets) || buckets < 0) throw new InvalidArgumentError(`${where}: buckets must be a non-negative integer, got ${buckets}`);
    const value = { kind: "histogram", where, description: description ?? "", buckets } as const;
    return summaryCall({ name, defaultName: "histogram_summary", data, step, value }, () =>
      histogramV1(name, data as TensorLike, v1Collections(step, collections), family),
    );
  },
);

export const image = defineFunction(
  signature(
    "summary.image",
    "Writes images as PNGs (plugin 'images') from a [k, h, w, c] uint8 or [0, 1] float batch; true if written. In a TF1 graph: the ImageSummary op.",
    [NAME, DATA, STEP, withDefault("maxOutputs", K.int, 3, "The most images of the batch written."), DESCRIPTION, COLLECTIONS, FAMILY],
  ),
  (name, data, step, maxOutputs, description, collections, family): boolean | Tensor => {
    const where = `tf.summary.image "${name}"`;
    const value = { kind: "image", where, description: description ?? "", maxOutputs } as const;
    return summaryCall({ name, defaultName: "image_summary", data, step, value }, () =>
      imageV1(name, data as TensorLike, maxOutputs, v1Collections(step, collections), family),
    );
  },
);

export const audio = defineFunction(
  signature(
    "summary.audio",
    "Writes [k, frames, channels] float clips in [-1, 1] as 16-bit WAVs (plugin 'audio'); true if written. In a TF1 graph: the AudioSummaryV2 op.",
    [
      NAME,
      DATA,
      param("sampleRate", kind<number | unknown>("number | Tensor"), "Samples per second (an integer)."),
      STEP,
      withDefault("maxOutputs", K.int, 3, "The most clips of the batch written."),
      optional("encoding", K.string, "Only 'wav' (the default)."),
      DESCRIPTION,
      COLLECTIONS,
      FAMILY,
    ],
  ),
  (name, data, sampleRate, step, maxOutputs, encoding, description, collections, family): boolean | Tensor => {
    const where = `tf.summary.audio "${name}"`;
    if (encoding !== undefined && encoding !== "wav") throw new InvalidArgumentError(`${where}: unknown encoding '${encoding}' (only 'wav')`);
    if (!Number.isInteger(maxOutputs) || maxOutputs < 0)
      throw new InvalidArgumentError(`${where}: maxOutputs must be a non-negative integer, got ${maxOutputs}`);
    const v1 = () => audioV1(name, data as TensorLike, sampleRate as TensorLike, maxOutputs, v1Collections(step, collections), family);
    if (!executingEagerly() && buildingFunction() === null) return v1();
    // The rate is read now (a tensor's value; inside a tf.function it must be known when tracing).
    const rate = typeof sampleRate === "number" ? sampleRate : Number(asNumbers(hostData(sampleRate, `${where} (sampleRate)`), where)[0]);
    const value = { kind: "audio", where, description: description ?? "", maxOutputs, sampleRate: rate } as const;
    return summaryCall({ name, defaultName: "audio_summary", data, step, value }, v1);
  },
);

export const text = defineFunction(
  signature(
    "summary.text",
    "Writes strings (plugin 'text', Markdown) of any shape; true if written. In a TF1 graph: the TensorSummaryV2 op of tf.compat.v1.summary.text.",
    [NAME, DATA, STEP, DESCRIPTION, COLLECTIONS],
  ),
  (name, data, step, description, collections): boolean | Tensor => {
    const where = `tf.summary.text "${name}"`;
    const value = { kind: "text", where, description: description ?? "" } as const;
    return summaryCall({ name, defaultName: "text_summary", data, step, value }, () => textV1(name, data as TensorLike, v1Collections(step, collections)));
  },
);

export const flush = defineFunction(
  signature("summary.flush", "Writes the queued events of a writer (default: the default writer) to disk.", [
    optional("writer", SUMMARY_WRITER, "The writer (default: the default one)."),
    optional("name", K.string, "Accepted for TensorFlow's API."),
  ]),
  (writer): void => {
    (writer ?? (summaryState.writer as SummaryWriter | null))?.flush();
  },
);

export const recordIf = defineFunction(
  signature(
    "summary.record_if",
    "Runs fn with recording on or off: a boolean, a bool tensor or a function returning either, read at each write; entered inside a tf.function, resolved when traced (a graph tensor then decides at each run).",
    [
      param("condition", kind<RecordCondition>("boolean | Tensor | () => boolean | Tensor"), "Whether summaries are written."),
      param("fn", K.callback, "The code to run."),
    ],
  ),
  (condition, fn): unknown => {
    const entry = { condition, graph: executingEagerly() ? null : getDefaultGraph() };
    summaryState.recordScopes.push(entry);
    // This entry, not the last one: another recordIf's async callback may have pushed since.
    const restore = () => {
      const i = summaryState.recordScopes.lastIndexOf(entry);
      if (i >= 0) summaryState.recordScopes.splice(i, 1);
    };
    let result: unknown;
    try {
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore);
    restore();
    return result;
  },
);

export const setStep = defineFunction(
  signature("summary.experimental.set_step", "Sets the default step of the summary functions (a number or a tensor/variable read at each write).", [
    param("step", kind<StepLike>("number | bigint | Tensor | Variable | null"), "The step."),
  ]),
  (step): void => {
    summaryState.step = step;
  },
);

export const getStep = defineFunction(
  signature("summary.experimental.get_step", "The default step (as set), or null.", [], { args: () => [] }),
  (): StepLike | null => summaryState.step,
);

declare(SummaryWriter, signature("summary.SummaryWriter", "Use tf.summary.createFileWriter.", []));
