/**
 * tf.keras.callbacks.TerminateOnNaN: stops training when the loss becomes NaN or infinite. fit then also
 * leaves out the update of the step whose loss was not finite, so that the model keeps the weights of its
 * last finite step (Keras would keep the NaN update).
 */
import { declare, signature } from "../../core/signature.js";
import { Callback, type Logs } from "./callback.js";

export class TerminateOnNaN extends Callback {
  /** Read by fit: check the loss before applying each update. */
  readonly guardsNaN = true;
  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.log(`Batch ${batch}: Invalid loss, terminating training`);
      if (this.model) this.model.stopTraining = true;
    }
  }
}
declare(TerminateOnNaN, signature("keras.callbacks.TerminateOnNaN", "Terminates training when a NaN loss is encountered.", [], { args: () => [] }));
