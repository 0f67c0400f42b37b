/**
 * The confusion-matrix metrics: Precision, Recall and AUC. Their state is counts of true/false
 * positives/negatives per threshold, accumulated as Keras's update_confusion_matrix_variables does: a
 * prediction is positive when it is strictly above the threshold, a label when it is nonzero.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { ArgsOf, declare, K, kind, optional, parseArgs, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import type { Operation } from "../../graph/operation.js";
import { cast } from "../../ops/cast.js";
import { constant, onesLike, where } from "../../ops/creation.js";
import { add, greater, log, logicalAnd, maximum, minimum, multiply, notEqual, sigmoid, subtract } from "../../ops/elementwise.js";
import { gather, reshape, slice } from "../../ops/movement.js";
import { reduceSum } from "../../ops/reduce.js";
import type { Variable } from "../../variables/variable.js";
import { asDType, matchWeightRank, squeezeToMatch, toTensor } from "../losses/shapes.js";
import { filterTopK } from "./functions.js";
import { Metric } from "./metric.js";
import { divideNoNan, METRIC_DTYPE, METRIC_NAME } from "./reduce.js";

/** Keras's epsilon that puts the first and last AUC thresholds just outside [0, 1]. */
const THRESHOLD_EPSILON = 1e-7;

type Counts = { tp?: Variable; fp?: Variable; tn?: Variable; fn?: Variable };

/** Adds a batch to the per-threshold counts. */
function updateConfusion(
  counts: Counts,
  thresholds: readonly number[],
  yTrueIn: TensorLike,
  yPredIn: TensorLike,
  sampleWeight: TensorLike | null | undefined,
  opts: { topK?: number | null; classId?: number | null },
): (Tensor | Operation | Variable | null)[] {
  let p = asDType(toTensor(yPredIn), "float32");
  let t = asDType(toTensor(yTrueIn, "float32"), "float32");
  [t, p] = squeezeToMatch(t, p);
  let w: Tensor | null =
    sampleWeight === null || sampleWeight === undefined ? null : multiply(matchWeightRank(p, asDType(toTensor(sampleWeight), "float32")), onesLike(p));
  if (opts.topK !== null && opts.topK !== undefined) p = filterTopK(p, opts.topK);
  if (opts.classId !== null && opts.classId !== undefined) {
    const at = constant([opts.classId], { dtype: "int32" });
    const rank = p.rank ?? 1;
    p = gather(p, at, { axis: rank - 1 });
    t = gather(t, at, { axis: rank - 1 });
    if (w) w = gather(w, at, { axis: rank - 1 });
  }
  const preds = reshape(p, [1, -1]);
  const labels = cast(notEqual(reshape(t, [1, -1]), 0), "float32");
  const weights = w ? reshape(w, [1, -1]) : null;
  const thresh = constant(thresholds, { dtype: "float32", shape: [thresholds.length, 1] });
  const predPos = cast(greater(preds, thresh), "float32"); // [T, N]
  const predNeg = subtract(1, predPos);
  const labelNeg = subtract(1, labels);
  const sum = (x: Tensor) => reduceSum(weights ? multiply(x, weights) : x, 1);
  const out: (Tensor | Operation | Variable | null)[] = [];
  if (counts.tp) out.push(counts.tp.assignAdd(sum(multiply(predPos, labels))));
  if (counts.fp) out.push(counts.fp.assignAdd(sum(multiply(predPos, labelNeg))));
  if (counts.tn) out.push(counts.tn.assignAdd(sum(multiply(predNeg, labelNeg))));
  if (counts.fn) out.push(counts.fn.assignAdd(sum(multiply(predNeg, labels))));
  return out;
}

const THRESHOLDS = optional("thresholds", kind<number | number[]>("number | number[]"), "The decision threshold(s) in [0, 1] (default 0.5; with topK, none).");
const TOP_K = optional("topK", K.int, "Only each row's topK highest predictions count as positive.");
const CLASS_ID = optional("classId", K.int, "Only this class (an index on the last axis) is counted.");

function thresholdList(th: number | number[] | undefined, topK: number | undefined, who: string): number[] {
  const list = th === undefined ? [topK !== undefined ? -1e10 : 0.5] : typeof th === "number" ? [th] : [...th];
  for (const x of list) if (th !== undefined && (x < 0 || x > 1)) throw new InvalidArgumentError(`${who}: thresholds must be in [0, 1], got ${x}`);
  return list;
}

/** One value per threshold, or a scalar for a single threshold (Keras's result). */
function perThreshold(x: Tensor, n: number): Tensor {
  return n === 1 ? reshape(x, []) : x;
}

const precisionSignature = signature(
  "keras.metrics.Precision",
  "true positives / (true positives + false positives), per threshold.",
  [THRESHOLDS, TOP_K, CLASS_ID, METRIC_NAME(), METRIC_DTYPE],
  { args: () => [0.3, undefined, undefined, "p"] },
);
/** tf.keras.metrics.Precision(thresholds, topK, classId, name, dtype). */
export class Precision extends Metric {
  readonly thresholds!: number[];
  readonly topK!: number | null;
  readonly classId!: number | null;
  truePositives!: Variable;
  falsePositives!: Variable;
  constructor(...args: ArgsOf<typeof precisionSignature>) {
    const [thresholds, topK, classId, name, dtype] = parseArgs(precisionSignature, args);
    super(name, dtype);
    Object.assign(this, { thresholds: thresholdList(thresholds, topK, "Precision"), topK: topK ?? null, classId: classId ?? null });
    this.truePositives = this.addWeight("true_positives", { shape: [this.thresholds.length] });
    this.falsePositives = this.addWeight("false_positives", { shape: [this.thresholds.length] });
  }
  override updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike | null): Operation | null {
    return this.grouped(updateConfusion({ tp: this.truePositives, fp: this.falsePositives }, this.thresholds, yTrue, yPred, sampleWeight, this));
  }
  override result(): Tensor {
    const tp = this.read(this.truePositives);
    return perThreshold(divideNoNan(tp, add(tp, this.read(this.falsePositives))), this.thresholds.length);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.thresholds, topK: this.topK, classId: this.classId };
  }
}
declare(Precision, precisionSignature);

const recallSignature = signature(
  "keras.metrics.Recall",
  "true positives / (true positives + false negatives), per threshold.",
  [THRESHOLDS, TOP_K, CLASS_ID, METRIC_NAME(), METRIC_DTYPE],
  { args: () => [0.3, undefined, undefined, "r"] },
);
/** tf.keras.metrics.Recall(thresholds, topK, classId, name, dtype). */
export class Recall extends Metric {
  readonly thresholds!: number[];
  readonly topK!: number | null;
  readonly classId!: number | null;
  truePositives!: Variable;
  falseNegatives!: Variable;
  constructor(...args: ArgsOf<typeof recallSignature>) {
    const [thresholds, topK, classId, name, dtype] = parseArgs(recallSignature, args);
    super(name, dtype);
    Object.assign(this, { thresholds: thresholdList(thresholds, topK, "Recall"), topK: topK ?? null, classId: classId ?? null });
    this.truePositives = this.addWeight("true_positives", { shape: [this.thresholds.length] });
    this.falseNegatives = this.addWeight("false_negatives", { shape: [this.thresholds.length] });
  }
  override updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike | null): Operation | null {
    return this.grouped(updateConfusion({ tp: this.truePositives, fn: this.falseNegatives }, this.thresholds, yTrue, yPred, sampleWeight, this));
  }
  override result(): Tensor {
    const tp = this.read(this.truePositives);
    return perThreshold(divideNoNan(tp, add(tp, this.read(this.falseNegatives))), this.thresholds.length);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.thresholds, topK: this.topK, classId: this.classId };
  }
}
declare(Recall, recallSignature);

const aucSignature = signature(
  "keras.metrics.AUC",
  "The area under the ROC or precision-recall curve, by a Riemann sum over thresholds.",
  [
    withDefault("numThresholds", K.int, 200, "The number of thresholds (> 1), evenly spaced over [0, 1]."),
    withDefault("curve", kind<"ROC" | "PR">('"ROC" | "PR"'), "ROC", "The curve: ROC or PR (precision-recall)."),
    withDefault(
      "summationMethod",
      kind<"interpolation" | "minoring" | "majoring">('"interpolation" | "minoring" | "majoring"'),
      "interpolation",
      "How the area between thresholds is summed.",
    ),
    METRIC_NAME(),
    METRIC_DTYPE,
    optional("thresholds", kind<number[]>("number[]"), "Explicit thresholds in [0, 1] (replacing numThresholds)."),
    withDefault("multiLabel", K.boolean, false, "One curve per label (not implemented: only false)."),
    optional("numLabels", K.int, "The number of labels (multiLabel only)."),
    optional("labelWeights", kind<number[]>("number[]"), "Per-label weights (multiLabel only)."),
    withDefault("fromLogits", K.boolean, false, "Whether predictions are logits (a sigmoid is applied)."),
  ],
  { args: () => [3, "PR", "minoring", "a"] },
);
/** tf.keras.metrics.AUC(numThresholds=200, curve="ROC", summationMethod="interpolation", name, dtype, thresholds, multiLabel, numLabels, labelWeights, fromLogits). */
export class AUC extends Metric {
  readonly numThresholds!: number;
  readonly curve!: "ROC" | "PR";
  readonly summationMethod!: "interpolation" | "minoring" | "majoring";
  readonly thresholds!: number[];
  readonly fromLogits!: boolean;
  truePositives!: Variable;
  falsePositives!: Variable;
  trueNegatives!: Variable;
  falseNegatives!: Variable;
  constructor(...args: ArgsOf<typeof aucSignature>) {
    const [numThresholds, curve, summationMethod, name, dtype, thresholds, multiLabel, , , fromLogits] = parseArgs(aucSignature, args);
    super(name, dtype);
    if (multiLabel) throw new InvalidArgumentError("AUC: multiLabel=true is not implemented in tsflow yet");
    const c = String(curve).toUpperCase();
    if (c !== "ROC" && c !== "PR") throw new InvalidArgumentError(`AUC: invalid curve "${curve}"; expected "ROC" or "PR"`);
    const sm = String(summationMethod).toLowerCase();
    if (sm !== "interpolation" && sm !== "minoring" && sm !== "majoring") {
      throw new InvalidArgumentError(`AUC: invalid summationMethod "${summationMethod}"; expected interpolation, minoring or majoring`);
    }
    let inner: number[];
    if (thresholds !== undefined) {
      inner = [...thresholds];
    } else {
      if (numThresholds <= 1) throw new InvalidArgumentError(`AUC: numThresholds must be > 1, got ${numThresholds}`);
      inner = Array.from({ length: numThresholds - 2 }, (_, i) => (i + 1) / (numThresholds - 1));
    }
    const all = [0 - THRESHOLD_EPSILON, ...inner, 1 + THRESHOLD_EPSILON];
    Object.assign(this, { numThresholds: all.length, curve: c, summationMethod: sm, thresholds: all, fromLogits });
    const shape = [all.length];
    this.truePositives = this.addWeight("true_positives", { shape });
    this.falsePositives = this.addWeight("false_positives", { shape });
    this.trueNegatives = this.addWeight("true_negatives", { shape });
    this.falseNegatives = this.addWeight("false_negatives", { shape });
  }
  override updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike | null): Operation | null {
    const p = this.fromLogits ? sigmoid(toTensor(yPred)) : yPred;
    const counts = { tp: this.truePositives, fp: this.falsePositives, tn: this.trueNegatives, fn: this.falseNegatives };
    return this.grouped(updateConfusion(counts, this.thresholds, yTrue, p, sampleWeight, {}));
  }
  override result(): Tensor {
    const n = this.numThresholds;
    const head = (x: Tensor) => slice(x, [0], [n - 1]);
    const tail = (x: Tensor) => slice(x, [1], [n - 1]);
    const tp = this.read(this.truePositives);
    const fp = this.read(this.falsePositives);
    const tn = this.read(this.trueNegatives);
    const fn = this.read(this.falseNegatives);
    if (this.curve === "PR" && this.summationMethod === "interpolation") {
      // Davis & Goadrich's interpolation of the precision-recall curve (Keras's interpolate_pr_auc).
      const dtp = subtract(head(tp), tail(tp));
      const p = add(tp, fp);
      const dp = subtract(head(p), tail(p));
      const slope = divideNoNan(dtp, maximum(dp, 0));
      const intercept = subtract(tail(tp), multiply(slope, tail(p)));
      const bothPositive = logicalAnd(greater(head(p), 0), greater(tail(p), 0));
      const ratio = where(bothPositive, divideNoNan(head(p), maximum(tail(p), 0)), onesLike(tail(p)));
      const increment = divideNoNan(multiply(slope, add(dtp, multiply(intercept, log(ratio)))), maximum(add(tail(tp), tail(fn)), 0));
      return reduceSum(increment);
    }
    const recall = divideNoNan(tp, add(tp, fn));
    let x: Tensor;
    let y: Tensor;
    if (this.curve === "ROC") {
      x = divideNoNan(fp, add(fp, tn));
      y = recall;
    } else {
      x = recall;
      y = divideNoNan(tp, add(tp, fp));
    }
    const heights =
      this.summationMethod === "interpolation"
        ? multiply(add(head(y), tail(y)), 0.5)
        : this.summationMethod === "minoring"
          ? minimum(head(y), tail(y))
          : maximum(head(y), tail(y));
    return reduceSum(multiply(subtract(head(x), tail(x)), heights));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), numThresholds: this.numThresholds, curve: this.curve, summationMethod: this.summationMethod, fromLogits: this.fromLogits };
  }
}
declare(AUC, aucSignature);
