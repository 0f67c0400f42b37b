/**
 * Public signatures, declared once (docs/API.md, rule 2). Each public function and class declares its
 * parameters here-style — Python's names camelCased, in Python's order, with defaults and a one-line doc —
 * and that one declaration is read by:
 *  - the argument parser (`defineFunction` / `parseArgs`): any parameter by position, or by name in one
 *    trailing options object (`tf.matmul(a, b, { transposeB: true })`, `tf.matmul({ a, b })`); unknown keys
 *    raise tf.errors.InvalidArgumentError naming the function, the key and the valid names;
 *  - the TypeScript types of the public function (`CallArgs`), so they are not written twice;
 *  - the API reference generator (scripts/gen_api_docs.ts -> docs/API.md) and the test that calls every
 *    public function both ways (test/signatures.test.ts), through `signatureOf`.
 * A parameter whose own value is a plain object (Session.run's fetches and feedDict) is positional-only:
 * a plain object in its place is its value, never the options object.
 */
import { isDType } from "./dtype.js";
import { InvalidArgumentError } from "./errors.js";

// ---------------------------------------------------------------- declarations

/** A parameter's value type (a phantom) and the name the API reference prints for it. */
export interface Kind<T> {
  readonly display: string;
  /** Phantom: never set; carries T for the type derivations. */
  readonly __value?: T;
}
export function kind<T>(display: string): Kind<T> {
  return { display };
}

/** Generic kinds; tensor kinds live with the ops (ops/params.ts). */
export const K = {
  string: kind<string>("string"),
  number: kind<number>("number"),
  boolean: kind<boolean>("boolean"),
  int: kind<number>("int"),
  ints: kind<number[]>("number[]"),
  callback: kind<() => unknown>("() => T"),
};

/**
 * One parameter. `T` is what callers pass; `I` what the implementation receives (T, or T | undefined where
 * the default is Python's None); `R` whether it is required.
 */
export interface Param<N extends string = string, T = unknown, I = unknown, R extends boolean = boolean> {
  readonly name: N;
  readonly kind: Kind<T>;
  readonly doc: string;
  readonly required: R;
  /** The declared default (undefined: Python's None, or required). */
  readonly default: unknown;
  readonly hasDefault: boolean;
  /** Only by position: its own value may be a plain object (API.md rule 2). */
  readonly positionalOnly: boolean;
  /** Python's *args: collects the remaining positional arguments (only as the first parameter). */
  readonly variadic: boolean;
  /** Python's `with` block as a trailing callback (only as the last parameter; CONVENTIONS.md rule 3). */
  readonly body: boolean;
  /** Phantom: never set; carries I. */
  readonly __impl?: I;
}
// `any` in the constraints below: Param is invariant-free data, any instantiation must be accepted.
// biome-ignore lint/suspicious/noExplicitAny: see the comment above
export type AnyParam = Param<string, any, any, boolean>;

function make<N extends string, T, I, R extends boolean>(name: N, k: Kind<T>, doc: string, required: R, def: unknown, hasDefault: boolean): Param<N, T, I, R> {
  return { name, kind: k, doc, required, default: def, hasDefault, positionalOnly: false, variadic: false, body: false };
}

/** A required parameter. */
export function param<N extends string, T>(name: N, k: Kind<T>, doc: string): Param<N, T, T, true> {
  return make(name, k, doc, true, undefined, false);
}
/** An optional parameter whose Python default is None: the implementation receives undefined. */
export function optional<N extends string, T>(name: N, k: Kind<T>, doc: string): Param<N, T, T | undefined, false> {
  return make(name, k, doc, false, undefined, false);
}
/** An optional parameter with a default, which the parser applies (the implementation receives T). */
export function withDefault<N extends string, T>(name: N, k: Kind<T>, def: NoInfer<T>, doc: string): Param<N, T, T, false> {
  return make(name, k, doc, false, def, true);
}
/**
 * Only by position: for a parameter whose own value may be a plain object.
 * @public (part of the declaration vocabulary; knip: kept though no declaration uses it yet)
 */
export function positionalOnly<P extends AnyParam>(p: P): P & { readonly positionalOnly: true } {
  return { ...p, positionalOnly: true };
}
/** Python's `*args` (tf.group(*inputs)): every positional argument, flattened one level for arrays. */
export function variadic<N extends string, T>(name: N, k: Kind<T>, doc: string): Param<N, T[], T[], false> & { readonly variadic: true } {
  return { ...make<N, T[], T[], false>(name, k as unknown as Kind<T[]>, doc, false, undefined, false), variadic: true };
}

/**
 * Python's `with` block, which becomes a trailing callback (CONVENTIONS.md rule 3): the last parameter, and
 * always the last argument, so that the options object comes before it (`tf.variableScope("rnn", { reuse:
 * true }, () => ...)`, `tf.variableScope({ nameOrScope: "rnn" }, () => ...)`); the last function argument of
 * a call that leaves it out is taken as it (`tf.nameScope("a", fn)` fills it even when parameters lie
 * between). It may also be named in the options object.
 */
export function body<N extends string, T>(name: N, k: Kind<T>, doc: string): Param<N, T, T, true> & { readonly body: true } {
  return { ...make<N, T, T, true>(name, k, doc, true, undefined, false), body: true };
}

/** A declared signature: the public name (as in TensorFlow, `tf.` omitted), a one-line doc and the parameters. */
export interface Signature<Ps extends readonly AnyParam[] = readonly AnyParam[]> {
  readonly name: string;
  readonly doc: string;
  readonly params: Ps;
  /** Arguments for the documentation and for the test that calls every public function both ways. */
  readonly example?: Example;
  /** name -> index, for the options object. */
  readonly index: { readonly [name: string]: number };
  /** The last parameter is a trailing callback (`body`). */
  readonly body: boolean;
}

/**
 * How the both-ways test calls a function: `args(tf)` gives the arguments by position (the test then also
 * passes them as one options object), in eager mode unless `graph` (then inside a new tf.Graph); `skip`
 * says why a function is not called (global side effects such as tf.app.run).
 */
export interface Example {
  // `any`: the tf namespace is built above core, which cannot name its type.
  // biome-ignore lint/suspicious/noExplicitAny: see the comment above
  readonly args?: (tf: any) => readonly unknown[];
  readonly graph?: boolean;
  readonly skip?: string;
}

export function signature<const Ps extends readonly AnyParam[]>(name: string, doc: string, params: Ps, example?: Example): Signature<Ps> {
  const index: { [name: string]: number } = Object.create(null);
  params.forEach((p, i) => {
    if (p.variadic && i !== 0) throw new Error(`signature ${name}: only the first parameter may be variadic`);
    if (p.body && i !== params.length - 1) throw new Error(`signature ${name}: only the last parameter may be a body`);
    index[p.name] = i;
  });
  const hasBody = params.length > 0 && params[params.length - 1].body;
  if (hasBody && params[0].variadic) throw new Error(`signature ${name}: a body after a variadic parameter is not supported`);
  return { name, doc, params, example, index, body: hasBody };
}

// ---------------------------------------------------------------- derived types

type ValueOf<P> = P extends Param<string, infer T, unknown, boolean> ? T : never;
type ImplOf<P> = P extends Param<string, unknown, infer I, boolean> ? I : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The options object for the parameters `Ps` (positional-only ones excluded). */
export type OptionsOf<Ps extends readonly AnyParam[]> = Simplify<
  { [P in Ps[number] as P["positionalOnly"] extends true ? never : P["required"] extends true ? P["name"] : never]: ValueOf<P> } & {
    [P in Ps[number] as P["positionalOnly"] extends true ? never : P["required"] extends true ? never : P["name"]]?: ValueOf<P> | undefined;
  }
>;
type AllOptional<Ps extends readonly AnyParam[]> = true extends Ps[number]["required"] ? false : true;
type OptionsTail<Ps extends readonly AnyParam[]> = AllOptional<Ps> extends true ? [options?: OptionsOf<Ps>] : [options: OptionsOf<Ps>];

/**
 * What a caller may pass: any prefix of the parameters by position, then optionally one options object
 * naming any of the rest (required ones must then be named). `(x, y, name)` accepts `(x, y)`,
 * `(x, y, "n")`, `(x, y, { name: "n" })`, `(x, { y })`, `({ x, y })`.
 */
export type CallArgs<Ps extends readonly AnyParam[]> = Ps extends readonly [infer H extends AnyParam, ...infer R extends readonly AnyParam[]]
  ? H["variadic"] extends true
    ? ValueOf<H> | [...ValueOf<H>, OptionsOf<R>]
    :
        | (H["positionalOnly"] extends true ? (H["required"] extends true ? never : []) : OptionsTail<Ps>)
        | [H["required"] extends true ? ValueOf<H> : ValueOf<H> | undefined, ...CallArgs<R>]
  : [];

/** What the implementation receives: every parameter by position, defaults applied. */
export type ImplArgs<Ps extends readonly AnyParam[]> = { -readonly [I in keyof Ps]: ImplOf<Ps[I]> };

export type ArgsOf<S extends Signature> = CallArgs<S["params"]>;

/**
 * The type of a declared public function: CallArgs as two overloads, the first parameter by position or
 * everything in one options object, so that the function stays assignable to plain function types such
 * as `(x: Tensor, ...rest: any[]) => Tensor`.
 */
export type PublicFunction<Ps extends readonly AnyParam[], R> = Ps extends readonly [infer H extends AnyParam, ...infer Rest extends readonly AnyParam[]]
  ? H["variadic"] extends true
    ? (...args: CallArgs<Ps>) => R
    : H["positionalOnly"] extends true
      ? (first: H["required"] extends true ? ValueOf<H> : ValueOf<H> | undefined, ...rest: CallArgs<Rest>) => R
      : { (first: H["required"] extends true ? ValueOf<H> : ValueOf<H> | undefined, ...rest: CallArgs<Rest>): R; (...options: OptionsTail<Ps>): R }
  : (options?: Record<string, never>) => R;

// ---------------------------------------------------------------- the parser

/** A plain options object (not a tensor, array or typed array): API.md's trailing named arguments. */
export function isOptions(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const SIGNATURE = Symbol.for("tsflow.signature");

/**
 * The declaration of a public function or class (undefined for an undeclared value).
 * @public (the read side of `declare`, for the API reference; knip: kept though nothing calls it yet)
 */
export function signatureOf(f: unknown): Signature | undefined {
  if ((typeof f !== "function" && typeof f !== "object") || f === null) return undefined;
  return (f as { [SIGNATURE]?: Signature })[SIGNATURE];
}

/** Marks a class (or any function) as declared by `sig`, for the reference and the both-ways test. */
export function declare<F extends object>(target: F, sig: Signature): F {
  Object.defineProperty(target, SIGNATURE, { value: sig, enumerable: false, configurable: true });
  return target;
}

function fail(sig: Signature, message: string): never {
  throw new InvalidArgumentError(`tf.${sig.name}: ${message}`);
}

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Edit distance with adjacent transpositions (`nmae` -> `name` is one edit); option names are short. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_r, i) => Array.from({ length: b.length + 1 }, (_c, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The declared name a misspelled key most likely meant: its camelCased form (Python's `transpose_a`), the
 * same name in another case, else the nearest name within a third of its length in edits (`axes` -> `axis`).
 */
function suggestion(key: string, names: readonly string[]): string | undefined {
  const c = camel(key);
  if (c !== key && names.includes(c)) return c;
  const lower = c.toLowerCase();
  const sameCase = names.find((n) => n.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const n of names) {
    const d = editDistance(lower, n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

function unknownKey(sig: Signature, key: string): never {
  const valid = sig.params.filter((p) => !p.positionalOnly).map((p) => p.name);
  const guess = suggestion(key, valid);
  const hint = guess === undefined ? "" : ` (did you mean "${guess}"?${camel(key) !== key ? " names are camelCased" : ""})`;
  fail(sig, `got an unexpected argument "${key}"${hint}; valid names: ${valid.join(", ")}`);
}

// ---------------------------------------------------------------- argument kinds checked at run time

/**
 * The run-time test of each type a kind's display may name, as a JS expression in `$` (inlined into the
 * generated wrappers, so a check costs a comparison or two). A display is a union (`string | null`); it is
 * checked only when every member is listed here, otherwise (classes, callbacks, nests) anything passes and
 * the implementation decides.
 */
const ATOM_TESTS: { readonly [display: string]: string } = {
  string: 'typeof $ === "string"',
  number: 'typeof $ === "number"',
  int: "Number.isInteger($)",
  boolean: 'typeof $ === "boolean"',
  null: "$ === null",
  "number[]": "(Array.isArray($) || ArrayBuffer.isView($))",
  "TensorLike[]": "Array.isArray($)",
  "Tensor[]": "Array.isArray($)",
  DType: "isDType($)",
  // Anything a tensor is converted from: not a function, symbol or null (Python's None is no tensor).
  TensorLike: '($ !== null && typeof $ !== "function" && typeof $ !== "symbol")',
};

/** The test of a kind as an expression in `$`, or undefined when the kind is not checked. */
function kindTest(k: Kind<unknown>): string | undefined {
  const atoms = k.display.split("|").map((a) => a.trim());
  if (!atoms.every((a) => a in ATOM_TESTS)) return undefined;
  return `(${atoms.map((a) => ATOM_TESTS[a]).join(" || ")})`;
}

/** Whether a kind's display admits null (Python's None). */
function admitsNull(k: Kind<unknown>): boolean {
  return k.display.split("|").some((a) => a.trim() === "null");
}

const testCache = new WeakMap<Kind<unknown>, ((v: unknown) => boolean) | null>();
/** The compiled test of a kind (null: not checked), for the slow paths. */
function kindPredicate(k: Kind<unknown>): ((v: unknown) => boolean) | null {
  let f = testCache.get(k);
  if (f === undefined) {
    const expr = kindTest(k);
    f = expr === undefined ? null : (new Function("isDType", `return ($) => ${expr};`)(isDType) as (v: unknown) => boolean);
    testCache.set(k, f);
  }
  return f;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `${String(v)} (${typeof v})`;
}

function badKind(sig: Signature, i: number, v: unknown): never {
  const p = sig.params[i];
  const snake = p.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const arg = `argument "${p.name}" (${snake !== p.name ? `${snake}, ` : ""}position ${i})`;
  if (v === null) fail(sig, `${arg} must not be null: expected ${p.kind.display}`);
  const dtypeHint = typeof v === "string" && /\bDType\b/.test(p.kind.display) ? ` (unknown dtype "${v}")` : "";
  fail(sig, `${arg} must be ${p.kind.display}, got ${describe(v)}${dtypeHint}`);
}

/** Checks one given argument against its declared kind (slow paths: options objects, parseArgs). */
function checkKind(sig: Signature, i: number, v: unknown): void {
  const p = sig.params[i];
  if (p.variadic || p.body || v === undefined) return;
  if (v === null && (!p.required || admitsNull(p.kind))) return;
  const test = kindPredicate(p.kind);
  if (test !== null && !test(v)) badKind(sig, i, v);
}

function missing(sig: Signature, i: number): never {
  fail(sig, `missing required argument "${sig.params[i].name}" (position ${i})`);
}

function tooMany(sig: Signature, n: number): never {
  fail(sig, `takes at most ${sig.params.length} positional arguments but ${n} were given`);
}

/**
 * Resolves a call whose options object is at position `at` (-1: none) into one value per parameter,
 * defaults applied. Allocates; the generated fast path of `defineFunction` only comes here with options.
 */
function resolve(sig: Signature, at: number, args: ArrayLike<unknown>): unknown[] {
  const ps = sig.params;
  const n = ps.length;
  const out = new Array<unknown>(n);
  const positional = at < 0 ? args.length : at;
  if (positional > n) tooMany(sig, positional);
  for (let i = 0; i < positional; i++) out[i] = args[i];
  // The trailing callback comes after the options object.
  if (sig.body && positional < n - 1 && args[n - 1] !== undefined) out[n - 1] = args[n - 1];
  if (at >= 0) {
    const opts = args[at] as Record<string, unknown>;
    for (const key in opts) {
      const v = opts[key];
      const i = sig.index[key];
      if (i === undefined || ps[i].positionalOnly) unknownKey(sig, key);
      if (v === undefined) continue;
      if (out[i] !== undefined) fail(sig, `got multiple values for argument "${key}" (by position and in the options)`);
      out[i] = v;
    }
  }
  for (let i = 0; i < n; i++) {
    if (out[i] !== undefined) {
      checkKind(sig, i, out[i]);
      continue;
    }
    if (ps[i].required) missing(sig, i);
    out[i] = ps[i].default;
  }
  return out;
}

/** The position of a trailing options object among `args`, or -1 (trailing undefineds skipped). */
function optionsAt(sig: Signature, args: ArrayLike<unknown>): number {
  let last = args.length - 1;
  while (last >= 0 && args[last] === undefined) last--;
  if (last < 0 || !isOptions(args[last])) return -1;
  const p = sig.params[Math.min(last, sig.params.length - 1)];
  return last < sig.params.length && p.positionalOnly ? -1 : last;
}

/**
 * Parses `args` (a rest-parameter array) against `sig`: one value per parameter, defaults applied. For
 * constructors and methods off the hot path; public functions use `defineFunction`.
 */
export function parseArgs<const Ps extends readonly AnyParam[]>(sig: Signature<Ps>, args: ArrayLike<unknown>): ImplArgs<Ps> {
  if (sig.body) {
    const a = withBodyLast(sig, args);
    return resolve(sig, bodyOptionsAt(a), a) as ImplArgs<Ps>;
  }
  if (sig.params.length > 0 && sig.params[0].variadic) return parseVariadic(sig, args) as ImplArgs<Ps>;
  return resolve(sig, optionsAt(sig, args), args) as ImplArgs<Ps>;
}

/** A copy of `args`, one slot per parameter, with a trailing callback given early moved to the body's slot. */
function withBodyLast(sig: Signature, args: ArrayLike<unknown>): unknown[] {
  const n = sig.params.length;
  if (args.length > n) tooMany(sig, args.length);
  const a = Array.from({ length: n }, (_v, i) => args[i]);
  if (a[n - 1] !== undefined) return a;
  for (let i = n - 2; i >= 0; i--) {
    if (a[i] === undefined) continue;
    if (typeof a[i] === "function") {
      a[n - 1] = a[i];
      a[i] = undefined;
    }
    break;
  }
  return a;
}

/** Where the options object is in a call whose body is last: in the body's slot, or before it. */
function bodyOptionsAt(a: readonly unknown[]): number {
  const n = a.length;
  if (isOptions(a[n - 1])) return n - 1;
  for (let i = n - 2; i >= 0; i--) if (a[i] !== undefined) return isOptions(a[i]) ? i : -1;
  return -1;
}

function parseVariadic(sig: Signature, args: ArrayLike<unknown>): unknown[] {
  const at = optionsAt({ ...sig, params: sig.params.map((p) => ({ ...p, positionalOnly: false })) }, args);
  const end = at < 0 ? args.length : at;
  const rest: unknown[] = [];
  for (let i = 0; i < end; i++) {
    const v = args[i];
    if (Array.isArray(v)) rest.push(...(v as unknown[]));
    else if (v !== undefined) rest.push(v);
  }
  const tail = at < 0 ? [] : [args[at]];
  const resolved = resolve({ ...sig, params: sig.params.slice(1), index: shiftIndex(sig) }, tail.length ? 0 : -1, tail);
  return [rest, ...resolved];
}

function shiftIndex(sig: Signature): { [name: string]: number } {
  const index: { [name: string]: number } = Object.create(null);
  sig.params.slice(1).forEach((p, i) => (index[p.name] = i));
  return index;
}

/**
 * The public function for `sig`: a wrapper of fixed arity, generated once, that passes positional calls
 * straight to `impl` (defaults inlined, no allocation) and resolves an options object only when one is
 * given. `impl` receives every parameter by position.
 */
export function defineFunction<const Ps extends readonly AnyParam[], R>(sig: Signature<Ps>, impl: (...args: ImplArgs<Ps>) => R): PublicFunction<Ps, R> {
  const n = sig.params.length;
  let f: (...args: unknown[]) => unknown;
  if (n === 0) {
    // No parameters: an options object may still be passed, empty (`tf.memory({})`).
    f = (...args: unknown[]) => {
      if (args.length > 1) tooMany(sig, args.length);
      const opts = args[0];
      if (opts !== undefined) {
        if (!isOptions(opts)) tooMany(sig, 1);
        for (const key in opts) unknownKey(sig, key);
      }
      return impl(...([] as unknown as ImplArgs<Ps>));
    };
  } else if (n > 0 && sig.params[0].variadic) {
    f = (...args: unknown[]) => (impl as (...a: unknown[]) => R)(...parseVariadic(sig, args));
  } else {
    f = compileCaller(sig, impl as (...a: unknown[]) => unknown);
  }
  Object.defineProperty(f, "name", { value: sig.name.slice(sig.name.lastIndexOf(".") + 1) });
  declare(f, sig);
  return f as PublicFunction<Ps, R>;
}

/** A literal for an inlinable default (primitives), else a reference into D. */
function defaultExpr(v: unknown, i: number): string {
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  return `D[${i}]`;
}

function compileCaller(sig: Signature, impl: (...a: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const ps = sig.params;
  const n = ps.length;
  const a = ps.map((_p, i) => `a${i}`);
  const all = a.join(", ");
  const lines: string[] = [];
  lines.push(`if (arguments.length > ${n}) return tooMany(arguments.length);`);
  let last = n - 1;
  if (sig.body) {
    // A trailing callback given early (`tidy(fn)`, `variableScope("s", { reuse }, fn)`) moves to the body's
    // slot, in locals: no allocation. An options object may then sit in the body's slot or before it.
    const shift: string[] = [];
    for (let i = n - 2; i >= 0; i--) {
      shift.push(
        `${i === n - 2 ? "" : "else "}if (${a[i]} !== undefined) { if (typeof ${a[i]} === "function") { ${a[n - 1]} = ${a[i]}; ${a[i]} = undefined; } }`,
      );
    }
    if (shift.length) lines.push(`if (${a[n - 1]} === undefined) { ${shift.join(" ")} }`);
    lines.push(`if (isOptions(${a[n - 1]})) return slow(${n - 1}, ${all});`);
    last = n - 2;
  }
  // The options object can only be the last defined argument: find it without touching `arguments`.
  for (let i = last; i >= 0; i--) {
    const cond = ps[i].positionalOnly ? "false" : `isOptions(${a[i]})`;
    lines.push(`${i === last ? "" : "else "}if (${a[i]} !== undefined) { if (${cond}) return slow(${i}, ${all}); }`);
  }
  ps.forEach((p, i) => {
    const test = p.body ? undefined : kindTest(p.kind);
    if (test === undefined) return;
    // null is Python's None: the default of an optional parameter, never a required one's value.
    const skipNull = !p.required || admitsNull(p.kind) ? ` && ${a[i]} !== null` : "";
    lines.push(`if (${a[i]} !== undefined${skipNull} && !${test.replaceAll("$", a[i])}) badKind(${i}, ${a[i]});`);
  });
  const call = ps.map((p, i) => {
    if (p.required) {
      lines.push(`if (${a[i]} === undefined) missing(${i});`);
      return a[i];
    }
    return p.hasDefault && p.default !== undefined ? `(${a[i]} === undefined ? ${defaultExpr(p.default, i)} : ${a[i]})` : a[i];
  });
  const body = `"use strict"; return function (${all}) {\n${lines.join("\n")}\nreturn impl(${call.join(", ")});\n};`;
  const D = ps.map((p) => p.default);
  const make = new Function("impl", "isOptions", "slow", "missing", "tooMany", "D", "badKind", "isDType", body) as (
    ...deps: unknown[]
  ) => (...args: unknown[]) => unknown;
  return make(
    impl,
    isOptions,
    (at: number, ...args: unknown[]) => impl(...resolve(sig, at, args)),
    (i: number) => missing(sig, i),
    (count: number) => tooMany(sig, count),
    D,
    (i: number, v: unknown) => badKind(sig, i, v),
    isDType,
  );
}
