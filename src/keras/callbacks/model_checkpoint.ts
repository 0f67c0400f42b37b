/**
 * tf.keras.callbacks.ModelCheckpoint: saves the model or its weights during fit, at the end of each epoch or
 * every saveFreq batches, under a path formatted like Python's str.format with the epoch (from 1), the batch
 * and the logs: "ckpt/weights.{epoch:02d}-{val_loss:.2f}". With saveBestOnly only an improvement of the
 * monitored value saves (initialValueThreshold sets the value to beat). Keras's messages with verbose 1.
 */
import { InvalidArgumentError, NotFoundError } from "../../core/errors.js";
import { type ArgsOf, declare, K, kind, optional, param, parseArgs, signature, withDefault } from "../../core/signature.js";
import { formatPath } from "../saving/format_path.js";
import { Callback, type Logs } from "./callback.js";
import { type Mode, resolveMode } from "./monitor.js";
import { logWarning } from "../../core/logging.js";

const modelCheckpointSignature = signature(
  "keras.callbacks.ModelCheckpoint",
  "Saves the model (or its weights) at some frequency during fit, optionally only when the monitored value improves.",
  [
    param("filepath", K.string, 'The path, formatted with epoch, batch and the logs as Python\'s str.format: "ckpt/w.{epoch:02d}-{val_loss:.2f}".'),
    withDefault("monitor", K.string, "val_loss", "The value saveBestOnly watches."),
    withDefault("verbose", K.int, 0, "1: say when saving."),
    withDefault("saveBestOnly", K.boolean, false, "Save only when the monitored value improves (the last best is kept)."),
    withDefault("saveWeightsOnly", K.boolean, false, "model.saveWeights (a TensorFlow checkpoint) instead of model.save (a model directory)."),
    withDefault("mode", kind<Mode>('"auto" | "min" | "max"'), "auto", "Whether the monitored value should fall or rise; auto: rise for accuracies."),
    withDefault("saveFreq", kind<"epoch" | number>('"epoch" | number'), "epoch", '"epoch": after each epoch; n: every n batches.'),
    optional("options", kind<unknown>("unknown"), "Accepted and ignored (tf.train.CheckpointOptions)."),
    optional("initialValueThreshold", K.number, "The value the first save must beat (saveBestOnly)."),
  ],
  { args: () => ["ckpt/w.{epoch:02d}", "loss"] },
);

/** Python's "%.5f" of a value Keras prints in its messages. */
const f5 = (x: number) => (Number.isFinite(x) ? x.toFixed(5) : x > 0 ? "inf" : "-inf");

export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: "min" | "max";
  readonly saveFreq: "epoch" | number;
  /** The best monitored value so far (Keras's best). */
  best: number;
  /** The path of the last save (null before any). */
  lastSaved: string | null = null;
  #currentEpoch = 0;
  #batchesSinceSave = 0;

  constructor(...args: ArgsOf<typeof modelCheckpointSignature>) {
    super();
    const [filepath, monitor, verbose, saveBestOnly, saveWeightsOnly, mode, saveFreq, , initialValueThreshold] = parseArgs(modelCheckpointSignature, args);
    if (saveFreq !== "epoch" && !(Number.isInteger(saveFreq) && (saveFreq as number) > 0)) {
      throw new InvalidArgumentError(`Unrecognized save_freq: ${String(saveFreq)}. Expected save_freq are "epoch" or integer values`);
    }
    this.filepath = filepath;
    this.monitor = monitor;
    this.verbose = verbose;
    this.saveBestOnly = saveBestOnly;
    this.saveWeightsOnly = saveWeightsOnly;
    this.mode = mode === "auto" ? (/acc/.test(monitor) || monitor.startsWith("fmeasure") ? "max" : "min") : resolveMode(mode, monitor, "ModelCheckpoint");
    this.saveFreq = saveFreq;
    this.best = initialValueThreshold ?? (this.mode === "min" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
  }

  override onEpochBegin(epoch: number): void {
    this.#currentEpoch = epoch;
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    if (this.saveFreq === "epoch") return;
    this.#batchesSinceSave += 1;
    if (this.#batchesSinceSave >= this.saveFreq) {
      this.#batchesSinceSave = 0;
      this.#save(this.#currentEpoch, batch, logs);
    }
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.saveFreq === "epoch") this.#save(epoch, null, logs);
  }

  /** The path of a save: the template formatted with epoch (from 1), batch (from 1, saveFreq batches) and the logs. */
  filePath(epoch: number, batch: number | null, logs: Logs): string {
    try {
      return formatPath(this.filepath, { ...logs, epoch: epoch + 1, ...(batch === null ? {} : { batch: batch + 1 }) });
    } catch (e) {
      throw new NotFoundError(`Failed to format this callback filepath: "${this.filepath}". Reason: ${(e as Error).message}`);
    }
  }

  #save(epoch: number, batch: number | null, logs: Logs): void {
    const model = this.model;
    if (!model) return;
    const filepath = this.filePath(epoch, batch, logs);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        logWarning(`Can save best model only with ${this.monitor} available, skipping.`);
        return;
      }
      const better = this.mode === "min" ? current < this.best : current > this.best;
      if (!better) {
        if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${f5(this.best)}`);
        return;
      }
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${f5(this.best)} to ${f5(current)}, saving model to ${filepath}`);
      this.best = current;
    } else if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: saving model to ${filepath}`);
    if (this.saveWeightsOnly) model.saveWeights(filepath, { overwrite: true });
    else model.save(filepath, { overwrite: true });
    this.lastSaved = filepath;
  }
}
declare(ModelCheckpoint, modelCheckpointSignature);
