/**
 * tf.keras.regularizers: weight penalties added to a model's loss (Layer.losses). L1, L2 and L1L2, their
 * Keras aliases (`tf.keras.regularizers.l2(0.01)` is `new L2(0.01)`), and `get()`.
 */
import { InvalidArgumentError } from "../core/errors.js";
import { declare, defineFunction, K, kind, optional, param, parseArgs, positionalOnly, signature, withDefault, type CallArgs } from "../core/signature.js";
import { type CustomObjects, deserializeObject, isSerialized, type SerializedObject, serializeObject } from "./saving/generic.js";
import type { Tensor } from "../core/tensor.js";
import { convertToTensor } from "../ops/creation.js";
import { abs, add, multiply, square } from "../ops/elementwise.js";
import { reduceSum } from "../ops/reduce.js";
import type { Regularizer as RegularizerLike } from "./engine/layer.js";

/** The base of Keras's regularizers: `call(weight)` gives the scalar penalty. */
export abstract class Regularizer implements RegularizerLike {
  abstract call(weight: Tensor): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
}

function l1Term(w: Tensor, l1: number): Tensor {
  return multiply(convertToTensor(l1, { dtype: w.dtype }), reduceSum(abs(w)));
}
function l2Term(w: Tensor, l2: number): Tensor {
  return multiply(convertToTensor(l2, { dtype: w.dtype }), reduceSum(square(w)));
}

const L1_SIG = signature("keras.regularizers.L1", "The penalty l1 * sum(|w|).", [withDefault("l1", K.number, 0.01, "The factor.")], { args: () => [0.1] });
export class L1 extends Regularizer {
  readonly l1: number;
  constructor(...args: CallArgs<typeof L1_SIG.params>) {
    super();
    [this.l1] = parseArgs(L1_SIG, args);
  }
  call(weight: Tensor): Tensor {
    return l1Term(weight, this.l1);
  }
  override getConfig(): Record<string, unknown> {
    return { l1: this.l1 };
  }
}
declare(L1, L1_SIG);

const L2_SIG = signature("keras.regularizers.L2", "The penalty l2 * sum(w²).", [withDefault("l2", K.number, 0.01, "The factor.")], { args: () => [0.1] });
export class L2 extends Regularizer {
  readonly l2: number;
  constructor(...args: CallArgs<typeof L2_SIG.params>) {
    super();
    [this.l2] = parseArgs(L2_SIG, args);
  }
  call(weight: Tensor): Tensor {
    return l2Term(weight, this.l2);
  }
  override getConfig(): Record<string, unknown> {
    return { l2: this.l2 };
  }
}
declare(L2, L2_SIG);

const L1L2_SIG = signature(
  "keras.regularizers.L1L2",
  "The penalty l1 * sum(|w|) + l2 * sum(w²).",
  [withDefault("l1", K.number, 0, "The L1 factor."), withDefault("l2", K.number, 0, "The L2 factor.")],
  { args: () => [0.1, 0.2] },
);
export class L1L2 extends Regularizer {
  readonly l1: number;
  readonly l2: number;
  constructor(...args: CallArgs<typeof L1L2_SIG.params>) {
    super();
    [this.l1, this.l2] = parseArgs(L1L2_SIG, args);
  }
  call(weight: Tensor): Tensor {
    if (this.l1 && this.l2) return add(l1Term(weight, this.l1), l2Term(weight, this.l2));
    if (this.l1) return l1Term(weight, this.l1);
    return l2Term(weight, this.l2);
  }
  override getConfig(): Record<string, unknown> {
    return { l1: this.l1, l2: this.l2 };
  }
}
declare(L1L2, L1L2_SIG);

/** Keras's lower-case aliases: `l1(0.01)` and `l2(0.01)` are the classes; `l1L2` is Keras's l1_l2 (both factors 0.01 by default). */
export const l1 = (...args: CallArgs<typeof L1_SIG.params>): L1 => new L1(...args);
export const l2 = (...args: CallArgs<typeof L2_SIG.params>): L2 => new L2(...args);
export const l1L2 = (factors: { l1?: number; l2?: number } = {}): L1L2 => new L1L2(factors.l1 ?? 0.01, factors.l2 ?? 0.01);

export type RegularizerArg = string | RegularizerLike;

/** tf.keras.regularizers.get: "l1", "l2", "l1_l2"/"l1L2" (default factors) or a regularizer. */
export function get(identifier: RegularizerArg | SerializedObject | null | undefined): RegularizerLike | null {
  if (identifier === null || identifier === undefined) return null;
  if (isSerialized(identifier)) return deserialize(identifier);
  if (typeof identifier === "string") {
    const key = identifier.replace(/_/g, "").toLowerCase();
    if (key === "l1") return new L1();
    if (key === "l2") return new L2();
    if (key === "l1l2") return l1L2();
    throw new InvalidArgumentError(`Unknown regularizer: '${identifier}'. Known: l1, l2, l1_l2`);
  }
  if (typeof identifier === "object" && typeof identifier.call === "function") return identifier;
  throw new InvalidArgumentError(`Could not interpret regularizer identifier: ${String(identifier)}`);
}

/** Keras's regularizer classes by class name (what `{ className, config }` names). */
const CLASSES = { L1, L2, L1L2 } as unknown as Record<string, new (config: Record<string, unknown>) => Regularizer>;

/** tf.keras.regularizers.serialize: `{ className, config }` of a regularizer (a name resolves first). */
export const serialize = defineFunction(
  signature(
    "keras.regularizers.serialize",
    "The { className, config } of a regularizer (a name is resolved to its class first).",
    [param("regularizer", kind<RegularizerArg>("string | Regularizer"), "The regularizer.")],
    { args: () => ["l2"] },
  ),
  (regularizer): SerializedObject => {
    const obj = get(regularizer);
    if (!(obj instanceof Regularizer))
      throw new InvalidArgumentError(`Cannot serialize regularizer ${String(regularizer)}: give a tf.keras.regularizers class (or a class with getConfig)`);
    return serializeObject(obj);
  },
);

/** tf.keras.regularizers.deserialize: the regularizer a `{ className, config }` describes. */
export const deserialize = defineFunction(
  signature(
    "keras.regularizers.deserialize",
    "The regularizer a { className, config } (or Keras's { class_name, config }) describes.",
    [
      positionalOnly(param("config", kind<SerializedObject | Record<string, unknown>>("{ className, config }"), "The serialized regularizer.")),
      optional("customObjects", kind<CustomObjects>("Record<string, class | function>"), "User classes by the name they were saved under."),
    ],
    { args: () => [{ className: "L1", config: {} }] },
  ),
  (config, customObjects): Regularizer => deserializeObject(config, CLASSES, customObjects ?? {}, "regularizer") as Regularizer,
);
