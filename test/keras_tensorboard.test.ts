/**
 * tf.keras.callbacks.TensorBoard through model.fit, the way a user calls it, with the files read back by
 * tf.summary.summaryIterator: Keras's run directories (train/, validation/) and tag names (epoch_*, batch_*,
 * evaluation_*_vs_iterations, "<weight>/histogram", "<weight>/image", the "keras" config), steps and values
 * equal to the History's, the traced train step's GraphDef; bad arguments; an unwritable logDir; and the
 * board (src/board) serving the callback's epoch_loss; profileBatch's profile.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { startBoard } from "../src/board/server.js";
import * as tf from "../src/index.js";
import { GraphDefSchema } from "../src/proto/tensorflow/core/framework/graph_pb.js";
import type { Summary, Summary_Value } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import type { Event } from "../src/proto/tensorflow/core/util/event_pb.js";
import { buildBoardPage } from "./util/board_page.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tsflow-tensorboard-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every event of a run directory's event files, oldest file first. */
function events(dir: string): Event[] {
  const files = readdirSync(dir)
    .filter((f) => f.includes("tfevents"))
    .sort();
  return files.flatMap((f) => [...tf.summary.summaryIterator(join(dir, f))] as Event[]);
}
interface Point {
  step: number;
  value: Summary_Value;
}
/** The summary values of a run by tag, in file order. */
function byTag(evs: Event[]): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const e of evs) {
    if (e.what.case !== "summary") continue;
    for (const v of (e.what.value as Summary).value) {
      const list = out.get(v.tag) ?? [];
      list.push({ step: Number(e.step), value: v });
      out.set(v.tag, list);
    }
  }
  return out;
}
const f32 = (v: Summary_Value) => {
  const c = (v.value.value as { tensorContent: Uint8Array }).tensorContent;
  return new DataView(c.buffer, c.byteOffset).getFloat32(0, true);
};
const scalars = (points: Point[] | undefined) => {
  assert.ok(points, "tag written");
  return { steps: points.map((p) => p.step), values: points.map((p) => f32(p.value)) };
};

/** A small classifier and its data: 32 samples, batch 8 (4 steps per epoch). */
function setup(options: { schedule?: boolean } = {}) {
  tf.setRandomSeed(3);
  const inputs = tf.keras.Input([4]);
  const h = new tf.keras.layers.Dense(5, { activation: "relu", name: "hidden" })(inputs);
  const outputs = new tf.keras.layers.Dense(3, { activation: "softmax", name: "out" })(h);
  const model = new tf.keras.Model({ inputs, outputs });
  const learningRate = options.schedule ? new tf.keras.optimizers.schedules.ExponentialDecay(0.01, 4, 0.5, { staircase: true }) : 0.01;
  model.compile({ optimizer: new tf.keras.optimizers.Adam({ learningRate }), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const x = tf.randomNormal([32, 4], { seed: 1 });
  const y = tf.constant(
    Array.from({ length: 32 }, (_, i) => i % 3),
    { dtype: "int32" },
  );
  const xv = tf.randomNormal([8, 4], { seed: 2 });
  const yv = tf.constant([0, 1, 2, 0, 1, 2, 0, 1], { dtype: "int32" });
  return { model, x, y, xv, yv };
}

const near = (a: number, b: number) => Math.abs(a - Math.fround(b)) <= 1e-6 * Math.max(1, Math.abs(b));

describe("tf.keras.callbacks.TensorBoard", () => {
  it("writes Keras's runs and tags: epoch and batch scalars equal to History, evaluation_*_vs_iterations, histograms, images, the graph, the model config", async () => {
    const logDir = tmp();
    const { model, x, y, xv, yv } = setup();
    const cb = new tf.keras.callbacks.TensorBoard(logDir, { histogramFreq: 2, writeImages: true, updateFreq: 2 });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, validationData: [xv, yv], callbacks: [cb], shuffle: false });
    assert.deepEqual(readdirSync(logDir).sort(), ["train", "validation"]);

    const train = byTag(events(join(logDir, "train")));
    for (const m of ["loss", "accuracy"]) {
      const s = scalars(train.get(`epoch_${m}`));
      assert.deepEqual(s.steps, [0, 1, 2]);
      s.values.forEach((v, i) => assert.ok(near(v, history.history[m][i]), `epoch_${m}[${i}] ${v} vs ${history.history[m][i]}`));
    }
    // updateFreq 2: batch scalars at every 2nd of the 12 train batches, the step counting from the start of fit.
    assert.deepEqual(scalars(train.get("batch_loss")).steps, [2, 4, 6, 8, 10, 12]);
    assert.deepEqual(scalars(train.get("batch_accuracy")).steps, [2, 4, 6, 8, 10, 12]);
    // The last batch's running mean is the epoch's value.
    assert.ok(near(scalars(train.get("batch_loss")).values[1], history.history.loss[0]));
    assert.equal(train.has("epoch_learning_rate"), false, "a constant rate is not written (Keras 2 writes a schedule's)");

    // histogramFreq 2: epochs 0 and 2; tags are the weights' names with ':' as '_'.
    for (const w of ["hidden/kernel_0", "hidden/bias_0", "out/kernel_0", "out/bias_0"]) {
      const points = train.get(`${w}/histogram`);
      assert.deepEqual(
        points?.map((p) => p.step),
        [0, 2],
        w,
      );
      assert.equal(points?.[0].value.metadata?.pluginData?.pluginName, "histograms");
      assert.deepEqual(
        train.get(`${w}/image`)?.map((p) => p.step),
        [0, 2],
        `${w} image`,
      );
    }
    const kernelImage = train.get("hidden/kernel_0/image")?.[0].value.value.value as { stringVal: Uint8Array[] };
    // hidden/kernel is [4, 5]: not taller than wide, one 5-wide, 4-high gray image.
    assert.deepEqual(
      kernelImage.stringVal.slice(0, 2).map((b) => new TextDecoder().decode(b)),
      ["5", "4"],
    );

    const keras = train.get("keras") ?? [];
    assert.equal(keras.length, 1);
    assert.equal(keras[0].step, 0);
    assert.equal(keras[0].value.metadata?.pluginData?.pluginName, "graph_keras_model");
    const config = JSON.parse(new TextDecoder().decode((keras[0].value.value.value as { stringVal: Uint8Array[] }).stringVal[0]));
    assert.equal(config.class_name, "Functional");

    const graphs = events(join(logDir, "train")).filter((e) => e.what.case === "graphDef");
    assert.equal(graphs.length, 1, "the train step's graph, once");
    const graph = fromBinary(GraphDefSchema, graphs[0].what.value as Uint8Array);
    const ops = new Set(graph.node.map((n) => n.op));
    for (const op of ["MatMul", "Relu", "Softmax"]) assert.ok(ops.has(op), `graph has ${op}: ${[...ops].join(",")}`);

    const validation = byTag(events(join(logDir, "validation")));
    for (const m of ["loss", "accuracy"]) {
      const s = scalars(validation.get(`epoch_${m}`));
      assert.deepEqual(s.steps, [0, 1, 2]);
      s.values.forEach((v, i) => assert.ok(near(v, history.history[`val_${m}`][i]), `val epoch_${m}[${i}]`));
      const it = scalars(validation.get(`evaluation_${m}_vs_iterations`));
      assert.deepEqual(it.steps, [4, 8, 12], "at the optimizer's iterations after each epoch");
      it.values.forEach((v, i) => assert.ok(near(v, history.history[`val_${m}`][i])));
    }
    assert.equal(validation.has("batch_loss"), false);
  });

  it("updateFreq 'epoch' writes no batch scalars; 'batch' writes every batch; a schedule's rate is epoch_learning_rate; steps per second", () => {
    const { model, x, y } = setup({ schedule: true });
    const epochDir = tmp();
    model.fitSync(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [new tf.keras.callbacks.TensorBoard(epochDir, { writeGraph: false })] });
    const epochTags = byTag(events(join(epochDir, "train")));
    assert.deepEqual([...epochTags.keys()].sort(), ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]);
    // ExponentialDecay(0.01, 4 steps, 0.5, staircase) after 4 and 8 iterations.
    const lr = scalars(epochTags.get("epoch_learning_rate"));
    assert.deepEqual(lr.steps, [0, 1]);
    assert.ok(near(lr.values[0], 0.005) && near(lr.values[1], 0.0025), `${lr.values}`);
    assert.equal(readdirSync(epochDir).includes("validation"), false, "no validation, no validation run");

    const batchDir = tmp();
    model.fitSync(x, y, {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      callbacks: [new tf.keras.callbacks.TensorBoard({ logDir: batchDir, updateFreq: "batch", writeStepsPerSecond: true })],
    });
    const batchTags = byTag(events(join(batchDir, "train")));
    assert.deepEqual(scalars(batchTags.get("batch_loss")).steps, [1, 2, 3, 4]);
    assert.deepEqual(scalars(batchTags.get("batch_steps_per_second")).steps, [1, 2, 3, 4]);
    assert.ok(scalars(batchTags.get("epoch_steps_per_second")).values[0] > 0);
  });

  it("evaluate with the callback writes evaluation_*_vs_iterations to validation/", () => {
    const { model, x, y } = setup();
    model.fitSync(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const logDir = tmp();
    const [loss] = model.evaluate(x, y, { batchSize: 8, verbose: 0, callbacks: [new tf.keras.callbacks.TensorBoard(logDir)] }) as number[];
    const s = scalars(byTag(events(join(logDir, "validation"))).get("evaluation_loss_vs_iterations"));
    assert.deepEqual(s.steps, [4]);
    assert.ok(near(s.values[0], loss));
  });

  it("a NaN loss is written as the float32 NaN it is, and the board shows it", async () => {
    const { model, y } = setup();
    const logDir = tmp();
    const x = tf.fill([32, 4], Number.NaN);
    const history = model.fitSync(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [new tf.keras.callbacks.TensorBoard(logDir, { histogramFreq: 1 })] });
    assert.ok(Number.isNaN(history.history.loss[0]));
    const train = byTag(events(join(logDir, "train")));
    assert.ok(Number.isNaN(scalars(train.get("epoch_loss")).values[0]));
    assert.equal(train.get("hidden/kernel_0/histogram")?.length, 1, "NaN weights still give a histogram");
    const board = await startBoard({ logdir: logDir, port: 0 });
    try {
      await board.reload();
      const res = await fetch(new URL("/data/scalars?run=train&tag=epoch_loss", board.url));
      assert.deepEqual(((await res.json()) as { value: unknown[] }).value, ["NaN"]);
    } finally {
      await board.close();
    }
  });

  it("profileBatch [2, 3] profiles the train steps of batches 2 and 3 into train/plugins/profile/<run>/<host>.trace.json.gz", () => {
    const { model, x, y } = setup();
    const logDir = tmp();
    model.fitSync(x, y, {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      callbacks: [new tf.keras.callbacks.TensorBoard(logDir, { profileBatch: [2, 3], writeGraph: false })],
    });
    const profiles = join(logDir, "train", "plugins", "profile");
    const runs = readdirSync(profiles);
    assert.equal(runs.length, 1);
    const file = join(profiles, runs[0], `${hostname()}.trace.json.gz`);
    const trace = JSON.parse(gunzipSync(readFileSync(file)).toString()) as { traceEvents: { ph: string; name: string; args?: { name?: string } }[] };
    const ops = trace.traceEvents.filter((e) => e.ph === "X");
    // Every node of the train step, once per profiled batch (2 of the epoch's 4).
    const softmax = ops.filter((e) => e.name === "Softmax");
    assert.equal(softmax.length, 2);
    assert.ok(ops.some((e) => e.args?.name === "hidden/kernel"));
    // The profiler stopped with batch 3.
    assert.throws(() => tf.profiler.experimental.stop(), tf.errors.UnavailableError);
  });

  it("bad arguments are InvalidArgumentErrors; embeddingsFreq is accepted with a warning", (t) => {
    const bad = (re: RegExp) => (e: unknown) => e instanceof tf.errors.InvalidArgumentError && re.test((e as Error).message);
    assert.throws(() => new tf.keras.callbacks.TensorBoard("logs", { updateFreq: "sometimes" as "batch" }), bad(/update_freq/));
    assert.throws(() => new tf.keras.callbacks.TensorBoard("logs", { updateFreq: 0 }), bad(/update_freq/));
    assert.throws(() => new tf.keras.callbacks.TensorBoard("logs", { histogramFreq: -1 }), bad(/histogram_freq/));
    assert.throws(() => new tf.keras.callbacks.TensorBoard("logs", { profileBatch: "5,2" }), bad(/profile_batch/));
    const warn = t.mock.method(process.stderr, "write", () => true);
    new tf.keras.callbacks.TensorBoard("logs", { profileBatch: [2, 4], embeddingsFreq: 1 });
    warn.mock.restore();
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0].arguments[0]), /^tsflow: TensorBoard: embeddings_freq/);
  });

  it("an unwritable logDir is a PermissionDeniedError naming the directory, before any step", () => {
    // Root may write anywhere, so as root the directory is one under /sys, where nobody may create one.
    let parent = "/sys";
    if (process.getuid?.() !== 0) {
      parent = join(tmp(), "ro");
      mkdirSync(parent, { mode: 0o555 });
    }
    const logDir = join(parent, "tsflow-tensorboard-logs");
    const inputs = tf.keras.Input([2]);
    const model = new tf.keras.Model({ inputs, outputs: new tf.keras.layers.Dense(1)(inputs) });
    model.compile({ optimizer: "sgd", loss: "mse" });
    const before = model.getWeights().map((w) => (w as tf.EagerTensor).dataSync().slice());
    assert.throws(
      () => model.fitSync(tf.ones([4, 2]), tf.ones([4, 1]), { verbose: 0, callbacks: [new tf.keras.callbacks.TensorBoard(logDir)] }),
      (e: unknown) => e instanceof tf.errors.PermissionDeniedError && (e as Error).message.includes(join(logDir, "train")),
    );
    assert.deepEqual(
      model.getWeights().map((w) => (w as tf.EagerTensor).dataSync()),
      before,
      "no step ran",
    );
  });

  it("end to end: the board serves the callback's epoch_loss and the train step's graph", async () => {
    buildBoardPage();
    const logDir = tmp();
    const { model, x, y, xv, yv } = setup();
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      verbose: 0,
      validationData: [xv, yv],
      callbacks: [new tf.keras.callbacks.TensorBoard(logDir, { histogramFreq: 1 })],
    });
    const board = await startBoard({ logdir: logDir, port: 0 });
    try {
      await board.reload();
      // biome-ignore lint/suspicious/noExplicitAny: the board's JSON, checked field by field below
      const get = async (path: string): Promise<any> => {
        const res = await fetch(new URL(path, board.url));
        assert.equal(res.status, 200, path);
        return res.json();
      };
      const runs = await get("/data/runs");
      assert.deepEqual(
        runs.runs.map((r: { name: string }) => r.name),
        ["train", "validation"],
      );
      const trainRun = runs.runs.find((r: { name: string }) => r.name === "train");
      assert.ok(
        trainRun.scalars.includes("epoch_loss") && trainRun.histograms.includes("hidden/kernel_0/histogram") && trainRun.graph,
        JSON.stringify(trainRun),
      );
      assert.deepEqual(runs.errors, []);
      const loss = await get("/data/scalars?run=train&tag=epoch_loss");
      assert.deepEqual(loss.step, [0, 1]);
      loss.value.forEach((v: number, i: number) => assert.ok(near(v, history.history.loss[i])));
      const valLoss = await get("/data/scalars?run=validation&tag=epoch_loss");
      valLoss.value.forEach((v: number, i: number) => assert.ok(near(v, history.history.val_loss[i])));
      const graph = await get("/data/graph?run=train");
      assert.ok(graph.nodes.some((n: { op: string }) => n.op === "MatMul"));
    } finally {
      await board.close();
    }
  });
});
