/**
 * tf.keras.optimizers: SGD, Adam, AdamW, RMSprop and Adagrad with Keras's update rules, learning-rate
 * schedules (tf.keras.optimizers.schedules) and get().
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { defineFunction, kind, optional, param, positionalOnly, signature, signatureOf } from "../../core/signature.js";
import { classesOf, type CustomObjects, deserializeObject, isSerialized, normalizeSerialized, type SerializedObject, withoutNulls } from "../saving/generic.js";
import * as schedulesModule from "./schedules.js";
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
    return deserialize(identifier as SerializedObject);
  },
);

/** Keys Keras's optimizers write that tsflow's do not take (EMA, legacy decay, jit), dropped when neutral. */
const NEUTRAL: Readonly<Record<string, (v: unknown) => boolean>> = {
  decay: (v) => v === 0 || v === null,
  useEma: (v) => v === false,
  emaMomentum: () => true,
  emaOverwriteFrequency: () => true,
  jitCompile: () => true,
  isLegacyOptimizer: (v) => v === false,
};
const SCHEDULES = classesOf(schedulesModule, schedulesModule.LearningRateSchedule);

/** tf.keras.optimizers.serialize: `{ className, config }` of an optimizer (a schedule as its own `{ className, config }`). */
export const serialize = defineFunction(
  signature("keras.optimizers.serialize", "The { className, config } of an optimizer.", [param("optimizer", kind<Optimizer>("Optimizer"), "The optimizer.")], {
    args: (tf) => [new tf.keras.optimizers.Adam()],
  }),
  (optimizer): SerializedObject => {
    if (!(optimizer instanceof Optimizer)) throw new InvalidArgumentError(`tf.keras.optimizers.serialize: expected an Optimizer, got ${String(optimizer)}`);
    return { className: optimizer.constructor.name, config: optimizer.getConfig() };
  },
);

/** tf.keras.optimizers.deserialize: a new optimizer from `{ className, config }` (Keras's snake_case JSON too). */
export const deserialize = defineFunction(
  signature(
    "keras.optimizers.deserialize",
    "A new optimizer from a { className, config } (or Keras's { class_name, config }).",
    [
      positionalOnly(param("config", kind<SerializedObject | Record<string, unknown>>("{ className, config }"), "The serialized optimizer.")),
      optional("customObjects", kind<CustomObjects>("Record<string, class>"), "User optimizers and schedules by class name."),
    ],
    { args: () => [{ className: "Adam", config: { learningRate: 0.01 } }] },
  ),
  (config, customObjects): Optimizer => {
    const custom = customObjects ?? {};
    const { className, config: raw } = normalizeSerialized(config);
    const cls = (custom[className] ?? BY_NAME[className.toLowerCase()]) as (new (options: Record<string, unknown>) => Optimizer) | undefined;
    if (typeof cls !== "function") {
      throw new InvalidArgumentError(
        `Could not interpret optimizer identifier: '${className}'; known: ${Object.keys(BY_NAME).join(", ")} (or pass it in customObjects)`,
      );
    }
    const known = new Set((signatureOf(cls)?.params ?? []).map((p) => p.name));
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!known.has(k) && NEUTRAL[k]?.(v)) continue;
      args[k] = k === "learningRate" && isSerialized(v) ? deserializeObject(v, SCHEDULES, custom, "learning rate schedule") : v;
    }
    const opt = new cls(withoutNulls(cls, args));
    if (!(opt instanceof Optimizer)) throw new InvalidArgumentError(`tf.keras.optimizers.deserialize: ${className} did not make an Optimizer`);
    return opt;
  },
);
