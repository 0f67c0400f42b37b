/**
 * CUDA C++ that moves Keras's LSTM weights into cuDNN's RNN weight space and the weight-space gradient back
 * (cudnn_rnn.ts). Keras keeps kernel [input, 4 units], recurrent_kernel [units, 4 units] and bias [4 units]
 * with the gates i, f, c, o as column blocks; cuDNN keeps one row-major matrix per gate ([units, input] and
 * [units, units], the transposes of those blocks) and one bias per gate and side, each at an offset the
 * library reports (`Offsets`, in elements). One thread per element of the three Keras tensors; `pack` writes
 * the input-side biases (the recurrent-side ones stay zero: cudnn_rnn.ts clears the space first) and
 * `unpack` reads the input-side bias gradient (the recurrent side's is the same sum).
 */
export const cudnnRnnSource = (t: string) => `typedef ${t} T;
struct Offsets { long long w[4]; long long r[4]; long long b[4]; };
#define RNN_LOOP for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
// Element e of the Keras tensors, in the order kernel, recurrent_kernel, bias -> its place in the weight space.
__device__ __forceinline__ long long place(long long e, long long in, long long u, const Offsets& o, long long* keras, int* which) {
  const long long g4 = 4 * u;
  if (e < in * g4) {
    const long long col = e / g4, row = e - col * g4, g = row / u, j = row - g * u;
    *keras = e; *which = 0;
    return o.w[g] + j * in + col;
  }
  e -= in * g4;
  if (e < u * g4) {
    const long long col = e / g4, row = e - col * g4, g = row / u, j = row - g * u;
    *keras = e; *which = 1;
    return o.r[g] + j * u + col;
  }
  e -= u * g4;
  const long long g = e / u, j = e - g * u;
  *keras = e; *which = 2;
  return o.b[g] + j;
}
extern "C" __global__ void lstm_pack(const T* __restrict__ k, const T* __restrict__ r, const T* __restrict__ b, T* __restrict__ ws,
    long long n, long long in, long long u, Offsets o) {
  RNN_LOOP {
    long long at; int which;
    const long long w = place(e, in, u, o, &at, &which);
    ws[w] = which == 0 ? k[at] : which == 1 ? r[at] : b[at];
  }
}
extern "C" __global__ void lstm_unpack(const T* __restrict__ dws, T* __restrict__ dk, T* __restrict__ dr, T* __restrict__ db,
    long long n, long long in, long long u, Offsets o) {
  RNN_LOOP {
    long long at; int which;
    const T v = dws[place(e, in, u, o, &at, &which)];
    if (which == 0) dk[at] = v; else if (which == 1) dr[at] = v; else db[at] = v;
  }
}
`;
