import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import * as tf from "../src/index.js";
import { toTextFormat } from "../src/io/text_format.js";
import { SavedModelSchema } from "../src/proto/tensorflow/core/protobuf/saved_model_pb.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "tf");
const TF2 = join(FIXTURES, "savedmodel-serving-half-plus-two-tf2");
const TF1 = join(FIXTURES, "savedmodel-serving-half-plus-two-tf1");

const values = (t: unknown) => Array.from((t as tf.Tensor).dataSync() as Float32Array);
// biome-ignore lint/suspicious/noExplicitAny: a loaded SavedModel's attributes are known only at run time, as in Python
type Loaded = any;

describe("tf.saved_model.load: TensorFlow 2.14's half_plus_two (tensorflow/serving testdata)", () => {
  const loaded: Loaded = tf.savedModel.load(TF2);

  it("lists the signatures TensorFlow wrote", () => {
    assert.deepEqual(Object.keys(loaded.signatures).sort(), [
      "classify_x2_to_y3",
      "classify_x_to_y",
      "regress_x2_to_y3",
      "regress_x_to_y",
      "regress_x_to_y2",
      "serving_default",
    ]);
    assert.equal(loaded.tensorflowVersion, "2.14.0");
  });

  it("restores the variables a, b, c as attributes (through the checkpoint's object graph)", () => {
    assert.ok(loaded.a instanceof tf.Variable);
    assert.deepEqual([loaded.a.numpy(), loaded.b.numpy(), loaded.c.numpy()], [0.5, 2, 3]);
    assert.equal(loaded.a.name, "a:0");
  });

  it("serving_default({ x }) gives y = 0.5x + 2 for x = 1, 2, 5 (an object of named outputs, as TensorFlow)", () => {
    for (const x of [1, 2, 5]) {
      const out = loaded.signatures.serving_default({ x: tf.constant([x]) });
      assert.deepEqual(Object.keys(out), ["y"]);
      assert.deepEqual(values(out.y), [0.5 * x + 2]);
    }
    // JS values are converted to the input's dtype; positional calls work too.
    assert.deepEqual(values(loaded.signatures.serving_default([5]).y), [4.5]);
  });

  it("loads from saved_model.pbtxt (the text form) as from saved_model.pb", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsflow-pbtxt-"));
    try {
      const model = fromBinary(SavedModelSchema, readFileSync(join(TF2, "saved_model.pb")));
      writeFileSync(join(dir, "saved_model.pbtxt"), toTextFormat(SavedModelSchema, model));
      cpSync(join(TF2, "variables"), join(dir, "variables"), { recursive: true });
      const fromText: Loaded = tf.savedModel.load(dir);
      assert.deepEqual(values(fromText.signatures.serving_default({ x: [5] }).y), [4.5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the restored tf.functions run (predict; regress_x2y3 reads a and c)", () => {
    assert.deepEqual(values(loaded.predict(tf.constant([2])).y), [3]);
    assert.deepEqual(values(loaded.signatures.regress_x2_to_y3({ inputs: [2] }).outputs), [4]);
  });

  it("the variables are shared: assigning one changes what the signatures compute", () => {
    loaded.b.assign(10);
    try {
      assert.deepEqual(values(loaded.signatures.serving_default({ x: [2] }).y), [11]);
    } finally {
      loaded.b.assign(2);
    }
  });

  it("an input of the wrong shape is refused, naming the signature's spec", () => {
    assert.throws(() => loaded.signatures.serving_default({ x: [1, 2, 5] }), tf.errors.InvalidArgumentError);
    assert.throws(() => loaded.predict(tf.constant([[1, 2]])), /Could not find matching concrete function/);
  });

  it("a signature built on an op tsflow lacks (ParseExampleV2) fails when called, naming the op and node", () => {
    assert.throws(() => loaded.signatures.regress_x_to_y({ inputs: tf.constant(["x"]) }), /ParseExampleV2/);
  });

  it("the asset points into assets/", () => {
    assert.equal(loaded.asset.assetPath, join(TF2, "assets", "foo.txt"));
  });

  it("unknown tags are a NotFoundError listing the tag sets there", () => {
    assert.throws(() => tf.savedModel.load(TF2, ["train"]), isErr(tf.errors.NotFoundError, /available tags '\[\["serve"\]\]'/));
    assert.throws(() => tf.savedModel.load(join(FIXTURES, "nothing-here")), tf.errors.NotFoundError);
  });

  it("a corrupt saved_model.pb is a DataLossError naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsflow-savedmodel-bad-"));
    try {
      const bytes = readFileSync(join(TF2, "saved_model.pb"));
      writeFileSync(join(dir, "saved_model.pb"), bytes.subarray(0, 1000));
      assert.throws(() => tf.savedModel.load(dir), isErr(tf.errors.DataLossError, /saved_model\.pb/));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("containsSavedModel", () => {
    assert.equal(tf.savedModel.containsSavedModel(TF2), true);
    assert.equal(tf.savedModel.containsSavedModel(FIXTURES), false);
  });
});

describe("tf.compat.v1.saved_model.loader.load: TensorFlow 1.14's half_plus_two", () => {
  it("imports the graph, restores a, b, c, a2, c2, and the signatures' tensors give y = 0.5x + 2, y3 = 0.5x2 + 3", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      using sess = new tf.Session({ graph: g });
      const { SERVING } = tf.compat.v1.savedModel.tagConstants;
      assert.equal(SERVING, "serve");
      const meta = tf.compat.v1.savedModel.loader.load(sess, [SERVING], TF1);
      const sig = meta.signatureDef[tf.compat.v1.savedModel.signatureConstants.DEFAULT_SERVING_SIGNATURE_DEF_KEY];
      const x = sig.inputs.x.encoding.value as string;
      const y = sig.outputs.y.encoding.value as string;
      assert.deepEqual([x, y], ["x:0", "y:0"]);
      assert.deepEqual(values(sess.run(y, { [x]: [[1], [2], [5]] })), [2.5, 3, 4.5]);
      const r = meta.signatureDef.regress_x2_to_y3;
      assert.deepEqual(
        values(sess.run(r.outputs.outputs.encoding.value as string, { [r.inputs.inputs.encoding.value as string]: [[1], [2], [5]] })),
        [3.5, 4, 5.5],
      );
      assert.deepEqual(values(sess.run("a:0")), [0.5]);
      assert.deepEqual(values(sess.run("c2:0")), [3]);
      // The main op ran (it assigns the asset's file name to a variable).
      assert.equal((sess.run("filename_tensor:0") as tf.Tensor).arraySync(), "foo.txt");
      assert.equal(meta.metaInfoDef?.tensorflowVersion, "1.14.0");
    });
  });

  it("tf.saved_model.load of it: signatures that take and return objects of named tensors, run in a session of its own", () => {
    const loaded: Loaded = tf.savedModel.load(TF1, ["serve"]);
    assert.deepEqual(Object.keys(loaded.signatures).sort(), ["classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default"]);
    assert.deepEqual(values(loaded.signatures.serving_default({ x: [[1], [2], [5]] }).y), [2.5, 3, 4.5]);
    assert.deepEqual(values(loaded.signatures.regress_x2_to_y3({ inputs: [[1]] }).outputs), [3.5]);
    assert.throws(() => loaded.signatures.serving_default({ z: [[1]] }), /missing input x/);
    loaded.session.close();
  });

  it("a TensorFlow 2 SavedModel is refused with the hint to use tf.saved_model.load", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      using sess = new tf.Session({ graph: g });
      assert.throws(() => tf.compat.v1.savedModel.loader.load(sess, ["serve"], TF2), /tf.saved_model.load/);
    });
  });
});

function isErr(cls: new (...a: never[]) => Error, re: RegExp) {
  return (e: unknown) => e instanceof cls && re.test((e as Error).message);
}
