/** tf.keras.callbacks.LambdaCallback: a callback from functions (onBatchBegin/End are the train batch hooks). */
import { declare, kind, optional, parseArgs, signature, type ArgsOf } from "../../core/signature.js";
import { Callback, type Logs } from "./callback.js";

type EpochFn = (epoch: number, logs: Logs) => void;
type BatchFn = (batch: number, logs: Logs) => void;
type TrainFn = (logs: Logs) => void;
const lambdaSignature = signature(
  "keras.callbacks.LambdaCallback",
  "A callback made of functions.",
  [
    optional("onEpochBegin", kind<EpochFn>("(epoch, logs) => void"), "Called at the start of each epoch."),
    optional("onEpochEnd", kind<EpochFn>("(epoch, logs) => void"), "Called at the end of each epoch."),
    optional("onBatchBegin", kind<BatchFn>("(batch, logs) => void"), "Called before each training batch."),
    optional("onBatchEnd", kind<BatchFn>("(batch, logs) => void"), "Called after each training batch."),
    optional("onTrainBegin", kind<TrainFn>("(logs) => void"), "Called when training starts."),
    optional("onTrainEnd", kind<TrainFn>("(logs) => void"), "Called when training ends."),
  ],
  { args: () => [() => {}] },
);

export class LambdaCallback extends Callback {
  constructor(...args: ArgsOf<typeof lambdaSignature>) {
    super();
    const [epochBegin, epochEnd, batchBegin, batchEnd, trainBegin, trainEnd] = parseArgs(lambdaSignature, args);
    // Only the hooks given are overridden, so that fit computes batch logs only when a batch hook is there.
    if (epochBegin) this.onEpochBegin = (e, logs = {}) => epochBegin(e, logs);
    if (epochEnd) this.onEpochEnd = (e, logs = {}) => epochEnd(e, logs);
    if (batchBegin) this.onTrainBatchBegin = (b, logs = {}) => batchBegin(b, logs);
    if (batchEnd) this.onTrainBatchEnd = (b, logs = {}) => batchEnd(b, logs);
    if (trainBegin) this.onTrainBegin = (logs = {}) => trainBegin(logs);
    if (trainEnd) this.onTrainEnd = (logs = {}) => trainEnd(logs);
  }
}
declare(LambdaCallback, lambdaSignature);
