import type { DType } from "../../../core/dtype.js";
import { storageType } from "../translate.js";
import { header, MAX_BCAST_RANK } from "./common.js";

/** CUDA C++ of the movement family: the strided copy behind every relayout, OneHot, GatherV2 and UnsortedSegmentSum. */

/** Element types by size: data movement only needs the bytes. */
function moveType(bytes: number): string {
  if (bytes === 16) return "U128";
  return bytes === 1 ? "unsigned char" : bytes === 2 ? "unsigned short" : bytes === 4 ? "unsigned int" : "unsigned long long";
}

/** A 16-byte unit moved by one aligned vector load and store (gathers of whole rows). */
const U128 = "struct alignas(16) U128 { unsigned long long lo, hi; };";

/**
 * One strided copy: element i of an iteration space of up to MAX_BCAST_RANK dims is read at
 * sbase + sum(c_d * ss_d) and written at dbase + sum(c_d * ds_d). Strides may be negative (reversal) or
 * zero (broadcast). Transpose, BroadcastTo, Slice, ReverseV2, ConcatV2, Pack, Unpack and Split are all
 * launches of this kernel with different strides.
 */
export function stridedCopySource(bytes: number, index64: boolean): string {
  return `${header({ E: moveType(bytes) }, index64)}
struct SC { long long d[${MAX_BCAST_RANK}]; long long ss[${MAX_BCAST_RANK}]; long long ds[${MAX_BCAST_RANK}]; };
extern "C" __global__ void scopy(const E* __restrict__ S, E* __restrict__ D, I n, int rank, long long sbase, long long dbase, SC s) {
  GRID_LOOP(i, n) {
    I rem = i;
    long long so = sbase, dof = dbase;
#pragma unroll
    for (int d = ${MAX_BCAST_RANK - 1}; d >= 0; d--) {
      if (d < rank) {
        const I dim = (I)s.d[d];
        const I q = rem / dim;
        const long long c = (long long)(rem - q * dim);
        so += c * s.ss[d];
        dof += c * s.ds[d];
        rem = q;
      }
    }
    D[dof] = S[so];
  }
}
`;
}

/** OneHot: output [outer, depth, inner] from indices [outer, inner]; on/off values read from device scalars. */
export function oneHotSource(dtype: DType, indexDType: DType, index64: boolean): string {
  return `${header({ E: storageType(dtype), IX: storageType(indexDType) }, index64)}
extern "C" __global__ void one_hot(const IX* __restrict__ X, const E* __restrict__ ON, const E* __restrict__ OFF, E* __restrict__ O, I n, I depth, I inner) {
  const E on = ON[0], off = OFF[0];
  GRID_LOOP(i, n) {
    const I in = i % inner;
    const I rest = i / inner;
    const I v = rest % depth;
    const I o = rest / depth;
    const long long ix = (long long)X[o * inner + in];
    O[i] = (ix == (long long)v) ? on : off;
  }
}
`;
}

/**
 * GatherV2 (batch_dims 0): output [outer, nJ, inner] from params [outer, n, inner] at rows X[j]. An index outside
 * [0, n) yields zeros, as TensorFlow's GPU kernel does (validating would need the indices on the host).
 */
export function gatherSource(bytes: number, indexDType: DType, index64: boolean): string {
  return `${bytes === 16 ? U128 : ""}
${header({ E: moveType(bytes), IX: storageType(indexDType) }, index64)}
extern "C" __global__ void gather(const E* __restrict__ P, const IX* __restrict__ X, E* __restrict__ O, I total, I nJ, I n, I inner) {
  GRID_LOOP(i, total) {
    const I in = i % inner;
    const I rest = i / inner;
    const I j = rest % nJ;
    const I o = rest / nJ;
    const long long ix = (long long)X[j];
    O[i] = (ix >= 0 && ix < (long long)n) ? P[(o * n + (I)ix) * inner + in] : E{};
  }
}
`;
}

/**
 * UnsortedSegmentSum: out[ids[k], inner] += data[k, inner] with atomic adds (out zeroed first); ids outside
 * [0, numSegments) are dropped, as TensorFlow's GPU kernel does.
 */
export function segmentSumSource(dtype: DType, indexDType: DType, index64: boolean): string {
  return `${header({ E: storageType(dtype), IX: storageType(indexDType) }, index64)}
extern "C" __global__ void segment_sum(const E* __restrict__ D, const IX* __restrict__ X, E* __restrict__ O, I total, I inner, I numSegments) {
  GRID_LOOP(i, total) {
    const I in = i % inner;
    const I k = i / inner;
    const long long s = (long long)X[k];
    if (s >= 0 && s < (long long)numSegments) atomicAdd(&O[(I)s * inner + in], D[i]);
  }
}
`;
}

/** Arrays one GatherTableRow launch takes (more go in further launches). */
export const TABLE_GATHER = 8;

/**
 * GatherTableRow: for each array t, dst_t[j, :] = src_t[T[r, j], :], with r read from the device (Keras fit's
 * batch cursor). Each array's rows move in its own unit (w_t bytes: the widest dividing its row and addresses;
 * a batch of 28x28 float32 images in 16-byte vectors beside its 10 one-hot floats in 8-byte ones). Elements of
 * all arrays are one index space (start_t: where array t's begin); a row or table entry out of range gives
 * zeros, as GatherV2's GPU kernel does.
 */
export function tableGatherSource(index64: boolean): string {
  const G = TABLE_GATHER;
  const move = (w: number) => `case ${w}: { typedef ${moveType(w)} E; ((E*)g.dst[t])[j] = ok ? ((const E*)g.src[t])[(I)ix * u + (j - row * u)] : E{}; break; }`;
  return `${U128}
${header({}, index64)}
struct TableGather { const void* src[${G}]; void* dst[${G}]; unsigned long long n[${G}]; unsigned long long units[${G}]; unsigned long long w[${G}]; unsigned long long start[${G + 1}]; };
extern "C" __global__ void table_gather(const int* __restrict__ T, const int* __restrict__ R, long long rows, long long b, int count, TableGather g) {
  const long long r = (long long)R[0];
  const bool rowOk = r >= 0 && r < rows;
  GRID_LOOP(i, (I)g.start[count]) {
    int t = 0;
    while ((unsigned long long)i >= g.start[t + 1]) t++;
    const I j = i - (I)g.start[t];
    const I u = (I)g.units[t];
    const I row = j / u;
    const long long ix = rowOk ? (long long)T[r * b + row] : -1;
    const bool ok = ix >= 0 && (unsigned long long)ix < g.n[t];
    switch (g.w[t]) {
      ${[16, 8, 4, 2].map(move).join("\n      ")}
      default: ${move(1).replace(/^case 1: /, "")}
    }
  }
}
`;
}
