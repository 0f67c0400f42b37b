import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "../src/index.js";
import { checkBundle } from "./util/bundle_check.js";

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "tf");

function tmpDir(t: { after: (f: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-saver-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const val = (sess: tf.Session, v: unknown) => (sess.run(v as tf.Variable) as tf.EagerTensor).arraySync();

test("a real TensorFlow 1 checkpoint restores into W and b and the model runs (pred = 0.21396178 x + 1.0495254)", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const x = tf.placeholder("float32", [null], { name: "X" });
    const W = new tf.Variable(tf.randomNormal([]), { name: "W" });
    const b = new tf.Variable(tf.randomNormal([]), { name: "b" });
    const pred = tf.add(tf.multiply(x, W), b);
    const saver = new tf.train.Saver();
    using sess = new tf.Session();
    saver.restore(sess, path.join(FIX, "ckpt-tf2onnx-regression-tf1", "model"));
    const y = (sess.run(pred, new Map([[x, Float32Array.of(0, 1, 2)]])) as tf.EagerTensor).dataSync();
    assert.deepEqual(
      [...y],
      [
        Math.fround(1.0495254),
        Math.fround(Math.fround(0.21396178) + Math.fround(1.0495254)),
        Math.fround(Math.fround(2 * Math.fround(0.21396178)) + Math.fround(1.0495254)),
      ],
    );
    assert.equal(tf.train.latestCheckpoint(path.join(FIX, "ckpt-tf2onnx-regression-tf1")), path.join(FIX, "ckpt-tf2onnx-regression-tf1", "model"));
  });
});

test("Saver.save with globalStep, maxToKeep deletes old checkpoints after the checkpoint file names the new one; restore round-trips", (t) => {
  const dir = tmpDir(t);
  const g = new tf.Graph();
  g.asDefault(() => {
    const w = tf.compat.v1.getVariable("layer1/weights", [2, 3], { initializer: tf.initializers.constant(1.5) });
    const step = tf.train.getOrCreateGlobalStep();
    new tf.Variable(tf.constant([7, 8], "int64"), { name: "count", trainable: false });
    const incr = tf.compat.v1.assignAdd(w, tf.onesLike(w));
    const saver = new tf.train.Saver({ maxToKeep: 2 });
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const paths: string[] = [];
    for (let s = 0; s < 4; s++) {
      sess.run(incr);
      paths.push(saver.save(sess, path.join(dir, "model.ckpt"), { globalStep: s * 10 }));
    }
    assert.deepEqual(
      paths,
      [0, 10, 20, 30].map((s) => path.join(dir, `model.ckpt-${s}`)),
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      "checkpoint",
      "model.ckpt-20.data-00000-of-00001",
      "model.ckpt-20.index",
      "model.ckpt-20.meta",
      "model.ckpt-30.data-00000-of-00001",
      "model.ckpt-30.index",
      "model.ckpt-30.meta",
    ]);
    assert.deepEqual(saver.lastCheckpoints, [paths[2], paths[3]]);
    const st = tf.train.getCheckpointState(dir);
    assert.equal(st?.modelCheckpointPath, paths[3]);
    assert.deepEqual(st?.allModelCheckpointPaths, [paths[2], paths[3]]);
    assert.equal(st?.allModelCheckpointTimestamps.length, 2);
    assert.equal(tf.train.latestCheckpoint(dir), paths[3]);
    // The independent reader: TF1 keys are the variables' op names.
    const checked = checkBundle(paths[3]);
    assert.deepEqual([...checked.entries.keys()], ["count", "global_step", "layer1/weights"]);
    assert.deepEqual(tf.train.listVariables(dir), [
      ["count", [2]],
      ["global_step", []],
      ["layer1/weights", [2, 3]],
    ]);
    assert.deepEqual(tf.train.loadVariable({ ckptDirOrFile: paths[2], name: "layer1/weights" }).arraySync(), [
      [4.5, 4.5, 4.5],
      [4.5, 4.5, 4.5],
    ]);
    const reader = tf.train.loadCheckpoint(dir);
    assert.equal(reader.hasTensor("count"), true);
    assert.equal(reader.hasTensor("nope"), false);
    assert.deepEqual(reader.getVariableToDtypeMap(), { count: "int64", global_step: "int64", "layer1/weights": "float32" });
    assert.deepEqual(reader.getTensor("count").arraySync(), [7n, 8n]);
    // Restore an older checkpoint: every variable changes back.
    sess.run(tf.compat.v1.assign(step, 99));
    saver.restore(sess, paths[2]);
    assert.deepEqual(val(sess, w), [
      [4.5, 4.5, 4.5],
      [4.5, 4.5, 4.5],
    ]);
    assert.equal(val(sess, step), 0n);
  });
});

test("restore is all-or-nothing: missing keys are a NotFoundError listing them; shape or dtype mismatches an InvalidArgumentError", (t) => {
  const dir = tmpDir(t);
  const prefix = path.join(dir, "m");
  const g1 = new tf.Graph();
  g1.asDefault(() => {
    new tf.Variable([1, 2, 3], { name: "a", dtype: "float32" });
    new tf.Variable(5, { name: "b", dtype: "int32" });
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    assert.equal(new tf.train.Saver().save(sess, prefix), prefix);
  });
  const g2 = new tf.Graph();
  g2.asDefault(() => {
    const a = new tf.Variable([0, 0, 0], { name: "a", dtype: "float32" });
    const c = new tf.Variable(0, { name: "c", dtype: "float32" });
    const d = new tf.Variable(0, { name: "d", dtype: "float32" });
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    assert.throws(
      () => new tf.train.Saver().restore(sess, prefix),
      (e: Error) => e instanceof tf.errors.NotFoundError && /2 variable\(s\) not found/.test(e.message) && /c, d/.test(e.message),
    );
    assert.deepEqual(val(sess, a), [0, 0, 0], "nothing restored");
    assert.throws(
      () => new tf.train.Saver({ varList: { b: c } }).restore(sess, prefix),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /dtype/.test(e.message),
    );
    assert.throws(
      () => new tf.train.Saver({ varList: { a: d } }).restore(sess, prefix),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /shape/.test(e.message),
    );
    // A name map restores under other names.
    new tf.train.Saver({ varList: { a } }).restore(sess, prefix);
    assert.deepEqual(val(sess, a), [1, 2, 3]);
    assert.throws(() => new tf.train.Saver().restore(sess, path.join(dir, "nothing")), tf.errors.NotFoundError);
    assert.throws(() => new tf.train.Saver([c]).save(sess, path.join(dir, "no", "such", "dir")), tf.errors.NotFoundError);
  });
});

test("Saver: eager variables (varList given), sharded saves, the keyword form", (t) => {
  const dir = tmpDir(t);
  const v = new tf.Variable([[1, 2]], { name: "ev" });
  const s = new tf.Variable("text", { name: "name" });
  const saver = new tf.train.Saver({ varList: [v, s], sharded: true, saveRelativePaths: true });
  const p = saver.save({ sess: null, savePath: path.join(dir, "e"), globalStep: 3 });
  assert.match(fs.readFileSync(path.join(dir, "checkpoint"), "utf8"), /^model_checkpoint_path: "e-3"\n/);
  v.assign([[5, 6]]);
  saver.restore(null, p);
  assert.deepEqual(v.numpy(), [[1, 2]]);
  assert.equal(tf.train.loadVariable(dir, "name").arraySync(), "text");
});

test("keepCheckpointEveryNHours keeps checkpoints beyond maxToKeep; maxToKeep 0 keeps all; recoverLastCheckpoints resumes the window", async (t) => {
  const dir = tmpDir(t);
  const v = new tf.Variable(1, { name: "v" });
  // One checkpoint per 2 ms is kept whatever maxToKeep says.
  const keeper = new tf.train.Saver({ varList: [v], maxToKeep: 1, keepCheckpointEveryNHours: 2e-3 / 3600 });
  const paths: string[] = [];
  for (let s = 0; s < 3; s++) {
    await new Promise((r) => setTimeout(r, 5));
    paths.push(keeper.save(null, path.join(dir, "k"), { globalStep: s }));
  }
  assert.ok(
    paths.every((p) => fs.existsSync(`${p}.index`)),
    "all preserved",
  );
  assert.deepEqual(keeper.lastCheckpoints, [paths[2]]);
  const all = new tf.train.Saver({ varList: [v], maxToKeep: 0 });
  for (let s = 0; s < 3; s++) all.save(null, path.join(dir, "a"), { globalStep: s });
  assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith("a-") && f.endsWith(".index")).length, 3);
  const windowed = new tf.train.Saver({ varList: [v], maxToKeep: 2 });
  windowed.recoverLastCheckpoints([path.join(dir, "a-0"), path.join(dir, "a-1"), path.join(dir, "gone")]);
  assert.deepEqual(windowed.lastCheckpoints, [path.join(dir, "a-0"), path.join(dir, "a-1")]);
  windowed.save(null, path.join(dir, "a"), { globalStep: 2 });
  assert.equal(fs.existsSync(path.join(dir, "a-0.index")), false, "a-0 fell out of the window");
  assert.deepEqual(tf.train.getCheckpointState(dir)?.allModelCheckpointPaths, [path.join(dir, "a-1"), path.join(dir, "a-2")]);
});

test("initFromCheckpoint: scope and single-name maps replace graph initializers; mismatches are errors; eager variables are assigned", (t) => {
  const dir = tmpDir(t);
  const g1 = new tf.Graph();
  g1.asDefault(() => {
    new tf.Variable([1, 2], { name: "old/w", dtype: "float32" });
    new tf.Variable(3, { name: "old/b", dtype: "float32" });
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    new tf.train.Saver().save(sess, path.join(dir, "m"));
  });
  const g2 = new tf.Graph();
  g2.asDefault(() => {
    const w = new tf.Variable([0, 0], { name: "new/w", dtype: "float32" });
    const b = new tf.Variable(0, { name: "new/b", dtype: "float32" });
    const other = new tf.Variable(9, { name: "other", dtype: "float32" });
    const single = new tf.Variable(0, { name: "single", dtype: "float32" });
    assert.throws(
      () => tf.train.initFromCheckpoint(path.join(dir, "m"), { "old/w": "single" }),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /Shape/.test(e.message),
    );
    assert.throws(() => tf.train.initFromCheckpoint(path.join(dir, "m"), { "nope/": "new/" }), tf.errors.NotFoundError);
    tf.train.initFromCheckpoint(dir, { "old/": "new/" });
    tf.train.initFromCheckpoint(dir, { "old/b": "single" });
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    assert.deepEqual(val(sess, w), [1, 2]);
    assert.equal(val(sess, b), 3);
    assert.equal(val(sess, single), 3);
    assert.equal(val(sess, other), 9, "variables outside the map keep their initializer");
  });
  const e = new tf.Variable([0, 0], { name: "eager_w", dtype: "float32" });
  tf.train.initFromCheckpoint(dir, { "old/w": e });
  assert.deepEqual(e.numpy(), [1, 2]);
});
