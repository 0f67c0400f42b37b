/**
 * What compile() sets up: the loss of each output (weighted by lossWeights) and the metrics of each output,
 * with the trackers that average the loss over an epoch. Every piece of state is a tf.Variable updated with
 * assign ops, so that a traced train step updates it inside its graph; values are read only when logs are
 * asked for.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { constant, zerosLike } from "../../ops/creation.js";
import { add, divide, equal, greater, multiply } from "../../ops/elementwise.js";
import { argmax, reduceMean, reduceSum, addN } from "../../ops/reduce.js";
import { expandDims, gather, reshape, squeeze } from "../../ops/movement.js";
import { Variable } from "../../variables/variable.js";
import { resolve } from "./resolve.js";
import { isNarrowFloat } from "../../core/half.js";

/** Losses and metrics of a mixed-precision model are computed in float32 (a 16-bit prediction is cast first). */
function inFloat32(t: Tensor): Tensor {
  return isNarrowFloat(t.dtype) ? cast(t, "float32") : t;
}

/** A Keras metric object (tf.keras.metrics): state in variables. */
export interface MetricObject {
  name: string;
  updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): unknown;
  result(): Tensor;
  resetState(): void;
}
type LossFn = (yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null) => Tensor;

function isMetricObject(m: unknown): m is MetricObject {
  return (typeof m === "object" || typeof m === "function") && m !== null && typeof (m as MetricObject).updateState === "function";
}
/** A Loss object reduces itself (it has a reduction); a plain function gives per-sample values. */
function isLossObject(l: unknown): boolean {
  return typeof l === "function" && "reduction" in l;
}
function fnName(f: unknown, fallback: string): string {
  const n = (f as { name?: unknown }).name;
  return typeof n === "string" && n.length > 0 ? n : fallback;
}
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** A running weighted mean held in two variables (Keras's Mean metric). */
export class MeanTracker implements MetricObject {
  private readonly total = new Variable(0, { trainable: false, dtype: "float32", name: "total" });
  private readonly count = new Variable(0, { trainable: false, dtype: "float32", name: "count" });
  constructor(
    public name: string,
    private readonly fn: ((yTrue: Tensor, yPred: Tensor) => Tensor) | null = null,
  ) {}
  /** Adds values (any shape) with optional per-sample weights. */
  updateValues(values: Tensor, sampleWeight: Tensor | null, weightOfMean?: number | Tensor): void {
    let v = cast(values, "float32");
    if (weightOfMean !== undefined) {
      // One value standing for a batch: weighted by the batch size (Keras's loss tracker).
      this.total.assignAdd(multiply(v.rank === 0 ? v : reduceMean(v), weightOfMean));
      this.count.assignAdd(cast(weightOfMean, "float32"));
      return;
    }
    let n: Tensor | number = v.size ?? 0;
    if (sampleWeight) {
      let w = cast(sampleWeight, "float32");
      while ((w.rank ?? 0) < (v.rank ?? 0)) w = expandDims(w, -1);
      v = multiply(v, w);
      // The weights broadcast onto the values: their total over the values' shape.
      n = reduceSum(multiply(w, add(zerosLike(v), 1)));
    }
    this.total.assignAdd(reduceSum(v));
    this.count.assignAdd(n);
  }
  updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor | null = null): void {
    if (!this.fn) throw new InvalidArgumentError(`${this.name}: a mean of values has no updateState(yTrue, yPred)`);
    this.updateValues(this.fn(yTrue, yPred), sampleWeight);
  }
  result(): Tensor {
    return divide(this.total.value(), this.count.value());
  }
  resetState(): void {
    this.total.assign(0);
    this.count.assign(0);
  }
}

/** Keras's per-output structure: one value for all outputs, an array in output order, or an object by output name. */
function perOutput<T>(spec: unknown, outputNames: readonly string[], what: string): (T | null)[] {
  if (spec === undefined || spec === null) return outputNames.map(() => null);
  if (Array.isArray(spec) && outputNames.length > 1) {
    if (spec.length !== outputNames.length)
      throw new InvalidArgumentError(`compile: ${what} has ${spec.length} entries for ${outputNames.length} outputs (${outputNames.join(", ")})`);
    return spec as T[];
  }
  if (typeof spec === "object" && !Array.isArray(spec) && typeof spec !== "function" && !isMetricObject(spec) && !("reduction" in spec)) {
    const obj = spec as Record<string, T>;
    for (const k of Object.keys(obj))
      if (!outputNames.includes(k)) throw new InvalidArgumentError(`compile: unknown output "${k}" in ${what}; the outputs are ${outputNames.join(", ")}`);
    return outputNames.map((n) => obj[n] ?? null);
  }
  return outputNames.map(() => spec as T);
}

/** The losses of compile(): one per output, weighted and summed, with their epoch averages. */
export class CompiledLoss {
  readonly fns: (LossFn | null)[];
  readonly names: (string | null)[];
  readonly weights: number[];
  readonly tracker = new MeanTracker("loss");
  readonly outputTrackers: (MeanTracker | null)[];
  constructor(
    loss: unknown,
    lossWeights: unknown,
    readonly outputNames: readonly string[],
  ) {
    const specs = perOutput<unknown>(loss, outputNames, "loss");
    this.names = specs.map((s) => (s === null ? null : typeof s === "string" ? s : fnName(s, "loss")));
    this.fns = specs.map((s) => (s === null ? null : wrapLoss(resolve("loss", s))));
    if (this.fns.every((f) => f === null)) throw new InvalidArgumentError("compile: no loss given for any output");
    const w = perOutput<number>(lossWeights, outputNames, "lossWeights");
    this.weights = w.map((x) => x ?? 1);
    this.outputTrackers = outputNames.length > 1 ? outputNames.map((n, i) => (this.fns[i] ? new MeanTracker(`${n}_loss`) : null)) : [];
  }
  /** The total loss (plus regularization), updating the epoch averages. */
  compute(
    yTrue: readonly Tensor[],
    yPred: readonly Tensor[],
    sampleWeight: Tensor | null,
    regularization: readonly Tensor[],
    batchSize: number | Tensor,
  ): Tensor {
    const terms: Tensor[] = [];
    this.fns.forEach((fn, i) => {
      if (!fn) return;
      if (yTrue[i] === undefined) throw new InvalidArgumentError(`No target data given for output "${this.outputNames[i]}", which has a loss`);
      const value = fn(yTrue[i], inFloat32(yPred[i]), sampleWeight);
      this.outputTrackers[i]?.updateValues(value, null, batchSize);
      terms.push(this.weights[i] === 1 ? value : multiply(value, this.weights[i]));
    });
    for (const r of regularization) terms.push(inFloat32(r));
    const total = terms.length === 1 ? terms[0] : addN(terms);
    this.tracker.updateValues(total, null, batchSize);
    return total;
  }
  get trackers(): MeanTracker[] {
    return [this.tracker, ...this.outputTrackers.filter((t): t is MeanTracker => t !== null)];
  }
}

/** A loss object as it is; a per-sample loss function reduced as Keras's LossFunctionWrapper (sum over batch size). */
function wrapLoss(l: unknown): LossFn {
  if (typeof l !== "function") throw new InvalidArgumentError(`compile: a loss must be a name, a function or a Loss object, got ${String(l)}`);
  if (isLossObject(l)) return (yTrue, yPred, sw) => (l as LossFn)(yTrue, yPred, sw ?? null);
  const fn = l as (yTrue: Tensor, yPred: Tensor) => Tensor;
  return (yTrue, yPred, sw) => {
    let values = cast(fn(yTrue, yPred), "float32");
    if (sw) {
      let w = cast(sw, "float32");
      while ((w.rank ?? 0) > (values.rank ?? 0) && w.shape?.[(w.rank ?? 1) - 1] === 1) w = squeeze(w, [-1]);
      while ((w.rank ?? 0) < (values.rank ?? 0)) w = expandDims(w, -1);
      values = multiply(values, w);
    }
    return reduceMean(values);
  };
}

/** The metrics of compile() for each output, with the names fit's logs show. */
export class CompiledMetrics {
  readonly entries: { output: number; metric: MetricObject; weighted: boolean }[] = [];
  constructor(metrics: unknown, weightedMetrics: unknown, outputNames: readonly string[], lossNames: readonly (string | null)[]) {
    const add = (spec: unknown, weighted: boolean) => {
      perOutput<unknown>(spec, outputNames, weighted ? "weightedMetrics" : "metrics").forEach((list, output) => {
        if (list === null) return;
        for (const m of Array.isArray(list) ? list : [list]) {
          const metric = makeMetric(m, lossNames[output]);
          if (outputNames.length > 1) metric.name = `${outputNames[output]}_${metric.name}`;
          if (weighted && weightedMetrics !== undefined && metrics !== undefined) metric.name = `weighted_${metric.name}`;
          this.entries.push({ output, metric, weighted });
        }
      });
    };
    add(metrics, false);
    add(weightedMetrics, true);
  }
  update(yTrue: readonly Tensor[], yPred: readonly Tensor[], sampleWeight: Tensor | null): void {
    for (const e of this.entries) e.metric.updateState(yTrue[e.output], inFloat32(yPred[e.output]), e.weighted ? sampleWeight : null);
  }
}

/**
 * A metric for a name, function or object. "accuracy"/"acc" (and "crossentropy") resolve against the loss
 * as Keras does: sparse with a sparse categorical loss, categorical with a categorical one, binary with a
 * binary one; the displayed name stays the one given.
 */
function makeMetric(m: unknown, lossName: string | null): MetricObject {
  if (isMetricObject(m)) return m;
  if (typeof m === "string") {
    const name = m;
    let id = m;
    if (m === "accuracy" || m === "acc") {
      const loss = snake(lossName ?? "");
      id = loss.includes("sparse_categorical")
        ? "sparse_categorical_accuracy"
        : loss.includes("categorical")
          ? "categorical_accuracy"
          : loss.includes("binary")
            ? "binary_accuracy"
            : "accuracy";
      if (id === "accuracy") return new MeanTracker(name, accuracyByShape);
    }
    const resolved = resolve("metric", id);
    if (isMetricObject(resolved)) {
      resolved.name = name;
      return resolved;
    }
    if (typeof resolved === "function") return new MeanTracker(name, resolved as (yTrue: Tensor, yPred: Tensor) => Tensor);
    throw new InvalidArgumentError(`compile: could not interpret metric "${m}"`);
  }
  if (typeof m === "function") return new MeanTracker(snake(fnName(m, "metric")), m as (yTrue: Tensor, yPred: Tensor) => Tensor);
  throw new InvalidArgumentError(`compile: a metric must be a name, a function or a Metric object, got ${String(m)}`);
}

/**
 * "accuracy" with a loss that does not say the label format: decided from the shapes, as Keras does
 * (one output unit: binary at 0.5; as many label columns as outputs: categorical; else sparse).
 */
function accuracyByShape(yTrue: Tensor, yPred: Tensor): Tensor {
  const units = yPred.shape?.[(yPred.rank ?? 1) - 1] ?? 1;
  if (units === 1)
    return cast(equal(cast(greater(yPred, 0.5), "float32"), cast(reshape(yTrue, yPred.shape?.map((d) => d ?? -1) ?? [-1]), "float32")), "float32");
  const predicted = cast(argmax(yPred, -1), "int32");
  if (yTrue.rank === yPred.rank && yTrue.shape?.[(yTrue.rank ?? 1) - 1] === units) return cast(equal(cast(argmax(yTrue, -1), "int32"), predicted), "float32");
  const labels = (yTrue.rank ?? 0) === (yPred.rank ?? 0) ? squeeze(yTrue, [-1]) : yTrue;
  return cast(equal(cast(labels, "int32"), predicted), "float32");
}

/** Per-sample weights from Keras's classWeight ({class: weight}) and the targets (class indices or one-hot rows). */
export function classWeightsFor(classWeight: Record<number, number>, y: Tensor): Tensor {
  const keys = Object.keys(classWeight).map(Number);
  if (keys.some((k) => !Number.isInteger(k) || k < 0))
    throw new InvalidArgumentError(`classWeight keys must be class indices (integers >= 0), got ${Object.keys(classWeight).join(", ")}`);
  const table = new Float32Array(Math.max(...keys) + 1).fill(1);
  for (const k of keys) table[k] = classWeight[k];
  const rank = y.rank ?? 1;
  const last = y.shape?.[rank - 1] ?? 1;
  const labels = rank >= 2 && last > 1 ? argmax(y, -1) : rank >= 2 ? reshape(y, [-1]) : y;
  return gather(constant(table, "float32", [table.length]), cast(labels, "int32"));
}
