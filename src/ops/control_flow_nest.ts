import { InvalidArgumentError } from "../core/errors.js";

/**
 * Nested structures of loop variables and branch results (TensorFlow's tf.nest, for control flow): arrays
 * (Python's lists and tuples) and plain objects (dicts, flattened in sorted key order as tf.nest does)
 * of leaves; anything else (a tensor, a variable, a number) is a leaf.
 */
export type Nested<T> = T | readonly Nested<T>[] | { readonly [k: string]: Nested<T> };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The leaves of `s`, depth first. */
export function flatten(s: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(s)) for (const x of s) flatten(x, out);
  else if (isPlainObject(s)) for (const k of Object.keys(s).sort()) flatten(s[k], out);
  else out.push(s);
  return out;
}

/** `leaves` arranged as `structure` (the inverse of flatten). */
export function packSequenceAs(structure: unknown, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(build);
    if (isPlainObject(s)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(s).sort()) out[k] = build(s[k]);
      // Keep the caller's key order.
      return Object.fromEntries(Object.keys(s).map((k) => [k, out[k]]));
    }
    return leaves[i++];
  };
  const r = build(structure);
  if (i !== leaves.length) throw new InvalidArgumentError(`packSequenceAs: the structure has ${i} leaves but ${leaves.length} values were given`);
  return r;
}

/** A printable form of a structure, leaves shown by `leaf` (TensorFlow's structure in error messages). */
export function structureStr(s: unknown, leaf: (x: unknown) => string = () => "."): string {
  if (Array.isArray(s)) return `[${s.map((x) => structureStr(x, leaf)).join(", ")}]`;
  if (isPlainObject(s))
    return `{${Object.keys(s)
      .sort()
      .map((k) => `${k}: ${structureStr(s[k], leaf)}`)
      .join(", ")}}`;
  return leaf(s);
}

/** Whether two structures have the same nesting (leaves not compared). */
export function sameStructure(a: unknown, b: unknown): boolean {
  return structureStr(a) === structureStr(b);
}
