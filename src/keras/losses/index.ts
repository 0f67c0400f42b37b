/**
 * tf.keras.losses: loss classes (callable objects: `new MeanSquaredError()(yTrue, yPred, sampleWeight?)`),
 * loss functions (per-sample losses) and get(), which resolves Keras's strings (snake_case or camelCase),
 * functions and objects.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { defineFunction, kind, param, signature } from "../../core/signature.js";
import { BinaryCrossentropy, CategoricalCrossentropy, Huber, MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy } from "./classes.js";
import { binaryCrossentropy, categoricalCrossentropy, huber, meanAbsoluteError, meanSquaredError, sparseCategoricalCrossentropy } from "./functions.js";
import { Loss, type LossFn, LossFunctionWrapper } from "./loss.js";

export { Loss, LossFunctionWrapper };
export type { LossFn };
import type { Reduction as ReductionName } from "./reduction.js";
export { BinaryCrossentropy, CategoricalCrossentropy, Huber, MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy };
export { binaryCrossentropy, categoricalCrossentropy, huber, meanAbsoluteError, meanSquaredError, sparseCategoricalCrossentropy };
/** Keras's short aliases. */
export const mse = meanSquaredError;
export const mae = meanAbsoluteError;
export const MSE = meanSquaredError;
export const MAE = meanAbsoluteError;

/** tf.keras.losses.Reduction: the reduction names. */
/** A reduction's name. */
export type Reduction = ReductionName;
export const Reduction = { AUTO: "auto", NONE: "none", SUM: "sum", SUM_OVER_BATCH_SIZE: "sum_over_batch_size" } as const;

/** What get() resolves by name: the loss functions, under Keras's snake_case and camelCase names. */
const FUNCTIONS: Record<string, LossFn> = {
  mean_squared_error: meanSquaredError as LossFn,
  mse: meanSquaredError as LossFn,
  mean_absolute_error: meanAbsoluteError as LossFn,
  mae: meanAbsoluteError as LossFn,
  huber: huber as LossFn,
  huber_loss: huber as LossFn,
  binary_crossentropy: binaryCrossentropy as LossFn,
  categorical_crossentropy: categoricalCrossentropy as LossFn,
  sparse_categorical_crossentropy: sparseCategoricalCrossentropy as LossFn,
};
/** Class names (as Keras's get also accepts them) -> constructors. */
const CLASSES: Record<string, new () => Loss> = {
  MeanSquaredError,
  MeanAbsoluteError,
  Huber,
  BinaryCrossentropy,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
};

/** "meanSquaredError" -> "mean_squared_error". */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** The loss function named `name` (snake_case or camelCase), or null. */
export function lossFunctionByName(name: string): LossFn | null {
  return FUNCTIONS[snakeCase(name)] ?? FUNCTIONS[name.toLowerCase()] ?? null;
}

/**
 * tf.keras.losses.get(identifier): a loss function for a name ("mse", "sparse_categorical_crossentropy",
 * "sparseCategoricalCrossentropy"), a new loss object for a class name ("SparseCategoricalCrossentropy"), the
 * identifier itself for a function or a Loss.
 */
export const get = defineFunction(
  signature(
    "keras.losses.get",
    "The loss for a name (Keras's snake_case or camelCase), a function or a Loss object.",
    [param("identifier", kind<string | LossFn | Loss | null>("string | LossFn | Loss | null"), "A loss name, function or object.")],
    { args: () => ["mse"] },
  ),
  (identifier): LossFn | Loss | null => {
    if (identifier === null || identifier === undefined) return null;
    if (typeof identifier === "function") return identifier;
    if (typeof identifier === "string") {
      const cls = CLASSES[identifier];
      if (cls) return new cls();
      const fn = lossFunctionByName(identifier);
      if (fn) return fn;
      throw new InvalidArgumentError(
        `Unknown loss function: '${identifier}'. Known: ${[...Object.keys(FUNCTIONS), ...Object.keys(CLASSES)].join(", ")} (and their camelCase forms)`,
      );
    }
    throw new InvalidArgumentError(`Could not interpret loss function identifier: ${String(identifier)}`);
  },
);
