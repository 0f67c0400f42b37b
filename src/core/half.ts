import type { DType } from "./dtype.js";

/**
 * The 16-bit float types (IEEE binary16 "float16" and Google's "bfloat16"). On the host their values live in
 * a Float32Array holding numbers already rounded to the narrow type, so every kernel that reads float32
 * reads them, and only the place where a backend takes ownership of a buffer rounds (round-to-nearest-even,
 * float16 overflowing to Infinity and keeping its subnormals, as a hardware conversion does). The 2-byte
 * patterns exist only at the edges: checkpoints, TensorProtos, device memory.
 */
export function isNarrowFloat(d: DType): d is "float16" | "bfloat16" {
  return d === "float16" || d === "bfloat16";
}

/** Rounds float32 values to `dtype` (float16 or bfloat16) in place. */
export function roundToNarrow(dtype: "float16" | "bfloat16", v: Float32Array): void {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  if (dtype === "bfloat16") roundBfloat16Bits(u);
  else roundHalfBits(u, v);
}

// float32 bit patterns of the float16 range limits.
const HALF_MIN_NORMAL = 0x38800000; // 2^-14
const HALF_OVERFLOW = 0x477ff000; // 65520: the halfway point above 65504, which rounds (to even) up to 2^16
const F32_INF = 0x7f800000;
// Adding 2^28 to a magnitude below 2^-14 leaves a double whose last bit is worth 2^-24, the float16
// subnormal step, so the addition itself rounds to it (to even, as all double arithmetic does).
const SUBNORMAL_SHIFT = 2 ** 28;

function roundHalfBits(u: Uint32Array, v: Float32Array): void {
  for (let i = 0; i < u.length; i++) {
    const b = u[i];
    const a = b & 0x7fffffff;
    if (a >= F32_INF) continue; // Inf and NaN stay as they are
    const sign = b & 0x80000000;
    if (a >= HALF_OVERFLOW) u[i] = sign | F32_INF;
    else if (a >= HALF_MIN_NORMAL) u[i] = sign | ((a + 0xfff + ((a >>> 13) & 1)) & ~0x1fff);
    else if (a !== 0) {
      const m = Math.abs(v[i]) + SUBNORMAL_SHIFT - SUBNORMAL_SHIFT;
      v[i] = sign ? -m : m;
    }
  }
}

function roundBfloat16Bits(u: Uint32Array): void {
  for (let i = 0; i < u.length; i++) {
    const b = u[i];
    // A NaN keeps its top mantissa bit set so that truncation cannot turn it into Infinity.
    u[i] = (b & 0x7fffffff) > F32_INF ? (b | 0x400000) & 0xffff0000 : (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The binary16 pattern of a value already rounded to float16 (or the nearest one to any other value). */
export function floatToHalfBits(x: number): number {
  f32[0] = x;
  roundHalfBits(u32, f32);
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a > F32_INF) return 0x7e00;
  if (a >= 0x47800000) return sign | 0x7c00;
  if (a < HALF_MIN_NORMAL) return sign | Math.round(Math.abs(f32[0]) * 2 ** 24);
  return sign | (((a >>> 23) - 112) << 10) | ((a >>> 13) & 0x3ff);
}

export function bfloat16BitsToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** The nearest bfloat16 pattern (the upper half of the float32, rounded to even). */
export function floatToBfloat16Bits(x: number): number {
  f32[0] = x;
  roundBfloat16Bits(u32);
  return u32[0] >>> 16;
}

/** Host values of a 16-bit float tensor -> its 2-byte patterns (what checkpoints and device memory hold). */
export function toNarrowBits(dtype: "float16" | "bfloat16", v: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(v.length);
  const conv = dtype === "float16" ? floatToHalfBits : floatToBfloat16Bits;
  for (let i = 0; i < v.length; i++) out[i] = conv(v[i]);
  return out;
}

/** 2-byte patterns -> host values (a Float32Array holding exactly the 16-bit values). */
export function fromNarrowBits(dtype: "float16" | "bfloat16", bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  const conv = dtype === "float16" ? halfBitsToFloat : bfloat16BitsToFloat;
  for (let i = 0; i < bits.length; i++) out[i] = conv(bits[i]);
  return out;
}

/** float32 and the 16-bit floats: the dtypes whose host values are a Float32Array (float32 kernels serve them). */
export function hasFloat32Storage(d: DType): boolean {
  return d === "float32" || d === "float16" || d === "bfloat16";
}
