/**
 * tf.summary: event files as TensorFlow writes them, checked by an independent reader written here (TFRecord
 * framing with its own CRC-32C table, Event/Summary fields decoded through the generated protos but framing
 * and CRCs by hand), and real TensorFlow's files read through tf.summary.summaryIterator.
 */
import assert from "node:assert/strict";
import { appendFileSync, chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { decode as decodePng } from "fast-png";
import { GraphDefSchema } from "../src/proto/tensorflow/core/framework/graph_pb.js";
import { type Summary, SummarySchema, type Summary_Value } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import { type Event, EventSchema } from "../src/proto/tensorflow/core/util/event_pb.js";
import * as tf from "../src/index.js";
import { EventFileLoader } from "../src/summary/index.js";

const FIX = join(import.meta.dirname, "fixtures", "tf");
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tsflow-summary-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---- an independent reader: CRC-32C from a bitwise table, LevelDB's mask, TFRecord framing
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
function records(bytes: Uint8Array): Uint8Array[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    const len = Number(v.getBigUint64(o, true));
    assert.equal(v.getUint32(o + 8, true), mask(crc(bytes.subarray(o, o + 8))), `length CRC at ${o}`);
    const data = bytes.subarray(o + 12, o + 12 + len);
    assert.equal(v.getUint32(o + 12 + len, true), mask(crc(data)), `data CRC at ${o}`);
    out.push(data);
    o += 16 + len;
  }
  assert.equal(o, bytes.length);
  return out;
}
function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.includes("tfevents"))
    .map((f) => join(dir, f));
}
function readEvents(dir: string): Event[] {
  const files = eventFiles(dir);
  assert.equal(files.length, 1, `one event file in ${dir}`);
  return records(readFileSync(files[0])).map((r) => fromBinary(EventSchema, r));
}
function firstValue(e: Event): Summary_Value {
  assert.equal(e.what.case, "summary");
  return (e.what.value as Summary).value[0];
}

describe("tf.summary (TensorFlow 2 API)", () => {
  it("writes scalars, histograms, images and text as TensorBoard's plugins read them", () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir);
    assert.match(w.path, /events\.out\.tfevents\.\d{10}\.[^/]+\.\d+\.\d+\.v2$/);
    w.asDefault(() => {
      for (let step = 0; step < 3; step++) assert.equal(tf.summary.scalar("loss", 1 / (step + 1), { step }), true);
      tf.summary.histogram("weights", tf.constant([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 5);
      tf.summary.image("digits", tf.ones([2, 3, 4, 1]), { step: 5, maxOutputs: 1 });
      tf.summary.text("note", "hello *world*", 6);
    });
    assert.equal(tf.summary.scalar("loss", 1, 9), false, "no default writer: nothing written");
    w.flush();
    const ev = readEvents(dir);
    assert.equal(ev[0].what.case, "fileVersion");
    assert.equal(ev[0].what.value, "brain.Event:2");
    assert.equal(ev.length, 1 + 3 + 3);
    // scalars: rank-0 DT_FLOAT in tensor_content, plugin "scalars", steps 0..2 (step 0 absent on the wire)
    for (let s = 0; s < 3; s++) {
      const e = ev[1 + s];
      assert.equal(e.step, BigInt(s));
      const v = firstValue(e);
      assert.equal(v.tag, "loss");
      assert.equal(v.metadata?.pluginData?.pluginName, "scalars");
      assert.equal(v.metadata?.dataClass, 1);
      const t = v.value.value as { dtype: number; tensorShape: { dim: unknown[] }; tensorContent: Uint8Array };
      assert.equal(t.dtype, 1);
      assert.equal(t.tensorShape.dim.length, 0);
      assert.equal(new DataView(t.tensorContent.buffer, t.tensorContent.byteOffset).getFloat32(0, true), Math.fround(1 / (s + 1)));
    }
    // histogram: [30, 3] float64 rows (left, right, count)
    const h = firstValue(ev[4]);
    assert.equal(h.metadata?.pluginData?.pluginName, "histograms");
    const ht = h.value.value as { dtype: number; tensorShape: { dim: { size: bigint }[] }; tensorContent: Uint8Array };
    assert.equal(ht.dtype, 2);
    assert.deepEqual(
      ht.tensorShape.dim.map((d) => d.size),
      [30n, 3n],
    );
    const rows = new Float64Array(new Uint8Array(ht.tensorContent).buffer);
    assert.equal(rows[0], 0);
    assert.equal(rows[29 * 3 + 1], 9);
    assert.equal(
      rows.filter((_x, i) => i % 3 === 2).reduce((a, b) => a + b),
      10,
    );
    assert.equal(rows[2], 1); // value 0 in the first bucket [0, 0.3)
    // image: [width, height, png] strings, plugin "images"
    const im = firstValue(ev[5]);
    assert.equal(im.metadata?.pluginData?.pluginName, "images");
    const it = im.value.value as { dtype: number; stringVal: Uint8Array[] };
    assert.equal(it.dtype, 7);
    assert.equal(it.stringVal.length, 3);
    assert.equal(new TextDecoder().decode(it.stringVal[0]), "4");
    assert.equal(new TextDecoder().decode(it.stringVal[1]), "3");
    const png = decodePng(it.stringVal[2]);
    assert.equal(png.width, 4);
    assert.equal(png.height, 3);
    assert.ok(
      [...png.data].every((p) => p === 255),
      "1.0 becomes 255",
    );
    // text
    const tx = firstValue(ev[6]);
    assert.equal(tx.metadata?.pluginData?.pluginName, "text");
    assert.equal(new TextDecoder().decode((tx.value.value as { stringVal: Uint8Array[] }).stringVal[0]), "hello *world*");
    w.close();
  });

  it("uses the default step (setStep, a variable read at write time) and recordIf", () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir);
    const step = new tf.Variable(7, { dtype: "int64" });
    tf.summary.experimental.setStep(step);
    try {
      w.asDefault(() => {
        tf.summary.scalar("a", 1);
        step.assign(8);
        tf.summary.scalar("a", 2);
        tf.summary.recordIf(false, () => tf.summary.scalar("a", 3));
      });
    } finally {
      tf.summary.experimental.setStep(null);
    }
    w.close();
    const ev = readEvents(dir);
    assert.deepEqual(
      ev.slice(1).map((e) => e.step),
      [7n, 8n],
    );
    w.asDefault(() => assert.throws(() => tf.summary.scalar("a", 1), /no step set/));
  });

  it("bad input: non-scalar to scalar, empty histogram, NaN and Inf, an unwritable logdir", () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir);
    w.asDefault(() => {
      assert.throws(() => tf.summary.scalar("s", [1, 2], 0), isInvalid(/must be a scalar \(rank 0\), got shape \[2\]/));
      tf.summary.histogram("empty", tf.zeros([0]), 1);
      tf.summary.scalar("nan", Number.NaN, 2);
      tf.summary.scalar("inf", Number.POSITIVE_INFINITY, 3);
      tf.summary.histogram("one", [4, 4, 4], 4);
    });
    w.close();
    const ev = readEvents(dir);
    const rows = (e: Event) => {
      const t = firstValue(e).value.value as { tensorContent: Uint8Array };
      return [...new Float64Array(new Uint8Array(t.tensorContent).buffer)];
    };
    assert.deepEqual(rows(ev[1]), new Array(90).fill(0), "an empty tensor: 30 all-zero buckets");
    const f32 = (e: Event) => {
      const c = (firstValue(e).value.value as { tensorContent: Uint8Array }).tensorContent;
      return new DataView(c.buffer, c.byteOffset).getFloat32(0, true);
    };
    assert.ok(Number.isNaN(f32(ev[2])));
    assert.equal(f32(ev[3]), Number.POSITIVE_INFINITY);
    const one = rows(ev[4]);
    assert.equal(one[29 * 3 + 2], 3);
    assert.equal(one[0], 4);
    if (process.getuid?.() !== 0) {
      const ro = tmp();
      chmodSync(ro, 0o500);
      assert.throws(() => tf.summary.createFileWriter(join(ro, "logs")), tf.errors.PermissionDeniedError);
    }
    const file = join(tmp(), "a-file");
    writeFileSync(file, "x");
    assert.throws(() => tf.summary.createFileWriter(join(file, "logs")), /cannot create the log directory/);
  });

  it("keeps events in memory until flush, which writes them all at once", () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir, { maxQueue: 1000 });
    w.asDefault(() => {
      for (let i = 0; i < 50; i++) tf.summary.scalar("x", i, i);
    });
    assert.equal(readEvents(dir).length, 1, "only the file version is on disk before flush");
    tf.summary.flush(w);
    assert.equal(readEvents(dir).length, 51, "everything queued is on disk after flush");
    w.close();
  });
});

function isInvalid(re: RegExp) {
  return (e: unknown) => e instanceof tf.errors.InvalidArgumentError && re.test((e as Error).message);
}

describe("tf.summary.summaryIterator", () => {
  it("reads real TensorFlow 1's event file (Lingvo, simple_value scalars)", () => {
    const events = [...tf.summary.summaryIterator(join(FIX, "tfevents-lingvo-bleu", "events.out.tfevents.test"))];
    assert.equal(events.length, 361);
    assert.equal(events[0].what.value, "brain.Event:2");
    assert.equal(events[0].wallTime, 1534577086);
    let best = { step: 0n, v: -1 };
    let last = 0n;
    for (const e of events.slice(1)) {
      assert.equal(e.what.case, "summary");
      const vals = (e.what.value as { value: { tag: string; value: { case: string; value: number } }[] }).value;
      assert.equal(vals.length, 7);
      const bleu = vals.find((v) => v.tag === "bleu/dev")!;
      assert.equal(bleu.value.case, "simpleValue");
      if (bleu.value.value > best.v) best = { step: e.step, v: bleu.value.value };
      last = e.step;
    }
    assert.equal(best.step, 102600n);
    assert.equal(last, 185200n);
    assert.equal(best.v, Math.fround(0.2882329523563385));
  });

  it("reads tsflow's files; a record still being written ends the file cleanly and the loader resumes", () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir);
    w.asDefault(() => tf.summary.scalar("x", 1, 1));
    w.close();
    const [path] = eventFiles(dir);
    const full = readFileSync(path);
    const loader = new EventFileLoader(path);
    const cut = full.length - 7;
    truncateSync(path, cut);
    assert.equal([...tf.summary.summaryIterator(path)].length, 1, "the cut record is not yielded");
    assert.equal(loader.poll().length, 1);
    assert.equal(loader.error, null);
    appendFileSync(path, full.subarray(cut));
    const more = loader.poll();
    assert.equal(more.length, 1);
    assert.equal(more[0].step, 1n);
    assert.equal(loader.position, full.length);
  });

  it("reports a corrupt record: DataLossError from the iterator, an error on the loader", () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir);
    w.asDefault(() => {
      tf.summary.scalar("x", 1, 1);
      tf.summary.scalar("x", 2, 2);
    });
    w.close();
    const [path] = eventFiles(dir);
    const bytes = readFileSync(path);
    const recs = records(bytes);
    const secondStart = 16 + recs[0].length + 16 + recs[1].length;
    bytes[secondStart + 14] ^= 0xff; // inside the third record's payload
    writeFileSync(path, bytes);
    const seen: Event[] = [];
    assert.throws(() => {
      for (const e of tf.summary.summaryIterator(path)) seen.push(e);
    }, tf.errors.DataLossError);
    assert.equal(seen.length, 2);
    const loader = new EventFileLoader(path);
    assert.equal(loader.poll().length, 2);
    assert.match(loader.error ?? "", new RegExp(`offset ${secondStart}: the data's CRC`));
  });

  it("TFRecord framing is byte-identical to TensorFlow's (the quick brown fox record)", () => {
    const golden = readFileSync(join(FIX, "tfrecord-tf-rust-quick-brown-fox", "expected.tfrecord"));
    assert.deepEqual(
      records(golden).map((r) => new TextDecoder().decode(r)),
      ["The Quick Brown Fox"],
    );
  });
});

describe("tf.compat.v1.summary.FileWriter", () => {
  it("writes the graph, summaries (bytes or messages; a tag's metadata only once), session logs; reopen starts a new file", () => {
    const dir = tmp();
    const g = new tf.Graph();
    g.asDefault(() => {
      tf.nameScope("model", () => {
        const x = tf.compat.v1.placeholder("float32", [null, 3], "x");
        tf.matmul(x, tf.constant([[1], [2], [3]], { dtype: "float32" }), { name: "y" });
      });
    });
    const fw = new tf.compat.v1.summary.FileWriter(dir, g);
    const withMeta = tf.compat.v1.Summary({
      value: [{ tag: "error", simpleValue: 0.5, metadata: { pluginData: { pluginName: "scalars" } } }],
    });
    fw.addSummary(toBinary(SummarySchema, withMeta), 1);
    fw.addSummary(Buffer.from(toBinary(SummarySchema, withMeta)).toString("latin1"), 2);
    fw.addSummary(tf.compat.v1.Summary({ value: [{ tag: "other", simpleValue: 3 }] }), 3);
    fw.addSessionLog({ status: 1 }, 4);
    fw.flush();
    const ev = readEvents(dir);
    assert.equal(ev[0].what.value, "brain.Event:2");
    assert.equal(ev[1].what.case, "graphDef");
    const gd = fromBinary(GraphDefSchema, ev[1].what.value as Uint8Array);
    const y = gd.node.find((n) => n.name === "model/y");
    assert.equal(y?.op, "MatMul");
    assert.deepEqual(y?.input, ["model/x", gd.node.find((n) => n.op === "Const")?.name]);
    const v1 = firstValue(ev[2]);
    assert.equal(v1.tag, "error");
    assert.equal(v1.value.case, "simpleValue");
    assert.equal(v1.value.value, 0.5);
    assert.equal(v1.metadata?.pluginData?.pluginName, "scalars");
    assert.equal(firstValue(ev[3]).metadata, undefined, "metadata written with the first value of a tag only");
    assert.equal(ev[3].step, 2n);
    assert.equal(firstValue(ev[4]).tag, "other");
    assert.equal(ev[5].what.case, "sessionLog");
    fw.close();
    assert.throws(() => fw.addSummary(withMeta, 5), /closed/);
    fw.reopen();
    fw.addSummary(withMeta, 5);
    fw.close();
    assert.equal(eventFiles(dir).length, 2, "reopen() continues in a new event file");
  });

  it("scripts/tensorboard_logdir.ts writes the logdir scripts/tensorboard_check.py checks", () => {
    const dir = tmp();
    const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "scripts", "tensorboard_logdir.ts"), dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const tf2 = readEvents(join(dir, "tf2"));
    assert.equal(tf2.filter((e) => e.what.case === "summary" && firstValue(e).tag === "loss").length, 100);
    const tf1 = readEvents(join(dir, "tf1"));
    assert.equal(tf1[1].what.case, "graphDef");
    const tf1Summaries = tf1.filter((e) => e.what.case === "summary");
    assert.equal(tf1Summaries.length, 10);
    assert.deepEqual(
      (tf1Summaries[0].what.value as Summary).value.map((v) => v.tag),
      ["error", "weights", "digits/image/0", "digits/image/1", "clip/audio/0", "notes"],
    );
    const fn = readEvents(join(dir, "tf2fn")).filter((e) => e.what.case === "summary");
    assert.deepEqual(
      fn.map((e) => [firstValue(e).tag, Number(e.step)]),
      [0, 1, 2, 3, 4].map((s) => ["fn_loss", s]).concat([["sound", 0]]),
    );
  });
});
