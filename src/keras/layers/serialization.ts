/**
 * tf.keras.layers.serialize / deserialize: a layer as `{ className, config }` with every nested object
 * in Keras's form (initializers, regularizers and constraints as `{ className, config }` even when given by
 * name, activations by name, inner layers of wrappers and RNNs as `{ className, config }`), and back.
 *
 * Nested values are recognised by their keys, as Keras's configs name them: `*Initializer`, `*Regularizer`,
 * `*Constraint`, `activation`/`recurrentActivation`, and the layer-valued `cell`, `layer`, `backwardLayer`.
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import { defineFunction, kind, optional, param, positionalOnly, signature, signatureOf } from "../../core/signature.js";
import { type ActivationFn, serialize as serializeActivation } from "../activations.js";
import { deserialize as deserializeConstraint, serialize as serializeConstraint } from "../constraints.js";
import { InputLayer } from "../engine/input_layer.js";
import { Layer } from "../engine/layer.js";
import { Model } from "../engine/model.js";
import { Sequential } from "../engine/sequential.js";
import { deserialize as deserializeInitializer, serialize as serializeInitializer } from "../initializers.js";
import { deserialize as deserializeRegularizer, serialize as serializeRegularizer } from "../regularizers.js";
import { isPlainObject } from "../saving/config_keys.js";
import {
  classesOf,
  classNameOf,
  type ConfigurableClass,
  type CustomObjects,
  hasConfig,
  isSerialized,
  normalizeSerialized,
  type SerializedObject,
  withoutNulls,
} from "../saving/generic.js";
import * as activation from "./activation.js";
import * as conv from "./conv.js";
import * as core from "./core.js";
import * as embedding from "./embedding.js";
import * as merge from "./merge.js";
import * as normalization from "./normalization.js";
import * as pooling from "./pooling.js";
import * as preprocessing from "./preprocessing.js";
import * as recurrent from "./recurrent/index.js";
import * as reshaping from "./reshaping.js";

/** Every built-in layer class by Keras's class name; "Functional" (TF 2.4+) and "Model" are functional models. */
const LAYER_CLASSES: Readonly<Record<string, ConfigurableClass>> = {
  ...classesOf(activation, Layer),
  ...classesOf(conv, Layer),
  ...classesOf(core, Layer),
  ...classesOf(embedding, Layer),
  ...classesOf(merge, Layer),
  ...classesOf(normalization, Layer),
  ...classesOf(pooling, Layer),
  ...classesOf(preprocessing, Layer),
  ...classesOf(recurrent, Layer),
  ...classesOf(reshaping, Layer),
  InputLayer: InputLayer as unknown as ConfigurableClass,
  Sequential: Sequential as unknown as ConfigurableClass,
  Functional: Model as unknown as ConfigurableClass,
  Model: Model as unknown as ConfigurableClass,
};

const ACTIVATION_KEYS = new Set(["activation", "recurrentActivation"]);
const LAYER_KEYS = new Set(["cell", "layer", "backwardLayer"]);
/** Keys Keras writes that tsflow's layers do not take, dropped when they hold Keras's neutral value. */
const IGNORED_KEYS: Readonly<Record<string, (v: unknown) => boolean>> = {
  activityRegularizer: (v) => v === null,
  implementation: () => true, // LSTM/GRU's kernel choice: tsflow has one implementation
  inputLength: (v) => v === null,
};

/** The name a layer is saved under: Keras's "Functional" for a plain functional model, else its class's name. */
function layerClassName(layer: object): string {
  if (layer instanceof Model && layer.constructor === Model) return "Functional";
  return classNameOf(layer);
}

/** One config value in Keras's form. */
function serializeValue(key: string, v: unknown, owner: string): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") {
    if (key.endsWith("Initializer")) return serializeInitializer(v);
    if (key.endsWith("Regularizer")) return serializeRegularizer(v);
    if (key.endsWith("Constraint")) return serializeConstraint(v);
    return v;
  }
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (v instanceof Layer) return serialize(v);
  if (hasConfig(v)) return { className: classNameOf(v), config: serializeConfig(v.getConfig(), owner) };
  if (typeof v === "function") {
    if (ACTIVATION_KEYS.has(key)) return serializeActivation(v as ActivationFn);
    // A Lambda's function (or a user function elsewhere) is saved by name and found in customObjects on load.
    if (key === "function" && v.name) return v.name;
    throw new UnimplementedError(
      `Layer "${owner}": cannot serialize its \`${key}\`, a JavaScript function${v.name ? ` (${v.name})` : ""}; ` +
        "give a named function (it is saved by name and passed back in customObjects) or a class with getConfig",
    );
  }
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map((x) => serializeValue(key, x, owner));
  if (isPlainObject(v)) return key === "arguments" ? v : serializeConfig(v, owner);
  throw new UnimplementedError(`Layer "${owner}": cannot serialize its \`${key}\` (${String(v)}); only JSON values and Keras objects can be saved`);
}

/** A config with every nested value in Keras's form (camelCase keys; model.toJson snake-cases them). */
export function serializeConfig(config: Record<string, unknown>, owner: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[k] = serializeValue(k, v, owner);
  return out;
}

/** One config value as the constructor takes it (nested serialized objects made into objects). */
function deserializeValue(key: string, v: unknown, custom: CustomObjects): unknown {
  if (isSerialized(v)) {
    if (key.endsWith("Initializer")) return deserializeInitializer(v, { customObjects: custom });
    if (key.endsWith("Regularizer")) return deserializeRegularizer(v, { customObjects: custom });
    if (key.endsWith("Constraint")) return deserializeConstraint(v, { customObjects: custom });
    if (LAYER_KEYS.has(key)) return deserialize(v, { customObjects: custom });
    // Keras 3 writes dtypes as a DTypePolicy object; its name is the dtype.
    if (key === "dtype") return (normalizeSerialized(v).config.name as string | undefined) ?? "float32";
    return v;
  }
  if (typeof v === "string" && ACTIVATION_KEYS.has(key) && typeof custom[v] === "function") return custom[v];
  if (typeof v === "string" && key === "function") {
    const fn = custom[v];
    if (typeof fn !== "function") {
      throw new InvalidArgumentError(`Unknown function: '${v}' (a Lambda layer's function). Pass it in customObjects: { customObjects: { ${v} } }`);
    }
    return fn;
  }
  return v;
}

/** The constructor options a config gives: nested objects deserialized, Keras's neutral extras dropped. */
export function deserializeConfig(cls: unknown, config: Record<string, unknown>, custom: CustomObjects): Record<string, unknown> {
  const sig = signatureOf(cls);
  const known = sig ? new Set(sig.params.map((p) => p.name)) : null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (known && !known.has(k) && IGNORED_KEYS[k]?.(v)) continue;
    out[k] = deserializeValue(k, v, custom);
  }
  return out;
}

/** tf.keras.layers.serialize: `{ className, config }` of a layer or model, nested objects in Keras's form. */
export const serialize = defineFunction(
  signature(
    "keras.layers.serialize",
    "The { className, config } of a layer (model.toJson writes it with Keras's snake_case keys).",
    [param("layer", kind<Layer>("Layer"), "The layer (or model).")],
    { args: (tf) => [new tf.keras.layers.Dense(2)] },
  ),
  (layer): SerializedObject => {
    if (!(layer instanceof Layer)) throw new InvalidArgumentError(`tf.keras.layers.serialize: expected a Layer, got ${String(layer)}`);
    return { className: layerClassName(layer), config: serializeConfig(layer.getConfig(), layer.name) };
  },
);

/** tf.keras.layers.deserialize: the layer (or model) a `{ className, config }` describes. */
export const deserialize = defineFunction(
  signature(
    "keras.layers.deserialize",
    "The layer a { className, config } (or Keras's { class_name, config } with snake_case keys) describes.",
    [
      positionalOnly(param("config", kind<SerializedObject | Record<string, unknown>>("{ className, config }"), "The serialized layer.")),
      optional("customObjects", kind<CustomObjects>("Record<string, class | function>"), "User layers and functions by the name they were saved under."),
    ],
    { args: () => [{ className: "Dense", config: { units: 2 } }] },
  ),
  (config, customObjects): Layer => {
    const custom = customObjects ?? {};
    if (!isSerialized(config)) throw new InvalidArgumentError(`tf.keras.layers.deserialize: expected { className, config }, got ${JSON.stringify(config)}`);
    const { className, config: cfg } = normalizeSerialized(config);
    const cls = (custom[className] ?? LAYER_CLASSES[className]) as ConfigurableClass | undefined;
    if (typeof cls !== "function") {
      throw new InvalidArgumentError(
        `Unknown layer: '${className}'. A layer or model of your own class must be passed in customObjects, ` +
          `e.g. tf.keras.models.loadModel(path, { customObjects: { ${className} } }) (its class needs getConfig and, unless its constructor takes that config, a static fromConfig)`,
      );
    }
    // Models deserialize their own layers (and nodes); a layer gets its nested objects made here.
    const isModel = cls === (Model as unknown) || (cls as { prototype?: unknown }).prototype instanceof Model;
    const args = isModel ? cfg : withoutNulls(cls, deserializeConfig(cls, cfg, custom));
    const layer = typeof cls.fromConfig === "function" ? cls.fromConfig(args, custom) : new cls(args);
    if (!(layer instanceof Layer)) throw new InvalidArgumentError(`tf.keras.layers.deserialize: ${className}.fromConfig did not return a Layer`);
    return layer;
  },
);
