/**
 * Reading and setting an optimizer's learning rate, whatever holds it: a number, a tf.Variable, or a
 * learning-rate schedule (which callbacks may not set, as in Keras).
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { Variable } from "../../variables/variable.js";

interface WithLearningRate {
  learningRate: unknown;
}
function holder(optimizer: unknown, who: string): WithLearningRate {
  if (optimizer === null || typeof optimizer !== "object" || !("learningRate" in optimizer)) {
    throw new InvalidArgumentError(`${who}: the optimizer must have a "learningRate" attribute`);
  }
  return optimizer as WithLearningRate;
}

export function getLearningRate(optimizer: unknown, who: string): number {
  const lr = holder(optimizer, who).learningRate;
  if (typeof lr === "number") return lr;
  if (lr instanceof Variable) return (lr.value() as { item(): number }).item();
  if (lr !== null && typeof lr === "object" && typeof (lr as { item?: unknown }).item === "function") return (lr as { item(): number }).item();
  throw new InvalidArgumentError(`${who}: the optimizer's learning rate is a schedule, which cannot be read or set by this callback`);
}

export function setLearningRate(optimizer: unknown, value: number, who: string): void {
  const h = holder(optimizer, who);
  if (!Number.isFinite(value)) throw new InvalidArgumentError(`${who}: the learning rate must be a finite number, got ${value}`);
  if (h.learningRate instanceof Variable) h.learningRate.assign(value);
  else if (typeof h.learningRate === "number" || h.learningRate === undefined) h.learningRate = value;
  else throw new InvalidArgumentError(`${who}: the optimizer's learning rate is a schedule, which cannot be set by this callback`);
}
