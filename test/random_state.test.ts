import assert from "node:assert/strict";
import { it } from "node:test";
import { Philox } from "../src/core/philox.js";

it("Philox4x32-10 matches the Random123 known-answer vector (key 0, counter 0)", () => {
  const p = new Philox(0, 0);
  assert.deepEqual(
    [0, 1, 2, 3].map(() => p.nextUint32()),
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  );
});

/** Philox4x32-10 written with BigInt products (exact by construction): the reference for the stream's words. */
function philoxReference(k0: number, k1: number, blocks: number): number[] {
  const M = 0xffffffffn;
  const out: number[] = [];
  for (let b = 0; b < blocks; b++) {
    let [c0, c1, c2, c3] = [BigInt(b), 0n, 0n, 0n];
    let [a, z] = [BigInt(k0), BigInt(k1)];
    for (let r = 0; r < 10; r++) {
      const p0 = 0xd2511f53n * c0;
      const p1 = 0xcd9e8d57n * c2;
      [c0, c1, c2, c3] = [((p1 >> 32n) ^ c1 ^ a) & M, p1 & M, ((p0 >> 32n) ^ c3 ^ z) & M, p0 & M];
      a = (a + 0x9e3779b9n) & M;
      z = (z + 0xbb67ae85n) & M;
    }
    out.push(Number(c0), Number(c1), Number(c2), Number(c3));
  }
  return out;
}

it("Philox4x32-10's words equal an exact BigInt reference over many blocks and keys (the high product words included)", () => {
  for (const [seed, seed2] of [
    [7, 9],
    [0xffffffff, 0xfffffffe],
    [123456789, 987654321],
  ]) {
    const p = new Philox(seed, seed2);
    const [k0, k1] = p.key;
    const got = Array.from({ length: 4 * 300 }, () => p.nextUint32());
    assert.deepEqual(got, philoxReference(k0, k1, 300), `seed ${seed}, ${seed2}`);
  }
});

it("Philox.fillUniform gives the uniforms nextUint32 gives one by one, from any offset in a block, and ends where they end", () => {
  for (const bits24 of [true, false]) {
    for (let skip = 0; skip < 5; skip++) {
      for (const n of [0, 1, 3, 4, 5, 9, 103]) {
        const a = new Philox(7, 11);
        const b = new Philox(7, 11);
        for (let k = 0; k < skip; k++) {
          a.nextUint32();
          b.nextUint32();
        }
        const got = bits24 ? new Float32Array(n) : new Float64Array(n);
        a.fillUniform(got, n, bits24);
        const want = Array.from({ length: n }, () => (bits24 ? (b.nextUint32() >>> 8) / 16777216 : b.nextUint32() / 4294967296));
        assert.deepEqual(Array.from(got), Array.from(bits24 ? Float32Array.from(want) : want), `skip ${skip}, n ${n}`);
        assert.equal(a.position(), b.position());
        assert.equal(a.nextUint32(), b.nextUint32());
      }
    }
  }
});

it("tf.randomUniform: float32 draws are the float64 draws' top 24 bits, across block boundaries and a continued generator", async () => {
  const tf = await import("../src/index.js");
  const draw = (dtype: "float32" | "float64") =>
    tf.device("/cpu:0", () => {
      tf.random.setSeed(11);
      // The second call continues the first's stream mid-block (7 draws, then 103).
      return [7, 103].map((n) => Array.from(tf.randomUniform([n], { dtype, seed: 3 }).dataSync() as Float32Array));
    });
  const f32 = draw("float32");
  const f64 = draw("float64");
  f32.forEach((v, k) =>
    v.forEach((q, i) => {
      assert.equal(q, Math.floor(f64[k][i] * 16777216) / 16777216, `call ${k}, draw ${i}`);
      assert.ok(q >= 0 && q < 1);
    }),
  );
  assert.notDeepEqual(f32[0], f32[1].slice(0, 7));
});
