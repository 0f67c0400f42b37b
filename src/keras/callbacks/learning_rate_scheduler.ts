/** tf.keras.callbacks.LearningRateScheduler: sets the learning rate from schedule(epoch, lr) before each epoch. */
import { InvalidArgumentError } from "../../core/errors.js";
import { declare, K, kind, param, parseArgs, signature, withDefault, type ArgsOf } from "../../core/signature.js";
import { Callback, type Logs } from "./callback.js";
import { getLearningRate, setLearningRate } from "./learning_rate.js";

const schedulerSignature = signature(
  "keras.callbacks.LearningRateScheduler",
  "Sets the learning rate at the start of each epoch from a schedule function.",
  [
    param(
      "schedule",
      kind<(epoch: number, lr: number) => number>("(epoch: number, lr: number) => number"),
      "The epoch index (from 0) and current rate -> the new rate.",
    ),
    withDefault("verbose", K.int, 0, "1: say each change."),
  ],
  { args: () => [(epoch: number, lr: number) => lr / (epoch + 1)] },
);

export class LearningRateScheduler extends Callback {
  readonly schedule: (epoch: number, lr: number) => number;
  readonly verbose: number;
  constructor(...args: ArgsOf<typeof schedulerSignature>) {
    super();
    [this.schedule, this.verbose] = parseArgs(schedulerSignature, args);
    if (typeof this.schedule !== "function") throw new InvalidArgumentError("LearningRateScheduler: schedule must be a function (epoch, lr) => lr");
  }
  override onEpochBegin(epoch: number): void {
    const optimizer = this.model?.optimizer;
    const lr = this.schedule(epoch, getLearningRate(optimizer, "LearningRateScheduler"));
    if (typeof lr !== "number" || !Number.isFinite(lr)) {
      throw new InvalidArgumentError(`The output of the "schedule" function should be a finite number, got ${String(lr)}`);
    }
    setLearningRate(optimizer, lr, "LearningRateScheduler");
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }
  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.lr = getLearningRate(this.model?.optimizer, "LearningRateScheduler");
  }
}
declare(LearningRateScheduler, schedulerSignature);
