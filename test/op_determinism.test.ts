import assert from "node:assert/strict";
import * as tf from "../src/index.js";
import { describe, it } from "./util/devices.js";
import { cudnnOnly, dnn } from "./util/cudnn.js";

/**
 * tf.config.experimental.enableOpDeterminism: by default cuDNN convolutions take the fastest algorithm the
 * search found, atomics and all (TensorFlow's default); once determinism is enabled they take the fastest one
 * that sums in a fixed order, and repeated runs give the same bits. The switch has no way back, so this file
 * runs in its own process and enables it halfway.
 */

interface Listed {
  algo: number;
  ok: boolean;
  deterministic: boolean;
  mib: number;
}

/** The algorithm picked for a filter-gradient key and the algorithms listed beside it (cudnn.ts's choice text). */
function filterChoice(deterministic: boolean): { picked: number; listed: Listed[] } {
  const entries = [...dnn!.stats.choices].filter(
    ([k]) => /^ConvolutionBackwardFilter\|float32(\+det)?\|/.test(k) && k.includes("+det") === deterministic && !k.includes("|graph-"),
  );
  assert.equal(entries.length, 1, JSON.stringify(entries));
  const m = /^algo (\d+) of \[(.*)\]$/.exec(entries[0][1]);
  assert.ok(m, entries[0][1]);
  const listed = m[2].split(" ").map((e): Listed => {
    const p = /^(\d+)(!\d+)?(nd)?(?::[\d.]+us)?(?:\/([\d.]+)MiB)?$/.exec(e);
    assert.ok(p, e);
    return { algo: Number(p[1]), ok: p[2] === undefined, deterministic: p[3] === undefined, mib: Number(p[4] ?? 0) };
  });
  return { picked: Number(m[1]), listed };
}

/** The gradient of a 3x3 convolution with respect to its filter, on the GPU, as bytes. */
function filterGradient(x: tf.Tensor, w: tf.Variable): Uint8Array {
  return tf.device("/gpu:0", () => {
    const tape = new tf.GradientTape();
    const loss = tape.run(() => tf.reduceSum(tf.nn.conv2d(x, w, 1, "SAME")));
    const g = tape.gradient(loss, w) as tf.Tensor;
    const bytes = new Uint8Array((g.dataSync() as Float32Array).slice().buffer);
    tf.dispose([loss, g]);
    return bytes;
  });
}

describe("tf.config.experimental.enableOpDeterminism", () => {
  it("is off by default and on after the call, for the rest of the process", () => {
    assert.equal(tf.config.experimental.getTsflowOptions().opDeterminism, false);
    tf.config.experimental.enableOpDeterminism();
    assert.equal(tf.config.experimental.getTsflowOptions().opDeterminism, true);
    tf.config.experimental.enableOpDeterminism();
    assert.equal(tf.config.experimental.getTsflowOptions().opDeterminism, true);
  });
});

describe("cuDNN's convolution algorithms and op determinism", cudnnOnly, () => {
  it("takes the fastest algorithm by default and the fastest deterministic one once enabled, which repeats bit for bit", () => {
    tf.config.experimental.setTsflowOptions({ opDeterminism: false, tf32: false });
    const x = tf.device("/gpu:0", () => tf.randomUniform([32, 16, 16, 64], -1, 1, "float32", 3));
    const w = tf.device("/gpu:0", () => new tf.Variable(tf.randomUniform([3, 3, 64, 64], -0.1, 0.1, "float32", 4)));
    const free = filterGradient(x, w);
    const any = filterChoice(false);
    const usable = any.listed.filter((l) => l.ok && l.mib <= 256);
    assert.equal(any.picked, usable[0].algo, "default: the first (fastest) usable algorithm");

    tf.config.experimental.enableOpDeterminism();
    const runs = [filterGradient(x, w), filterGradient(x, w), filterGradient(x, w)];
    const det = filterChoice(true);
    const picked = det.listed.find((l) => l.algo === det.picked);
    assert.ok(picked?.deterministic, `algorithm ${det.picked} is deterministic`);
    assert.equal(det.picked, det.listed.filter((l) => l.ok && l.mib <= 256 && l.deterministic)[0].algo);
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
    // Either algorithm computes the same gradient up to the order of its float sums.
    const a = new Float32Array(free.buffer);
    const b = new Float32Array(runs[0].buffer);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-3 * (1 + Math.abs(b[i])), `element ${i}: ${a[i]} vs ${b[i]}`);
    tf.dispose([x, w]);
  });
});
