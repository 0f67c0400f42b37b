/**
 * tf.keras.optimizers: SGD, Adam, AdamW, RMSprop and Adagrad with Keras's update rules, learning-rate
 * schedules (tf.keras.optimizers.schedules) and get().
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { defineFunction, kind, param, positionalOnly, signature } from "../../core/signature.js";
import { Adagrad } from "./adagrad.js";
import { Adam, AdamW } from "./adam.js";
import { Optimizer } from "./optimizer.js";
import { RMSprop } from "./rmsprop.js";
import { SGD } from "./sgd.js";

export { Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad };
export type { GradAndVar, LearningRate } from "./optimizer.js";
export * as schedules from "./schedules_index.js";

/** Optimizer classes by lower-cased name (Keras's get is case-insensitive). */
const BY_NAME: Record<string, new () => Optimizer> = { sgd: SGD, adam: Adam, adamw: AdamW, rmsprop: RMSprop, adagrad: Adagrad };

/**
 * tf.keras.optimizers.get(identifier): a new optimizer with default arguments for a name ("adam", "SGD",
 * "rmsprop"), a configured one for { className, config }, the identifier itself for an Optimizer.
 */
export const get = defineFunction(
  signature(
    "keras.optimizers.get",
    "The optimizer for a name, a { className, config } object, or an Optimizer.",
    [
      positionalOnly(
        param(
          "identifier",
          kind<string | Optimizer | { className: string; config?: Record<string, unknown> }>("string | Optimizer | { className, config }"),
          "The optimizer (a { className, config } object is only positional).",
        ),
      ),
    ],
    { args: () => ["adam"] },
  ),
  (identifier): Optimizer => {
    if (identifier instanceof Optimizer) return identifier;
    const name = typeof identifier === "string" ? identifier : (identifier as { className?: string } | null)?.className;
    const cls = typeof name === "string" ? BY_NAME[name.toLowerCase()] : undefined;
    if (!cls)
      throw new InvalidArgumentError(
        `Could not interpret optimizer identifier: ${typeof identifier === "string" ? `'${identifier}'` : String(identifier)}; known: ${Object.keys(BY_NAME).join(", ")}`,
      );
    if (typeof identifier === "string") return new cls();
    const config = { ...((identifier as { config?: Record<string, unknown> }).config ?? {}) };
    return new (cls as unknown as new (options: Record<string, unknown>) => Optimizer)(config);
  },
);
