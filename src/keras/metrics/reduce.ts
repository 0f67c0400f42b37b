/** The averaging metrics: Sum, Mean, and MeanMetricWrapper (a metric function's values averaged over all batches). */
import type { DType } from "../../core/dtype.js";
import { ArgsOf, declare, K, kind, optional, param, parseArgs, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import type { Operation } from "../../graph/operation.js";
import { cast } from "../../ops/cast.js";
import { divide, equal, multiply } from "../../ops/elementwise.js";
import { where, zerosLike } from "../../ops/creation.js";
import { onesLike } from "../../ops/creation.js";
import { reduceSum } from "../../ops/reduce.js";
import type { Variable } from "../../variables/variable.js";
import { asDType, matchWeightRank, squeezeToMatch, toTensor } from "../losses/shapes.js";
import { Metric } from "./metric.js";

export const METRIC_NAME = (def?: string) =>
  def ? withDefault("name", K.string, def, "The metric's name.") : optional("name", K.string, "The metric's name.");
export const METRIC_DTYPE = withDefault("dtype", kind<DType>("DType"), "float32", "The dtype of the state and the result.");

/** divide_no_nan: x / y, 0 where y is 0. */
export function divideNoNan(x: Tensor, y: Tensor): Tensor {
  return where(equal(y, 0), zerosLike(x), divide(x, y));
}

/** Weighted values: the weights brought to the values' rank and broadcast; returns [values * w, sum of w over the values]. */
function weighted(values: Tensor, sampleWeight: TensorLike | null | undefined, dtype: DType): [Tensor, Tensor | number] {
  if (sampleWeight === null || sampleWeight === undefined) return [values, values.size ?? cast(reduceSum(onesLike(values)), dtype)];
  const w = matchWeightRank(values, asDType(toTensor(sampleWeight, dtype), dtype));
  const full = multiply(w, onesLike(values));
  return [multiply(values, full), reduceSum(full)];
}

/** Keras's Reduce metric: a running sum, and for a mean the running count (or sum of weights). */
abstract class Reduce extends Metric {
  protected total!: Variable;
  protected count: Variable | null = null;
  /** Adds a batch of values (weighted). */
  protected accumulate(values: TensorLike, sampleWeight: TensorLike | null | undefined, withCount: boolean): Operation | null {
    const v = asDType(toTensor(values, this.dtype), this.dtype);
    const [wv, n] = weighted(v, sampleWeight, this.dtype);
    const updates = [this.total.assignAdd(reduceSum(wv))];
    if (withCount && this.count) updates.push(this.count.assignAdd(typeof n === "number" ? n : n));
    return this.grouped(updates);
  }
}

const meanSignature = signature("keras.metrics.Mean", "The (weighted) mean of the given values.", [METRIC_NAME("mean"), METRIC_DTYPE], { args: () => ["m"] });
/** tf.keras.metrics.Mean: updateState(values, sampleWeight?) accumulates; result() is total / count. */
export class Mean extends Reduce {
  constructor(...args: ArgsOf<typeof meanSignature>) {
    const [name, dtype] = parseArgs(meanSignature, args);
    super(name, dtype);
    this.total = this.addWeight("total");
    this.count = this.addWeight("count");
  }
  override updateState(values: TensorLike, sampleWeight?: TensorLike | null): Operation | null {
    return this.accumulate(values, sampleWeight, true);
  }
  override result(): Tensor {
    return divideNoNan(this.read(this.total), this.read(this.count!));
  }
}
declare(Mean, meanSignature);

const sumSignature = signature("keras.metrics.Sum", "The (weighted) sum of the given values.", [METRIC_NAME("sum"), METRIC_DTYPE], { args: () => ["s"] });
/** tf.keras.metrics.Sum: the running (weighted) sum. */
export class Sum extends Reduce {
  constructor(...args: ArgsOf<typeof sumSignature>) {
    const [name, dtype] = parseArgs(sumSignature, args);
    super(name, dtype);
    this.total = this.addWeight("total");
  }
  override updateState(values: TensorLike, sampleWeight?: TensorLike | null): Operation | null {
    return this.accumulate(values, sampleWeight, false);
  }
  override result(): Tensor {
    return this.read(this.total);
  }
}
declare(Sum, sumSignature);

/** A metric function: (yTrue, yPred, options?) -> per-sample values. */
export type MetricFn = (yTrue: TensorLike, yPred: TensorLike, options?: Record<string, unknown>) => Tensor;

const wrapperSignature = signature("keras.metrics.MeanMetricWrapper", "The mean of a metric function's values over all batches.", [
  param("fn", kind<MetricFn>("(yTrue, yPred) => Tensor"), "The metric function."),
  METRIC_NAME(),
  METRIC_DTYPE,
  optional("fnKwargs", kind<Record<string, unknown>>("object"), "Keywords passed to fn."),
]);
/** tf.keras.metrics.MeanMetricWrapper(fn, name, dtype, fnKwargs): updateState(yTrue, yPred, sampleWeight?) averages fn's values. */
export class MeanMetricWrapper extends Mean {
  fn!: MetricFn;
  fnKwargs!: Record<string, unknown>;
  constructor(...args: ArgsOf<typeof wrapperSignature>) {
    const [fn, name, dtype, fnKwargs] = parseArgs(wrapperSignature, args);
    super(name ?? (fn.name || "mean_metric_wrapper"), dtype);
    this.fn = fn;
    this.fnKwargs = fnKwargs ?? {};
  }
  override updateState(yTrue: TensorLike, yPred?: TensorLike | null, sampleWeight?: TensorLike | null): Operation | null {
    const p = toTensor(yPred as TensorLike);
    const [t, q] = squeezeToMatch(asDType(toTensor(yTrue, p.dtype), p.dtype), p);
    const values = Object.keys(this.fnKwargs).length > 0 ? this.fn(t, q, this.fnKwargs) : this.fn(t, q);
    return this.accumulate(values, sampleWeight, true);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...this.fnKwargs };
  }
}
declare(MeanMetricWrapper, wrapperSignature);
