/**
 * CUDA C++ of the recurrent family (rows and equations in core/schema/recurrent.ts): one thread per
 * (batch row, unit) of a step, reading that unit's gates across the [batch, k * units] rows. The same
 * arithmetic as the CPU kernels (backends/cpu/kernels/recurrent.ts), in the dtype's own precision.
 */
export const recurrentSource = (t: string) => `typedef ${t} T;
__device__ __forceinline__ T sgm(T v) { return (T)1 / ((T)1 + exp(-v)); }
#define RNN_LOOP for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x)
extern "C" __global__ void lstm_step(const T* __restrict__ x, const T* __restrict__ r, const T* __restrict__ cp, T* __restrict__ h,
    T* __restrict__ cs, T* __restrict__ g, unsigned long long n, unsigned long long u) {
  RNN_LOOP {
    const unsigned long long b = i / u, j = i - b * u, gi = b * 4 * u + j;
    const T ig = sgm(x[gi] + r[gi]);
    const T fg = sgm(x[gi + u] + r[gi + u]);
    const T ci = tanh(x[gi + 2 * u] + r[gi + 2 * u]);
    const T og = sgm(x[gi + 3 * u] + r[gi + 3 * u]);
    const T c = fg * cp[i] + ig * ci;
    cs[i] = c;
    h[i] = og * tanh(c);
    g[gi] = ig; g[gi + u] = fg; g[gi + 2 * u] = ci; g[gi + 3 * u] = og;
  }
}
extern "C" __global__ void lstm_step_grad(const T* __restrict__ cp, const T* __restrict__ cs, const T* __restrict__ g, const T* __restrict__ dh,
    const T* __restrict__ dcs, T* __restrict__ dz, T* __restrict__ dcp, unsigned long long n, unsigned long long u) {
  RNN_LOOP {
    const unsigned long long b = i / u, j = i - b * u, gi = b * 4 * u + j;
    const T ig = g[gi], fg = g[gi + u], ci = g[gi + 2 * u], og = g[gi + 3 * u];
    const T th = tanh(cs[i]);
    const T dc = dcs[i] + dh[i] * og * ((T)1 - th * th);
    dz[gi] = dc * ci * ig * ((T)1 - ig);
    dz[gi + u] = dc * cp[i] * fg * ((T)1 - fg);
    dz[gi + 2 * u] = dc * ig * ((T)1 - ci * ci);
    dz[gi + 3 * u] = dh[i] * th * og * ((T)1 - og);
    dcp[i] = dc * fg;
  }
}
extern "C" __global__ void gru_step(const T* __restrict__ x, const T* __restrict__ r, const T* __restrict__ hp, T* __restrict__ h,
    T* __restrict__ g, unsigned long long n, unsigned long long u) {
  RNN_LOOP {
    const unsigned long long b = i / u, j = i - b * u, gi = b * 3 * u + j;
    const T z = sgm(x[gi] + r[gi]);
    const T rr = sgm(x[gi + u] + r[gi + u]);
    const T hh = tanh(x[gi + 2 * u] + rr * r[gi + 2 * u]);
    h[i] = hh + z * (hp[i] - hh);
    g[gi] = z; g[gi + u] = rr; g[gi + 2 * u] = hh;
  }
}
extern "C" __global__ void gru_step_grad(const T* __restrict__ r, const T* __restrict__ hp, const T* __restrict__ g, const T* __restrict__ dh,
    T* __restrict__ dxp, T* __restrict__ dhp, T* __restrict__ dhprev, unsigned long long n, unsigned long long u) {
  RNN_LOOP {
    const unsigned long long b = i / u, j = i - b * u, gi = b * 3 * u + j;
    const T z = g[gi], rr = g[gi + u], hh = g[gi + 2 * u], d = dh[i];
    const T dpz = d * (hp[i] - hh) * z * ((T)1 - z);
    const T dph = d * ((T)1 - z) * ((T)1 - hh * hh);
    const T dpr = dph * r[gi + 2 * u] * rr * ((T)1 - rr);
    dxp[gi] = dpz; dxp[gi + u] = dpr; dxp[gi + 2 * u] = dph;
    dhp[gi] = dpz; dhp[gi + u] = dpr; dhp[gi + 2 * u] = dph * rr;
    dhprev[i] = d * z;
  }
}
`;

/**
 * CUDA C++ that moves Keras's LSTM or GRU weights into cuDNN's RNN weight space and the weight-space
 * gradient back (../cudnn_rnn.ts), for a cell of `gates` gates and `biasRows` bias rows. Keras keeps kernel
 * [input, gates * units], recurrent_kernel [units, gates * units] and bias [biasRows, gates * units] with the
 * gates as column blocks (LSTM i, f, c, o and one bias row; GRU z, r, h and two, the input and recurrent
 * sides); cuDNN keeps one row-major matrix per gate ([units, input] and [units, units], the transposes of
 * those blocks) and one bias per gate and side, each at an offset the library reports (`Offsets`, in
 * elements, by Keras gate: input matrices, recurrent matrices, then the bias rows' gates). One thread per
 * element of the three Keras tensors. The LSTM's `pack` writes the input-side biases (the recurrent-side
 * ones stay zero: ../cudnn_rnn.ts clears the space first) and its `unpack` reads the input-side bias
 * gradient (the recurrent side's is the same sum).
 */
export const cudnnRnnSource = (t: string, gates: number, biasRows: number) => `typedef ${t} T;
#define G ${gates}
#define BR ${biasRows}
struct Offsets { long long w[G]; long long r[G]; long long b[BR * G]; };
#define RNN_LOOP for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
// Element e of the Keras tensors, in the order kernel, recurrent_kernel, bias -> its place in the weight space.
__device__ __forceinline__ long long place(long long e, long long in, long long u, const Offsets& o, long long* keras, int* which) {
  const long long gu = G * u;
  if (e < in * gu) {
    const long long col = e / gu, row = e - col * gu, g = row / u, j = row - g * u;
    *keras = e; *which = 0;
    return o.w[g] + j * in + col;
  }
  e -= in * gu;
  if (e < u * gu) {
    const long long col = e / gu, row = e - col * gu, g = row / u, j = row - g * u;
    *keras = e; *which = 1;
    return o.r[g] + j * u + col;
  }
  e -= u * gu;
  const long long g = e / u, j = e - g * u;
  *keras = e; *which = 2;
  return o.b[g] + j;
}
extern "C" __global__ void rnn_pack(const T* __restrict__ k, const T* __restrict__ r, const T* __restrict__ b, T* __restrict__ ws,
    long long n, long long in, long long u, Offsets o) {
  RNN_LOOP {
    long long at; int which;
    const long long w = place(e, in, u, o, &at, &which);
    ws[w] = which == 0 ? k[at] : which == 1 ? r[at] : b[at];
  }
}
extern "C" __global__ void rnn_unpack(const T* __restrict__ dws, T* __restrict__ dk, T* __restrict__ dr, T* __restrict__ db,
    long long n, long long in, long long u, Offsets o) {
  RNN_LOOP {
    long long at; int which;
    const T v = dws[place(e, in, u, o, &at, &which)];
    if (which == 0) dk[at] = v; else if (which == 1) dr[at] = v; else db[at] = v;
  }
}
`;
