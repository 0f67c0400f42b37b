import type { DType } from "../../../core/dtype.js";
import { hasFloat32Storage, isNarrowFloat } from "../../../core/half.js";
import { PRELUDE, storageType } from "../translate.js";

/**
 * Draw s of the stream of key (k0, k1) is word s%4 of the Philox block at counter s/4, exactly as
 * src/ops/random_state.ts computes it: the GPU and the CPU draw the same numbers for the same op and seeds
 * (uniform values bit for bit; normals through the same Box-Muller in double precision). float32 and the
 * 16-bit floats take 24-bit uniforms, as on the CPU, and the 16-bit floats are rounded from the double value
 * through float, as the CPU rounds its float32 values.
 */
export const randomSource = (dtype: DType) => `${isNarrowFloat(dtype) ? PRELUDE : ""}typedef ${storageType(dtype)} T;
typedef unsigned long long U64;
__device__ __forceinline__ void philox(unsigned int c0, unsigned int c1, unsigned int c2, unsigned int c3, unsigned int k0, unsigned int k1, unsigned int* r) {
  #pragma unroll
  for (int i = 0; i < 10; i++) {
    const unsigned int hi0 = __umulhi(0xd2511f53u, c0), lo0 = 0xd2511f53u * c0;
    const unsigned int hi1 = __umulhi(0xcd9e8d57u, c2), lo1 = 0xcd9e8d57u * c2;
    c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    k0 += 0x9e3779b9u; k1 += 0xbb67ae85u;
  }
  r[0] = c0; r[1] = c1; r[2] = c2; r[3] = c3;
}
__device__ __forceinline__ unsigned int draw(U64 s, unsigned int k0, unsigned int k1) {
  unsigned int r[4];
  const U64 b = s >> 2;
  philox((unsigned int)b, (unsigned int)(b >> 32), 0u, 0u, k0, k1, r);
  const unsigned int w = (unsigned int)(s & 3);
  return w == 0 ? r[0] : w == 1 ? r[1] : w == 2 ? r[2] : r[3];
}
#define GRID(i, n) for (U64 i = (U64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (U64)gridDim.x * blockDim.x)
extern "C" __global__ void uniform(T* __restrict__ o, U64 n, unsigned int k0, unsigned int k1, U64 start) {
  GRID(i, n) {
    const unsigned int u = draw(start + i, k0, k1);
    o[i] = (T)(${hasFloat32Storage(dtype) ? "(double)(u >> 8) / 16777216.0" : "(double)u / 4294967296.0"});
  }
}
extern "C" __global__ void normal(T* __restrict__ o, U64 n, unsigned int k0, unsigned int k1, U64 start) {
  const U64 pairs = (n + 1) / 2;
  GRID(j, pairs) {
    const unsigned int a = draw(start + 2 * j, k0, k1), b = draw(start + 2 * j + 1, k0, k1);
    const double u1 = ((double)a + 1.0) / 4294967297.0, u2 = (double)b / 4294967296.0;
    const double rad = sqrt(-2.0 * log(u1)), th = 2.0 * 3.141592653589793 * u2;
    o[2 * j] = (T)(rad * cos(th));
    if (2 * j + 1 < n) o[2 * j + 1] = (T)(rad * sin(th));
  }
}
// Truncated normals redraw: element i uses the blocks (base + i, attempt, 0) with attempt = 1, 2, ...
// (counter word 2 non-zero, so they never meet the main stream's blocks).
extern "C" __global__ void truncated(T* __restrict__ o, U64 n, unsigned int k0, unsigned int k1, U64 base) {
  GRID(i, n) {
    const U64 b = base + i;
    bool done = false;
    for (unsigned int t = 1; !done; t++) {
      unsigned int r[4];
      philox((unsigned int)b, (unsigned int)(b >> 32), t, 0u, k0, k1, r);
      for (int p = 0; p < 2 && !done; p++) {
        const double u1 = ((double)r[2 * p] + 1.0) / 4294967297.0, u2 = (double)r[2 * p + 1] / 4294967296.0;
        const double rad = sqrt(-2.0 * log(u1)), th = 2.0 * 3.141592653589793 * u2;
        const double x = rad * cos(th), y = rad * sin(th);
        if (fabs(x) <= 2.0) { o[i] = (T)x; done = true; }
        else if (fabs(y) <= 2.0) { o[i] = (T)y; done = true; }
      }
    }
  }
}
`;
