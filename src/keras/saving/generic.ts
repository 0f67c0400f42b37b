/**
 * Keras's serialization protocol, shared by every kind of Keras object (initializers, regularizers,
 * constraints, schedules, optimizers, losses, metrics, layers, models): an object becomes
 * `{ className, config }` (`{"class_name": ..., "config": ...}` in JSON), and comes back through its
 * class's static `fromConfig(config)` or, lacking one, `new Cls(config)` (every tsflow constructor takes its
 * arguments as one options object). Classes the user wrote are found in `customObjects`.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { signatureOf } from "../../core/signature.js";
import { isPlainObject, toCamelKeys } from "./config_keys.js";

/** A serialized Keras object (camelCase keys; JSON has class_name and snake_case config keys). */
export interface SerializedObject {
  className: string;
  config: Record<string, unknown>;
}
/** User classes and functions by the name they are saved under (Keras's custom_objects). */
export type CustomObjects = Readonly<Record<string, unknown>>;
/** A class of Keras objects: constructible from its config, maybe with its own fromConfig. */
export type ConfigurableClass = (new (
  config: Record<string, unknown>,
) => unknown) & {
  fromConfig?: (config: Record<string, unknown>, customObjects?: CustomObjects) => unknown;
};

interface Configurable {
  getConfig(): Record<string, unknown>;
}
export function hasConfig(v: unknown): v is Configurable {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as Partial<Configurable>).getConfig === "function";
}

/** The name an object is saved under: its class's name (a class may set a static `className`). */
export function classNameOf(obj: object): string {
  const ctor = (obj as { constructor: { className?: unknown; name: string } }).constructor;
  return typeof ctor.className === "string" ? ctor.className : ctor.name;
}

/** `{ className, config }` of an object with getConfig (its config as the object gives it). */
export function serializeObject(obj: Configurable): SerializedObject {
  return { className: classNameOf(obj), config: obj.getConfig() };
}

/** Whether a value is a serialized object (`{ className, config }` or Keras's `{ class_name, config }`). */
export function isSerialized(v: unknown): v is SerializedObject {
  return isPlainObject(v) && (typeof v.className === "string" || typeof v.class_name === "string");
}

/** The camelCase form of a serialized object, whichever spelling it came in. */
export function normalizeSerialized(v: SerializedObject | Record<string, unknown>): SerializedObject {
  const o = v as Record<string, unknown>;
  const className = (o.className ?? o.class_name) as string;
  const config = (toCamelKeys(o.config ?? {}) as Record<string, unknown>) ?? {};
  return { className, config };
}

/**
 * The object a serialized identifier describes: its class is looked up in customObjects first, then in
 * `classes` (Keras's names); `kind` names the module in errors ("initializer", "layer", ...).
 */
export function deserializeObject(
  identifier: SerializedObject | Record<string, unknown>,
  classes: Readonly<Record<string, ConfigurableClass>>,
  customObjects: CustomObjects = {},
  kind = "object",
): unknown {
  const { className, config } = normalizeSerialized(identifier);
  const cls = (customObjects[className] ?? classes[className]) as ConfigurableClass | undefined;
  if (typeof cls !== "function") {
    throw new InvalidArgumentError(
      `Unknown ${kind}: '${className}'. Please ensure you are passing the class in customObjects ` +
        `(e.g. tf.keras.models.loadModel(path, { customObjects: { ${className} } })); known ${kind}s: ${Object.keys(classes).join(", ")}`,
    );
  }
  const args = withoutNulls(cls, config);
  return typeof cls.fromConfig === "function" ? cls.fromConfig(args, customObjects) : new cls(args);
}

/**
 * The config without the nulls that stand for Python's None where tsflow's parameter is simply absent
 * (`seed: null`, `kernelRegularizer: null`); a null is kept where the parameter has another default and
 * null means something of its own (Bidirectional's mergeMode).
 */
export function withoutNulls(cls: unknown, config: Record<string, unknown>): Record<string, unknown> {
  const sig = signatureOf(cls);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null) {
      const p = sig?.params.find((q) => q.name === k);
      if (!p?.hasDefault || p.default === null || p.default === undefined) continue;
    }
    out[k] = v;
  }
  return out;
}

/** The classes among a module's exports that derive from `base` (the registry of a module, by Keras name). */
export function classesOf(module: Readonly<Record<string, unknown>>, base: abstract new (...args: never[]) => unknown): Record<string, ConfigurableClass> {
  const out: Record<string, ConfigurableClass> = {};
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === "function" && value.prototype instanceof base) out[name] = value as unknown as ConfigurableClass;
  }
  return out;
}
