import type { DType } from "../../../core/dtype.js";
import { PRELUDE, storageType } from "../translate.js";

/**
 * CUDA C++ of the training family: gradient descent (one variable or a group), momentum, Adam. T is the
 * stored type, C the one updates are computed in: T itself, float for float16 and bfloat16 (variables of
 * those types are updated in float32 and rounded once, as the CPU kernels do). G is the gradient's stored
 * type: T, or float16/bfloat16 for a float32 variable (mixed precision, the gradient's Cast folded into the
 * update by runtime/cast_updates.ts), each element widened to float exactly as it is loaded, so the update
 * computes what the Cast to float32 followed by the float32 kernel computes.
 */

/** Variables one grouped gradient-descent launch updates (its parameter struct: 7 x 8 bytes per variable). */
export const GD_GROUP = 32;
/** Variables one grouped momentum launch updates (its parameter struct: 6 x 8 bytes per variable). */
export const MOMENTUM_GROUP = 16;
/** Items one mixed update launch takes (its parameter struct: 7 x 8 bytes per item). */
export const MIXED_GROUP = 16;
/** update_mixed's item codes: an optimizer update, then an addition per ADD_GROUP_DTYPES entry from MIXED_ADD. */
export const MIXED_GD = 0;
export const MIXED_MOMENTUM = 1;
export const MIXED_ADD = 2;

/**
 * The grid-stride loop of a grouped kernel over its items' elements, one index space (struct \`g\`'s start[]:
 * each item's first element, then the end): inside, item t and element j of it. The caller closes the loop.
 */
const groupLoop = (g: string) => `const unsigned long long total = ${g}.start[count];
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (unsigned long long)gridDim.x * blockDim.x) {
    int t = 0;
    while (i >= ${g}.start[t + 1]) t++;
    const unsigned long long j = i - ${g}.start[t];`;

/** The switch cases adding item t's a and b into o, one per ADD_GROUP_DTYPES entry from code \`first\` (integers wrap). */
const addCases = (first: number) =>
  ["float", "double", "unsigned", "unsigned long long"]
    .map((c, k) => `${k === 3 ? "default" : `case ${first + k}`}: ((${c}*)g.o[t])[j] = ((const ${c}*)g.a[t])[j] + ((const ${c}*)g.b[t])[j]; break;`)
    .join("\n      ");
export const trainingSource = (dtype: DType, grad: DType = dtype) => `${PRELUDE}
typedef ${storageType(dtype)} T;
typedef ${dtype === "float16" || dtype === "bfloat16" ? "float" : storageType(dtype)} C;
typedef ${storageType(grad)} G;
extern "C" __global__ void gd(const T* __restrict__ v, const T* __restrict__ alpha, const G* __restrict__ d, T* __restrict__ o, unsigned long long n) {
  const C a = alpha[0];
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) o[i] = (T)((C)v[i] - a * (C)d[i]);
}
// Up to GD_GROUP variables in one launch (what PyTorch's foreach SGD does): the same update as gd, element
// for element; start[] holds each variable's first index in the concatenation of all of them.
struct GdGroup { const T* v[${GD_GROUP}]; const G* d[${GD_GROUP}]; T* o[${GD_GROUP}]; unsigned long long start[${GD_GROUP + 1}]; };
extern "C" __global__ void gd_group(const T* __restrict__ alpha, int count, GdGroup g) {
  const C a = alpha[0];
  ${groupLoop("g")}
    g.o[t][j] = (T)((C)g.v[t][j] - a * (C)g.d[t][j]);
  }
}
// Up to MOMENTUM_GROUP variables sharing one learning rate and momentum in one launch: momentum's update,
// element for element.
struct MomentumGroup { const T* v[${MOMENTUM_GROUP}]; const T* a[${MOMENTUM_GROUP}]; const G* g[${MOMENTUM_GROUP}]; T* ov[${MOMENTUM_GROUP}]; T* oa[${MOMENTUM_GROUP}]; unsigned long long start[${MOMENTUM_GROUP + 1}]; };
extern "C" __global__ void momentum_group(const T* __restrict__ lr, const T* __restrict__ mom, int nesterov, int count, MomentumGroup p) {
  const C l = lr[0], m = mom[0];
  ${groupLoop("p")}
    const C gi = p.g[t][j], a = (C)p.a[t][j] * m + gi;
    p.oa[t][j] = (T)a;
    p.ov[t][j] = (T)(nesterov ? (C)p.v[t][j] - l * gi - l * m * a : (C)p.v[t][j] - l * a);
  }
}
// An optimizer's updates (gradient descent or momentum, one learning rate) and independent additions (a Keras
// step's counters: float32, float64, int32 or int64, as add_group) in one launch: each item's code says which,
// element for element the same as gd_group, momentum_group and add_group.
struct MixedGroup { const void* a[${MIXED_GROUP}]; const void* b[${MIXED_GROUP}]; const void* c[${MIXED_GROUP}]; void* o[${MIXED_GROUP}]; void* p[${MIXED_GROUP}]; unsigned long long code[${MIXED_GROUP}]; unsigned long long start[${MIXED_GROUP + 1}]; };
extern "C" __global__ void update_mixed(const T* __restrict__ lr, const T* __restrict__ mom, int nesterov, int count, MixedGroup g) {
  ${groupLoop("g")}
    switch (g.code[t]) {
      case ${MIXED_GD}: ((T*)g.o[t])[j] = (T)((C)((const T*)g.a[t])[j] - (C)lr[0] * (C)((const G*)g.b[t])[j]); break;
      case ${MIXED_MOMENTUM}: {
        const C l = lr[0], m = mom[0];
        const C gi = ((const G*)g.c[t])[j], a = (C)((const T*)g.b[t])[j] * m + gi;
        ((T*)g.p[t])[j] = (T)a;
        ((T*)g.o[t])[j] = (T)(nesterov ? (C)((const T*)g.a[t])[j] - l * gi - l * m * a : (C)((const T*)g.a[t])[j] - l * a);
        break;
      }
      ${addCases(MIXED_ADD)}
    }
  }
}
extern "C" __global__ void momentum(const T* __restrict__ v, const T* __restrict__ acc, const T* __restrict__ lr, const G* __restrict__ g,
    const T* __restrict__ mom, T* __restrict__ ov, T* __restrict__ oa, int nesterov, unsigned long long n) {
  const C l = lr[0], m = mom[0];
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) {
    const C gi = g[i], a = (C)acc[i] * m + gi;
    oa[i] = (T)a;
    ov[i] = (T)(nesterov ? (C)v[i] - l * gi - l * m * a : (C)v[i] - l * a);
  }
}
extern "C" __global__ void adam(const T* __restrict__ v, const T* __restrict__ m, const T* __restrict__ s, const T* __restrict__ b1p,
    const T* __restrict__ b2p, const T* __restrict__ lr, const T* __restrict__ b1, const T* __restrict__ b2, const T* __restrict__ eps,
    const G* __restrict__ g, T* __restrict__ ov, T* __restrict__ om, T* __restrict__ os, unsigned long long n) {
  const C beta1 = b1[0], beta2 = b2[0], e = eps[0];
  const C lrt = (C)lr[0] * sqrt((C)1 - (C)b2p[0]) / ((C)1 - (C)b1p[0]);
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) {
    const C gi = g[i], m0 = m[i], s0 = s[i];
    const C mi = m0 + (gi - m0) * ((C)1 - beta1);
    const C si = s0 + (gi * gi - s0) * ((C)1 - beta2);
    om[i] = (T)mi;
    os[i] = (T)si;
    ov[i] = (T)((C)v[i] - lrt * mi / (sqrt(si) + e));
  }
}
`;

/** Additions one grouped AddV2 launch makes (its parameter struct: 5 x 8 bytes per addition). */
export const ADD_GROUP = 16;
/** dtype codes of add_group's items. */
export const ADD_GROUP_DTYPES: readonly DType[] = ["float32", "float64", "int32", "int64"];
// Independent additions o = a + b of equal-shaped operands, each of its own dtype (a Keras step's metric and
// iteration counters: float32 and int64 scalars), in one launch. Integers wrap, as TensorFlow's do.
export const addGroupSource = () => `
struct AddGroup { const void* a[${ADD_GROUP}]; const void* b[${ADD_GROUP}]; void* o[${ADD_GROUP}]; unsigned long long dt[${ADD_GROUP}]; unsigned long long start[${ADD_GROUP + 1}]; };
extern "C" __global__ void add_group(int count, AddGroup g) {
  ${groupLoop("g")}
    switch (g.dt[t]) {
      ${addCases(0)}
    }
  }
}
`;
