/**
 * fit, evaluate and predict: the epoch and batch loops around the step functions (engine/step.ts), the
 * callbacks' hooks, validation, and the checks of the data Keras makes (cardinality, input shapes, sparse
 * labels within the number of classes).
 *
 * The loops are generators that yield only to wait for an asynchronous dataset or, between epochs, to let
 * the event loop run; fit drives them with await, fitSync/evaluate/predict synchronously.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Tensor } from "../../core/tensor.js";
import { dispose, tidy } from "../../eager/memory.js";
import { multiply } from "../../ops/elementwise.js";
import { concat } from "../../ops/movement.js";
import { reduceMax, reduceMin } from "../../ops/reduce.js";
import { Callback, CallbackList, type Logs } from "../callbacks/callback.js";
import { History } from "../callbacks/history.js";
import { ProgbarLogger } from "../callbacks/progbar.js";
import { Dataset } from "../../data/dataset.js";
import { classWeightsFor } from "./compile_utils.js";
import { type Batch, batchFromElement, flattenData, isDatasetLike, sliceRows, TensorBatches, toTensor } from "./data_adapter.js";
import type { Model } from "./model.js";
import { eagerSteps, type StepFunctions } from "./step.js";
import { tracedSteps } from "./traced_step.js";
import { logWarning } from "../../core/logging.js";

/** What the loops yield: a promise to wait for (an async dataset's next element), or a pause between epochs. */
type Wait = Promise<IteratorResult<unknown>> | typeof TICK;
const TICK = Symbol("tick");

/** Batches of one epoch, from in-memory data or a dataset. */
interface BatchSource {
  /** Steps per epoch, or null while unknown (a dataset's first epoch). */
  steps: number | null;
  startEpoch(): void;
  next(): Generator<Wait, Batch | null, IteratorResult<unknown> | undefined>;
  /** The loop is over: releases the batch last handed out. */
  end(): void;
}

export type Verbose = 0 | 1 | 2 | "auto";
function verbosity(v: Verbose | undefined): number {
  if (v === undefined || v === "auto") return 1;
  if (v !== 0 && v !== 1 && v !== 2) throw new InvalidArgumentError(`verbose must be 0, 1, 2 or "auto", got ${String(v)}`);
  return v;
}

class TensorSource implements BatchSource {
  private it: Iterator<Batch> | null = null;
  readonly steps: number;
  constructor(
    readonly data: TensorBatches,
    private readonly stepsPerEpoch: number | undefined,
  ) {
    this.steps = stepsPerEpoch ?? data.steps;
  }
  startEpoch(): void {
    if (this.stepsPerEpoch !== undefined && this.it !== null) return;
    // The last epoch's generator is closed, so that what it made for the epoch (its last batch, the order's
    // table) is released now.
    this.it?.return?.();
    this.it = this.data.epoch();
  }
  // biome-ignore lint/correctness/useYield: in-memory batches need no waiting; the generator form is BatchSource's (datasets yield to wait)
  *next(): Generator<Wait, Batch | null, IteratorResult<unknown> | undefined> {
    let r = (this.it as Iterator<Batch>).next();
    if (r.done && this.stepsPerEpoch !== undefined) {
      // stepsPerEpoch with in-memory data runs on across epochs of the data.
      this.it = this.data.epoch();
      r = this.it.next();
    }
    return r.done ? null : r.value;
  }
  end(): void {
    this.it?.return?.();
    this.it = null;
    this.data.close();
  }
}

class DatasetSource implements BatchSource {
  private it: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  private readonly isAsync: boolean;
  steps: number | null;
  private seen = 0;
  /**
   * A tf.data.Dataset hands out fresh tensors per element, which the consumer releases (a user's own iterable
   * keeps its tensors); the last batch is released when the next is asked for or the loop ends.
   */
  private readonly ownsElements: boolean;
  private last: unknown[] | null = null;
  constructor(
    private readonly dataset: Iterable<unknown> | AsyncIterable<unknown>,
    private readonly stepsPerEpoch: number | undefined,
    private readonly model: Model,
    allowAsync: boolean,
    /** False for predict, whose outputs may be its batches' tensors: it releases them itself. */
    release = true,
  ) {
    this.ownsElements = release && dataset instanceof Dataset;
    this.steps = stepsPerEpoch ?? null;
    this.isAsync = typeof (dataset as Iterable<unknown>)[Symbol.iterator] !== "function";
    if (this.isAsync && !allowAsync) throw new InvalidArgumentError("This dataset can only be iterated asynchronously: use `await model.fit(...)`");
  }
  startEpoch(): void {
    if (this.it !== null && this.steps === null && this.seen > 0) this.steps = this.seen;
    this.seen = 0;
    if (this.stepsPerEpoch === undefined || this.it === null) {
      this.it = this.isAsync ? (this.dataset as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (this.dataset as Iterable<unknown>)[Symbol.iterator]();
    }
  }
  *next(): Generator<Wait, Batch | null, IteratorResult<unknown> | undefined> {
    this.end();
    let r: IteratorResult<unknown>;
    if (this.isAsync) r = (yield (this.it as AsyncIterator<unknown>).next()) as IteratorResult<unknown>;
    else r = (this.it as Iterator<unknown>).next();
    if (r.done) return null;
    this.seen += 1;
    const batch = batchFromElement(r.value, this.model.inputNames, this.model.isCompiled ? this.model.outputNames : []);
    if (this.ownsElements) this.last = [r.value, batch.x, batch.y, batch.sampleWeight];
    return batch;
  }
  end(): void {
    if (this.last) dispose(this.last);
    this.last = null;
  }
}

/** Runs a loop generator synchronously (no dataset to wait for). */
export function runSync<T>(gen: Generator<Wait, T, IteratorResult<unknown> | undefined>): T {
  let r = gen.next();
  while (!r.done) {
    if (r.value !== TICK) throw new InvalidArgumentError("This dataset can only be iterated asynchronously: use the async form (await model.fit(...))");
    r = gen.next();
  }
  return r.value;
}
/** Runs a loop generator, awaiting datasets and pausing between epochs. */
export async function runAsync<T>(gen: Generator<Wait, T, IteratorResult<unknown> | undefined>): Promise<T> {
  let r = gen.next();
  while (!r.done) {
    if (r.value === TICK) {
      await new Promise((resolve) => setImmediate(resolve));
      r = gen.next();
    } else {
      r = gen.next(await r.value);
    }
  }
  return r.value;
}

/** The model's step functions: one traced graph per step kind unless compile asked for runEagerly. */
function stepsOf(model: Model): StepFunctions {
  if (!model.steps) model.steps = model.runEagerly ? eagerSteps(model) : tracedSteps(model);
  return model.steps;
}

// ---------------------------------------------------------------- data

export interface DataArgs {
  x: unknown;
  y?: unknown;
  sampleWeight?: unknown;
  batchSize?: number;
  shuffle?: boolean;
  steps?: number;
  classWeight?: Record<number, number>;
}

/** In-memory x, y and sample weights as flat tensors, checked against the model. */
function tensorData(model: Model, x: unknown, y: unknown, sampleWeight: unknown, withTargets: boolean): { xs: Tensor[]; ys: Tensor[]; sw: Tensor | null } {
  const xs = flattenData(x, model.inputNames, "x");
  const ys = withTargets && y !== undefined && y !== null ? flattenData(y, model.outputNames, "y") : [];
  const sw = sampleWeight === undefined || sampleWeight === null ? null : toTensor(sampleWeight, "sample_weight");
  model.checkInputShapes(xs);
  return { xs, ys, sw };
}

/** `training`: fit's own data, whose in-order batches are gathered rows too (a traced step then copies nothing per step). */
function sourceFor(model: Model, a: DataArgs, withTargets: boolean, allowAsync: boolean, training = false): BatchSource {
  if (isDatasetLike(a.x)) {
    if (a.y !== undefined && a.y !== null)
      throw new InvalidArgumentError("`y` argument is not supported when using a dataset as input (the dataset yields [x, y]).");
    if (a.sampleWeight !== undefined && a.sampleWeight !== null) {
      throw new InvalidArgumentError("`sampleWeight` argument is not supported when using a dataset as input (the dataset yields [x, y, sampleWeight]).");
    }
    return new DatasetSource(a.x, a.steps, model, allowAsync);
  }
  const { xs, ys, sw } = tensorData(model, a.x, a.y, a.sampleWeight, withTargets);
  if (withTargets && ys.length > 0) checkSparseLabels(model, ys);
  let weights = sw;
  if (a.classWeight && ys.length > 0) {
    if (ys.length > 1) throw new InvalidArgumentError("`classWeight` is only supported for models with a single output.");
    const cw = classWeightsFor(a.classWeight, ys[0]);
    weights = weights ? multiply(cw, weights) : cw;
  }
  return new TensorSource(new TensorBatches(xs, ys, weights, a.batchSize ?? 32, a.shuffle ?? false, true, training), a.steps);
}

/**
 * Labels of a sparse categorical loss must lie in [0, classes): checked once per fit/evaluate over the
 * whole array (one reduction), so that a bad label fails with its value instead of a wrong loss.
 */
function checkSparseLabels(model: Model, ys: readonly Tensor[]): void {
  const compiled = model.compiledLoss;
  if (!compiled) return;
  compiled.names.forEach((name, i) => {
    if (!name || !/sparse_?categorical|sparseCategorical/i.test(name) || !ys[i] || ys[i].size === 0) return;
    const out = model.isGraphNetwork ? model.outputs[i] : null;
    const classes = out?.shape?.[(out.shape?.length ?? 1) - 1] ?? null;
    const [lo, hi] = tidy(() => [reduceMin(ys[i]).item(), reduceMax(ys[i]).item()]);
    if (lo < 0 || (classes !== null && hi >= classes)) {
      const bad = lo < 0 ? lo : hi;
      throw new InvalidArgumentError(
        `Received a label value of ${bad} which is outside the valid range of [0, ${classes ?? "num_classes"}). Labels of a sparse categorical loss must be class indices of output "${model.outputNames[i]}".`,
      );
    }
  });
}

// ---------------------------------------------------------------- fit

export interface FitArgs extends DataArgs {
  epochs?: number;
  verbose?: Verbose;
  callbacks?: Callback[];
  validationSplit?: number;
  validationData?: unknown;
  initialEpoch?: number;
  stepsPerEpoch?: number;
  validationSteps?: number;
  validationBatchSize?: number;
  validationFreq?: number | number[];
}

function withDefaults(callbacks: readonly Callback[] | undefined, verbose: number): CallbackList {
  const list = [...(callbacks ?? [])];
  for (const c of list)
    if (!(c instanceof Callback)) throw new InvalidArgumentError(`callbacks must be tf.keras.callbacks.Callback instances, got ${String(c)}`);
  if (verbose > 0 && !list.some((c) => c instanceof ProgbarLogger)) list.unshift(new ProgbarLogger());
  if (!list.some((c) => c instanceof History)) list.push(new History());
  return new CallbackList(list);
}

export function* fitLoop(model: Model, a: FitArgs, allowAsync: boolean): Generator<Wait, History, IteratorResult<unknown> | undefined> {
  if (!model.isCompiled) throw new InvalidArgumentError("You must compile your model before training/testing. Use `model.compile(optimizer, loss)`.");
  const epochs = a.epochs ?? 1;
  const initialEpoch = a.initialEpoch ?? 0;
  const verbose = verbosity(a.verbose);
  let train: DataArgs = {
    x: a.x,
    y: a.y,
    sampleWeight: a.sampleWeight,
    batchSize: a.batchSize,
    shuffle: a.shuffle ?? true,
    steps: a.stepsPerEpoch,
    classWeight: a.classWeight,
  };
  let validation: DataArgs | null = null;
  /** The slices validationSplit cut (fit's own, released at the end). */
  let splitParts: DataArgs[] = [];
  if (a.validationData !== undefined && a.validationData !== null) {
    validation = validationArgs(a.validationData, a);
  } else if (a.validationSplit) {
    if (a.validationSplit <= 0 || a.validationSplit >= 1) throw new InvalidArgumentError(`validationSplit must be in (0, 1), got ${a.validationSplit}`);
    if (isDatasetLike(a.x)) throw new InvalidArgumentError("`validationSplit` is only supported for tensors and arrays, not datasets: pass validationData.");
    const [trainPart, valPart] = splitValidation(model, train, a.validationSplit);
    splitParts = [trainPart, valPart];
    train = trainPart;
    validation = { ...valPart, batchSize: a.validationBatchSize ?? a.batchSize, steps: a.validationSteps };
  }
  const source = sourceFor(model, train, true, allowAsync, true);
  const valSource = validation ? sourceFor(model, validation, true, allowAsync) : null;
  const steps = stepsOf(model);
  const callbacks = withDefaults(a.callbacks, verbose);
  const history = callbacks.callbacks.find((c) => c instanceof History) as History;
  const guardNaN = callbacks.callbacks.some((c) => (c as { guardsNaN?: boolean }).guardsNaN === true);
  model.history = history;
  model.stopTraining = false;
  callbacks.setModel(model);
  callbacks.setParams({ verbose, epochs, steps: source.steps });
  callbacks.call("onTrainBegin");
  let logs: Logs = {};
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    model.resetMetrics();
    source.startEpoch();
    callbacks.setParams({ verbose, epochs, steps: source.steps });
    callbacks.epoch("onEpochBegin", epoch);
    let step = 0;
    let ranOut = false;
    while (source.steps === null || step < source.steps) {
      const batch = yield* source.next();
      if (!batch) {
        ranOut = a.stepsPerEpoch !== undefined;
        break;
      }
      const b = step;
      callbacks.batch("onTrainBatchBegin", b, () => ({ batch: b, size: batch.size }));
      const loss = steps.train(batch, guardNaN);
      step += 1;
      // Released at once: a captured step's next replay would otherwise copy the buffer this loss still holds.
      const value = guardNaN ? loss.item() : 0;
      loss.dispose();
      if (!Number.isFinite(value)) {
        callbacks.batch("onTrainBatchEnd", b, () => ({ ...model.metricLogs(), loss: value }));
        break;
      }
      callbacks.batch("onTrainBatchEnd", b, () => model.metricLogs());
      if (model.stopTraining) break;
    }
    if (step === 0) {
      if (ranOut) {
        logWarning("Your input ran out of data; interrupting training. Make sure that your dataset can generate at least `stepsPerEpoch * epochs` batches.");
        break;
      }
      throw new InvalidArgumentError("Unexpected result of the train step (empty logs): the training data gave no batches.");
    }
    logs = model.metricLogs();
    if (valSource && shouldValidate(epoch, a.validationFreq)) {
      // The callbacks see the validation as Keras's fit shows it: onTestBegin, test batches, onTestEnd.
      const valLogs = yield* testLoop(model, valSource, callbacks);
      for (const [k, v] of Object.entries(valLogs)) logs[`val_${k}`] = v;
    }
    callbacks.epoch("onEpochEnd", epoch, logs);
    if (ranOut) {
      logWarning("Your input ran out of data; interrupting training. Make sure that your dataset can generate at least `stepsPerEpoch * epochs` batches.");
      break;
    }
    yield TICK;
  }
  source.end();
  valSource?.end();
  dispose(splitParts.map((p) => [p.x, p.y, p.sampleWeight]));
  callbacks.call("onTrainEnd", logs);
  return history;
}

function validationArgs(data: unknown, a: FitArgs): DataArgs {
  const base = { batchSize: a.validationBatchSize ?? a.batchSize, steps: a.validationSteps, shuffle: false };
  if (isDatasetLike(data)) return { x: data, ...base };
  if (!Array.isArray(data) || (data.length !== 2 && data.length !== 3)) {
    throw new InvalidArgumentError("validationData must be a dataset or an array [xVal, yVal] or [xVal, yVal, valSampleWeight]");
  }
  return { x: data[0], y: data[1], sampleWeight: data[2], ...base };
}

/** Keras takes the last fraction of the arrays (before shuffling) for validation. */
function splitValidation(model: Model, train: DataArgs, split: number): [DataArgs, DataArgs] {
  const { xs, ys, sw } = tensorData(model, train.x, train.y, train.sampleWeight, true);
  const n = xs[0]?.shape?.[0] ?? 0;
  const at = Math.floor(n * (1 - split));
  if (at === 0 || at === n) throw new InvalidArgumentError(`validationSplit ${split} leaves no ${at === 0 ? "training" : "validation"} samples out of ${n}`);
  const cut = (t: Tensor, lo: number, hi: number) => sliceRows(t, lo, hi);
  const part = (lo: number, hi: number): DataArgs => ({
    x: xs.map((t) => cut(t, lo, hi)),
    y: ys.map((t) => cut(t, lo, hi)),
    sampleWeight: sw ? cut(sw, lo, hi) : undefined,
  });
  const unflat = (d: DataArgs): DataArgs => ({
    ...train,
    x: model.inputNames.length === 1 ? (d.x as Tensor[])[0] : d.x,
    y: model.outputNames.length === 1 ? (d.y as Tensor[])[0] : d.y,
    sampleWeight: d.sampleWeight,
  });
  return [unflat(part(0, at)), unflat(part(at, n))];
}

function shouldValidate(epoch: number, freq: number | number[] | undefined): boolean {
  if (freq === undefined) return true;
  if (Array.isArray(freq)) return freq.includes(epoch + 1);
  if (!Number.isInteger(freq) || freq < 1)
    throw new InvalidArgumentError(`validationFreq must be a positive integer or an array of epochs, got ${String(freq)}`);
  return (epoch + 1) % freq === 0;
}

// ---------------------------------------------------------------- evaluate and predict

/** Runs test steps over a source; returns the metric logs. */
function* testLoop(model: Model, source: BatchSource, callbacks: CallbackList | null): Generator<Wait, Logs, IteratorResult<unknown> | undefined> {
  const steps = stepsOf(model);
  model.resetMetrics();
  source.startEpoch();
  callbacks?.call("onTestBegin");
  let step = 0;
  while (source.steps === null || step < source.steps) {
    const batch = yield* source.next();
    if (!batch) break;
    const b = step;
    callbacks?.batch("onTestBatchBegin", b, () => ({ batch: b, size: batch.size }));
    steps.test(batch).dispose();
    step += 1;
    callbacks?.batch("onTestBatchEnd", b, () => model.metricLogs());
  }
  if (step === 0) throw new InvalidArgumentError("evaluate: the data gave no batches");
  const logs = model.metricLogs();
  callbacks?.call("onTestEnd", logs);
  return logs;
}

export interface EvaluateArgs extends DataArgs {
  verbose?: Verbose;
  callbacks?: Callback[];
  returnDict?: boolean;
}

export function* evaluateLoop(
  model: Model,
  a: EvaluateArgs,
  allowAsync: boolean,
): Generator<Wait, number | number[] | Logs, IteratorResult<unknown> | undefined> {
  if (!model.isCompiled) throw new InvalidArgumentError("You must compile your model before training/testing. Use `model.compile(optimizer, loss)`.");
  const verbose = verbosity(a.verbose);
  const source = sourceFor(model, { ...a, shuffle: false }, true, allowAsync);
  const callbacks = withDefaults(a.callbacks, verbose);
  callbacks.setModel(model);
  callbacks.setParams({ verbose, epochs: 1, steps: source.steps });
  const logs = yield* testLoop(model, source, callbacks);
  source.end();
  if (a.returnDict) return logs;
  const values = model.metricsNames.map((n) => logs[n]);
  return values.length === 1 ? values[0] : values;
}

export interface PredictArgs {
  x: unknown;
  batchSize?: number;
  verbose?: Verbose;
  steps?: number;
  callbacks?: Callback[];
}

export function* predictLoop(model: Model, a: PredictArgs, allowAsync: boolean): Generator<Wait, Tensor | Tensor[], IteratorResult<unknown> | undefined> {
  const verbose = verbosity(a.verbose);
  let source: BatchSource;
  /** In-memory x: the user's tensors, which predict must not release (its slices it may). Null for a dataset. */
  let inputs: ReadonlySet<Tensor> | null = null;
  const ownsElements = a.x instanceof Dataset;
  if (isDatasetLike(a.x)) source = new DatasetSource(a.x, a.steps, model, allowAsync, false);
  else {
    const xs = flattenData(a.x, model.inputNames, "x");
    inputs = new Set(xs);
    model.checkInputShapes(xs);
    source = new TensorSource(new TensorBatches(xs, [], null, a.batchSize ?? 32, false, false), a.steps);
  }
  const steps = stepsOf(model);
  const callbacks = withDefaults(a.callbacks, verbose);
  callbacks.setModel(model);
  callbacks.setParams({ verbose, epochs: 1, steps: source.steps });
  source.startEpoch();
  callbacks.call("onPredictBegin");
  const parts: Tensor[][] = [];
  const slices: Tensor[] = [];
  let step = 0;
  while (source.steps === null || step < source.steps) {
    const batch = yield* source.next();
    if (!batch) break;
    const b = step;
    callbacks.batch("onPredictBatchBegin", b, () => ({ batch: b, size: batch.size }));
    parts.push(steps.predict(batch.x));
    if (inputs) for (const t of batch.x) if (!inputs.has(t)) slices.push(t);
    if (ownsElements) slices.push(...batch.x, ...batch.y, ...(batch.sampleWeight ? [batch.sampleWeight] : []));
    step += 1;
    callbacks.batch("onPredictBatchEnd", b, () => ({}));
  }
  callbacks.call("onPredictEnd");
  if (parts.length === 0) throw new InvalidArgumentError("predict: the data gave no batches");
  const outs = parts[0].map((_, i) =>
    parts.length === 1
      ? parts[0][i]
      : concat(
          parts.map((p) => p[i]),
          0,
        ),
  );
  // The per-batch outputs and input slices were copied into the result (an output may be its batch's slice).
  const kept = new Set<Tensor>([...outs, ...(inputs ?? [])]);
  dispose([...parts.flat(), ...slices].filter((t) => !kept.has(t)));
  return outs.length === 1 ? outs[0] : outs;
}

// ---------------------------------------------------------------- single batches

export function onBatch(
  model: Model,
  kind: "train" | "test",
  x: unknown,
  y: unknown,
  sampleWeight: unknown,
  classWeight: Record<number, number> | undefined,
  resetMetrics: boolean,
  returnDict: boolean,
): number | number[] | Logs {
  if (!model.isCompiled) throw new InvalidArgumentError("You must compile your model before training/testing. Use `model.compile(optimizer, loss)`.");
  const { xs, ys, sw } = tensorData(model, x, y, sampleWeight, true);
  let weights = sw;
  if (classWeight && ys.length === 1) {
    const cw = classWeightsFor(classWeight, ys[0]);
    weights = weights ? multiply(cw, weights) : cw;
  }
  const steps = stepsOf(model);
  if (resetMetrics) model.resetMetrics();
  const batch = { x: xs, y: ys, sampleWeight: weights };
  (kind === "train" ? steps.train(batch, false) : steps.test(batch)).dispose();
  const logs = model.metricLogs();
  if (returnDict) return logs;
  const values = model.metricsNames.map((n) => logs[n]);
  return values.length === 1 ? values[0] : values;
}

export function predictBatch(model: Model, x: unknown): Tensor | Tensor[] {
  const xs = flattenData(x, model.inputNames, "x");
  model.checkInputShapes(xs);
  const outs = stepsOf(model).predict(xs);
  return outs.length === 1 ? outs[0] : outs;
}
