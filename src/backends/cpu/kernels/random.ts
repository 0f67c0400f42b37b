import { allocOutput, allocValues, DType } from "../../../core/dtype.js";
import { Philox } from "../../../core/philox.js";
import { sizeOf } from "../../../core/shape.js";
import type { RandomSource } from "../../../core/backend.js";
import { KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";
import { hasFloat32Storage } from "../../../core/half.js";

/** Box-Muller on two uniforms; u1 is kept away from 0 so the log is finite. */
function normalPair(r: RandomSource): [number, number] {
  const u1 = (r.nextUint32() + 1) / 4294967297;
  const u2 = r.nextFloat();
  const rad = Math.sqrt(-2 * Math.log(u1));
  return [rad * Math.cos(2 * Math.PI * u2), rad * Math.sin(2 * Math.PI * u2)];
}

function fillRandom(dtype: DType, shape: number[], r: RandomSource, draw: (r: RandomSource) => number): ReturnType<typeof out> {
  const n = sizeOf(shape);
  const v = allocValues(dtype, n) as Float64Array;
  for (let i = 0; i < n; i++) v[i] = draw(r);
  return out(dtype, shape, v);
}

function source(env: { rng?: RandomSource }): RandomSource {
  if (!env.rng) throw new Error("random kernel run without a random source");
  return env.rng;
}

export const randomKernels: KernelTable = {
  // float32 draws use 24 bits so that rounding can never produce 1.0: the range is [0, 1) as in TensorFlow.
  RandomUniform: ([s], attrs, env) => {
    const dtype = attrs.dtype as DType;
    const shape = ints(s.values);
    const r = source(env);
    const bits24 = hasFloat32Storage(dtype);
    if (r instanceof Philox && (dtype === "float32" || dtype === "float64")) {
      // A block's four draws at a time: the same numbers as one by one (dropout's masks, every step).
      const n = sizeOf(shape);
      const v = allocOutput(dtype, n) as Float32Array | Float64Array;
      r.fillUniform(v, n, bits24);
      return [out(dtype, shape, v)];
    }
    return [fillRandom(dtype, shape, r, bits24 ? (q) => (q.nextUint32() >>> 8) / 16777216 : (q) => q.nextFloat())];
  },
  RandomStandardNormal: ([s], attrs, env) => {
    let spare: number | null = null;
    return [
      fillRandom(attrs.dtype as DType, ints(s.values), source(env), (r) => {
        if (spare !== null) {
          const x = spare;
          spare = null;
          return x;
        }
        const [a, b] = normalPair(r);
        spare = b;
        return a;
      }),
    ];
  },
  TruncatedNormal: ([s], attrs, env) => [
    fillRandom(attrs.dtype as DType, ints(s.values), source(env), (r) => {
      for (;;) {
        const [a, b] = normalPair(r);
        if (Math.abs(a) <= 2) return a;
        if (Math.abs(b) <= 2) return b;
      }
    }),
  ],
};
