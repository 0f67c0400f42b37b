import fc from "fast-check";
import { cpuKernels } from "../../src/backends/cpu/kernels/index.js";
import type { DType } from "../../src/core/dtype.js";
import { allOpSchemas } from "../../src/core/schema/index.js";
import type { AttrDef, OpSchema } from "../../src/core/schema/types.js";

/**
 * The fuzzer's calls, generated with fast-check from THE op table (core/schema): every row that a backend
 * runs as a kernel is fuzzed, so a new op is fuzzed without new code. A call is plain data (structured-clone
 * safe, printable as its reproduction): the op type, its inputs (dtype, shape, flat values; host inputs such
 * as shapes and axes as int32 values), its attrs, and, per input, whether the graph run hides its shape.
 */

export interface InputCase {
  readonly dtype: DType;
  readonly shape: number[];
  readonly values: (number | bigint | string | boolean)[];
  /** In the graph run: fed through a placeholder of unknown shape (else of its known shape, or a Const for host inputs). */
  readonly unknownShape: boolean;
}
export interface FuzzCase {
  readonly op: string;
  readonly inputs: InputCase[];
  readonly attrs: Record<string, unknown>;
}

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "int64", "uint8", "bool", "string", "float16", "bfloat16"];
/** Rows not fuzzed: graph plumbing and state (variables, iterators, control flow), which are no single kernel call. */
const PLUMBING = new Set(["Placeholder", "PlaceholderWithDefault", "Const", "NoOp", "Identity"]);

/** The rows the fuzzer calls: those with a CPU kernel, no variable inputs and no function attrs. */
export function fuzzableOps(): readonly OpSchema[] {
  const kernels = cpuKernels();
  return allOpSchemas().filter(
    (s) => kernels[s.type] !== undefined && !s.refInputs && !PLUMBING.has(s.type) && !(s.attrs ?? []).some((a) => a.type === "func" || a.type === "list(type)"),
  );
}

/** Whether a row draws random numbers (its values are compared by shape and dtype only). */
export function isRandom(s: OpSchema): boolean {
  return s.stateful === true && (s.attrs ?? []).some((a) => a.name === "seed");
}

// ---------------------------------------------------------------- values

const FLOATS = [0, -0, 1, -1, 0.5, 2, 3, -2.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, 3.4e38, -3.4e38, 1e-7, 1e300];
const INT32S = [0, 1, -1, 2, 3, 7, 2147483647, -2147483648, 100];
const INT64S = [0n, 1n, -1n, 2n, 3n, 9223372036854775807n, -9223372036854775808n, 2n ** 53n, 40n];
const UINT8S = [0, 1, 2, 3, 255, 128];
const STRINGS = ["", "a", "é", "0", "1.5", "long string value"];

function valueArb(dtype: DType): fc.Arbitrary<number | bigint | string | boolean> {
  switch (dtype) {
    case "float32":
    case "float64":
    case "float16":
    case "bfloat16":
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FLOATS) }, { weight: 1, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) });
    case "int32":
      return fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -4, max: 6 }) }, { weight: 1, arbitrary: fc.constantFrom(...INT32S) });
    case "int64":
      return fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: -4n, max: 6n }) }, { weight: 1, arbitrary: fc.constantFrom(...INT64S) });
    case "uint8":
      return fc.constantFrom(...UINT8S);
    case "bool":
      return fc.boolean();
    default:
      return fc.constantFrom(...STRINGS);
  }
}

/** Small shapes, empty dims included: inputs are real tensors, so at most 48 elements. */
const shapeArb: fc.Arbitrary<number[]> = fc
  .array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constant(0) }), { maxLength: 5 })
  .filter((s) => s.reduce((a, b) => a * b, 1) <= 48);

function tensorArb(dtype: DType, shape: fc.Arbitrary<number[]>, hideShape: fc.Arbitrary<boolean>): fc.Arbitrary<InputCase> {
  return fc.tuple(shape, hideShape).chain(([s, unknownShape]) => {
    const n = s.reduce((a, b) => a * b, 1);
    return fc.array(valueArb(dtype), { minLength: n, maxLength: n }).map((values) => ({ dtype, shape: s, values, unknownShape }));
  });
}

/** Host inputs (shapes, axes, multiples, paddings): int32 scalars or vectors, small values mostly, huge ones at times. */
const hostValue = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: -2, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(2147483647, -2147483648, 1000000, 65536) },
);
function hostArb(dtype: DType, hideShape: fc.Arbitrary<boolean>): fc.Arbitrary<InputCase> {
  return fc
    .tuple(
      fc.oneof(
        fc.constant([] as number[]),
        fc.integer({ min: 0, max: 5 }).map((n) => [n]),
      ),
      hideShape,
    )
    .chain(([shape, unknownShape]) => {
      const n = shape.length === 0 ? 1 : shape[0];
      const v = dtype === "int64" ? hostValue.map((x) => BigInt(x)) : hostValue;
      return fc.array(v as fc.Arbitrary<number | bigint>, { minLength: n, maxLength: n }).map((values) => ({ dtype, shape, values, unknownShape }));
    });
}

// ---------------------------------------------------------------- attrs

function attrArb(a: AttrDef): fc.Arbitrary<unknown> {
  const allowed = a.allowed as unknown[] | undefined;
  const junk = (x: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 12, arbitrary: x }, { weight: 1, arbitrary: fc.constantFrom<unknown>("junk", -1, null, 1.5, [1]) });
  switch (a.type) {
    case "int":
      return junk(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 1e9, 31) }));
    case "float":
      return junk(fc.constantFrom(0, 1, 1e-3, 0.5, -1, Number.NaN, 2));
    case "bool":
      return junk(fc.boolean());
    case "string":
      return junk(allowed ? fc.constantFrom(...allowed) : fc.constantFrom("", "message"));
    case "type":
      return junk(allowed ? fc.constantFrom(...allowed) : fc.constantFrom(...DTYPES));
    case "list(int)":
      return junk(
        fc.oneof(
          fc.integer({ min: 1, max: 5 }).chain((n) =>
            fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 0 }) }), {
              minLength: n,
              maxLength: n,
            }),
          ),
          fc.constantFrom([1, 1, 1, 1], [1, 2, 2, 1], [1, 1, 1, 1, 1], [1, 2, 2, 2, 1]),
        ),
      );
    case "shape":
      return junk(fc.oneof(fc.constant(null), shapeArb));
    default:
      return fc.constant(a.default ?? null);
  }
}

function attrsArb(s: OpSchema): fc.Arbitrary<Record<string, unknown>> {
  const entries = (s.attrs ?? []).map((a) => {
    const v = attrArb(a);
    // An attr with a default is left out half the time (the default then applies).
    const arb = a.default !== undefined ? fc.option(v, { nil: undefined, freq: 2 }) : v;
    return arb.map((x) => [a.name, x] as const);
  });
  return fc.tuple(...entries).map((kv) => Object.fromEntries(kv.filter(([, v]) => v !== undefined)));
}

// ---------------------------------------------------------------- inputs

/** How many tensor inputs a row takes, lists (AddN's N) expanded: [before the list, list length allowed, after]. */
function arity(s: OpSchema): { names: number; list: number | null } {
  const args = s.inputs;
  if (args) return { names: args.length, list: args.findIndex((a) => a.numberAttr !== undefined) };
  const fromGroups = Math.max(0, ...(s.dtypeGroups ?? []).flat().map((i) => i + 1));
  return { names: Math.max(s.inputNames?.length ?? 0, fromGroups, 1), list: null };
}

function opCase(s: OpSchema): fc.Arbitrary<FuzzCase> {
  const { names, list } = arity(s);
  const allowed = s.allowedDTypes?.filter((d) => DTYPES.includes(d)) ?? DTYPES;
  // Mostly an allowed dtype; at times any (a wrong argument must be a clean error).
  const mainDType = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(allowed.length ? allowed : DTYPES)) },
    { weight: 1, arbitrary: fc.constantFrom(...DTYPES) },
  );
  const hide = fc.boolean();
  return fc
    .record({
      dtype: mainDType,
      shape: shapeArb,
      listLen: fc.integer({ min: 1, max: 3 }),
      sameShape: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      attrs: attrsArb(s),
    })
    .chain(({ dtype, shape, listLen, sameShape, attrs }) => {
      const slots: number[] = [];
      for (let i = 0; i < names; i++) {
        if (i === list) for (let k = 0; k < listLen; k++) slots.push(i);
        else slots.push(i);
      }
      const groups = s.dtypeGroups ?? [[0]];
      const inputArbs = slots.map((i) => {
        const host = s.hostInputs?.includes(i) ?? false;
        const idt = s.inputDTypes?.[i];
        if (host) return hostArb(idt === "int64" ? "int64" : "int32", hide);
        const inGroup = groups.find((g) => g.includes(i));
        // An input of a fixed dtype (indices, argmax, a summary's tag) is of another one at times, as an argument error.
        const fixed = (d: DType) => fc.oneof({ weight: 6, arbitrary: fc.constant(d) }, { weight: 1, arbitrary: fc.constantFrom(...DTYPES) });
        const d: fc.Arbitrary<DType> = inGroup && inGroup === groups[0] ? fc.constant(dtype) : idt ? fixed(idt) : i === 0 ? fc.constant(dtype) : mainDType;
        const sh = sameShape ? fc.constant(shape) : shapeArb;
        return d.chain((dd) => tensorArb(dd, sh, hide));
      });
      return fc.tuple(...inputArbs).map((inputs) => ({ op: s.type, inputs, attrs }));
    });
}

/** Calls over every fuzzable op, each op equally likely. */
export function callArb(ops: readonly OpSchema[] = fuzzableOps()): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...ops).chain(opCase);
}

/** A call as a line to paste into a reproduction (bigints and special numbers kept). */
export function showCase(c: FuzzCase): string {
  return JSON.stringify(c, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : typeof v === "number" && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? "-0" : v,
  );
}
