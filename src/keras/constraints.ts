/**
 * tf.keras.constraints: projections applied to a weight after each optimizer update (Layer.addWeight
 * records them in weightConstraints). MaxNorm, NonNeg, UnitNorm, MinMaxNorm, and `get()`.
 */
import { InvalidArgumentError } from "../core/errors.js";
import { declare, defineFunction, K, kind, optional, param, parseArgs, positionalOnly, signature, withDefault, type CallArgs } from "../core/signature.js";
import { type CustomObjects, deserializeObject, isSerialized, type SerializedObject, serializeObject } from "./saving/generic.js";
import type { Tensor } from "../core/tensor.js";
import { convertToTensor } from "../ops/creation.js";
import { cast } from "../ops/cast.js";
import { add, greaterEqual, maximum, minimum, multiply, realdiv, sqrt, square } from "../ops/elementwise.js";
import { reduceSum } from "../ops/reduce.js";
import type { Constraint as ConstraintLike } from "./engine/layer.js";

/** Keras's backend epsilon: keeps the norm divisions finite. */
const EPSILON = 1e-7;

export abstract class Constraint implements ConstraintLike {
  abstract call(weight: Tensor): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
}

const AXIS = kind<number | number[]>("number | number[]");
const norms = (w: Tensor, axis: number | number[]) => sqrt(reduceSum(square(w), axis, true));
const c = (v: number, like: Tensor) => convertToTensor(v, { dtype: like.dtype });

const MAX_NORM = signature(
  "keras.constraints.MaxNorm",
  "Rescales each slice along axis whose norm exceeds maxValue to that norm.",
  [withDefault("maxValue", K.number, 2, "The largest norm."), withDefault("axis", AXIS, 0, "The axes the norm is taken over.")],
  { args: () => [1, 0] },
);
export class MaxNorm extends Constraint {
  readonly maxValue: number;
  readonly axis: number | number[];
  constructor(...args: CallArgs<typeof MAX_NORM.params>) {
    super();
    [this.maxValue, this.axis] = parseArgs(MAX_NORM, args);
  }
  call(w: Tensor): Tensor {
    const n = norms(w, this.axis);
    const desired = minimum(n, c(this.maxValue, w));
    return multiply(w, realdiv(desired, add(n, c(EPSILON, w))));
  }
  override getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}
declare(MaxNorm, MAX_NORM);

const NON_NEG = signature("keras.constraints.NonNeg", "Sets negative weights to zero.", [], { args: () => [] });
export class NonNeg extends Constraint {
  constructor(...args: CallArgs<typeof NON_NEG.params>) {
    super();
    parseArgs(NON_NEG, args);
  }
  call(w: Tensor): Tensor {
    return multiply(w, cast(greaterEqual(w, c(0, w)), w.dtype));
  }
}
declare(NonNeg, NON_NEG);

const UNIT_NORM = signature(
  "keras.constraints.UnitNorm",
  "Scales each slice along axis to norm 1.",
  [withDefault("axis", AXIS, 0, "The axes the norm is taken over.")],
  {
    args: () => [0],
  },
);
export class UnitNorm extends Constraint {
  readonly axis: number | number[];
  constructor(...args: CallArgs<typeof UNIT_NORM.params>) {
    super();
    [this.axis] = parseArgs(UNIT_NORM, args);
  }
  call(w: Tensor): Tensor {
    return realdiv(w, add(norms(w, this.axis), c(EPSILON, w)));
  }
  override getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}
declare(UnitNorm, UNIT_NORM);

const MIN_MAX_NORM = signature(
  "keras.constraints.MinMaxNorm",
  "Moves each slice's norm into [minValue, maxValue] (by rate: 1 strictly, less gradually).",
  [
    withDefault("minValue", K.number, 0, "The smallest norm."),
    withDefault("maxValue", K.number, 1, "The largest norm."),
    withDefault("rate", K.number, 1, "How far towards the interval: norm' = rate * clip(norm) + (1 - rate) * norm."),
    withDefault("axis", AXIS, 0, "The axes the norm is taken over."),
  ],
  { args: () => [0.5, 1, 1, 0] },
);
export class MinMaxNorm extends Constraint {
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: number | number[];
  constructor(...args: CallArgs<typeof MIN_MAX_NORM.params>) {
    super();
    [this.minValue, this.maxValue, this.rate, this.axis] = parseArgs(MIN_MAX_NORM, args);
  }
  call(w: Tensor): Tensor {
    const n = norms(w, this.axis);
    const clipped = minimum(maximum(n, c(this.minValue, w)), c(this.maxValue, w));
    const desired = add(multiply(c(this.rate, w), clipped), multiply(c(1 - this.rate, w), n));
    return multiply(w, realdiv(desired, add(n, c(EPSILON, w))));
  }
  override getConfig(): Record<string, unknown> {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}
declare(MinMaxNorm, MIN_MAX_NORM);

export type ConstraintArg = string | ConstraintLike;

const BY_KEY: { readonly [key: string]: () => Constraint } = {
  maxnorm: () => new MaxNorm(),
  nonneg: () => new NonNeg(),
  unitnorm: () => new UnitNorm(),
  minmaxnorm: () => new MinMaxNorm(),
};
/** tf.keras.constraints.get: "max_norm", "maxNorm", "MaxNorm", "non_neg", ... or a constraint. */
export function get(identifier: ConstraintArg | SerializedObject | null | undefined): ConstraintLike | null {
  if (identifier === null || identifier === undefined) return null;
  if (isSerialized(identifier)) return deserialize(identifier);
  if (typeof identifier === "string") {
    const make = BY_KEY[identifier.replace(/_/g, "").toLowerCase()];
    if (!make) throw new InvalidArgumentError(`Unknown constraint: '${identifier}'. Known: max_norm, non_neg, unit_norm, min_max_norm`);
    return make();
  }
  if (typeof identifier === "object" && typeof identifier.call === "function") return identifier;
  throw new InvalidArgumentError(`Could not interpret constraint identifier: ${String(identifier)}`);
}

/** Keras's constraint classes by class name (what `{ className, config }` names). */
const CLASSES = { MaxNorm, NonNeg, UnitNorm, MinMaxNorm } as unknown as Record<string, new (config: Record<string, unknown>) => Constraint>;

/** tf.keras.constraints.serialize: `{ className, config }` of a constraint (a name resolves first). */
export const serialize = defineFunction(
  signature(
    "keras.constraints.serialize",
    "The { className, config } of a constraint (a name is resolved to its class first).",
    [param("constraint", kind<ConstraintArg>("string | Constraint"), "The constraint.")],
    { args: () => ["non_neg"] },
  ),
  (constraint): SerializedObject => {
    const obj = get(constraint);
    if (!(obj instanceof Constraint))
      throw new InvalidArgumentError(`Cannot serialize constraint ${String(constraint)}: give a tf.keras.constraints class (or a class with getConfig)`);
    return serializeObject(obj);
  },
);

/** tf.keras.constraints.deserialize: the constraint a `{ className, config }` describes. */
export const deserialize = defineFunction(
  signature(
    "keras.constraints.deserialize",
    "The constraint a { className, config } (or Keras's { class_name, config }) describes.",
    [
      positionalOnly(param("config", kind<SerializedObject | Record<string, unknown>>("{ className, config }"), "The serialized constraint.")),
      optional("customObjects", kind<CustomObjects>("Record<string, class | function>"), "User classes by the name they were saved under."),
    ],
    { args: () => [{ className: "MaxNorm", config: {} }] },
  ),
  (config, customObjects): Constraint => deserializeObject(config, CLASSES, customObjects ?? {}, "constraint") as Constraint,
);
