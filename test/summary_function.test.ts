/**
 * TensorFlow 2 summaries inside tf.function (a WriteSummary node whose host writer, the default writer of
 * trace time, writes at every call with the step read when the function runs, honouring recordIf) and
 * tf.summary.audio (TensorBoard's audio summary_v2 form).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { AudioPluginData_Encoding, AudioPluginDataSchema } from "../src/proto/tensorboard/plugins/audio/plugin_data_pb.js";
import { DataClass, type Summary, type Summary_Value } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import type { TensorProto } from "../src/proto/tensorflow/core/framework/tensor_pb.js";
import * as tf from "../src/index.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tsflow-summary-fn-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** (step, value) of every summary event in the logdir's one event file. */
function values(dir: string): { step: number; v: Summary_Value }[] {
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  return [...tf.summary.summaryIterator(join(dir, files[0]))]
    .filter((e) => e.what.case === "summary")
    .map((e) => ({ step: Number(e.step), v: (e.what.value as Summary).value[0] }));
}
const f32 = (v: Summary_Value) => {
  const c = (v.value.value as TensorProto).tensorContent;
  return new DataView(c.buffer, c.byteOffset).getFloat32(0, true);
};

describe("tf.summary inside tf.function", () => {
  it("writes at every call (5 calls, steps 0..4 from a tf.Variable step), not only when tracing", () => {
    const dir = tmp();
    const writer = tf.summary.createFileWriter(dir);
    const step = new tf.Variable(0, { dtype: "int64" });
    const total = new tf.Variable(0);
    const trainStep = tf.function((x: tf.Tensor) => {
      total.assignAdd(x);
      const written = tf.summary.scalar("total", total.value(), { step }) as tf.Tensor;
      tf.summary.histogram("xs", tf.mul(x, [1, 2, 3]), { step, buckets: 4 });
      return written;
    });
    const returned: boolean[] = [];
    writer.asDefault(() => {
      for (let i = 0; i < 5; i++) {
        step.assign(i);
        returned.push((trainStep(tf.constant(1.5)) as tf.Tensor).dataSync()[0] === 1);
      }
    });
    writer.close();
    assert.equal(trainStep.experimentalGetTracingCount(), 1);
    assert.deepEqual(returned, [true, true, true, true, true]);
    const got = values(dir);
    const scalars = got.filter((e) => e.v.tag === "total");
    assert.deepEqual(
      scalars.map((e) => [e.step, f32(e.v)]),
      [
        [0, 1.5],
        [1, 3],
        [2, 4.5],
        [3, 6],
        [4, 7.5],
      ],
    );
    const hist = got.filter((e) => e.v.tag === "xs");
    assert.equal(hist.length, 5);
    assert.equal(hist[0].v.metadata?.pluginData?.pluginName, "histograms");
    const rows = new Float64Array(new Uint8Array((hist[4].v.value.value as TensorProto).tensorContent).buffer);
    assert.deepEqual([rows[0], rows[10], rows[2] + rows[5] + rows[8] + rows[11]], [1.5, 4.5, 3]);
    // The trace holds one WriteSummary node per summary call, with TensorFlow's input order (step, tensor, tag).
    const ops = trainStep.getConcreteFunction(tf.constant(1.5)).graph.getOperations();
    const writes = ops.filter((o) => o.type === "WriteSummary");
    assert.deepEqual(
      writes.map((o) => o.name),
      ["total/write_summary", "xs/write_summary"],
    );
    assert.deepEqual(
      writes[0].inputs.map((t) => t.dtype),
      ["int64", "float32", "string"],
    );
  });

  it("a number default step (setStep) is read at each call; recordIf is honoured at each call; no writer means no node", () => {
    const dir = tmp();
    const writer = tf.summary.createFileWriter(dir);
    const f = tf.function((x: tf.Tensor) => {
      tf.summary.scalar("x", x);
      return x;
    });
    writer.asDefault(() => {
      for (let i = 10; i < 13; i++) {
        tf.summary.experimental.setStep(i);
        f(tf.constant(i * 2));
      }
      tf.summary.recordIf(false, () => f(tf.constant(99)));
      let n = 0;
      tf.summary.recordIf(
        () => n++ % 2 === 0,
        () => {
          for (let i = 0; i < 4; i++) {
            tf.summary.experimental.setStep(100 + i);
            f(tf.constant(i));
          }
        },
      );
    });
    tf.summary.experimental.setStep(null);
    writer.close();
    assert.deepEqual(
      values(dir).map((e) => [e.step, f32(e.v)]),
      [
        [10, 20],
        [11, 22],
        [12, 24],
        [100, 0],
        [102, 2],
      ],
    );
    const noWriter = tf.function(() => tf.summary.scalar("y", 1, { step: 0 }));
    assert.equal((noWriter() as tf.Tensor).dataSync()[0], 0, "false, as a tensor once returned from a tf.function");
    assert.equal(
      noWriter
        .getConcreteFunction()
        .graph.getOperations()
        .filter((o) => o.type === "WriteSummary").length,
      0,
    );
  });

  it("images, text and audio write from a trace too", () => {
    const dir = tmp();
    const writer = tf.summary.createFileWriter(dir);
    const f = tf.function((img: tf.Tensor) => {
      tf.summary.image("img", img, 0);
      tf.summary.text("t", tf.constant(["hello"]), 0);
      tf.summary.audio("a", tf.zeros([1, 8, 1]), 16000, 0);
      return img;
    });
    writer.asDefault(() => f(tf.ones([1, 2, 2, 3])));
    writer.close();
    const got = values(dir);
    assert.deepEqual(
      got.map((e) => [e.v.tag, e.v.metadata?.pluginData?.pluginName]),
      [
        ["img", "images"],
        ["t", "text"],
        ["a", "audio"],
      ],
    );
  });
});

describe("tf.summary.audio (TensorFlow 2)", () => {
  it("writes a [k, 2] string tensor of (WAV, label) with the audio plugin's metadata", () => {
    const dir = tmp();
    const writer = tf.summary.createFileWriter(dir);
    const clips = tf.constant([0, 0.5, -0.5, 1, 0.25, -1, 0, 0, 0, 0, 0, 0], { shape: [3, 2, 2] });
    writer.asDefault(() => {
      assert.equal(tf.summary.audio("sound", clips, 22050, { step: 3, maxOutputs: 2, description: "two clips" }), true);
      assert.throws(() => tf.summary.audio("bad", tf.zeros([2, 4]), 8000, 0), /must be \[k, frames, channels\], got shape \[2,4\]/);
      assert.throws(() => tf.summary.audio("bad", clips, 8000, { step: 0, encoding: "mp3" }), /unknown encoding 'mp3'/);
    });
    writer.close();
    const [{ step, v }] = values(dir);
    assert.equal(step, 3);
    const md = v.metadata!;
    assert.equal(md.pluginData?.pluginName, "audio");
    assert.equal(md.dataClass, DataClass.BLOB_SEQUENCE);
    assert.equal(md.summaryDescription, "two clips");
    const content = fromBinary(AudioPluginDataSchema, md.pluginData!.content);
    assert.deepEqual([content.version, content.encoding], [0, AudioPluginData_Encoding.WAV]);
    const t = v.value.value as TensorProto;
    assert.deepEqual(
      t.tensorShape?.dim.map((d) => Number(d.size)),
      [2, 2],
    );
    const [wav0, label0, wav1] = t.stringVal.map((b) => Buffer.from(b));
    assert.equal(label0.length, 0);
    assert.equal(wav0.readUInt32LE(24), 22050);
    assert.equal(wav0.readUInt16LE(22), 2, "two channels");
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => wav0.readInt16LE(44 + 2 * i)),
      [0, 16384, -16384, 32767],
    );
    assert.deepEqual(
      [0, 1].map((i) => wav1.readInt16LE(44 + 2 * i)),
      [8192, -32768],
    );
  });
});
