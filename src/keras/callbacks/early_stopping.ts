/** tf.keras.callbacks.EarlyStopping: stops fit when a monitored metric stops improving. */
import { InvalidArgumentError } from "../../core/errors.js";
import { declare, K, kind, parseArgs, signature, withDefault, optional, type ArgsOf } from "../../core/signature.js";
import { Callback, type Logs } from "./callback.js";
import { improves, type Mode, resolveMode } from "./monitor.js";
import { logWarning } from "../../core/logging.js";

const earlyStoppingSignature = signature(
  "keras.callbacks.EarlyStopping",
  "Stops training when a monitored metric has stopped improving.",
  [
    withDefault("monitor", K.string, "val_loss", "The quantity to monitor."),
    withDefault("minDelta", K.number, 0, "The least change that counts as an improvement."),
    withDefault("patience", K.int, 0, "Epochs without improvement after which training stops."),
    withDefault("verbose", K.int, 0, "1: say when stopping and restoring."),
    withDefault("mode", kind<Mode>('"auto" | "min" | "max"'), "auto", "Whether the quantity should fall (min) or rise (max); auto decides from its name."),
    optional("baseline", K.number, "A value the quantity must improve on for the patience to reset."),
    withDefault("restoreBestWeights", K.boolean, false, "Restore the weights of the best epoch when stopping."),
    withDefault("startFromEpoch", K.int, 0, "Epochs to wait before monitoring starts."),
  ],
  { args: () => ["loss", 0.01, 2] },
);

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: "min" | "max";
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  wait = 0;
  stoppedEpoch = 0;
  best = Number.POSITIVE_INFINITY;
  bestEpoch = 0;
  private bestWeights: unknown[] | null = null;

  constructor(...args: ArgsOf<typeof earlyStoppingSignature>) {
    super();
    const [monitor, minDelta, patience, verbose, mode, baseline, restoreBestWeights, startFromEpoch] = parseArgs(earlyStoppingSignature, args);
    if (patience < 0) throw new InvalidArgumentError(`EarlyStopping: patience must be >= 0, got ${patience}`);
    this.monitor = monitor;
    this.minDelta = Math.abs(minDelta);
    this.patience = patience;
    this.verbose = verbose;
    this.mode = resolveMode(mode, monitor, "EarlyStopping");
    this.baseline = baseline;
    this.restoreBestWeights = restoreBestWeights;
    this.startFromEpoch = startFromEpoch;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === "min" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.bestWeights = null;
    this.bestEpoch = 0;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      logWarning(`Early stopping conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(",")}`);
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = this.model?.getWeights() ?? null;
    this.wait += 1;
    if (improves(current, this.best, this.mode, this.minDelta)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model?.getWeights() ?? null;
      if (this.baseline === undefined || improves(current, this.baseline, this.mode, this.minDelta)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      if (this.model) this.model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights && this.model) {
        if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
        this.model.setWeights(this.bestWeights);
      }
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${String(this.stoppedEpoch + 1).padStart(5, "0")}: early stopping`);
  }
}
declare(EarlyStopping, earlyStoppingSignature);
