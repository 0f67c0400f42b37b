import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../src/io/atomic_file.js";
import { crc32c, maskCrc, unmaskCrc } from "../src/io/crc32c.js";
import { readTable, TableBuilder } from "../src/io/sstable.js";
import { BundleReader, BundleWriter } from "../src/io/tensor_bundle.js";
import { fromTextFormat, toTextFormat } from "../src/io/text_format.js";
import * as tf from "../src/index.js";
import { TensorShapeProtoSchema } from "../src/proto/tensorflow/core/framework/tensor_shape_pb.js";
import { BundleEntryProtoSchema, BundleHeaderProtoSchema } from "../src/proto/tensorflow/core/protobuf/tensor_bundle_pb.js";
import { CheckpointStateSchema } from "../src/proto/tensorflow/python/training/checkpoint_state_pb.js";
import { getCheckpointState, latestCheckpoint, updateCheckpointState } from "../src/saving/checkpoint_state.js";
import { checkBundle, decodeStrings, slowCrc32c } from "./util/bundle_check.js";
import { create, equals, fromBinary } from "@bufbuild/protobuf";
import { SavedModelSchema } from "../src/proto/tensorflow/core/protobuf/saved_model_pb.js";
import { GraphDefSchema } from "../src/proto/tensorflow/core/framework/graph_pb.js";
import { NodeDefSchema } from "../src/proto/tensorflow/core/framework/node_def_pb.js";

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "tf");

function tmpDir(t: { after: (f: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-bundle-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test("crc32c: RFC 3720 vectors, continuation, TensorFlow's mask", () => {
  const enc = new TextEncoder();
  assert.equal(crc32c(enc.encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  const b = enc.encode("123456789");
  assert.equal(crc32c(b, 4, 9, crc32c(b, 0, 4)), 0xe3069283);
  const rec = new Uint8Array([0x1a, 0x11, ...enc.encode("CRC test, one two")]);
  assert.equal(maskCrc(crc32c(rec)), 0x5794d08a);
  assert.equal(unmaskCrc(maskCrc(0xdeadbeef)), 0xdeadbeef);
  const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
  assert.equal(crc32c(big), slowCrc32c(big));
});

test("TF1 Saver fixture (tf2onnx regression): W and b, and tsflow writes the same 134-byte .index", (t) => {
  const r = BundleReader.open(path.join(FIX, "ckpt-tf2onnx-regression-tf1", "model"));
  assert.deepEqual(r.keys(), ["W", "b"]);
  assert.deepEqual(r.entry("W"), { dtype: "float32", shape: [] });
  assert.equal(r.read("W").values[0], Math.fround(0.21396178));
  assert.equal(r.read("b").values[0], Math.fround(1.0495254));
  const dir = tmpDir(t);
  const w = new BundleWriter(path.join(dir, "model"));
  w.add("W", "float32", [], Float32Array.of(0.21396178));
  w.add("b", "float32", [], Float32Array.of(1.0495254));
  w.finish();
  assert.deepEqual(fs.readFileSync(path.join(dir, "model.index")), fs.readFileSync(path.join(FIX, "ckpt-tf2onnx-regression-tf1", "model.index")));
  assert.deepEqual(
    fs.readFileSync(path.join(dir, "model.data-00000-of-00001")),
    fs.readFileSync(path.join(FIX, "ckpt-tf2onnx-regression-tf1", "model.data-00000-of-00001")),
  );
  assert.deepEqual(fs.readdirSync(dir).sort(), ["model.data-00000-of-00001", "model.index"], "no temporary files left");
});

test("Lingvo LeNet index (a Snappy data block): 23 names, dtypes and shapes; its absent data file is a NotFoundError", () => {
  const r = BundleReader.open(path.join(FIX, "ckpt-index-lingvo-lenet", "lenet_test_model"));
  const decoded = fs
    .readFileSync(path.join(FIX, "ckpt-index-lingvo-lenet", "decoded.txt"), "utf8")
    .split("\n")
    .filter((l) => l.includes("dtype="))
    .map((l) => {
      const m = /^(\S+)\s+dtype=(\S+)\s+shape=\[([^\]]*)\]/.exec(l) as RegExpExecArray;
      return { name: m[1], dtype: m[2], shape: m[3] === "" ? [] : m[3].split(",").map(Number) };
    });
  assert.equal(decoded.length, 23);
  assert.deepEqual(
    r.keys(),
    decoded.map((d) => d.name),
  );
  for (const d of decoded) assert.deepEqual(r.entry(d.name), { dtype: d.dtype, shape: d.shape }, d.name);
  assert.equal(r.protoEntry("lenet5/fc/w/var/Adam").offset, 3249616n);
  assert.throws(
    () => r.read("global_step"),
    (e: Error) => e instanceof tf.errors.NotFoundError && /lenet_test_model\.data-00000-of-00001/.test(e.message) && /global_step/.test(e.message),
  );
  assert.throws(() => r.entry("nope"), tf.errors.NotFoundError);
});

test("serving half_plus_two variables (Snappy index): TF1 a, a2, b, c, c2; TF2 object-graph string and a/b/c", () => {
  const r1 = BundleReader.open(path.join(FIX, "savedmodel-serving-half-plus-two-tf1", "variables", "variables"));
  const want: Record<string, number> = { a: 0.5, a2: 0.5, b: 2, c: 3, c2: 3 };
  assert.deepEqual(r1.keys(), Object.keys(want));
  for (const [k, v] of Object.entries(want)) assert.deepEqual(r1.read(k), { dtype: "float32", shape: [], values: Float32Array.of(v) });
  const r2 = BundleReader.open(path.join(FIX, "savedmodel-serving-half-plus-two-tf2", "variables", "variables"));
  assert.deepEqual(r2.keys(), ["_CHECKPOINTABLE_OBJECT_GRAPH", "a/.ATTRIBUTES/VARIABLE_VALUE", "b/.ATTRIBUTES/VARIABLE_VALUE", "c/.ATTRIBUTES/VARIABLE_VALUE"]);
  const graph = r2.readStringBytes("_CHECKPOINTABLE_OBJECT_GRAPH");
  assert.equal(graph.length, 1);
  assert.equal(graph[0].length, 613);
  assert.deepEqual([...graph[0].subarray(0, 4)], [0x0a, 0x98, 0x01, 0x0a]);
  assert.equal(r2.read("c/.ATTRIBUTES/VARIABLE_VALUE").values[0], 3);
});

test("BundleWriter: every dtype, strings (text and bytes), empty tensors, 3 shards; checked by an independent reader", (t) => {
  const prefix = path.join(tmpDir(t), "sub", "ckpt");
  const tensors: [string, tf.DType, number[], ArrayLike<unknown>][] = [
    ["f32", "float32", [2, 3], Float32Array.of(1, -2, 3.5, Number.NaN, Number.POSITIVE_INFINITY, -0)],
    ["f64", "float64", [2], Float64Array.of(Math.PI, -1e300)],
    ["i32", "int32", [3], Int32Array.of(-1, 0, 2147483647)],
    ["i64", "int64", [2], BigInt64Array.of(-(2n ** 63n), 2n ** 62n)],
    ["u8", "uint8", [4], Uint8Array.of(0, 1, 128, 255)],
    ["flag", "bool", [2], Uint8Array.of(1, 0)],
    ["half", "float16", [2], Uint16Array.of(0x3c00, 0xc000)],
    ["bf", "bfloat16", [1], Uint16Array.of(0x3f80)],
    ["empty", "float32", [0, 5], new Float32Array(0)],
    ["scalar/str", "string", [], ["héllo"]],
    ["strs", "string", [2, 2], ["", "a", "ünïcode ✓", "x".repeat(300)]],
    ["nostr", "string", [0], []],
  ];
  const w = new BundleWriter(prefix, { numShards: 3 });
  // Added out of key order: the data files keep add order, the index is sorted.
  for (const [k, d, s, v] of tensors) w.add(k, d, s, v as Float32Array);
  w.add("bytes", "string", [1], [Uint8Array.of(0, 255, 10)]);
  w.finish();
  const checked = checkBundle(prefix);
  assert.equal(checked.header.numShards, 3);
  assert.deepEqual([...checked.entries.keys()], ["bf", "bytes", "empty", "f32", "f64", "flag", "half", "i32", "i64", "nostr", "scalar/str", "strs", "u8"]);
  assert.equal(checked.entries.get("i64")?.dtype, 9);
  assert.deepEqual(
    decodeStrings(prefix, 3, checked.entries.get("strs") as never, 4).map((b) => b.toString("utf8")),
    ["", "a", "ünïcode ✓", "x".repeat(300)],
  );
  const r = BundleReader.open(prefix);
  for (const [k, d, s, v] of tensors) {
    const got = r.read(k);
    assert.deepEqual(got, { dtype: d, shape: s, values: Array.isArray(v) ? v : v }, k);
  }
  assert.deepEqual(r.readStringBytes("bytes"), [Uint8Array.of(0, 255, 10)]);
  const shards = new Set([...checked.entries.values()].map((e) => e.shardId));
  assert.equal(shards.size, 3, "tensors spread over the 3 shards");
});

test("BundleWriter rejects bad input: duplicate keys, wrong value counts or array types", (t) => {
  const w = new BundleWriter(path.join(tmpDir(t), "x"));
  w.add("a", "float32", [2], Float32Array.of(1, 2));
  assert.throws(() => w.add("a", "float32", [2], Float32Array.of(1, 2)), tf.errors.InvalidArgumentError);
  assert.throws(() => w.add("b", "float32", [3], Float32Array.of(1, 2)), /needs 3 values/);
  assert.throws(() => w.add("c", "int32", [2], Float32Array.of(1, 2)), /Float32Array/);
  w.abort();
});

test("SSTable: many keys over several blocks with restarts, Snappy blocks read back, CRC damage is DataLossError", () => {
  const enc = new TextEncoder();
  for (const compression of ["none", "snappy"] as const) {
    const b = new TableBuilder({ blockSize: 512, compression });
    const keys = Array.from({ length: 300 }, (_, i) => `layer${String(i).padStart(4, "0")}/weights`);
    for (const k of keys) b.add(enc.encode(k), enc.encode(`value of ${k} `.repeat(3)));
    const bytes = b.finish();
    const back = readTable(bytes, "t.index");
    assert.deepEqual(
      back.map((e) => new TextDecoder().decode(e.key)),
      keys,
    );
    assert.equal(new TextDecoder().decode(back[7].value), `value of ${keys[7]} `.repeat(3));
    const bad = bytes.slice();
    bad[100] ^= 0x10;
    assert.throws(
      () => readTable(bad, "t.index"),
      (e: Error) => e instanceof tf.errors.DataLossError && /t\.index/.test(e.message),
    );
  }
  const b = new TableBuilder();
  b.add(enc.encode("b"), new Uint8Array());
  assert.throws(() => b.add(enc.encode("a"), new Uint8Array()), tf.errors.InvalidArgumentError, "keys must increase");
});

test("text format: CheckpointState and BundleEntryProto print as TensorFlow prints them and parse back", () => {
  const state = fromTextFormat(CheckpointStateSchema, fs.readFileSync(path.join(FIX, "ckpt-tf2onnx-regression-tf1", "checkpoint"), "utf8"));
  assert.equal(state.modelCheckpointPath, "model");
  assert.deepEqual(state.allModelCheckpointPaths, ["model"]);
  assert.equal(toTextFormat(CheckpointStateSchema, state), 'model_checkpoint_path: "model"\nall_model_checkpoint_paths: "model"\n');
  const s2 = create(CheckpointStateSchema, {
    modelCheckpointPath: 'dir/"q"\n\\é',
    allModelCheckpointPaths: ["a", "b"],
    allModelCheckpointTimestamps: [1563197263.0640075, 5, 1e-7],
    lastPreservedTimestamp: 1e20,
  });
  const text = toTextFormat(CheckpointStateSchema, s2);
  assert.equal(
    text,
    'model_checkpoint_path: "dir/\\"q\\"\\n\\\\\\303\\251"\nall_model_checkpoint_paths: "a"\nall_model_checkpoint_paths: "b"\n' +
      "all_model_checkpoint_timestamps: 1563197263.0640075\nall_model_checkpoint_timestamps: 5.0\nall_model_checkpoint_timestamps: 1e-07\n" +
      "last_preserved_timestamp: 1e+20\n",
  );
  assert.deepEqual(fromTextFormat(CheckpointStateSchema, text), s2);
  const entry = create(BundleEntryProtoSchema, {
    dtype: 9,
    shape: create(TensorShapeProtoSchema, { dim: [{ size: 3n }, { size: -1n, name: "batch" }] }),
    offset: 12n,
    crc32c: 0xffffffff,
    slices: [{ extent: [{ start: 0n, hasLength: { case: "length", value: 2n } }, {}] }],
  });
  const et = toTextFormat(BundleEntryProtoSchema, entry);
  assert.equal(
    et,
    'dtype: DT_INT64\nshape {\n  dim {\n    size: 3\n  }\n  dim {\n    size: -1\n    name: "batch"\n  }\n}\noffset: 12\ncrc32c: 4294967295\n' +
      "slices {\n  extent {\n    length: 2\n  }\n  extent {\n  }\n}\n",
  );
  assert.deepEqual(fromTextFormat(BundleEntryProtoSchema, et), entry);
  // The rest of the grammar: comments, <> brackets, colons before messages, lists, numbers by enum value, quotes.
  const other = fromTextFormat(
    BundleEntryProtoSchema,
    "# a comment\ndtype: 1 shape: < dim { size: 0x10 } dim: [ { size: 2 }, {size: 010} ] >, shard_id: -3; crc32c: 7 " + "slices: []",
  );
  assert.deepEqual(
    other.shape?.dim.map((d) => d.size),
    [16n, 2n, 8n],
  );
  assert.equal(other.shardId, -3);
  const h = fromTextFormat(BundleHeaderProtoSchema, "endianness: BIG version { producer: 1 bad_consumers: [2, 3] }");
  assert.equal(h.endianness, 1);
  assert.deepEqual(h.version?.badConsumers, [2, 3]);
  assert.equal(fromTextFormat(CheckpointStateSchema, "model_checkpoint_path: 'a\\'b' \"c\\x41\\101\"").modelCheckpointPath, "a'bcAA");
  for (const bad of ["nope: 1", "model_checkpoint_path 1", 'model_checkpoint_path: "x', "last_preserved_timestamp: abc"]) {
    assert.throws(
      () => fromTextFormat(CheckpointStateSchema, bad),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /line 1/.test(e.message),
      bad,
    );
  }
});

test("writeFileAtomic and the checkpoint file: relative paths, latestCheckpoint only names a complete checkpoint", (t) => {
  const dir = tmpDir(t);
  writeFileAtomic(path.join(dir, "f"), "one");
  writeFileAtomic(path.join(dir, "f"), "two");
  assert.equal(fs.readFileSync(path.join(dir, "f"), "utf8"), "two");
  assert.deepEqual(fs.readdirSync(dir), ["f"]);
  const p1 = path.join(dir, "model-1");
  const p2 = path.join(dir, "model-2");
  updateCheckpointState(dir, { modelCheckpointPath: p2, allModelCheckpointPaths: [p1, p2], allModelCheckpointTimestamps: [1, 2], saveRelativePaths: true });
  assert.match(fs.readFileSync(path.join(dir, "checkpoint"), "utf8"), /^model_checkpoint_path: "model-2"\nall_model_checkpoint_paths: "model-1"\n/);
  const st = getCheckpointState(dir);
  assert.equal(st?.modelCheckpointPath, p2);
  assert.deepEqual(st?.allModelCheckpointPaths, [p1, p2]);
  assert.equal(latestCheckpoint(dir), null, "no .index yet");
  const w = new BundleWriter(p2);
  w.add("v", "float32", [], Float32Array.of(1));
  w.finish();
  assert.equal(latestCheckpoint(dir), p2);
  assert.equal(getCheckpointState(path.join(dir, "missing")), null);
  fs.writeFileSync(path.join(dir, "checkpoint"), "garbage {{{");
  // A WARNING is logged (test/logging.test.ts checks it); level 2 keeps this run's output clean.
  tf.config.experimental.setTsflowOptions({ logLevel: 2 });
  try {
    assert.equal(getCheckpointState(dir), null);
  } finally {
    tf.config.experimental.setTsflowOptions({ logLevel: 1 });
  }
});

test("text format: maps (NodeDef.attr) print and parse back, as in a GraphDef .pbtxt", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const x = tf.placeholder("float32", [null, 3], { name: "x" });
    tf.matmul(x, tf.constant([[1], [2], [3]], { dtype: "float32" }), { transposeB: false, name: "y" });
  });
  const def = g.asGraphDef();
  const text = toTextFormat(GraphDefSchema, def);
  assert.match(text, /attr \{\n\s+key: "dtype"\n\s+value \{\n\s+type: DT_FLOAT/);
  const back = fromTextFormat(GraphDefSchema, text);
  // Map entries print sorted by key, so compare as messages (the bytes follow insertion order).
  assert.ok(equals(GraphDefSchema, back, def));
  // Scalar map values, entries in any order, the angle-bracket form.
  const n = fromTextFormat(NodeDefSchema, 'name: "n" attr < value { i: 3 } key: "k" >');
  assert.equal(n.attr.k.value.case, "i");
  assert.throws(() => fromTextFormat(NodeDefSchema, 'attr { key: "a" other: 1 }'), /only "key" and "value"/);
});

test("text format: both real TensorFlow SavedModels print and parse back to equal messages (saved_model.pbtxt)", () => {
  for (const d of ["savedmodel-serving-half-plus-two-tf1", "savedmodel-serving-half-plus-two-tf2"]) {
    const m = fromBinary(SavedModelSchema, fs.readFileSync(path.join(FIX, d, "saved_model.pb")));
    assert.ok(equals(SavedModelSchema, fromTextFormat(SavedModelSchema, toTextFormat(SavedModelSchema, m)), m), d);
  }
});
