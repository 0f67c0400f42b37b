import type { RandomSource } from "./backend.js";

/**
 * The high 32 bits of a 32x32-bit product, exactly: 16-bit halves keep every partial product below 2^32, so
 * doubles hold them exactly, and the carry out of the low word comes from the middle sum (no division).
 * The low word is Math.imul's.
 */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = ((aL * bL) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;

/** Philox4x32-10 (the counter-based generator TensorFlow uses), keyed by an op's (seed, seed2). */
export class Philox implements RandomSource {
  #k0: number;
  #k1: number;
  #c = new Uint32Array(4);
  #buf = new Uint32Array(4);
  #pos = 4;
  constructor(seed: number, seed2: number) {
    this.#k0 = seed >>> 0;
    this.#k1 = (seed2 >>> 0) ^ (Math.floor(seed / 2 ** 32) >>> 0);
  }
  #block(): void {
    const c = this.#c;
    let c0 = c[0];
    let c1 = c[1];
    let c2 = c[2];
    let c3 = c[3];
    let k0 = this.#k0;
    let k1 = this.#k1;
    for (let r = 0; r < 10; r++) {
      const hi0 = mulhi(M0, c0);
      const lo0 = Math.imul(M0, c0) >>> 0;
      const hi1 = mulhi(M1, c2);
      const lo1 = Math.imul(M1, c2) >>> 0;
      c0 = (hi1 ^ c1 ^ k0) >>> 0;
      c1 = lo1;
      c2 = (hi0 ^ c3 ^ k1) >>> 0;
      c3 = lo0;
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    this.#buf[0] = c0;
    this.#buf[1] = c1;
    this.#buf[2] = c2;
    this.#buf[3] = c3;
    for (let i = 0; i < 4; i++) {
      this.#c[i] = (this.#c[i] + 1) >>> 0;
      if (this.#c[i] !== 0) break;
    }
    this.#pos = 0;
  }
  nextUint32(): number {
    if (this.#pos === 4) this.#block();
    return this.#buf[this.#pos++];
  }

  // A GPU kernel (backends/cuda/kernels/random.ts) draws the same stream: it needs the key and the position of the next
  // draw (4 draws per counter value), and skips what it consumed.
  get key(): [number, number] {
    return [this.#k0, this.#k1];
  }
  /** Index of the next 32-bit draw in the stream, or null past 2^53 (counter words 2 and 3 in use). */
  position(): number | null {
    const c = this.#c;
    if (c[2] !== 0 || c[3] !== 0 || c[1] >= 2 ** 19) return null;
    const ctr = c[0] + c[1] * 4294967296;
    return this.#pos === 4 ? ctr * 4 : (ctr - 1) * 4 + this.#pos;
  }
  /** Moves to draw index `p` (>= position()): the draws in between were made elsewhere. */
  seek(p: number): void {
    const blk = Math.floor(p / 4);
    this.#c[0] = blk % 4294967296;
    this.#c[1] = Math.floor(blk / 4294967296);
    this.#c[2] = 0;
    this.#c[3] = 0;
    this.#pos = 4;
    if (p % 4 !== 0) {
      this.#block();
      this.#pos = p % 4;
    }
  }
  /** Uniform in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }
  /**
   * out[0..n) = the next n draws as uniforms in [0, 1): 24 bits each (`bits24`: float32, which must never round
   * to 1) or 32, the numbers nextUint32 would give one by one, a block's four words at a time.
   */
  fillUniform(out: Float32Array | Float64Array, n: number, bits24: boolean): void {
    let i = 0;
    while (i < n && this.#pos !== 4) out[i++] = this.#uniform(this.#buf[this.#pos++], bits24);
    const buf = this.#buf;
    for (; i + 4 <= n; i += 4) {
      this.#block();
      out[i] = this.#uniform(buf[0], bits24);
      out[i + 1] = this.#uniform(buf[1], bits24);
      out[i + 2] = this.#uniform(buf[2], bits24);
      out[i + 3] = this.#uniform(buf[3], bits24);
      this.#pos = 4;
    }
    while (i < n) out[i++] = this.#uniform(this.nextUint32(), bits24);
  }
  #uniform(u: number, bits24: boolean): number {
    return bits24 ? (u >>> 8) / 16777216 : u / 4294967296;
  }
}

/** TensorFlow's default graph-level seed when only an op seed is given. */
