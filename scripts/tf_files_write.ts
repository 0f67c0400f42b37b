/**
 * Writes the TensorFlow files that scripts/tf_files_check.py parses with the protocol-buffer schemas TensorBoard
 * ships (its copies of TensorFlow's own .proto files, none of tsflow's code):
 *   <dir>/saved_model_module : tf.savedModel.save of an object with variables and a tf.function signature
 *   <dir>/saved_model_keras  : model.save of a small Keras model (the SavedModel half of it)
 *   <dir>/tf1/model.ckpt-1.* : a TensorFlow 1 Saver checkpoint with its .meta graph
 *   <dir>/graph.pb, graph.pbtxt: tf.train.writeGraph of a small graph
 *   <dir>/expected.json       : what the checker must find (signature names, variable names, node names)
 * Usage: node --import tsx scripts/tf_files_write.ts <dir>
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as tf from "../src/index.js";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node --import tsx scripts/tf_files_write.ts <dir>");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

// A module with two variables and a signature: y = x W + b.
const module: Record<string, unknown> = { w: new tf.Variable([[2], [3]], { name: "w" }), b: new tf.Variable([0.5], { name: "b" }) };
module.f = tf.function((x: tf.Tensor) => tf.add(tf.matmul(x, module.w as tf.Variable), module.b as tf.Variable), {
  inputSignature: [new tf.TensorSpec([null, 2], "float32", "x")],
});
tf.savedModel.save(module, join(dir, "saved_model_module"), { signatures: module.f });

// A Keras model saved the Keras way.
const model = new tf.keras.Sequential([new tf.keras.layers.Dense(4, { activation: "relu", inputShape: [3] }), new tf.keras.layers.Dense(2)]);
model.compile({ optimizer: "adam", loss: "mse" });
model.save(join(dir, "saved_model_keras"));

// TensorFlow 1: a Saver checkpoint with its meta graph.
mkdirSync(join(dir, "tf1"), { recursive: true });
const g = new tf.Graph();
let ckpt = "";
g.asDefault(() => {
  const x = tf.compat.v1.placeholder("float32", [null, 3], "x");
  const W = new tf.Variable(tf.truncatedNormal([3, 2], { stddev: 0.1 }), { name: "W" });
  const b = new tf.Variable(tf.zeros([2]), { name: "b" });
  tf.add(tf.matmul(x, W), b, "y");
  const sess = new tf.Session();
  sess.run(tf.compat.v1.globalVariablesInitializer());
  ckpt = new tf.train.Saver().save(sess, join(dir, "tf1", "model.ckpt"), { globalStep: 1 });
  sess.close();
});
tf.train.writeGraph(g, dir, "graph.pb", { asText: false });
tf.train.writeGraph(g, dir, "graph.pbtxt");

writeFileSync(
  join(dir, "expected.json"),
  JSON.stringify({ module: { signature: "serving_default", inputs: ["x"] }, tf1: { meta: relative(dir, `${ckpt}.meta`), variables: ["W", "b"], nodes: ["x", "W", "b", "y"] } }, null, 1),
);
console.log(`wrote ${dir}`);
