/** tf.keras.callbacks.ReduceLROnPlateau: multiplies the learning rate by `factor` when a metric plateaus. */
import { InvalidArgumentError } from "../../core/errors.js";
import { declare, K, kind, parseArgs, signature, withDefault, type ArgsOf } from "../../core/signature.js";
import { Callback, type Logs } from "./callback.js";
import { getLearningRate, setLearningRate } from "./learning_rate.js";
import { improves, type Mode, resolveMode } from "./monitor.js";
import { logWarning } from "../../core/logging.js";

const reduceLrSignature = signature(
  "keras.callbacks.ReduceLROnPlateau",
  "Reduces the learning rate when a metric has stopped improving.",
  [
    withDefault("monitor", K.string, "val_loss", "The quantity to monitor."),
    withDefault("factor", K.number, 0.1, "The factor the learning rate is multiplied by (< 1)."),
    withDefault("patience", K.int, 10, "Epochs without improvement before reducing."),
    withDefault("verbose", K.int, 0, "1: say when reducing."),
    withDefault("mode", kind<Mode>('"auto" | "min" | "max"'), "auto", "Whether the quantity should fall (min) or rise (max)."),
    withDefault("minDelta", K.number, 1e-4, "The least change that counts as an improvement."),
    withDefault("cooldown", K.int, 0, "Epochs to wait after a reduction before counting again."),
    withDefault("minLr", K.number, 0, "The lower bound of the learning rate."),
  ],
  { args: () => ["loss", 0.5, 1] },
);

export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: "min" | "max";
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;
  best = Number.POSITIVE_INFINITY;

  constructor(...args: ArgsOf<typeof reduceLrSignature>) {
    super();
    const [monitor, factor, patience, verbose, mode, minDelta, cooldown, minLr] = parseArgs(reduceLrSignature, args);
    if (factor >= 1) throw new InvalidArgumentError("ReduceLROnPlateau does not support a factor >= 1.0.");
    this.monitor = monitor;
    this.factor = factor;
    this.patience = patience;
    this.verbose = verbose;
    this.mode = resolveMode(mode, monitor, "ReduceLROnPlateau");
    this.minDelta = minDelta;
    this.cooldown = cooldown;
    this.minLr = minLr;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.mode === "min" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = this.model?.optimizer;
    logs.lr = getLearningRate(optimizer, "ReduceLROnPlateau");
    const current = logs[this.monitor];
    if (current === undefined) {
      logWarning(
        `Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(",")}`,
      );
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (improves(current, this.best, this.mode, this.minDelta)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = logs.lr;
        if (old > this.minLr) {
          const next = Math.max(old * this.factor, this.minLr);
          setLearningRate(optimizer, next, "ReduceLROnPlateau");
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${next}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
declare(ReduceLROnPlateau, reduceLrSignature);
