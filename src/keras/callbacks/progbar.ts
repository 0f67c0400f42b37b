/**
 * Keras's progress bar (tf.keras.utils.Progbar) and ProgbarLogger, the callback fit adds for verbose 1
 * and 2. On a terminal (verbose 1) one line is redrawn in place at most every `interval` seconds:
 * ` 12/469 [>.............................] - ETA: 5s - loss: 0.9120`, and at the end
 * `469/469 [==============================] - 3s 6ms/step - loss: 0.5123`. Without a terminal, and with
 * verbose 2, only the final line of each epoch is written (`469/469 - 3s - 6ms/step - loss: 0.5123`).
 */
import { Callback, type LazyBatchCallback, type Logs } from "./callback.js";

/** Where the bar writes (process.stdout, read at each write so that tests and redirections see it). */
function out(): { write(s: string): unknown; isTTY?: boolean } {
  return process.stdout;
}

/** A metric value as Keras prints it: %.4f, or %.4e when tiny. */
export function formatValue(v: number): string {
  if (Math.abs(v) > 1e-3 || !Number.isFinite(v)) return Number.isFinite(v) ? v.toFixed(4) : String(v).toLowerCase().replace("infinity", "inf");
  return v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
}

function formatTimePerUnit(seconds: number, unit: string): string {
  if (seconds >= 1 || seconds === 0) return ` ${seconds.toFixed(0)}s/${unit}`;
  if (seconds >= 1e-3) return ` ${(seconds * 1e3).toFixed(0)}ms/${unit}`;
  return ` ${(seconds * 1e6).toFixed(0)}us/${unit}`;
}

function formatEta(eta: number): string {
  const s = Math.floor(eta);
  if (eta > 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  if (eta > 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return `${s}s`;
}

export class Progbar {
  private readonly start = performance.now();
  private lastUpdate = 0;
  private totalWidth = 0;
  private timeAfterFirstUnit: number | null = null;
  private readonly dynamic: boolean;
  constructor(
    readonly target: number | null,
    readonly width = 30,
    readonly verbose = 1,
    readonly interval = 0.05,
    readonly unitName = "step",
  ) {
    this.dynamic = out().isTTY === true;
  }

  /** Whether an update at this moment would redraw (so that its values are worth reading). */
  wantsUpdate(): boolean {
    return this.verbose === 1 && this.dynamic && (performance.now() - this.lastUpdate) / 1e3 >= this.interval;
  }

  update(current: number, values: Logs = {}, finalize = this.target !== null && current >= this.target): void {
    const now = performance.now();
    if (current === 1 && this.timeAfterFirstUnit === null) this.timeAfterFirstUnit = now;
    const elapsed = (now - this.start) / 1e3;
    const perUnit = this.estimatePerUnit(current, now);
    const metrics = Object.entries(values)
      .map(([k, v]) => ` - ${k}: ${formatValue(v)}`)
      .join("");
    if (this.verbose === 1) {
      if (!finalize && (!this.dynamic || (now - this.lastUpdate) / 1e3 < this.interval)) return;
      const prevWidth = this.totalWidth;
      let message = this.dynamic ? `${"\b".repeat(prevWidth)}\r` : "";
      let bar: string;
      if (this.target !== null) {
        const digits = Math.floor(Math.log10(this.target)) + 1;
        bar = `${String(current).padStart(digits)}/${this.target} [`;
        const progWidth = Math.floor((this.width * current) / this.target);
        if (progWidth > 0) bar += "=".repeat(progWidth - 1) + (current < this.target ? ">" : "=");
        bar += `${".".repeat(Math.max(0, this.width - progWidth))}]`;
      } else {
        bar = `${String(current).padStart(7)}/Unknown`;
      }
      message += bar;
      let info = "";
      if (this.target !== null && !finalize) info = ` - ETA: ${formatEta(perUnit * (this.target - current))}`;
      else info = ` - ${elapsed.toFixed(0)}s${formatTimePerUnit(perUnit, this.unitName)}`;
      info += metrics;
      this.totalWidth = bar.length + info.length;
      if (prevWidth > this.totalWidth) info += " ".repeat(prevWidth - this.totalWidth);
      if (finalize) info += "\n";
      out().write(message + info);
    } else if (this.verbose === 2 && finalize) {
      const target = this.target ?? current;
      const digits = Math.floor(Math.log10(Math.max(1, target))) + 1;
      out().write(`${String(current).padStart(digits)}/${target} - ${elapsed.toFixed(0)}s -${formatTimePerUnit(perUnit, this.unitName)}${metrics}\n`);
    }
    this.lastUpdate = now;
  }

  /** Seconds per step, leaving out the first step (which traces and warms up) once there are more. */
  private estimatePerUnit(current: number, now: number): number {
    if (current <= 0) return 0;
    if (current > 1 && this.timeAfterFirstUnit !== null) return (now - this.timeAfterFirstUnit) / 1e3 / (current - 1);
    return (now - this.start) / 1e3 / current;
  }
}

/** tf.keras.callbacks.ProgbarLogger: `Epoch 1/5` and a progress bar per epoch (fit adds one when verbose). */
export class ProgbarLogger extends Callback implements LazyBatchCallback {
  private progbar: Progbar | null = null;
  private seen = 0;
  private target: number | null = null;
  private verbose = 1;
  private epochs = 1;
  private training = false;

  override setParams(params: Parameters<Callback["setParams"]>[0]): void {
    super.setParams(params);
    this.verbose = params.verbose;
    this.epochs = params.epochs;
    this.target = params.steps;
  }
  override onTrainBegin(): void {
    this.training = true;
  }
  override onTrainEnd(): void {
    this.training = false;
  }
  override onEpochBegin(epoch: number): void {
    this.reset();
    if (this.verbose && this.epochs > 0) out().write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }
  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    this.finish(logs);
  }
  override onTestBegin(): void {
    if (!this.training) this.reset();
  }
  override onTestEnd(logs: Logs = {}): void {
    if (!this.training) this.finish(logs);
  }
  override onPredictBegin(): void {
    this.reset();
  }
  override onPredictEnd(): void {
    this.finish({});
  }
  lazyBatch(hook: string, batch: number, logs: () => Logs): void {
    if (!hook.endsWith("End")) return;
    if (this.training && !hook.startsWith("onTrain")) return;
    this.seen = batch + 1;
    const bar = this.bar();
    if (bar.wantsUpdate() && (this.target === null || this.seen < this.target)) bar.update(this.seen, logs());
  }
  private reset(): void {
    this.seen = 0;
    this.progbar = null;
  }
  private bar(): Progbar {
    this.progbar ??= new Progbar(this.target, 30, this.verbose);
    return this.progbar;
  }
  private finish(logs: Logs): void {
    const bar = this.bar();
    if (this.target === null) this.target = this.seen;
    bar.update(this.seen, logs, true);
  }
}
