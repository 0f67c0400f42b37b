import { isTensor } from "../ops/dispatch.js";
import { isTensorConvertible } from "../core/tensor_like.js";

/**
 * Dataset elements as TensorFlow nests them: a tensor, an array of elements (Python's tuple) or a plain object
 * of elements (Python's dict). Pipelines carry elements flat (one component per tensor, in TensorFlow's
 * order: arrays by position, objects by sorted key) with one `Structure` per dataset that puts them back.
 */
export type Nest<T> = T | readonly Nest<T>[] | { readonly [key: string]: Nest<T> };

/** A dataset's element structure: the leaf is the index of the flat component. */
export type Structure = Nest<number>;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

/** Whether a JS array is one tensor's value (nested numbers, booleans, strings) rather than a tuple. */
function isValueArray(a: readonly unknown[]): boolean {
  for (const x of a) {
    if (Array.isArray(x)) {
      if (!isValueArray(x)) return false;
    } else if (!(typeof x === "number" || typeof x === "boolean" || typeof x === "string" || typeof x === "bigint")) return false;
  }
  return true;
}

/**
 * Whether `x` is one component (a tensor, variable, typed array, scalar or nested array of scalars), as
 * opposed to a tuple (an array holding tensors or objects) or a dict (a plain object).
 */
export function isLeaf(x: unknown): boolean {
  if (isTensor(x) || isTensorConvertible(x)) return true;
  if (Array.isArray(x)) return isValueArray(x);
  if (isPlainObject(x)) return false;
  return true;
}

/** The components of `x` in TensorFlow's order, and the structure that rebuilds it. */
export function flatten<T>(x: Nest<T> | unknown, leaf: (x: unknown) => boolean = isLeaf): { flat: T[]; structure: Structure } {
  const flat: T[] = [];
  const walk = (v: unknown): Structure => {
    if (leaf(v)) {
      flat.push(v as T);
      return flat.length - 1;
    }
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    const out: Record<string, Structure> = {};
    for (const k of Object.keys(o).sort()) out[k] = walk(o[k]);
    return out;
  };
  const structure = walk(x);
  return { flat, structure };
}

/** The element of `structure` with each leaf i replaced by flat[i]. */
export function unflatten<T>(structure: Structure, flat: readonly T[]): Nest<T> {
  if (typeof structure === "number") return flat[structure];
  if (Array.isArray(structure)) return structure.map((s) => unflatten(s, flat));
  const out: Record<string, Nest<T>> = {};
  for (const [k, s] of Object.entries(structure as Record<string, Structure>)) out[k] = unflatten(s, flat);
  return out;
}

/** The number of components of a structure. */
export function countLeaves(structure: Structure): number {
  if (typeof structure === "number") return 1;
  const parts = Array.isArray(structure) ? structure : Object.values(structure as Record<string, Structure>);
  let n = 0;
  for (const s of parts as Structure[]) n += countLeaves(s);
  return n;
}

/** The structure with its leaves renumbered from `offset` (zip and enumerate concatenate flat lists). */
export function shiftStructure(structure: Structure, offset: number): Structure {
  if (typeof structure === "number") return structure + offset;
  if (Array.isArray(structure)) return structure.map((s) => shiftStructure(s, offset));
  const out: Record<string, Structure> = {};
  for (const [k, s] of Object.entries(structure as Record<string, Structure>)) out[k] = shiftStructure(s, offset);
  return out;
}

/** Whether two structures have the same nesting (concatenate, interleave and generators require it). */
export function sameStructure(a: Structure, b: Structure): boolean {
  if (typeof a === "number" || typeof b === "number") return typeof a === typeof b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as readonly Structure[];
    return a.length === bb.length && a.every((s, i) => sameStructure(s, bb[i]));
  }
  const ao = a as Record<string, Structure>;
  const bo = b as Record<string, Structure>;
  const ka = Object.keys(ao).sort();
  const kb = Object.keys(bo).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameStructure(ao[k], bo[k]));
}

/** A structure printed as TensorFlow prints nests: (a, b) for tuples, {'k': v} for dicts. */
export function structureString<T>(structure: Structure, flat: readonly T[], show: (x: T) => string): string {
  if (typeof structure === "number") return show(flat[structure]);
  if (Array.isArray(structure)) {
    const parts = structure.map((s) => structureString(s, flat, show));
    return `(${parts.join(", ")}${parts.length === 1 ? "," : ""})`;
  }
  const o = structure as Record<string, Structure>;
  return `{${Object.keys(o)
    .map((k) => `'${k}': ${structureString(o[k], flat, show)}`)
    .join(", ")}}`;
}

/** The components of `x` read along `structure` (a value's own nesting below a leaf stays one component); null where x does not fit. */
export function flattenUpTo(structure: Structure, x: unknown): unknown[] | null {
  const flat: unknown[] = [];
  const walk = (s: Structure, v: unknown): boolean => {
    if (typeof s === "number") {
      flat[s] = v;
      return true;
    }
    if (Array.isArray(s)) return Array.isArray(v) && v.length === s.length && s.every((c, i) => walk(c, v[i]));
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const o = s as Record<string, Structure>;
    return Object.keys(o).every((k) => k in (v as object) && walk(o[k], (v as Record<string, unknown>)[k]));
  };
  return walk(structure, x) ? flat : null;
}
