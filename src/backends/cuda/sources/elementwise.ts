import type { DType } from "../../../core/dtype.js";
import type { ElementwiseSpec } from "../../../core/schema/types.js";
import { computeClass, computeType, storageType, storeConversion, translateSpec, TranslateError } from "../translate.js";
import { header, MAX_BCAST_RANK } from "./common.js";

/** CUDA C++ of the elementwise family: generated unary/binary ops (through translate.ts), casts, fills, SelectV2. */

/** Broadcast strides of a launch: dims and per-input element strides (0 where broadcast), innermost last. */
const BC_STRUCT = `struct BC { long long d[${MAX_BCAST_RANK}]; long long sa[${MAX_BCAST_RANK}]; long long sb[${MAX_BCAST_RANK}]; };`;

/** Kernels ew_vv (same shapes), ew_sv / ew_vs (scalar a / b), ew_vr / ew_rv (a broadcast row), ew_bc (general broadcast) for a binary op. */
export function binarySource(spec: ElementwiseSpec, inDType: DType, outDType: DType, index64: boolean): string {
  const body = translateSpec(spec, inDType, 2);
  const c = computeClass(inDType)!;
  return `${header({ T: computeType(c), TI: storageType(inDType), TO: storageType(outDType) }, index64)}
${BC_STRUCT}
__device__ __forceinline__ TO ts_op(T a, T b) { return ${storeConversion(outDType, body)}; }
extern "C" __global__ void ew_vv(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n) {
  T a[4], b[4];
#define LD(k, i) a[k] = (T)A[i]; b[k] = (T)B[i];
#define ST(k, i) O[i] = ts_op(a[k], b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_sv(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n) {
  const T a = (T)A[0];
  T b[4];
#define LD(k, i) b[k] = (T)B[i];
#define ST(k, i) O[i] = ts_op(a, b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_vs(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n) {
  const T b = (T)B[0];
  T a[4];
#define LD(k, i) a[k] = (T)A[i];
#define ST(k, i) O[i] = ts_op(a[k], b);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
// A row of C values broadcast over the rows of the other operand (a bias): ew_vr (B is the row), ew_rv (A is).
extern "C" __global__ void ew_vr(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n, I C) {
  T a[4], b[4];
#define LD(k, i) a[k] = (T)A[i]; b[k] = (T)B[(i) % C];
#define ST(k, i) O[i] = ts_op(a[k], b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_rv(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n, I C) {
  T a[4], b[4];
#define LD(k, i) a[k] = (T)A[(i) % C]; b[k] = (T)B[i];
#define ST(k, i) O[i] = ts_op(a[k], b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_bc(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n, int rank, BC s) {
  GRID_LOOP(i, n) {
    I rem = i, ia = 0, ib = 0;
#pragma unroll
    for (int d = ${MAX_BCAST_RANK - 1}; d >= 0; d--) {
      if (d < rank) {
        const I dim = (I)s.d[d];
        const I q = rem / dim;
        const I c = rem - q * dim;
        ia += c * (I)s.sa[d];
        ib += c * (I)s.sb[d];
        rem = q;
      }
    }
    O[i] = ts_op((T)A[ia], (T)B[ib]);
  }
}
`;
}

export function unarySource(spec: ElementwiseSpec, inDType: DType, outDType: DType, index64: boolean): string {
  const body = translateSpec(spec, inDType, 1);
  const c = computeClass(inDType)!;
  return `${header({ T: computeType(c), TI: storageType(inDType), TO: storageType(outDType) }, index64)}
__device__ __forceinline__ TO ts_op(T x) { return ${storeConversion(outDType, body)}; }
extern "C" __global__ void ew_u(const TI* __restrict__ X, TO* __restrict__ O, I n) {
  T x[4];
#define LD(k, i) x[k] = (T)X[i];
#define ST(k, i) O[i] = ts_op(x[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
`;
}

/** TensorFlow's cast semantics as the CPU reference has them: truncation toward zero, NaN to true. */
export function castExpr(from: DType, to: DType): string {
  const narrowIn = from === "float16" || from === "bfloat16";
  const floatIn = from === "float32" || from === "float64" || narrowIn;
  // A 16-bit float converts through float (exact); the rest of each rule is the float one.
  const v = narrowIn ? "((float)v)" : "v";
  switch (to) {
    case "float16":
      return "ts_half((float)v)";
    case "bfloat16":
      return "ts_bf16((float)v)";
    case "float32":
      return "(float)v";
    case "float64":
      return "(double)v";
    case "bool":
      return `(unsigned char)(${v} != 0)`;
    case "int32":
      return floatIn ? `ts_toint32(ts_trunc(${v}))` : "(int)v";
    case "uint8":
      return floatIn ? `ts_touint8(ts_trunc(${v}))` : "(unsigned char)v";
    case "int64":
      return floatIn ? `(ts_isfinite(${v}) ? (long long)ts_trunc(${v}) : 0LL)` : "(long long)v";
    default:
      throw new TranslateError(`no CUDA cast to ${to}`);
  }
}

export function castSource(from: DType, to: DType, index64: boolean): string {
  return `${header({ TI: storageType(from), TO: storageType(to) }, index64)}
__device__ __forceinline__ TO conv(TI v) { return ${castExpr(from, to)}; }
extern "C" __global__ void cast(const TI* __restrict__ X, TO* __restrict__ O, I n) {
  TI x[4];
#define LD(k, i) x[k] = X[i];
#define ST(k, i) O[i] = conv(x[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
`;
}

/** fill_s: every element from a device scalar; fill_c: from a constant argument (double or long long). */
export function fillSource(dtype: DType, index64: boolean): string {
  const arg = dtype === "int64" ? "long long" : "double";
  return `${header({ TO: storageType(dtype) }, index64)}
extern "C" __global__ void fill_s(TO* __restrict__ O, const TO* __restrict__ V, I n) {
  const TO v = V[0];
  GRID_LOOP(i, n) O[i] = v;
}
extern "C" __global__ void fill_c(TO* __restrict__ O, ${arg} c, I n) {
  const TO v = (TO)c;
  GRID_LOOP(i, n) O[i] = v;
}
`;
}

/** SelectV2 where each operand is either full-size or a scalar (steps 1 or 0). */
export function selectSource(dtype: DType, index64: boolean): string {
  return `${header({ E: storageType(dtype) }, index64)}
extern "C" __global__ void select_v2(const unsigned char* __restrict__ C, const E* __restrict__ T_, const E* __restrict__ F, E* __restrict__ O, I n, int sc, int st, int sf) {
  GRID_LOOP(i, n) O[i] = C[sc ? i : 0] ? T_[st ? i : 0] : F[sf ? i : 0];
}
`;
}
