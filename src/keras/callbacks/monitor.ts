/** The comparison EarlyStopping and ReduceLROnPlateau share: is a monitored value an improvement? */
import { InvalidArgumentError } from "../../core/errors.js";

export type Mode = "auto" | "min" | "max";

/** Keras's rule for mode "auto": maximise accuracy-like metrics (and AUC), minimise everything else. */
export function resolveMode(mode: Mode, monitor: string, who: string): "min" | "max" {
  if (mode !== "auto" && mode !== "min" && mode !== "max") throw new InvalidArgumentError(`${who}: mode must be "auto", "min" or "max", got "${String(mode)}"`);
  if (mode !== "auto") return mode;
  return /acc|auc|fmeasure/.test(monitor) && !monitor.endsWith("loss") ? "max" : "min";
}

/** Whether `current` improves on `best` by more than minDelta (minDelta's sign is set by the mode). */
export function improves(current: number, best: number, mode: "min" | "max", minDelta: number): boolean {
  const delta = Math.abs(minDelta);
  return mode === "min" ? current < best - delta : current > best + delta;
}
