import type { RandomSource } from "./backend.js";

const hl: [number, number] = [0, 0];
/** The high and low 32 bits of a 32x32-bit product, exactly, with 16-bit halves (no BigInt). */
function mulhilo(a: number, b: number): [number, number] {
  const aL = a & 0xffff,
    aH = a >>> 16,
    bL = b & 0xffff,
    bH = b >>> 16;
  const ll = aL * bL;
  const mid1 = aH * bL;
  const mid2 = aL * bH;
  const lo = ll + (((mid1 & 0xffff) << 16) >>> 0) + (((mid2 & 0xffff) << 16) >>> 0);
  const carry = Math.floor(lo / 4294967296);
  hl[0] = (aH * bH + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
  hl[1] = lo >>> 0;
  return hl;
}

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
    let [c0, c1, c2, c3] = this.#c;
    let k0 = this.#k0;
    let k1 = this.#k1;
    for (let r = 0; r < 10; r++) {
      const [hi0, lo0] = mulhilo(0xd2511f53, c0);
      const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
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
}

/** TensorFlow's default graph-level seed when only an op seed is given. */
