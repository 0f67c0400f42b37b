/** tf.keras.callbacks.History: what fit returns; `history.history.loss[epoch]`, one list per metric. */
import { Callback, type Logs } from "./callback.js";

export class History extends Callback {
  /** The epochs run (Keras's history.epoch). */
  epoch: number[] = [];
  /** Metric name -> value per epoch. */
  history: Record<string, number[]> = {};
  override onTrainBegin(): void {
    this.epoch = [];
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}
