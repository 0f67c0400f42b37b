import { PRELUDE } from "../translate.js";

/**
 * What the CUDA C++ sources of every family share. sources/<family>.ts hold the sources (kernels/<family>.ts
 * launch them). Each source is one module holding the variants a launch may pick (contiguous, scalar operand,
 * broadcast; single pass or split rows). Every source starts with its typedefs, so one text is one cache
 * entry on disk.
 *
 * Index type I: 32-bit when every index of the launch fits, else 64-bit (the caller picks, it is in the key).
 */

export const MAX_BCAST_RANK = 6;

export function header(types: Record<string, string>, index64: boolean): string {
  const lines = Object.entries(types).map(([k, v]) => `typedef ${v} ${k};`);
  lines.push(`typedef ${index64 ? "unsigned long long" : "unsigned int"} I;`);
  return `${PRELUDE}\n${lines.join("\n")}\n#define GRID_LOOP(i, n) for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (I)gridDim.x * blockDim.x)\n${ILP_LOOP}`;
}

/**
 * A grid-stride loop doing four elements per step: their loads are independent, so each thread keeps four
 * memory requests in flight instead of one (LOAD(k, i) loads element i into slot k, STORE(k, i) stores it).
 */
const ILP_LOOP = `#define ILP4(n, LOAD, STORE) { \\
  const I s_ = (I)gridDim.x * blockDim.x; \\
  I i_ = (I)blockIdx.x * blockDim.x + threadIdx.x; \\
  for (; i_ + 3 * s_ < (n); i_ += 4 * s_) { \\
    LOAD(0, i_) LOAD(1, i_ + s_) LOAD(2, i_ + 2 * s_) LOAD(3, i_ + 3 * s_) \\
    STORE(0, i_) STORE(1, i_ + s_) STORE(2, i_ + 2 * s_) STORE(3, i_ + 3 * s_) } \\
  for (; i_ < (n); i_ += s_) { LOAD(0, i_) STORE(0, i_) } }
`;

/**
 * Start of the window kernels' modules (convolution, pooling: sources/conv.ts, sources/pool.ts): element type
 * T, a 32-bit grid-stride loop, and decoding of channels-last indices and window spans.
 */
export function windowPrelude(t: string): string {
  return `typedef ${t} T;
#define GRID(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)
// (n, h, w, c) of flat index i into a channels-last [N, H, W, C] tensor.
struct Pix { int n, h, w, c; };
__device__ __forceinline__ Pix pixel(int i, int H, int W, int C) {
  Pix p;
  p.c = i % C;
  int t = i / C;
  p.w = t % W; t /= W;
  p.h = t % H; p.n = t / H;
  return p;
}
// The in-image part [lo, hi) of window o (stride s, padding pad before it, size k) along a dimension of size n.
struct Span { int lo, hi; };
__device__ __forceinline__ Span span(int o, int s, int pad, int k, int n) {
  const int a = o * s - pad;
  Span r;
  r.lo = max(a, 0); r.hi = min(a + k, n);
  return r;
}
`;
}
