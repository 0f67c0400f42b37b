/**
 * Saver.restore writes into the variables' own buffers when nothing else shares them (no fresh memory), and
 * into new buffers otherwise: a tensor fetched earlier or an array handed out by dataSync keeps its values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "../src/index.js";

function tmpDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-inplace-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function values(sess: tf.Session, v: tf.Variable): number[] {
  using t = sess.run(v) as tf.EagerTensor;
  return Array.from(t.dataSync() as Float32Array);
}

test("Saver.restore overwrites unshared variable buffers in place; shared ones get new buffers", (t) => {
  const dir = tmpDir(t);
  const g = new tf.Graph();
  g.asDefault(() => {
    // Initial values computed by ops, so each variable's buffer is its own (a Const's buffer is shared with the constant cache).
    const a = new tf.Variable(tf.add(tf.zeros([4]), [1, 2, 3, 4]), { name: "a" });
    const b = new tf.Variable(
      tf.add(tf.zeros([2, 2]), [
        [5, 6],
        [7, 8],
      ]),
      { name: "b" },
    );
    const c = new tf.Variable(tf.add(tf.zeros([3]), [9, 10, 11]), { name: "c" });
    const saver = new tf.train.Saver();
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const p = saver.save(sess, path.join(dir, "m"));
    sess.run(tf.group([a.assign(tf.mul(a, 0)), b.assign(tf.mul(b, 0)), c.assign(tf.mul(c, 0))])); // ops fetched: no tensor holds a buffer
    const aBuffer = sess.variableHandle(a.op);
    // b's value is held by a fetched tensor, c's array was handed out by dataSync: neither may change.
    const heldB = sess.run(b) as tf.EagerTensor;
    const fetchedC = sess.run(c) as tf.EagerTensor;
    const arrayC = fetchedC.dataSync() as Float32Array;
    fetchedC.dispose();
    saver.restore(sess, p);
    assert.equal(sess.variableHandle(a.op), aBuffer, "a restored into its own buffer");
    assert.notEqual(sess.variableHandle(b.op), undefined);
    assert.deepEqual(values(sess, a), [1, 2, 3, 4]);
    assert.deepEqual(values(sess, b), [5, 6, 7, 8]);
    assert.deepEqual(values(sess, c), [9, 10, 11]);
    assert.deepEqual(Array.from(heldB.dataSync() as Float32Array), [0, 0, 0, 0], "a fetched tensor keeps its value");
    assert.deepEqual(Array.from(arrayC), [0, 0, 0], "an array from dataSync keeps its value");
    heldB.dispose();
    // Restoring again (all buffers unshared now) round-trips too.
    sess.run(tf.group([a.assign(tf.mul(a, 0)), b.assign(tf.mul(b, 0))]));
    saver.restore(sess, p);
    assert.deepEqual(values(sess, a), [1, 2, 3, 4]);
    assert.deepEqual(values(sess, b), [5, 6, 7, 8]);
  });
});

test("an in-place restore from a damaged data file is a DataLossError and changes no variable", (t) => {
  const dir = tmpDir(t);
  const g = new tf.Graph();
  g.asDefault(() => {
    const a = new tf.Variable(tf.add(tf.zeros([1000]), 1), { name: "a" });
    const b = new tf.Variable(tf.add(tf.zeros([1000]), 2), { name: "b" });
    const saver = new tf.train.Saver();
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const p = saver.save(sess, path.join(dir, "m"));
    sess.run(tf.group([a.assign(tf.mul(a, 3)), b.assign(tf.mul(b, 3))]));
    const data = fs.readFileSync(`${p}.data-00000-of-00001`);
    data[data.length - 1] ^= 1; // b is written last: a reads fine
    fs.writeFileSync(`${p}.data-00000-of-00001`, data);
    const aBuffer = sess.variableHandle(a.op);
    assert.throws(
      () => saver.restore(sess, p),
      (e: Error) => e instanceof tf.errors.DataLossError && /"b"/.test(e.message),
    );
    assert.equal(sess.variableHandle(a.op), aBuffer);
    assert.ok(
      values(sess, a).every((x) => x === 3),
      "a untouched although it read fine",
    );
    assert.ok(values(sess, b).every((x) => x === 6));
  });
});

test("eager variables: Saver restores into their buffers in place, and into new ones when shared", (t) => {
  const dir = tmpDir(t);
  const a = new tf.Variable(tf.add(tf.zeros([3]), [1, 2, 3]), { name: "ea" });
  const b = new tf.Variable(tf.add(tf.zeros([2]), [4, 5]), { name: "eb" });
  const saver = new tf.train.Saver({ varList: [a, b] });
  const p = saver.save(null, path.join(dir, "e"));
  a.assign(tf.mul(a, 0));
  b.assign(tf.mul(b, 0));
  const heldB = tf.identity(b); // an alias of b's buffer
  saver.restore(null, p);
  assert.deepEqual(Array.from(a.value().dataSync() as Float32Array), [1, 2, 3]);
  assert.deepEqual(Array.from(b.value().dataSync() as Float32Array), [4, 5]);
  assert.deepEqual(Array.from(heldB.dataSync() as Float32Array), [0, 0]);
  heldB.dispose();
});
