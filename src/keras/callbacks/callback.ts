/**
 * tf.keras.callbacks.Callback, the base of the hooks fit/evaluate/predict call, and CallbackList, which
 * calls each of a list in order. Callbacks see the model through CallbackModel (what they read or set),
 * so that this folder does not import the engine.
 */

/** The logs a hook receives: metric name -> value (Keras's logs dict). */
export type Logs = Record<string, number>;

/** What callbacks use of the model. */
export interface CallbackModel {
  stopTraining: boolean;
  /** The compiled optimizer, whose learningRate ReduceLROnPlateau and LearningRateScheduler set. */
  readonly optimizer: unknown;
  getWeights(): unknown[];
  setWeights(weights: readonly unknown[]): void;
  /** What ModelCheckpoint calls. */
  save(filepath: string, options?: { overwrite?: boolean }): void;
  saveWeights(filepath: string, options?: { overwrite?: boolean }): void;
}

/** The parameters of the run (Keras's callback.params). */
export interface CallbackParams {
  verbose: number;
  epochs: number;
  steps: number | null;
  [key: string]: unknown;
}

export class Callback {
  model: CallbackModel | null = null;
  params: CallbackParams = { verbose: 1, epochs: 1, steps: null };
  setModel(model: CallbackModel): void {
    this.model = model;
  }
  setParams(params: CallbackParams): void {
    this.params = params;
  }
  onEpochBegin(_epoch: number, _logs?: Logs): void {}
  onEpochEnd(_epoch: number, _logs?: Logs): void {}
  onTrainBegin(_logs?: Logs): void {}
  onTrainEnd(_logs?: Logs): void {}
  onTrainBatchBegin(_batch: number, _logs?: Logs): void {}
  onTrainBatchEnd(_batch: number, _logs?: Logs): void {}
  onTestBegin(_logs?: Logs): void {}
  onTestEnd(_logs?: Logs): void {}
  onTestBatchBegin(_batch: number, _logs?: Logs): void {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void {}
  onPredictBegin(_logs?: Logs): void {}
  onPredictEnd(_logs?: Logs): void {}
  onPredictBatchBegin(_batch: number, _logs?: Logs): void {}
  onPredictBatchEnd(_batch: number, _logs?: Logs): void {}
}

type BatchHook = "onTrainBatchBegin" | "onTrainBatchEnd" | "onTestBatchBegin" | "onTestBatchEnd" | "onPredictBatchBegin" | "onPredictBatchEnd";
type RunHook = "onTrainBegin" | "onTrainEnd" | "onTestBegin" | "onTestEnd" | "onPredictBegin" | "onPredictEnd";
const BATCH_HOOKS: readonly BatchHook[] = [
  "onTrainBatchBegin",
  "onTrainBatchEnd",
  "onTestBatchBegin",
  "onTestBatchEnd",
  "onPredictBatchBegin",
  "onPredictBatchEnd",
];

/** A callback that reads batch logs only when it needs them (the progress bar, at its refresh interval). */
export interface LazyBatchCallback {
  lazyBatch(hook: string, batch: number, logs: () => Logs): void;
}
function isLazy(c: Callback): c is Callback & LazyBatchCallback {
  return typeof (c as Partial<LazyBatchCallback>).lazyBatch === "function";
}

/**
 * Calls a list of callbacks. Batch-level logs cost a read of every metric from the device, so they are
 * computed (through the `logs` function) only when some callback overrides a batch hook; the progress bar
 * asks for them itself at its refresh interval.
 */
export class CallbackList {
  /** Whether some callback overrides each batch hook (so batch logs must be computed). */
  readonly wantsBatchLogs: Record<string, boolean>;
  constructor(readonly callbacks: Callback[]) {
    this.wantsBatchLogs = {};
    for (const hook of BATCH_HOOKS) this.wantsBatchLogs[hook] = callbacks.some((c) => isLazy(c) || c[hook] !== Callback.prototype[hook]);
  }
  setModel(model: CallbackModel): void {
    for (const c of this.callbacks) c.setModel(model);
  }
  setParams(params: CallbackParams): void {
    for (const c of this.callbacks) c.setParams(params);
  }
  call(hook: RunHook, logs?: Logs): void {
    for (const c of this.callbacks) c[hook](logs);
  }
  epoch(hook: "onEpochBegin" | "onEpochEnd", epoch: number, logs?: Logs): void {
    for (const c of this.callbacks) c[hook](epoch, logs);
  }
  batch(hook: BatchHook, batch: number, logs: () => Logs): void {
    if (!this.wantsBatchLogs[hook]) return;
    let values: Logs | null = null;
    for (const c of this.callbacks) {
      if (isLazy(c)) c.lazyBatch(hook, batch, logs);
      else if (c[hook] !== Callback.prototype[hook]) c[hook](batch, (values ??= logs()));
    }
  }
}
