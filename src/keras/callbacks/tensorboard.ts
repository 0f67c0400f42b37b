/**
 * tf.keras.callbacks.TensorBoard: writes what Keras 2.13's callback writes, under the same names, so that
 * TensorBoard (and `tsflow board`) shows a tsflow fit as it shows a Keras one.
 *
 *   <logDir>/train       epoch_<metric> at step = epoch (train logs, plus epoch_learning_rate when the
 *                        optimizer's rate is a LearningRateSchedule, as Keras 2 does), batch_<metric> at step =
 *                        the batch count since fit began when updateFreq is "batch" or n (every n batches),
 *                        "<weight name with ':' as '_'>/histogram" every histogramFreq epochs (and "/image"
 *                        with writeImages), the traced train step's GraphDef (after the first batch) and the
 *                        model's JSON config as the "keras" summary (plugin graph_keras_model) with writeGraph.
 *   <logDir>/validation  epoch_<metric> of the val_ logs (prefix removed) at step = epoch, and
 *                        evaluation_<metric>_vs_iterations at step = the optimizer's iterations after each
 *                        validation (and each evaluate given this callback).
 *   <logDir>/train/plugins/profile/<run>/<host>.trace.json.gz
 *                        with profileBatch: the profiler's Chrome trace of those batches (tf.profiler.experimental:
 *                        started as the first batch of the range begins, stopped as its last one ends).
 *
 * The writers are tf.summary writers (events queued in memory, one write per 10 events); the callback flushes
 * them at the end of each epoch so that a board shows the run live, and closes them at the end of training.
 * A batch's logs are read only on the batches written (updateFreq), so with "epoch" fit pays nothing per step.
 * Not supported (accepted, a warning when asked for): embeddingsFreq (the projector).
 */
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../../core/errors.js";
import { logWarning } from "../../core/logging.js";
import { type ArgsOf, declare, K, kind, optional, parseArgs, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { tidy } from "../../eager/memory.js";
import type { Graph } from "../../graph/graph.js";
import { GraphDefSchema } from "../../proto/tensorflow/core/framework/graph_pb.js";
import { EventSchema } from "../../proto/tensorflow/core/util/event_pb.js";
import { start, stop } from "../../profiler/index.js";
import { createFileWriter, histogram, recordIf, type SummaryWriter, scalar } from "../../summary/tf2.js";
import { kerasModelValue } from "../../summary/values.js";
import { Variable } from "../../variables/variable.js";
import { LearningRateSchedule } from "../optimizers/schedules.js";
import { Callback, type LazyBatchCallback, type Logs } from "./callback.js";
import { writeWeightImage } from "./tensorboard_images.js";

type UpdateFreq = "epoch" | "batch" | number;
type ProfileBatch = number | string | readonly [number, number];

const tensorBoardSignature = signature(
  "keras.callbacks.TensorBoard",
  "Writes TensorBoard logs during fit: epoch and batch scalars, weight histograms and images, the train step's graph.",
  [
    withDefault("logDir", K.string, "logs", "The log directory; the callback writes its train/ and validation/ runs under it."),
    withDefault("histogramFreq", K.int, 0, "Write weight histograms every this many epochs (0: never)."),
    withDefault("writeGraph", K.boolean, true, "Write the traced train step's graph and the model's config."),
    withDefault("writeImages", K.boolean, false, "Write the weights as images too (with histogramFreq)."),
    withDefault("writeStepsPerSecond", K.boolean, false, "Write the training steps per second (epoch_steps_per_second, batch_steps_per_second)."),
    withDefault(
      "updateFreq",
      kind<UpdateFreq>('"epoch" | "batch" | number'),
      "epoch",
      '"epoch": scalars per epoch; "batch" or n: also batch_ scalars every n batches.',
    ),
    withDefault(
      "profileBatch",
      kind<ProfileBatch>("number | string | [number, number]"),
      0,
      'Profile this batch, or the batches "start,stop" / [start, stop] (counted from 1 in each fit); 0: none.',
    ),
    withDefault("embeddingsFreq", K.int, 0, "Accepted; the embedding projector is not written (a warning when not 0)."),
    optional("embeddingsMetadata", kind<unknown>("unknown"), "Accepted and ignored (the embedding projector's metadata)."),
  ],
  { args: () => ["/tmp/tsflow_tensorboard_signature", 1] },
);

/** What the callback reads of the model beyond CallbackModel (a Keras Model has all of it). */
interface TensorBoardModel {
  readonly layers?: readonly { readonly weights: readonly Variable[] }[];
  readonly isGraphNetwork?: boolean;
  readonly optimizer: unknown;
  toJson?(): string;
  trainStepGraph?(): Graph | null;
}

/** Keras's check of profile_batch: 0, a positive batch, or a range "start,stop" / [start, stop]; gives [start, stop]. */
function profileRange(p: ProfileBatch): [number, number] {
  const range = typeof p === "string" ? p.split(",").map((s) => Number(s.trim())) : Array.isArray(p) ? [...p] : [p as number];
  const ok = range.length >= 1 && range.length <= 2 && range.every((n) => Number.isInteger(n) && n >= 0) && (range.length === 1 || range[0] <= range[1]);
  if (!ok) {
    throw new InvalidArgumentError(
      `profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive integers signifies a range of batches to profile. Found: ${String(p)}`,
    );
  }
  return [range[0], range[range.length - 1]];
}

export class TensorBoard extends Callback implements LazyBatchCallback {
  readonly logDir: string;
  readonly histogramFreq: number;
  readonly writeGraph: boolean;
  readonly writeImages: boolean;
  readonly writeStepsPerSecond: boolean;
  /** "epoch", or write batch scalars every this many batches. */
  readonly updateFreq: "epoch" | number;
  readonly profileBatch: ProfileBatch;
  readonly embeddingsFreq: number;
  #writers: { train?: SummaryWriter; validation?: SummaryWriter } = {};
  /** Train batches since fit began (Keras's model._train_counter): the step of batch summaries. */
  #trainStep = 0;
  #shouldWriteTrainGraph = false;
  #training = false;
  #batchStart = 0;
  #epochStart = 0;
  #epochStartStep = 0;
  /** profileBatch as Keras reads it: the first and last batch profiled ([0, 0]: none). */
  readonly #profileRange: [number, number];
  #profiling = false;

  constructor(...args: ArgsOf<typeof tensorBoardSignature>) {
    super();
    const [logDir, histogramFreq, writeGraph, writeImages, writeStepsPerSecond, updateFreq, profileBatch, embeddingsFreq] = parseArgs(
      tensorBoardSignature,
      args,
    );
    if (!Number.isInteger(histogramFreq) || histogramFreq < 0) throw new InvalidArgumentError(`histogram_freq must be an integer >= 0, got ${histogramFreq}`);
    if (!Number.isInteger(embeddingsFreq) || embeddingsFreq < 0)
      throw new InvalidArgumentError(`embeddings_freq must be an integer >= 0, got ${embeddingsFreq}`);
    if (updateFreq !== "epoch" && updateFreq !== "batch" && !(Number.isInteger(updateFreq) && (updateFreq as number) > 0)) {
      throw new InvalidArgumentError(`update_freq must be "epoch", "batch" or a positive integer, got ${JSON.stringify(updateFreq)}`);
    }
    this.#profileRange = profileRange(profileBatch);
    if (embeddingsFreq > 0) logWarning("TensorBoard: embeddings_freq is accepted but tsflow does not write the embedding projector's files.");
    this.logDir = logDir;
    this.histogramFreq = histogramFreq;
    this.writeGraph = writeGraph;
    this.writeImages = writeImages;
    this.writeStepsPerSecond = writeStepsPerSecond;
    this.updateFreq = updateFreq === "batch" ? 1 : updateFreq;
    this.profileBatch = profileBatch;
    this.embeddingsFreq = embeddingsFreq;
  }

  /** The writer of one run (created on first use, as Keras's are: an unwritable logDir fails here). */
  #writer(run: "train" | "validation"): SummaryWriter {
    let w = this.#writers[run];
    if (!w) {
      w = createFileWriter(join(this.logDir, run));
      this.#writers[run] = w;
    }
    return w;
  }

  /** Runs fn with a run's writer as the default and recording on (Keras's `with writer.as_default(), record_if(True)`). */
  #with(run: "train" | "validation", fn: () => void): void {
    this.#writer(run).asDefault(() => recordIf(true, fn));
  }

  #closeWriters(): void {
    for (const w of Object.values(this.#writers)) w?.close();
    this.#writers = {};
  }

  get #model(): TensorBoardModel {
    return this.model as unknown as TensorBoardModel;
  }

  override setModel(model: Parameters<Callback["setModel"]>[0]): void {
    super.setModel(model);
    this.#closeWriters();
    this.#shouldWriteTrainGraph = false;
    if (this.writeGraph) {
      this.#writeModelConfig();
      this.#shouldWriteTrainGraph = true;
    }
  }

  /** The "keras" summary: the model's JSON config (functional and Sequential models only, as in Keras). */
  #writeModelConfig(): void {
    const m = this.#model;
    if (!m.isGraphNetwork || typeof m.toJson !== "function") return;
    let json: string;
    try {
      json = m.toJson();
    } catch (e) {
      logWarning(`TensorBoard: the model's config cannot be written (${(e as Error).message})`);
      return;
    }
    const value = kerasModelValue("keras", json);
    this.#writer("train").writeValue(value, 0n);
  }

  /** The traced train step's GraphDef as Event.graph_def (Keras writes the train_function's graph). */
  #writeTrainGraph(): void {
    const graph = this.#model.trainStepGraph?.() ?? null;
    if (graph === null) return;
    const graphDef = toBinary(GraphDefSchema, graph.asGraphDef());
    this.#writer("train").writeEvent(create(EventSchema, { wallTime: Date.now() / 1000, step: 0n, what: { case: "graphDef", value: graphDef } }));
  }

  override onTrainBegin(): void {
    this.#training = true;
    this.#trainStep = 0;
  }

  override onEpochBegin(): void {
    this.#epochStart = performance.now();
    this.#epochStartStep = this.#trainStep;
  }

  lazyBatch(hook: string, _batch: number, logs: () => Logs): void {
    if (hook === "onTrainBatchBegin") {
      if (this.writeStepsPerSecond) this.#batchStart = performance.now();
      // Keras counts batches from 1 as each begins; profiling starts with the range's first batch.
      if (this.#trainStep + 1 === this.#profileRange[0] && !this.#profiling) {
        start(join(this.logDir, "train"));
        this.#profiling = true;
      }
      return;
    }
    if (hook !== "onTrainBatchEnd") return;
    this.#trainStep += 1;
    if (this.#profiling && this.#trainStep >= this.#profileRange[1]) this.#stopProfile();
    if (this.#shouldWriteTrainGraph) {
      this.#shouldWriteTrainGraph = false;
      this.#writeTrainGraph();
    }
    if (this.updateFreq === "epoch" || this.#trainStep % this.updateFreq !== 0) return;
    const step = this.#trainStep;
    const values = logs();
    this.#with("train", () => {
      if (this.writeStepsPerSecond) scalar("batch_steps_per_second", 1000 / Math.max(performance.now() - this.#batchStart, 1e-3), step);
      for (const [name, value] of Object.entries(values)) scalar(`batch_${name}`, value, step);
    });
  }

  override onTestEnd(logs: Logs = {}): void {
    const iterations = (this.#model.optimizer as { iterations?: unknown } | null)?.iterations;
    if (!(iterations instanceof Variable)) return;
    const step = tidy(() => (iterations.value() as Tensor).item());
    this.#with("validation", () => {
      for (const [name, value] of Object.entries(logs)) scalar(`evaluation_${name}_vs_iterations`, value, step);
    });
    // Outside fit nothing else would flush these before the writer's timer or the process's exit.
    if (!this.#training) this.#writers.validation?.flush();
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const train: Logs = {};
    const validation: Logs = {};
    for (const [k, v] of Object.entries(logs)) {
      if (k.startsWith("val_")) validation[k.slice(4)] = v;
      else train[k] = v;
    }
    const optimizer = this.#model.optimizer as { learningRateSource?: unknown; learningRate?: unknown } | null;
    if (optimizer?.learningRateSource instanceof LearningRateSchedule && typeof optimizer.learningRate === "number")
      train.learning_rate = optimizer.learningRate;
    if (this.writeStepsPerSecond)
      train.steps_per_second = ((this.#trainStep - this.#epochStartStep) * 1000) / Math.max(performance.now() - this.#epochStart, 1e-3);
    this.#with("train", () => {
      for (const [name, value] of Object.entries(train)) scalar(`epoch_${name}`, value, epoch);
    });
    if (Object.keys(validation).length > 0) {
      this.#with("validation", () => {
        for (const [name, value] of Object.entries(validation)) scalar(`epoch_${name}`, value, epoch);
      });
    }
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0) this.#logWeights(epoch);
    for (const w of Object.values(this.#writers)) w?.flush();
  }

  /** Each layer's weights as histograms (and images): tags "<weight name, ':' -> '_'>/histogram" as Keras names them. */
  #logWeights(epoch: number): void {
    this.#with("train", () => {
      for (const layer of this.#model.layers ?? []) {
        for (const weight of layer.weights) {
          const name = weight.name.replace(/:/g, "_");
          histogram(`${name}/histogram`, weight, epoch);
          if (this.writeImages) writeWeightImage(`${name}/image`, weight, epoch);
        }
      }
    });
  }

  /** Writes the profile of the batches profiled (Keras's _stop_trace). */
  #stopProfile(): void {
    this.#profiling = false;
    stop();
  }

  override onTrainEnd(): void {
    if (this.#profiling) this.#stopProfile();
    this.#training = false;
    this.#closeWriters();
  }
}
declare(TensorBoard, tensorBoardSignature);
