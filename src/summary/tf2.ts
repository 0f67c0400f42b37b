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
import { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import type { AttrValue } from "../core/schema/types.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { fullNameScope, rootGraph } from "../graph/func_graph.js";
import type { Graph } from "../graph/graph.js";
import { nameScope } from "../graph/scopes.js";
import { cast } from "../ops/cast.js";
import { cond } from "../ops/control_flow.js";
import { convertToTensor } from "../ops/creation.js";
import { execute1 } from "../ops/dispatch.js";
import type { SummarySink } from "../runtime/resources.js";
import { declare, defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import type { Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";
import { type Event, EventSchema } from "../proto/tensorflow/core/util/event_pb.js";
import { EventFileWriter } from "./event_file_writer.js";
import { histogramBuckets } from "./histogram_buckets.js";
import { asNumbers, type HostData, hostData } from "./host_values.js";
import { audioV1, histogramV1, imageV1, scalarV1, textV1 } from "./tf1.js";
import { audioValue, histogramValue, imageValue, scalarValue, textValue } from "./values.js";

/** A step: a number, a bigint, or a tensor/variable read when the summary is written. */
type StepLike = number | bigint | unknown;
/** recordIf's condition: a boolean, a bool tensor, or a function returning either. */
type RecordCondition = boolean | Tensor | (() => boolean | Tensor);

let defaultWriter: SummaryWriter | null = null;
let defaultStep: StepLike | null = null;
/** recordIf scopes, innermost last; `graph` is the graph being built when it was entered (null eagerly). */
const recordScopes: { condition: RecordCondition; graph: Graph | null }[] = [];

function stepValue(step: StepLike | null | undefined, where: string): bigint {
  const s = step ?? defaultStep;
  if (s === null || s === undefined) throw new InvalidArgumentError(`${where}: no step set via the 'step' argument or tf.summary.experimental.setStep()`);
  if (typeof s === "bigint") return s;
  const v = typeof s === "number" ? s : Number(asNumbers(hostData(s, `${where} (step)`), where)[0]);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`${where}: the step must be an integer, got ${v}`);
  return BigInt(v);
}

/** Whether the innermost recordIf (default: on) records now, read on the host (eagerly, or when a tf.function runs). */
function shouldRecord(): boolean {
  const scope = recordScopes[recordScopes.length - 1];
  if (scope === undefined) return true;
  const c = typeof scope.condition === "function" ? scope.condition() : scope.condition;
  return typeof c === "boolean" ? c : Boolean(asNumbers(hostData(c, "tf.summary.recordIf (condition)"), "tf.summary.recordIf")[0]);
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
const COLLECTIONS = optional("collections", kind<readonly string[]>("string[]"), "In a TensorFlow 1 graph: the output's collections (default SUMMARIES).");
const FAMILY = optional("family", K.string, "In a TensorFlow 1 graph: a prefix of the tag and scope.");

/** A summary kind: the Summary.Value of host data under a tag, checked (the eager write and tf.function's host writer share it). */
type Build = (h: HostData, tag: string) => Summary_Value;

/** Writes `value` with the default writer: false when there is none or recording is off. */
function record(where: string, step: StepLike | undefined, value: () => Summary_Value): boolean {
  const w = defaultWriter;
  if (w === null || !shouldRecord()) return false;
  const s = stepValue(step, where);
  w.writeValue(value(), s);
  return true;
}

/** TensorFlow 2's summary tag: the name inside the current name scopes (`scope` without its slash). */
const scopedTag = (scope: string, name: string) => (scope ? `${scope.replace(/\/$/, "")}/${name}` : name);

/** A summary call of one kind: where (for errors), the tag's name, the op scope's default name, data, step, value builder. */
interface SummaryRequest {
  readonly where: string;
  readonly name: string;
  readonly defaultName: string;
  readonly data: unknown;
  readonly step: StepLike | undefined;
  readonly build: Build;
}

/**
 * The three homes of a TensorFlow 2 summary call: eagerly it writes now (false without a default writer or
 * when recording is off); while tf.function traces, also inside a tf.cond branch or tf.whileLoop body of
 * the trace, it adds a WriteSummary node whose host writer (the default writer of trace time) writes each
 * time the node runs; in a TensorFlow 1 graph it is the TF1 summary op (`v1`), whose string tensor it returns.
 */
function summaryCall(req: SummaryRequest, v1: () => Tensor): boolean | Tensor {
  if (executingEagerly()) {
    const value = req.build(hostData(req.data, req.where), scopedTag(eagerNameScope(), req.name));
    return record(req.where, req.step, () => value);
  }
  const trace = rootGraph(getDefaultGraph());
  if (!trace.isFunctionGraph) return v1();
  return traceWrite(req, trace);
}

/** A step's graph value inside a trace: a tensor or variable read when the function runs, cast to int64. */
function stepTensor(step: StepLike): Tensor {
  if (typeof step === "number" || typeof step === "bigint") return convertToTensor(step, "int64");
  const t = convertToTensor(step as TensorLike);
  return t.dtype === "int64" ? t : cast(t, "int64");
}

const isNumberStep = (s: StepLike | null | undefined) => s === null || s === undefined || typeof s === "number" || typeof s === "bigint";

/**
 * The recordIf condition entered inside the trace being built (TensorFlow resolves it at trace time: a
 * function is called now, a boolean decides whether a node is built, a bool tensor guards the write with a
 * tf.cond), or undefined when every recordIf in force was entered outside the function: those are read on
 * the host each time the node runs (so recordIf around a call of a traced function works as it does eagerly).
 */
function tracedCondition(trace: Graph): boolean | Tensor | undefined {
  const scope = recordScopes[recordScopes.length - 1];
  if (scope === undefined || scope.graph === null || rootGraph(scope.graph) !== trace) return undefined;
  const c = typeof scope.condition === "function" ? scope.condition() : scope.condition;
  return typeof c === "boolean" ? c : convertToTensor(c as TensorLike);
}

/**
 * The WriteSummary node of a trace. Its host writer (runtime/resources.ts SummarySink) is the default
 * writer now; each time the node runs (once per call, per branch taken, per loop iteration) it checks the
 * recordIf in force at the call (unless one entered inside the function decided), builds the value from
 * the node's tensor and writes it at the node's step: the `step` given, or the default step (a tensor or
 * tf.Variable is read by the graph when the function runs; a number default step is read on the host at
 * the call, so setStep(i) before each call works as it does eagerly).
 */
function traceWrite(req: SummaryRequest, trace: Graph): boolean | Tensor {
  const { where, name, step, build } = req;
  const w = defaultWriter;
  if (w === null) return false;
  const inner = tracedCondition(trace);
  if (inner === false) return false;
  const live = step === undefined && isNumberStep(defaultStep);
  if (step === undefined && defaultStep === null) stepValue(undefined, where);
  const tag = scopedTag(fullNameScope(getDefaultGraph()), name);
  const sink: SummarySink = {
    name: "summary_writer",
    write: (stepH, tensorH, _tagH) => {
      if (inner === undefined && !shouldRecord()) return false;
      const s = live ? stepValue(undefined, where) : BigInt((stepH.backend.readSync(stepH) as BigInt64Array)[0]);
      w.writeValue(build({ dtype: tensorH.dtype, shape: [...tensorH.shape], values: tensorH.backend.readSync(tensorH) }, tag), s);
      return true;
    },
  };
  // TensorFlow's summary_scope: the op's scope is the name without the characters a scope may not hold.
  const scopeName = name.replace(/[^-_/.A-Za-z0-9]/g, "") || req.defaultName;
  return nameScope(scopeName, () => {
    const write = () => {
      const stepT = live ? -1 : stepTensor(step ?? defaultStep);
      return execute1("WriteSummary", [stepT, req.data as TensorLike, tag], { writer: sink as unknown as AttrValue }, "write_summary");
    };
    return inner === undefined || inner === true ? write() : (cond(inner, write, () => false, { name: "summary_cond" }) as Tensor);
  });
}

const scalarBuild =
  (where: string, description: string | undefined): Build =>
  (h, tag) => {
    if (h.shape.length !== 0) throw new InvalidArgumentError(`${where}: data must be a scalar (rank 0), got shape [${h.shape.join(",")}]`);
    return scalarValue(tag, asNumbers(h, where)[0], description ?? "");
  };

export const scalar = defineFunction(
  signature(
    "summary.scalar",
    "Writes a scalar (plugin 'scalars', a float32 rank-0 tensor) to the default writer; true if written. In a TF1 graph: the ScalarSummary op's string tensor.",
    [NAME, DATA, STEP, DESCRIPTION, COLLECTIONS, FAMILY],
  ),
  (name, data, step, description, collections, family): boolean | Tensor => {
    const where = `tf.summary.scalar "${name}"`;
    return summaryCall({ where, name, defaultName: "scalar_summary", data, step, build: scalarBuild(where, description) }, () =>
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
    const build: Build = (h, tag) => histogramValue(tag, histogramBuckets(asNumbers(h, where), buckets), description ?? "");
    return summaryCall({ where, name, defaultName: "histogram_summary", data, step, build }, () =>
      histogramV1(name, data as TensorLike, v1Collections(step, collections), family),
    );
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
  signature(
    "summary.image",
    "Writes images as PNGs (plugin 'images') from a [k, h, w, c] uint8 or [0, 1] float batch; true if written. In a TF1 graph: the ImageSummary op.",
    [NAME, DATA, STEP, withDefault("maxOutputs", K.int, 3, "The most images of the batch written."), DESCRIPTION, COLLECTIONS, FAMILY],
  ),
  (name, data, step, maxOutputs, description, collections, family): boolean | Tensor => {
    const where = `tf.summary.image "${name}"`;
    const build: Build = (h, tag) => {
      if (h.dtype !== "uint8" && h.dtype !== "float32" && h.dtype !== "float64" && h.dtype !== "float16") {
        throw new InvalidArgumentError(`${where}: images must be uint8 or floating point, got dtype ${h.dtype}`);
      }
      return imageValue(tag, h.shape, imagePixels(asNumbers(h, where), h.dtype), maxOutputs, description ?? "");
    };
    return summaryCall({ where, name, defaultName: "image_summary", data, step, build }, () =>
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
    const build: Build = (h, tag) => {
      if (h.shape.length !== 3) throw new InvalidArgumentError(`${where}: data must be [k, frames, channels], got shape [${h.shape.join(",")}]`);
      const rate = Number(asNumbers(hostData(sampleRate, `${where} (sampleRate)`), where)[0]);
      return audioValue(tag, h.shape, asNumbers(h, where), rate, maxOutputs, description ?? "");
    };
    return summaryCall({ where, name, defaultName: "audio_summary", data, step, build }, () =>
      audioV1(name, data as TensorLike, sampleRate as TensorLike, maxOutputs, v1Collections(step, collections), family),
    );
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
    const build: Build = (h, tag) => {
      if (h.dtype !== "string") throw new InvalidArgumentError(`${where}: data must be strings, got dtype ${h.dtype}`);
      return textValue(tag, h.shape, h.values as string[], description ?? "");
    };
    return summaryCall({ where, name, defaultName: "text_summary", data, step, build }, () =>
      textV1(name, data as TensorLike, v1Collections(step, collections)),
    );
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
  signature(
    "summary.record_if",
    "Runs fn with recording on or off: a boolean, a bool tensor or a function returning either, read at each write (inside a tf.function: fixed when traced, a graph tensor deciding each run).",
    [
      param("condition", kind<RecordCondition>("boolean | Tensor | () => boolean | Tensor"), "Whether summaries are written."),
      param("fn", K.callback, "The code to run."),
    ],
  ),
  (condition, fn): unknown => {
    const entry = { condition, graph: executingEagerly() ? null : getDefaultGraph() };
    recordScopes.push(entry);
    // This entry, not the last one: another recordIf's async callback may have pushed since.
    const restore = () => {
      const i = recordScopes.lastIndexOf(entry);
      if (i >= 0) recordScopes.splice(i, 1);
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
    defaultStep = step;
  },
);

export const getStep = defineFunction(
  signature("summary.experimental.get_step", "The default step (as set), or null.", [], { args: () => [] }),
  (): StepLike | null => defaultStep,
);

declare(SummaryWriter, signature("summary.SummaryWriter", "Use tf.summary.createFileWriter.", []));
