import { isTypedArray } from "../core/values.js";

/** A plain options object (not a tensor, array or typed array): API.md's trailing named arguments. */
export function isOptions(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x) || isTypedArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Python's calling convention: parameters by position in Python's order, then optionally one trailing
 * options object naming any of the remaining ones (camelCased). Returns them all by name.
 */
export function pyArgs<T extends object>(args: readonly unknown[], names: readonly (keyof T & string)[]): Partial<T> {
  const out: Record<string, unknown> = {};
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const last = n > 0 ? args[n - 1] : undefined;
  const positional = isOptions(last) ? args.slice(0, n - 1) : args.slice(0, n);
  positional.forEach((v, i) => {
    if (i < names.length && v !== undefined) out[names[i]] = v;
  });
  if (positional.length < n) {
    for (const [k, v] of Object.entries(last as Record<string, unknown>)) if (v !== undefined) out[k] = v;
  }
  return out as Partial<T>;
}

/**
 * The type of Python-style trailing arguments: any prefix of the positional parameters `P`, optionally
 * followed by one options object `O`. `(x, ...args: PyArgs<[axis: number, keepdims: boolean], Opts>)`
 * accepts `(x)`, `(x, 1)`, `(x, 1, true)`, `(x, { keepdims: true })`, `(x, 1, { keepdims: true })`.
 */
export type PyArgs<P extends readonly unknown[], O> = P extends readonly [infer H, ...infer R]
  ? [opts?: O] | [H, ...PyArgs<R, O>]
  : [opts?: O];
