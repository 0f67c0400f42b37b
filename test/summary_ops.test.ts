/**
 * TensorFlow 1's summary ops as graph ops (ScalarSummary, HistogramSummary, ImageSummary, AudioSummaryV2,
 * TensorSummaryV2, MergeSummary): their names, tags and attrs in the GraphDef, their Summary protos, the
 * SUMMARIES collection and merge/mergeAll, and the seed tutorial's TensorBoard lines translated one by one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { decode as decodePng } from "fast-png";
import type { HistogramProto } from "../src/proto/xla/tsl/protobuf/histogram_pb.js";
import { type Summary, SummarySchema, type Summary_Audio, type Summary_Image } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import type { Event } from "../src/proto/tensorflow/core/util/event_pb.js";
import * as tf from "../src/index.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tsflow-summary-ops-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The Summary in a summary op's output (a scalar string tensor of latin1 bytes). */
function parse(t: tf.Tensor): Summary {
  assert.equal(t.dtype, "string");
  assert.deepEqual(t.shape, []);
  return fromBinary(SummarySchema, Buffer.from((t.dataSync() as string[])[0], "latin1"));
}

/** Builds in a new graph and runs `fetch` once in a session of it. */
function runIn<T>(build: () => T, fetch: (built: T) => tf.Tensor | tf.Tensor[], feed?: (built: T) => Map<tf.Tensor, unknown>): tf.Tensor[] {
  const g = new tf.Graph();
  return g.asDefault(() => {
    const built = build();
    const sess = new tf.Session({ graph: g });
    const f = fetch(built);
    const out = sess.run(Array.isArray(f) ? f : [f], feed?.(built) as never) as tf.Tensor[];
    sess.close();
    return out;
  });
}

const isInvalid = (re: RegExp) => (e: unknown) => e instanceof tf.errors.InvalidArgumentError && re.test((e as Error).message);
const DBL_MAX = Number.MAX_VALUE;

describe("TensorFlow 1 summary ops", () => {
  it("the seed tutorial: scalar('error'), histogram('weights'), mergeAll, FileWriter with the graph, addSummary per step", () => {
    // ../shared/seeds/004: the linear regression of section 2.7.3, line by line.
    const logdir = tmp();
    const g = new tf.Graph();
    const errors: number[] = [];
    g.asDefault(() => {
      // A fixed graph seed: the data are redrawn each run, and 5 steps lower the error only in expectation.
      tf.setRandomSeed(4);
      const [x, yTrue] = tf.variableScope("original_data", () => {
        const x = tf.random.normal([100, 1], { mean: 0, stddev: 1 });
        return [x, tf.add(tf.matmul(x, [[0.8]]), 0.7)];
      });
      const [weights, yPredict] = tf.variableScope("linear_model", () => {
        const weights = new tf.Variable(tf.random.normal([1, 1]), { name: "Weights" });
        const bias = new tf.Variable(tf.random.normal([1, 1]), { name: "Bias" });
        return [weights, tf.add(tf.matmul(x, weights), bias)];
      });
      const error = tf.variableScope("loss", () => tf.reduceMean(tf.square(tf.sub(yPredict, yTrue))));
      const optimizer = tf.variableScope("optimizer", () => new tf.train.GradientDescentOptimizer({ learningRate: 0.01 }).minimize(error));
      // 2. collect the variables (tf.summary.scalar / histogram), 3. merge them
      const errorSummary = tf.summary.scalar("error", error) as tf.Tensor;
      const weightsSummary = tf.summary.histogram("weights", weights) as tf.Tensor;
      const merged = tf.summary.mergeAll()!;
      assert.equal(errorSummary.name, "error:0");
      assert.equal(weightsSummary.name, "weights:0");
      assert.equal(merged.name, "Merge/MergeSummary:0");
      assert.deepEqual(tf.getCollection(tf.GraphKeys.SUMMARIES), [errorSummary, weightsSummary]);
      const init = tf.globalVariablesInitializer();
      const sess = new tf.Session();
      sess.run(init);
      const filewriter = new tf.summary.FileWriter(logdir, { graph: sess.graph });
      for (let i = 0; i < 5; i++) {
        sess.run(optimizer);
        const [summary, err] = sess.run([merged, error]) as tf.Tensor[];
        errors.push(err.dataSync()[0] as number);
        filewriter.addSummary(summary, i);
      }
      filewriter.close();
      sess.close();
    });
    const files = readdirSync(logdir);
    assert.equal(files.length, 1);
    const events: Event[] = [...tf.summary.summaryIterator(join(logdir, files[0]))];
    assert.equal(events[0].what.case, "fileVersion");
    assert.equal(events[1].what.case, "graphDef");
    const summaries = events.filter((e) => e.what.case === "summary");
    assert.deepEqual(
      summaries.map((e) => Number(e.step)),
      [0, 1, 2, 3, 4],
    );
    summaries.forEach((e, i) => {
      const values = (e.what.value as Summary).value;
      assert.deepEqual(
        values.map((v) => v.tag),
        ["error", "weights"],
      );
      assert.equal(values[0].value.case, "simpleValue");
      assert.equal(values[0].value.value, Math.fround(errors[i]));
      const h = values[1].value.value as HistogramProto;
      assert.equal(values[1].value.case, "histo");
      assert.equal(h.num, 1);
      assert.equal(h.min, h.max);
    });
    assert.ok(errors[4] < errors[0], "training lowered the error");
    // The graph as TensorFlow 1 builds it: each summary op named after its scope, its tag a Const inside it.
    const nodes = new Map(g.asGraphDef().node.map((n) => [n.name, n]));
    assert.equal(nodes.get("error")?.op, "ScalarSummary");
    assert.deepEqual(nodes.get("error")?.input, ["error/tags", "loss/Mean"]);
    assert.equal(nodes.get("weights")?.op, "HistogramSummary");
    assert.deepEqual(nodes.get("weights")?.input, ["weights/tag", "linear_model/Weights/read"]);
    assert.equal(nodes.get("Merge/MergeSummary")?.attr.N?.value.value, 2n);
    assert.deepEqual(nodes.get("Merge/MergeSummary")?.input, ["error", "weights"]);
  });

  it("tags follow name scopes and family; names are made unique and cleaned; collections and mergeAll", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const a = tf.nameScope("loss", () => tf.summary.scalar("error", 1.5)) as tf.Tensor;
      const b = tf.summary.scalar("error", 2.5) as tf.Tensor;
      const c = tf.summary.scalar("error", 3.5) as tf.Tensor;
      const d = tf.compat.v1.summary.scalar("x", 4.5, { family: "fam" });
      const e = tf.compat.v1.summary.scalar("a b:c", 5.5);
      const mine = tf.compat.v1.summary.scalar("own", 6.5, ["mine"]);
      assert.deepEqual(
        [a, b, c, d, e, mine].map((t) => (t as tf.SymbolicTensor).op.name),
        ["loss/error", "error", "error_1", "fam/x", "a_b_c", "own"],
      );
      assert.equal(tf.getCollection(tf.GraphKeys.SUMMARIES).length, 5);
      assert.deepEqual(tf.getCollection("mine"), [mine]);
      const sess = new tf.Session();
      const tags = [a, b, c, d, e].map((t) => parse(sess.run(t) as tf.Tensor).value[0].tag);
      assert.deepEqual(tags, ["loss/error", "error", "error_1", "fam/fam/x", "a_b_c"]);
      const all = parse(sess.run(tf.summary.mergeAll()!) as tf.Tensor);
      assert.deepEqual(
        all.value.map((v) => v.value.value),
        [1.5, 2.5, 3.5, 4.5, 5.5],
      );
      const scoped = tf.summary.mergeAll({ scope: "loss" })!;
      assert.deepEqual(
        parse(sess.run(scoped) as tf.Tensor).value.map((v) => v.tag),
        ["loss/error"],
      );
      assert.equal(tf.summary.mergeAll("nothing_here"), null);
      const named = tf.summary.merge([a, b], { name: "m" });
      assert.equal((named as tf.SymbolicTensor).op.name, "m/m");
      sess.close();
    });
  });

  it("scalar: NaN and Inf written as TensorFlow writes them; a non-scalar fails at run time naming the tag and shapes", () => {
    const [nan, inf, ints] = runIn(
      () => [
        tf.summary.scalar("nan", Number.NaN),
        tf.summary.scalar("inf", Number.NEGATIVE_INFINITY),
        tf.summary.scalar("i", tf.constant(7, { dtype: "int64" })),
      ],
      (t) => t as tf.Tensor[],
    );
    assert.ok(Number.isNaN(parse(nan).value[0].value.value as number));
    assert.equal(parse(inf).value[0].value.value, Number.NEGATIVE_INFINITY);
    assert.equal(parse(ints).value[0].value.value, 7);
    const g = new tf.Graph();
    g.asDefault(() => {
      const v = tf.placeholder("float32", [null]);
      const s = tf.summary.scalar("v", v) as tf.Tensor;
      const sess = new tf.Session();
      assert.throws(() => sess.run(s, new Map([[v, [1, 2]]])), isInvalid(/tags and values not the same shape: \[\] != \[2\] \(tag 'v'\)/));
      assert.equal(parse(sess.run(tf.summary.scalar("w", tf.reshape(v, [])) as tf.Tensor, new Map([[v, [3]]])) as tf.Tensor).value[0].value.value, 3);
      sess.close();
    });
  });

  it("histogram: TensorFlow 1's exponential buckets; an empty tensor as TensorFlow writes it; NaN and Inf fail", () => {
    const [h, empty] = runIn(
      () => [tf.summary.histogram("h", [-1, 0, 0.5, 2, 2]), tf.summary.histogram("e", tf.zeros([0]))],
      (t) => t as tf.Tensor[],
    );
    const p = parse(h).value[0].value.value as HistogramProto;
    assert.deepEqual([p.min, p.max, p.num, p.sum, p.sumSquares], [-1, 2, 5, 3.5, 9.25]);
    assert.equal(
      p.bucket.reduce((a, b) => a + b, 0),
      5,
    );
    // Each non-empty bucket [previous limit, limit) holds its values: -1, 0, 0.5 and 2 (twice).
    const full = p.bucket.map((c, i) => [p.bucketLimit[i - 1] ?? -DBL_MAX, p.bucketLimit[i], c]).filter((r) => r[2] > 0);
    assert.deepEqual(
      full.map((r) => r[2]),
      [1, 1, 1, 2],
    );
    for (const [v, [lo, hi]] of [-1, 0, 0.5, 2].map((v, i) => [v, full[i]] as const)) assert.ok(lo <= v && v < hi, `${v} in [${lo}, ${hi})`);
    assert.equal(p.bucketLimit.at(-1), DBL_MAX);
    // Runs of empty buckets are one bucket each: empty, value, empty, value, ... never two empty in a row.
    for (let i = 1; i < p.bucket.length; i++) assert.ok(p.bucket[i] > 0 || p.bucket[i - 1] > 0);
    const e = parse(empty).value[0].value.value as HistogramProto;
    assert.deepEqual([e.min, e.max, e.num, e.sum, e.bucketLimit, e.bucket], [DBL_MAX, -DBL_MAX, 0, 0, [DBL_MAX], [0]]);
    for (const [bad, re] of [
      [Number.NaN, /Nan in summary histogram for: bad/],
      [Number.POSITIVE_INFINITY, /Infinity in summary histogram for: bad/],
    ] as const) {
      assert.throws(
        () =>
          runIn(
            () => tf.summary.histogram("bad", [1, bad]) as tf.Tensor,
            (t) => t,
          ),
        isInvalid(re),
      );
    }
  });

  it("image: uint8 as is, floats scaled per image as TensorFlow does (bad_color for NaN), tags name/image/i, attrs in the GraphDef", () => {
    const u8 = tf.constant(
      Uint8Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => i * 7),
      { shape: [2, 2, 3, 3], dtype: "uint8" },
    );
    const g = new tf.Graph();
    g.asDefault(() => {
      const a = tf.summary.image("img", u8, { maxOutputs: 5 }) as tf.Tensor;
      // Positive floats scale by 255 / max; with negatives, by 127 / max|v| around 128; NaN pixels are bad_color.
      const pos = tf.compat.v1.summary.image("pos", tf.constant([0, 0.5, 1, 2], { shape: [1, 2, 2, 1] }), 1);
      const neg = tf.compat.v1.summary.image("neg", tf.constant([-2, 0, 1, Number.NaN], { shape: [1, 2, 2, 1] }), 1);
      const rgba = tf.compat.v1.summary.image("rgba", tf.constant([0.25, 0.5, 1, Number.NaN], { shape: [1, 1, 1, 4] }), 2);
      const sess = new tf.Session();
      const [sa, sp, sn, sr] = (sess.run([a, pos, neg, rgba]) as tf.Tensor[]).map(parse);
      sess.close();
      assert.deepEqual(
        sa.value.map((v) => v.tag),
        ["img/image/0", "img/image/1"],
      );
      const im = (v: Summary["value"][number]) => v.value.value as Summary_Image;
      const pixels = (v: Summary["value"][number]) => [...(decodePng(im(v).encodedImageString).data as Uint8Array)];
      assert.deepEqual([im(sa.value[1]).height, im(sa.value[1]).width, im(sa.value[1]).colorspace], [2, 3, 3]);
      assert.deepEqual(
        pixels(sa.value[1]),
        Array.from({ length: 18 }, (_, i) => ((18 + i) * 7) & 255),
      );
      assert.deepEqual(
        sp.value.map((v) => v.tag),
        ["pos/image"],
      );
      assert.deepEqual(pixels(sp.value[0]), [0, 63, 127, 255]);
      // 127 / 2 = 63.5: -2 -> 1, 0 -> 128, 1 -> 191 (truncated), NaN -> bad_color's first channel (255).
      assert.deepEqual(pixels(sn.value[0]), [1, 128, 191, 255]);
      assert.deepEqual(pixels(sr.value[0]), [255, 0, 0, 255], "a pixel with a NaN channel is bad_color");
      assert.deepEqual(
        sr.value.map((v) => v.tag),
        ["rgba/image/0"],
      );
      const node = g.asGraphDef().node.find((n) => n.name === "img")!;
      assert.equal(node.op, "ImageSummary");
      assert.equal(node.attr.max_images.value.value, 5n);
      assert.equal(node.attr.T.value.value, 4, "T = DT_UINT8");
      const bad = node.attr.bad_color.value.value as { tensorContent: Uint8Array };
      assert.deepEqual([...bad.tensorContent], [255, 0, 0, 255]);
      const bad2 = tf.compat.v1.summary.image("x", tf.zeros([2, 2, 2]));
      assert.throws(() => new tf.Session().run(bad2), isInvalid(/Tensor must be 4-D with last dim 1, 3, or 4, not \[2,2,2\]/));
    });
  });

  it("audio: 16-bit WAVs with TensorFlow's header, tags name/audio/i, the sample rate as an input", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const clips = tf.constant([0, 0.5, -1, 1.5, 0.25, -0.25, 0.001, -0.00002], { shape: [2, 4] });
      const s = tf.compat.v1.summary.audio("snd", clips, 8000, { maxOutputs: 3 });
      const stereo = tf.summary.audio("st", tf.constant([0.5, -0.5, 1, -1], { shape: [1, 2, 2] }), 44100.5, { maxOutputs: 1 }) as tf.Tensor;
      const sess = new tf.Session();
      const [a, b] = (sess.run([s, stereo]) as tf.Tensor[]).map(parse);
      sess.close();
      assert.deepEqual(
        a.value.map((v) => v.tag),
        ["snd/audio/0", "snd/audio/1"],
      );
      const au = a.value[0].value.value as Summary_Audio;
      assert.deepEqual([au.sampleRate, au.numChannels, au.lengthFrames, au.contentType], [8000, 1n, 4n, "audio/wav"]);
      const wav = Buffer.from(au.encodedAudioString);
      assert.equal(wav.toString("latin1", 0, 4), "RIFF");
      assert.equal(wav.readUInt32LE(4), 36 + 8);
      assert.equal(wav.toString("latin1", 8, 16), "WAVEfmt ");
      assert.deepEqual(
        [wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt32LE(28), wav.readUInt16LE(32), wav.readUInt16LE(34)],
        [1, 1, 8000, 16000, 2, 16],
      );
      assert.equal(wav.toString("latin1", 36, 40), "data");
      assert.deepEqual(
        [0, 1, 2, 3].map((i) => wav.readInt16LE(44 + 2 * i)),
        [0, 16384, -32768, 32767],
      );
      const second = Buffer.from((a.value[1].value.value as Summary_Audio).encodedAudioString);
      assert.deepEqual(
        [0, 1, 2, 3].map((i) => second.readInt16LE(44 + 2 * i)),
        [8192, -8192, 33, -1],
      );
      const st = b.value[0].value.value as Summary_Audio;
      assert.equal(b.value[0].tag, "st/audio");
      assert.deepEqual([st.numChannels, st.lengthFrames], [2n, 2n]);
      assert.equal(Buffer.from(st.encodedAudioString).readUInt32LE(24), 44100, "the WAV's rate is rounded half to even");
      const node = g.asGraphDef().node.find((n) => n.name === "snd")!;
      assert.equal(node.op, "AudioSummaryV2");
      assert.deepEqual([node.input[0], node.input[2]], ["snd/tag", "snd/sample_rate"]);
      assert.equal(node.attr.max_outputs.value.value, 3n);
    });
  });

  it("text and tensor_summary: TensorSummaryV2 with the plugin's metadata; MergeSummary rejects a repeated tag", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const t = tf.summary.text("notes", tf.constant(["**a**", "b"])) as tf.Tensor;
      const ts = tf.compat.v1.summary.tensorSummary("raw", tf.constant([1, 2], { dtype: "int32" }), { summaryDescription: "d" });
      assert.throws(() => tf.compat.v1.summary.text("n", tf.constant([1])), isInvalid(/expected a tensor of dtype string, got float32/));
      const twice = tf.summary.merge([t, t]);
      const sess = new tf.Session();
      const [st, sts] = (sess.run([t, ts]) as tf.Tensor[]).map(parse);
      assert.equal(st.value[0].tag, "notes");
      assert.equal(st.value[0].metadata?.pluginData?.pluginName, "text");
      const tensor = st.value[0].value.value as { stringVal: Uint8Array[]; tensorShape: { dim: { size: bigint }[] } };
      assert.deepEqual(
        tensor.stringVal.map((b) => Buffer.from(b).toString()),
        ["**a**", "b"],
      );
      assert.equal(sts.value[0].metadata?.summaryDescription, "d");
      assert.deepEqual([...(sts.value[0].value.value as { tensorContent: Uint8Array }).tensorContent], [1, 0, 0, 0, 2, 0, 0, 0]);
      assert.throws(() => sess.run(twice), isInvalid(/Duplicate tag notes found in summary inputs/));
      sess.close();
      assert.equal(g.asGraphDef().node.find((n) => n.name === "notes")?.op, "TensorSummaryV2");
    });
  });

  it("eagerly the TF1 ops run at once and return their string tensor; mergeAll needs a graph", () => {
    const s = parse(tf.compat.v1.summary.scalar("x", 2));
    assert.deepEqual([s.value[0].tag, s.value[0].value.value], ["x", 2]);
    const m = parse(tf.summary.merge([tf.compat.v1.summary.scalar("a", 1), tf.compat.v1.summary.histogram("b", [1, 2])]));
    assert.deepEqual(
      m.value.map((v) => v.tag),
      ["a", "b"],
    );
    assert.throws(() => tf.summary.mergeAll(), /not compatible with eager execution/);
  });
});
