import { windowPrelude } from "./common.js";

/** CUDA C++ of the conv family (kernels/conv.ts launches them). */

/**
 * im2col / col2im around cuBLAS products, and the direct convolutions (one thread per output or input
 * element) for small channel counts.
 */
export function convSource(t: string): string {
  return `${windowPrelude(t)}// cols[row, (kh, kw, c)] for row = (n, oh, ow): the patch matrix of channels-last x.
extern "C" __global__ void im2col(const T* __restrict__ x, T* __restrict__ cols, int total, int K, int H, int W, int C,
    int OH, int OW, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const int row = i / K, kk = i - row * K;
    const int c = kk % C, t = kk / C, kw = t % kW, kh = t / kW;
    const int ow = row % OW, t2 = row / OW, oh = t2 % OH, n = t2 / OH;
    const int ih = oh * sH - padT + kh * dH, iw = ow * sW - padL + kw * dW;
    cols[i] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[((n * H + ih) * W + iw) * C + c] : (T)0;
  }
}
// dx[n, ih, iw, c] = sum of the patch-matrix entries that read it (a gather: no atomics, deterministic).
extern "C" __global__ void col2im(const T* __restrict__ cols, T* __restrict__ dx, int total, int K, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, H, W, C);
    const int n = q.n, ih = q.h, iw = q.w, c = q.c;
    T acc = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int hn = ih + padT - kh * dH;
      if (hn < 0 || hn % sH != 0) continue;
      const int oh = hn / sH;
      if (oh >= OH) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int wn = iw + padL - kw * dW;
        if (wn < 0 || wn % sW != 0) continue;
        const int ow = wn / sW;
        if (ow >= OW) continue;
        acc += cols[((n * OH + oh) * OW + ow) * K + (kh * kW + kw) * C + c];
      }
    }
    dx[i] = acc;
  }
}
// Direct convolution, one thread per output element (n, oh, ow, oc): adjacent threads share the input
// pixels (broadcast loads) and read adjacent filter entries (coalesced).
extern "C" __global__ void conv_fwd(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int OC, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, OC);
    const int n = q.n, oh = q.h, ow = q.w, oc = q.c;
    const int ih0 = oh * sH - padT, iw0 = ow * sW - padL;
    T acc = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int ih = ih0 + kh * dH;
      if (ih < 0 || ih >= H) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int iw = iw0 + kw * dW;
        if (iw < 0 || iw >= W) continue;
        const T* xp = x + ((n * H + ih) * W + iw) * C;
        const T* wp = w + (kh * kW + kw) * C * OC + oc;
        for (int c = 0; c < C; c++) acc += xp[c] * wp[c * OC];
      }
    }
    y[i] = acc;
  }
}
// The input gradient as a gather, one thread per dx element (n, ih, iw, c): no atomics, deterministic.
extern "C" __global__ void conv_bwd_in(const T* __restrict__ dy, const T* __restrict__ w, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int OC, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, H, W, C);
    const int n = q.n, ih = q.h, iw = q.w, c = q.c;
    T acc = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int hn = ih + padT - kh * dH;
      if (hn < 0 || hn % sH != 0) continue;
      const int oh = hn / sH;
      if (oh >= OH) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int wn = iw + padL - kw * dW;
        if (wn < 0 || wn % sW != 0) continue;
        const int ow = wn / sW;
        if (ow >= OW) continue;
        const T* dyp = dy + ((n * OH + oh) * OW + ow) * OC;
        const T* wp = w + ((kh * kW + kw) * C + c) * OC;
        for (int oc = 0; oc < OC; oc++) acc += dyp[oc] * wp[oc];
      }
    }
    dx[i] = acc;
  }
}
`;
}

/**
 * Direct convolutions for few channels, one thread per pixel with all its channels in registers (OCN output
 * channels forward, CN input channels for the input gradient) and the whole filter in shared memory, read
 * by every thread at the same address (broadcast): each input value is loaded once per pixel.
 */
export const convPixelSource = (t: string, n: number) => `typedef ${t} T;
#define NCH ${n}
#define GRID(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)
extern "C" __global__ void conv_fwd_px(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, int pixels, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  extern __shared__ unsigned char smem_raw[];
  T* sw = (T*)smem_raw;
  const int KW = kH * kW * C * NCH;
  for (int j = threadIdx.x; j < KW; j += blockDim.x) sw[j] = w[j];
  __syncthreads();
  GRID(p, pixels) {
    const int ow = p % OW, t = p / OW, oh = t % OH, n = t / OH;
    const int ih0 = oh * sH - padT, iw0 = ow * sW - padL;
    T acc[NCH];
    #pragma unroll
    for (int o = 0; o < NCH; o++) acc[o] = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int ih = ih0 + kh * dH;
      if (ih < 0 || ih >= H) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int iw = iw0 + kw * dW;
        if (iw < 0 || iw >= W) continue;
        const T* xp = x + ((n * H + ih) * W + iw) * C;
        const T* wp = sw + (kh * kW + kw) * C * NCH;
        for (int c = 0; c < C; c++) {
          const T v = xp[c];
          #pragma unroll
          for (int o = 0; o < NCH; o++) acc[o] += v * wp[c * NCH + o];
        }
      }
    }
    T* yp = y + (long long)p * NCH;
    #pragma unroll
    for (int o = 0; o < NCH; o++) yp[o] = acc[o];
  }
}
extern "C" __global__ void conv_bwd_in_px(const T* __restrict__ dy, const T* __restrict__ w, T* __restrict__ dx, int pixels, int H, int W, int OC,
    int OH, int OW, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  extern __shared__ unsigned char smem_raw[];
  T* sw = (T*)smem_raw;
  const int KW = kH * kW * NCH * OC;
  for (int j = threadIdx.x; j < KW; j += blockDim.x) sw[j] = w[j];
  __syncthreads();
  GRID(p, pixels) {
    const int iw = p % W, t = p / W, ih = t % H, n = t / H;
    T acc[NCH];
    #pragma unroll
    for (int c = 0; c < NCH; c++) acc[c] = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int hn = ih + padT - kh * dH;
      if (hn < 0 || hn % sH != 0) continue;
      const int oh = hn / sH;
      if (oh >= OH) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int wn = iw + padL - kw * dW;
        if (wn < 0 || wn % sW != 0) continue;
        const int ow = wn / sW;
        if (ow >= OW) continue;
        const T* dyp = dy + ((n * OH + oh) * OW + ow) * OC;
        const T* wp = sw + (kh * kW + kw) * NCH * OC;
        if (sizeof(T) == 4 && (OC & 3) == 0) {
          // float32 and channels in fours: one 16-byte load of dy per four channels.
          for (int oc = 0; oc < OC; oc += 4) {
            const float4 g = *reinterpret_cast<const float4*>(dyp + oc);
            #pragma unroll
            for (int c = 0; c < NCH; c++) acc[c] += g.x * wp[c * OC + oc] + g.y * wp[c * OC + oc + 1] + g.z * wp[c * OC + oc + 2] + g.w * wp[c * OC + oc + 3];
          }
        } else {
          for (int oc = 0; oc < OC; oc++) {
            const T g = dyp[oc];
            #pragma unroll
            for (int c = 0; c < NCH; c++) acc[c] += g * wp[c * OC + oc];
          }
        }
      }
    }
    T* dxp = dx + (long long)p * NCH;
    #pragma unroll
    for (int c = 0; c < NCH; c++) dxp[c] = acc[c];
  }
}
`;

/**
 * The filter gradient df[k, oc] = sum over positions p of patch[p, k] * dy[p, oc]. Each block walks tiles of TP
 * positions and stages their patches [TP][K] and dy rows [TP][OC] in shared memory (patch offsets from
 * per-block tables: no division per element). A thread owns groups of G adjacent output channels for one k
 * (one shared load of the patch value feeds G multiply-adds; dy read as float2/float4) and, when there are
 * fewer groups than threads, one of S slices of the tile's positions. Slices are combined in shared memory
 * and each block writes part[block][KO] (double); sum_partials adds the blocks up in order: deterministic,
 * no float atomics.
 */
export const convFilterSource = (t: string, G: number) => `typedef ${t} T;
#define G ${G}
#define MAXQ 8
extern "C" __global__ void conv_bwd_filter(const T* __restrict__ x, const T* __restrict__ dy, double* __restrict__ part, int positions, int K, int H, int W, int C,
    int OH, int OW, int OC, int kW, int sH, int sW, int dH, int dW, int padT, int padL, int TP) {
  extern __shared__ unsigned char smem_raw[];
  T* sx = (T*)smem_raw;
  T* sd = sx + TP * K;
  int* kdh = (int*)(sd + TP * OC);
  int* kdw = kdh + K;
  int* kc = kdw + K;
  int* pbase = kc + K;
  int* pih = pbase + TP;
  int* piw = pih + TP;
  const int OCG = OC / G, KOG = K * OCG;
  const int S = KOG >= (int)blockDim.x ? 1 : blockDim.x / KOG;
  const int slice = threadIdx.x / KOG;
  for (int kk = threadIdx.x; kk < K; kk += blockDim.x) {
    const int c = kk % C, tt = kk / C;
    kc[kk] = c; kdw[kk] = (tt % kW) * dW; kdh[kk] = (tt / kW) * dH;
  }
  T acc[MAXQ][G];
  #pragma unroll
  for (int q = 0; q < MAXQ; q++)
    #pragma unroll
    for (int g = 0; g < G; g++) acc[q][g] = 0;
  for (int p0 = blockIdx.x * TP; p0 < positions; p0 += gridDim.x * TP) {
    if (threadIdx.x < TP) {
      const int p = p0 + threadIdx.x;
      if (p < positions) {
        const int ow = p % OW, t2 = p / OW, oh = t2 % OH, n = t2 / OH;
        pbase[threadIdx.x] = n * H * W * C; pih[threadIdx.x] = oh * sH - padT; piw[threadIdx.x] = ow * sW - padL;
      } else {
        pbase[threadIdx.x] = 0; pih[threadIdx.x] = -(1 << 29); piw[threadIdx.x] = 0;
      }
    }
    __syncthreads();
    for (int j = threadIdx.x; j < TP * K; j += blockDim.x) {
      const int pp = j / K, kk = j - pp * K;
      const int ih = pih[pp] + kdh[kk], iw = piw[pp] + kdw[kk];
      sx[j] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[pbase[pp] + (ih * W + iw) * C + kc[kk]] : (T)0;
    }
    for (int j = threadIdx.x; j < TP * OC; j += blockDim.x) sd[j] = p0 + j / OC < positions ? dy[(long long)p0 * OC + j] : (T)0;
    __syncthreads();
    if (slice < S) {
      #pragma unroll
      for (int q = 0; q < MAXQ; q++) {
        const int grp = (S > 1 ? threadIdx.x - slice * KOG : threadIdx.x) + q * (S > 1 ? KOG : blockDim.x);
        if ((S > 1 && q > 0) || grp >= KOG) break;
        const int k = grp / OCG, oc = (grp - k * OCG) * G;
        for (int pp = slice; pp < TP; pp += S) {
          const T v = sx[pp * K + k];
#if G == 4
          const float4 d = *reinterpret_cast<const float4*>(sd + pp * OC + oc);
          acc[q][0] += v * d.x; acc[q][1] += v * d.y; acc[q][2] += v * d.z; acc[q][3] += v * d.w;
#elif G == 2
          const float2 d = *reinterpret_cast<const float2*>(sd + pp * OC + oc);
          acc[q][0] += v * d.x; acc[q][1] += v * d.y;
#else
          acc[q][0] += v * sd[pp * OC + oc];
#endif
        }
      }
    }
    __syncthreads();
  }
  // Slices of the same group: combined through shared memory (sx is free now), slice 0 writes.
  if (S > 1) {
    T* red = sx;
    if (slice < S)
      #pragma unroll
      for (int g = 0; g < G; g++) red[threadIdx.x * G + g] = acc[0][g];
    __syncthreads();
    if (threadIdx.x < KOG) {
      const int k = threadIdx.x / OCG, oc = (threadIdx.x - k * OCG) * G;
      for (int g = 0; g < G; g++) {
        double s = 0;
        for (int sl = 0; sl < S; sl++) s += (double)red[(sl * KOG + threadIdx.x) * G + g];
        part[(long long)blockIdx.x * K * OC + k * OC + oc + g] = s;
      }
    }
    return;
  }
  #pragma unroll
  for (int q = 0; q < MAXQ; q++) {
    const int grp = threadIdx.x + q * blockDim.x;
    if (grp < KOG) {
      const int k = grp / OCG, oc = (grp - k * OCG) * G;
      #pragma unroll
      for (int g = 0; g < G; g++) part[(long long)blockIdx.x * K * OC + k * OC + oc + g] = (double)acc[q][g];
    }
  }
}
`;
