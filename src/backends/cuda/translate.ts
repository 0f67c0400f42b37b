import type { DType } from "../../core/dtype.js";
import type { ElementwiseSpec } from "../../core/schema/types.js";

/**
 * Translates the op table's scalar JS expressions (`Math.exp(x)`, `a !== a`, `((a % b) + b) % b`, BigInt
 * forms for int64) into CUDA C++, so that every elementwise op gets its GPU kernel from the one row that
 * defines it. The translation keeps JavaScript's meaning, which is what the CPU reference computes:
 *
 * - float32 / float64 compute in float / double with the matching CUDA functions (expf or exp, through the
 *   overloaded ts_* helpers of the prelude), literals typed as T so float32 stays float32;
 * - int32 / uint8 / bool compute in double, exactly as JS numbers do (so `Math.floor(a / b)` is a floor
 *   division, `Math.pow` and overflow behave as on the CPU), and are stored with JS's ToInt32/ToUint8;
 * - int64 uses the `jsInt64` expression (BigInt in JS) in long long: `0n` -> 0LL, `**` -> integer power;
 * - `===`/`!==` are IEEE comparisons (so `x !== x` is the NaN test), `%` is fmod on floating values,
 *   `Math.max/min` propagate NaN, `Math.round` rounds half up, as in JS.
 *
 * An expression outside this subset throws TranslateError; the op then has no GPU kernel for that dtype
 * and runs on the CPU. A row may give `cuda`, a CUDA C++ expression in T used instead for floating types.
 */

export class TranslateError extends Error {}

/** How values are computed: float, double, JS numbers (int32/uint8/bool as double), or long long (int64). */
export type ComputeClass = "f32" | "f64" | "num" | "i64";

export function computeClass(d: DType): ComputeClass | null {
  switch (d) {
    case "float32":
    case "float16":
    case "bfloat16":
      // The 16-bit floats compute in float: loaded through ts_half/ts_bf16's conversion, stored rounded.
      return "f32";
    case "float64":
      return "f64";
    case "int32":
    case "uint8":
    case "bool":
      return "num";
    case "int64":
      return "i64";
    default:
      return null;
  }
}

export function computeType(c: ComputeClass): string {
  return c === "f32" ? "float" : c === "f64" ? "double" : c === "num" ? "double" : "long long";
}

/** The C type of stored elements. */
export function storageType(d: DType): string {
  switch (d) {
    case "float32":
      return "float";
    case "float64":
      return "double";
    case "int32":
      return "int";
    case "int64":
      return "long long";
    case "uint8":
    case "bool":
      return "unsigned char";
    case "float16":
      return "ts_half";
    case "bfloat16":
      return "ts_bf16";
    default:
      throw new TranslateError(`dtype ${d} has no CUDA storage type`);
  }
}

// ---------------------------------------------------------------- a small parser for the JS subset

type Node =
  | { k: "num"; v: string; big: boolean }
  | { k: "id"; v: string }
  | { k: "un"; op: string; x: Node }
  | { k: "bin"; op: string; l: Node; r: Node }
  | { k: "cond"; c: Node; t: Node; f: Node }
  | { k: "call"; fn: string; args: Node[] };

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?n?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)|(===|!==|==|!=|<=|>=|&&|\|\||\*\*|[-+*/%<>!?:(),]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new TranslateError(`cannot read '${src.slice(pos)}' in '${src}'`);
    out.push(m[1] ?? m[2] ?? m[3]);
    pos = TOKEN.lastIndex;
  }
  return out;
}

const BINARY_PREC: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "===": 3,
  "!==": 3,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
  "**": 8,
};

export function parseExpr(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const eat = (t?: string) => {
    const x = toks[i++];
    if (t !== undefined && x !== t) throw new TranslateError(`expected '${t}' but found '${x ?? "end"}' in '${src}'`);
    return x;
  };
  const primary = (): Node => {
    const t = eat();
    if (t === undefined) throw new TranslateError(`unexpected end of '${src}'`);
    if (t === "(") {
      const e = expr();
      eat(")");
      return e;
    }
    if (/^[\d.]/.test(t)) return { k: "num", v: t.replace(/n$/, ""), big: t.endsWith("n") };
    if (/^[A-Za-z_$]/.test(t)) {
      if (peek() === "(") {
        eat("(");
        const args: Node[] = [];
        if (peek() !== ")") {
          args.push(expr());
          while (peek() === ",") {
            eat(",");
            args.push(expr());
          }
        }
        eat(")");
        return { k: "call", fn: t, args };
      }
      return { k: "id", v: t };
    }
    throw new TranslateError(`unexpected '${t}' in '${src}'`);
  };
  const unary = (): Node => {
    const t = peek();
    if (t === "-" || t === "!" || t === "+") {
      eat();
      return { k: "un", op: t, x: unary() };
    }
    return primary();
  };
  const binary = (minPrec: number): Node => {
    let l = unary();
    for (;;) {
      const op = peek();
      const p = op === undefined ? undefined : BINARY_PREC[op];
      if (p === undefined || p < minPrec) return l;
      eat();
      // ** is right-associative; the rest are left-associative.
      const r = binary(op === "**" ? p : p + 1);
      l = { k: "bin", op: op!, l, r };
    }
  };
  const expr = (): Node => {
    const c = binary(1);
    if (peek() === "?") {
      eat("?");
      const t = expr();
      eat(":");
      const f = expr();
      return { k: "cond", c, t, f };
    }
    return c;
  };
  const e = expr();
  if (i !== toks.length) throw new TranslateError(`unexpected '${toks[i]}' in '${src}'`);
  return e;
}

// ---------------------------------------------------------------- emission

/** Math.* and Number.* functions and the prelude helper each becomes (overloaded on float and double). */
const FUNCS: Record<string, { name: string; arity: number; classes?: readonly ComputeClass[] }> = {
  "Math.exp": { name: "ts_exp", arity: 1 },
  "Math.log": { name: "ts_log", arity: 1 },
  "Math.log1p": { name: "ts_log1p", arity: 1 },
  "Math.expm1": { name: "ts_expm1", arity: 1 },
  "Math.log2": { name: "ts_log2", arity: 1 },
  "Math.log10": { name: "ts_log10", arity: 1 },
  "Math.sin": { name: "ts_sin", arity: 1 },
  "Math.cos": { name: "ts_cos", arity: 1 },
  "Math.tan": { name: "ts_tan", arity: 1 },
  "Math.asin": { name: "ts_asin", arity: 1 },
  "Math.acos": { name: "ts_acos", arity: 1 },
  "Math.atan": { name: "ts_atan", arity: 1 },
  "Math.sinh": { name: "ts_sinh", arity: 1 },
  "Math.cosh": { name: "ts_cosh", arity: 1 },
  "Math.tanh": { name: "ts_tanh", arity: 1 },
  "Math.asinh": { name: "ts_asinh", arity: 1 },
  "Math.acosh": { name: "ts_acosh", arity: 1 },
  "Math.atanh": { name: "ts_atanh", arity: 1 },
  "Math.atan2": { name: "ts_atan2", arity: 2 },
  "Math.sqrt": { name: "ts_sqrt", arity: 1 },
  "Math.cbrt": { name: "ts_cbrt", arity: 1 },
  "Math.abs": { name: "ts_abs", arity: 1 },
  "Math.floor": { name: "ts_floor", arity: 1 },
  "Math.ceil": { name: "ts_ceil", arity: 1 },
  "Math.trunc": { name: "ts_trunc", arity: 1 },
  "Math.round": { name: "ts_jsround", arity: 1 },
  "Math.sign": { name: "ts_sign", arity: 1 },
  "Math.pow": { name: "ts_pow", arity: 2 },
  "Math.max": { name: "ts_max", arity: 2 },
  "Math.min": { name: "ts_min", arity: 2 },
  "Math.fround": { name: "ts_fround", arity: 1 },
  "Math.imul": { name: "ts_imul", arity: 2, classes: ["num"] },
  "Number.isFinite": { name: "ts_isfinite", arity: 1 },
  "Number.isNaN": { name: "ts_isnan", arity: 1 },
};

function lit(v: string, c: ComputeClass): string {
  if (c === "i64") {
    if (!/^\d+$/.test(v)) throw new TranslateError(`non-integer literal ${v} in an int64 expression`);
    return `${v}LL`;
  }
  const num = v.includes(".") || /e/i.test(v) ? v : `${v}.0`;
  return c === "f32" ? `${num}f` : num;
}

function emit(n: Node, c: ComputeClass, vars: ReadonlySet<string>): string {
  switch (n.k) {
    case "num":
      return lit(n.v, c);
    case "id":
      if (vars.has(n.v)) return n.v;
      if (n.v === "Infinity") return c === "i64" ? badId(n.v) : "T(TS_INF)";
      if (n.v === "NaN") return c === "i64" ? badId(n.v) : "T(TS_NAN)";
      if (n.v === "true") return "true";
      if (n.v === "false") return "false";
      return badId(n.v);
    case "un":
      return n.op === "+" ? emit(n.x, c, vars) : `(${n.op}${emit(n.x, c, vars)})`;
    case "cond":
      return `(${emit(n.c, c, vars)} ? ${emit(n.t, c, vars)} : ${emit(n.f, c, vars)})`;
    case "call": {
      const f = FUNCS[n.fn];
      if (!f || f.arity !== n.args.length || (f.classes && !f.classes.includes(c)) || c === "i64") {
        throw new TranslateError(`${n.fn}(${n.args.length} args) has no CUDA translation for ${c}`);
      }
      // JS computes integer powers of integer values exactly; CUDA's pow may be an ulp off (3^1 -> 2.999...).
      const name = n.fn === "Math.pow" && c === "num" ? "ts_powi" : f.name;
      return `${name}(${n.args.map((a) => emit(a, c, vars)).join(", ")})`;
    }
    case "bin": {
      const l = emit(n.l, c, vars);
      const r = emit(n.r, c, vars);
      switch (n.op) {
        case "===":
        case "==":
          return `(${l} == ${r})`;
        case "!==":
        case "!=":
          return `(${l} != ${r})`;
        case "%":
          return c === "i64" ? `ts_mod64(${l}, ${r})` : `ts_fmod(${l}, ${r})`;
        case "/":
          return c === "i64" ? `ts_div64(${l}, ${r})` : `(${l} / ${r})`;
        case "**":
          return c === "i64" ? `ts_ipow(${l}, ${r})` : `ts_pow(${l}, ${r})`;
        default:
          return `(${l} ${n.op} ${r})`;
      }
    }
  }
}

function badId(v: string): never {
  throw new TranslateError(`unknown name '${v}'`);
}

/** The JS expression a spec uses for inputs of `dtype`, or null when it has none (int64 without jsInt64). */
export function jsExprFor(spec: ElementwiseSpec, dtype: DType): string | null {
  if (dtype === "int64") return spec.jsInt64 ?? null;
  if (dtype === "int32" || dtype === "uint8" || dtype === "bool") return spec.jsInt ?? spec.js;
  return spec.js;
}

/** CUDA C++ for one element of `spec` on inputs of `dtype` (compute type T, variables a, b or x). */
export function translateSpec(spec: ElementwiseSpec, dtype: DType, arity: 1 | 2): string {
  const c = computeClass(dtype);
  if (c === null) throw new TranslateError(`dtype ${dtype} has no CUDA kernels`);
  if (spec.cuda !== undefined && (c === "f32" || c === "f64")) return spec.cuda;
  const js = jsExprFor(spec, dtype);
  if (js === null) throw new TranslateError(`no int64 form`);
  return emit(parseExpr(js), c, new Set(arity === 2 ? ["a", "b"] : ["x"]));
}

/** Converts a computed value (type T, or bool) to the stored output type, as JS stores into typed arrays. */
export function storeConversion(out: DType, expr: string): string {
  switch (out) {
    case "float32":
      return `(float)(${expr})`;
    case "float64":
      return `(double)(${expr})`;
    case "int32":
      return `ts_toint32(${expr})`;
    case "uint8":
    case "bool":
      return `ts_touint8(${expr})`;
    case "int64":
      return `(long long)(${expr})`;
    case "float16":
      return `ts_half((float)(${expr}))`;
    case "bfloat16":
      return `ts_bf16((float)(${expr}))`;
    default:
      throw new TranslateError(`dtype ${out} has no CUDA storage type`);
  }
}

/**
 * The helpers every generated kernel may use. Overloads resolve on float vs double, so one translated
 * expression serves both; ts_toint32/ts_touint8 are JS's ToInt32/ToUint8 (NaN and infinities to 0,
 * wrap-around otherwise), ts_jsround is Math.round (half up), ts_max/ts_min propagate NaN as Math.max does.
 */
export const PRELUDE = String.raw`
// float16 and bfloat16 storage: 2-byte structs converting to and from float, rounding to nearest even as
// the CPU backend does (core/half.ts): cvt.rn for float16 (overflow to Inf, subnormals kept), the bit
// rule for bfloat16 (a NaN stays a NaN). Kernels load them as float and compute in float.
struct __align__(2) ts_half {
  unsigned short bits;
  __device__ __forceinline__ ts_half() {}
  __device__ __forceinline__ ts_half(float f) { asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(f)); }
  template <class V> __device__ __forceinline__ ts_half(V v) : ts_half((float)v) {}
  __device__ __forceinline__ operator float() const { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(bits)); return f; }
};
struct __align__(2) ts_bf16 {
  unsigned short bits;
  __device__ __forceinline__ ts_bf16() {}
  __device__ __forceinline__ ts_bf16(float f) {
    const unsigned u = __float_as_uint(f);
    bits = (u & 0x7fffffffu) > 0x7f800000u ? (unsigned short)((u >> 16) | 0x40u) : (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
  template <class V> __device__ __forceinline__ ts_bf16(V v) : ts_bf16((float)v) {}
  __device__ __forceinline__ operator float() const { return __uint_as_float(((unsigned)bits) << 16); }
};
#define TS_INF __longlong_as_double(0x7ff0000000000000LL)
#define TS_NAN __longlong_as_double(0x7ff8000000000000LL)
#define TS_F1(name, ff, fd) \
  __device__ __forceinline__ float name(float v) { return ff(v); } \
  __device__ __forceinline__ double name(double v) { return fd(v); }
TS_F1(ts_exp, expf, exp) TS_F1(ts_log, logf, log) TS_F1(ts_log1p, log1pf, log1p) TS_F1(ts_expm1, expm1f, expm1)
TS_F1(ts_log2, log2f, log2) TS_F1(ts_log10, log10f, log10)
TS_F1(ts_sin, sinf, sin) TS_F1(ts_cos, cosf, cos) TS_F1(ts_tan, tanf, tan)
TS_F1(ts_asin, asinf, asin) TS_F1(ts_acos, acosf, acos) TS_F1(ts_atan, atanf, atan)
TS_F1(ts_sinh, sinhf, sinh) TS_F1(ts_cosh, coshf, cosh) TS_F1(ts_tanh, tanhf, tanh)
TS_F1(ts_asinh, asinhf, asinh) TS_F1(ts_acosh, acoshf, acosh) TS_F1(ts_atanh, atanhf, atanh)
TS_F1(ts_sqrt, sqrtf, sqrt) TS_F1(ts_cbrt, cbrtf, cbrt) TS_F1(ts_abs, fabsf, fabs)
TS_F1(ts_floor, floorf, floor) TS_F1(ts_ceil, ceilf, ceil) TS_F1(ts_trunc, truncf, trunc) TS_F1(ts_rint, rintf, rint)
__device__ __forceinline__ float ts_fround(float v) { return v; }
__device__ __forceinline__ double ts_fround(double v) { return (double)(float)v; }
__device__ __forceinline__ float ts_fmod(float a, float b) { return fmodf(a, b); }
__device__ __forceinline__ double ts_fmod(double a, double b) { return fmod(a, b); }
__device__ __forceinline__ float ts_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double ts_pow(double a, double b) { return pow(a, b); }
__device__ __forceinline__ double ts_powi(double a, double b) {
  if (b == trunc(b) && b >= 0.0 && b <= 64.0 && a == trunc(a)) {
    double r = 1.0, x = a;
    long long e = (long long)b;
    while (e) { if (e & 1) r *= x; x *= x; e >>= 1; }
    return r;
  }
  return pow(a, b);
}
__device__ __forceinline__ float ts_atan2(float a, float b) { return atan2f(a, b); }
__device__ __forceinline__ double ts_atan2(double a, double b) { return atan2(a, b); }
template <class T> __device__ __forceinline__ T ts_max(T a, T b) { return (a != a || b != b) ? a + b : (a > b ? a : b); }
template <class T> __device__ __forceinline__ T ts_min(T a, T b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }
template <class T> __device__ __forceinline__ T ts_sign(T v) { return v > T(0) ? T(1) : v < T(0) ? T(-1) : v; }
template <class T> __device__ __forceinline__ T ts_jsround(T v) { T f = ts_floor(v); return (v - f >= T(0.5)) ? f + T(1) : f; }
// v - v is 0 exactly when v is finite (NaN and infinities give NaN); no library call involved.
template <class T> __device__ __forceinline__ bool ts_isfinite(T v) { return v - v == T(0); }
template <class T> __device__ __forceinline__ bool ts_isnan(T v) { return v != v; }
__device__ __forceinline__ double ts_imul(double a, double b) {
  return (double)(int)((unsigned)(int)(long long)a * (unsigned)(int)(long long)b);
}
__device__ __forceinline__ long long ts_div64(long long a, long long b) { return b == 0 ? 0 : a / b; }
__device__ __forceinline__ long long ts_mod64(long long a, long long b) { return b == 0 ? 0 : a % b; }
__device__ __forceinline__ long long ts_ipow(long long a, long long b) {
  if (b < 0) return 0;
  unsigned long long r = 1, x = (unsigned long long)a;
  while (b) { if (b & 1) r *= x; x *= x; b >>= 1; }
  return (long long)r;
}
__device__ __forceinline__ int ts_toint32(double v) {
  if (v >= -2147483648.0 && v <= 2147483647.0) return (int)v;
  if (!(v - v == 0.0)) return 0;
  double m = fmod(trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int)(unsigned)m;
}
__device__ __forceinline__ int ts_toint32(float v) { return ts_toint32((double)v); }
__device__ __forceinline__ int ts_toint32(bool v) { return v ? 1 : 0; }
__device__ __forceinline__ int ts_toint32(long long v) { return (int)v; }
__device__ __forceinline__ unsigned char ts_touint8(double v) {
  if (v >= 0.0 && v <= 255.0) return (unsigned char)v;
  if (!(v - v == 0.0)) return 0;
  double m = fmod(trunc(v), 256.0);
  if (m < 0) m += 256.0;
  return (unsigned char)m;
}
__device__ __forceinline__ unsigned char ts_touint8(float v) { return ts_touint8((double)v); }
__device__ __forceinline__ unsigned char ts_touint8(bool v) { return v ? 1 : 0; }
__device__ __forceinline__ unsigned char ts_touint8(long long v) { return (unsigned char)v; }
`;
