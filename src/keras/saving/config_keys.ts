/**
 * Keras's JSON spells keys in snake_case (`use_bias`, `kernel_initializer`, `class_name`); tsflow's configs
 * use the constructors' camelCase names. These convert whole config trees between the two, leaving the
 * values of opaque keys (a Lambda's user-named `arguments`) as they are.
 */

/** Keys whose values are user data, not configs: their own keys are never renamed. */
const OPAQUE = new Set(["arguments"]);
/** Keras's names that the mechanical rule does not give (digits after a letter). */
const TO_SNAKE: Readonly<Record<string, string>> = { beta1: "beta_1", beta2: "beta_2" };

/** `useBias` -> `use_bias`, `className` -> `class_name`. */
export function snakeKey(key: string): string {
  return TO_SNAKE[key] ?? key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
/** `use_bias` -> `useBias`, `beta_1` -> `beta1`; a camelCase key is unchanged. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function convert(value: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, rename));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[rename(k)] = OPAQUE.has(camelKey(k)) ? v : convert(v, rename);
  return out;
}

/** A config tree with Keras's snake_case keys (what model.toJson writes). */
export function toSnakeKeys(value: unknown): unknown {
  return convert(value, snakeKey);
}
/** A config tree with tsflow's camelCase keys (what constructors take); camelCase input passes through. */
export function toCamelKeys(value: unknown): unknown {
  return convert(value, camelKey);
}

export { isPlainObject };
