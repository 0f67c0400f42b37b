/**
 * Damaged checkpoints: truncated and bit-flipped .index and .data files are tf.errors.DataLossError naming
 * the file (and the tensor, for data), never a crash, a hang or a wrong value; sizes claimed by a file are
 * checked against the file before anything is allocated.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { crc32c, maskCrc } from "../src/io/crc32c.js";
import { TableBuilder } from "../src/io/sstable.js";
import { BundleReader, BundleWriter } from "../src/io/tensor_bundle.js";
import * as tf from "../src/index.js";
import { BundleEntryProtoSchema, BundleHeaderProtoSchema } from "../src/proto/tensorflow/core/protobuf/tensor_bundle_pb.js";

function tmpDir(t: { after: (f: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-bad-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A small bundle with a float, an int64 and a string tensor; returns what reading it gives. */
function writeSample(prefix: string): Map<string, unknown> {
  const w = new BundleWriter(prefix);
  w.add("dense/kernel", "float32", [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
  w.add("global_step", "int64", [], BigInt64Array.of(42n));
  w.add("vocab", "string", [2], ["alpha", "beta"]);
  w.finish();
  return readAll(prefix);
}

function readAll(prefix: string): Map<string, unknown> {
  const r = BundleReader.open(prefix);
  return new Map(r.keys().map((k) => [k, r.read(k)]));
}

const isDataLoss = (file: RegExp, tensor?: RegExp) => (e: Error) => {
  assert.ok(e instanceof tf.errors.DataLossError, `expected DataLossError, got ${e.constructor.name}: ${e.message}`);
  assert.match(e.message, file);
  if (tensor) assert.match(e.message, tensor);
  return true;
};

test("every truncation of the .index is a DataLossError naming it", (t) => {
  const prefix = path.join(tmpDir(t), "m");
  writeSample(prefix);
  const index = fs.readFileSync(`${prefix}.index`);
  for (let len = 0; len < index.length; len++) {
    fs.writeFileSync(`${prefix}.index`, index.subarray(0, len));
    assert.throws(() => readAll(prefix), isDataLoss(/m\.index/), `truncated to ${len} bytes`);
  }
});

test("every single-bit flip in the .index is a DataLossError or changes nothing read", (t) => {
  const prefix = path.join(tmpDir(t), "m");
  const good = writeSample(prefix);
  const index = fs.readFileSync(`${prefix}.index`);
  let caught = 0;
  for (let i = 0; i < index.length; i++) {
    for (const bit of [0, 3, 7]) {
      const bad = Buffer.from(index);
      bad[i] ^= 1 << bit;
      fs.writeFileSync(`${prefix}.index`, bad);
      try {
        // Only the footer's zero padding is not covered by a checksum (as in TensorFlow): flips there read the same.
        assert.deepEqual(readAll(prefix), good, `flip of bit ${bit} at byte ${i} read different values`);
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        isDataLoss(/m\.index/)(e as Error);
        caught++;
      }
    }
  }
  assert.ok(caught > index.length * 2, `${caught} flips caught`);
});

test("a truncated or bit-flipped .data file is a DataLossError naming the file and the tensor", (t) => {
  const prefix = path.join(tmpDir(t), "m");
  writeSample(prefix);
  const dataFile = `${prefix}.data-00000-of-00001`;
  const data = fs.readFileSync(dataFile);
  for (let len = 0; len < data.length; len++) {
    fs.writeFileSync(dataFile, data.subarray(0, len));
    const r = BundleReader.open(prefix);
    const failed = r.keys().filter((k) => {
      try {
        r.read(k);
        return false;
      } catch (e) {
        return isDataLoss(/m\.data-00000-of-00001/, new RegExp(`"${k}"`))(e as Error);
      }
    });
    assert.ok(failed.length > 0, `truncated to ${len}: some tensor must fail`);
  }
  for (let i = 0; i < data.length; i++) {
    const bad = Buffer.from(data);
    bad[i] ^= 0x20;
    fs.writeFileSync(dataFile, bad);
    assert.throws(() => readAll(prefix), isDataLoss(/m\.data-00000-of-00001/, /checksum|corrupt/), `flip at data byte ${i}`);
  }
});

/** An .index with one entry, crafted by hand. */
function writeIndex(prefix: string, entry: Parameters<typeof create<typeof BundleEntryProtoSchema>>[1], dataBytes = 8): void {
  const tb = new TableBuilder();
  tb.add(new Uint8Array(0), toBinary(BundleHeaderProtoSchema, create(BundleHeaderProtoSchema, { numShards: 1, version: { producer: 1 } })));
  tb.add(new TextEncoder().encode("x"), toBinary(BundleEntryProtoSchema, create(BundleEntryProtoSchema, entry)));
  fs.writeFileSync(`${prefix}.index`, tb.finish());
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, new Uint8Array(dataBytes));
}

test("hostile sizes fail clean before allocating: 1e12-byte entries, huge shapes, huge string counts, bad shards", (t) => {
  const prefix = path.join(tmpDir(t), "h");
  const before = process.memoryUsage().rss;
  writeIndex(prefix, { dtype: 1, shape: { dim: [{ size: 250_000_000_000n }] }, size: 1_000_000_000_000n });
  assert.throws(() => BundleReader.open(prefix).read("x"), isDataLoss(/h\.data-00000-of-00001/, /"x".*1000000000000 bytes/));
  writeIndex(prefix, { dtype: 1, shape: { dim: [{ size: 1_000_000_000_000n }] }, size: 8n });
  assert.throws(
    () => BundleReader.open(prefix).read("x"),
    (e: Error) => e instanceof tf.errors.DataLossError || e instanceof tf.errors.InvalidArgumentError,
  );
  writeIndex(prefix, { dtype: 7, shape: { dim: [{ size: 1_000_000_000n }] }, size: 8n });
  assert.throws(() => BundleReader.open(prefix).read("x"), isDataLoss(/h\.data/, /"x"/));
  writeIndex(prefix, { dtype: 1, shape: { dim: [{ size: 2n }] }, size: 8n, offset: 9_007_199_254_740_000n });
  assert.throws(() => BundleReader.open(prefix).read("x"), isDataLoss(/h\.data/, /"x"/));
  writeIndex(prefix, { dtype: 1, shape: { dim: [{ size: 2n }] }, size: 8n, shardId: 5 });
  assert.throws(() => BundleReader.open(prefix).read("x"), isDataLoss(/h\.index/, /"x"/));
  writeIndex(prefix, { dtype: 1, shape: { dim: [{ size: -1n }] }, size: 8n });
  assert.throws(() => BundleReader.open(prefix).read("x"), isDataLoss(/h\.index/, /"x"/));
  // A string tensor whose first length claims 1e12 bytes.
  const lens = new BinaryWriter().uint64(1_000_000_000_000n).finish();
  writeIndex(prefix, { dtype: 7, shape: { dim: [{ size: 1n }] }, size: BigInt(lens.length + 4), crc32c: maskCrc(crc32c(lens)) }, 0);
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, Buffer.concat([lens, Buffer.alloc(4)]));
  assert.throws(() => BundleReader.open(prefix).read("x"), isDataLoss(/h\.data/, /"x"/));
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, "nothing big was allocated");
});

test("a Snappy block claiming a huge uncompressed size is a DataLossError", (t) => {
  const prefix = path.join(tmpDir(t), "s");
  // One data block: a Snappy varint length of 2^32-1 followed by nothing, with a valid trailer CRC.
  const block = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  const trailer = new Uint8Array(5);
  trailer[0] = 1;
  new DataView(trailer.buffer).setUint32(1, maskCrc(crc32c(trailer, 0, 1, crc32c(block))), true);
  const empty = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0]);
  const emptyTrailer = new Uint8Array(5);
  new DataView(emptyTrailer.buffer).setUint32(1, maskCrc(crc32c(emptyTrailer, 0, 1, crc32c(empty))), true);
  // index block: key "y" -> handle (0, 6)
  const indexBlock = new Uint8Array([0, 1, 2, 0x79, 0, 6, 0, 0, 0, 0, 1, 0, 0, 0]);
  const indexTrailer = new Uint8Array(5);
  new DataView(indexTrailer.buffer).setUint32(1, maskCrc(crc32c(indexTrailer, 0, 1, crc32c(indexBlock))), true);
  const footer = new Uint8Array(48);
  footer.set([11, 8, 24, 14]);
  footer.set([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb], 40);
  fs.writeFileSync(`${prefix}.index`, Buffer.concat([block, trailer, empty, emptyTrailer, indexBlock, indexTrailer, footer]));
  assert.throws(() => BundleReader.open(prefix), isDataLoss(/s\.index/, /Snappy/));
});

test("Saver.restore from a damaged checkpoint is a DataLossError and changes no variable", (t) => {
  const dir = tmpDir(t);
  const g = new tf.Graph();
  g.asDefault(() => {
    const a = new tf.Variable([1, 2, 3], { name: "a", dtype: "float32" });
    const b = new tf.Variable([4, 5], { name: "b", dtype: "float32" });
    const saver = new tf.train.Saver();
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const p = saver.save(sess, path.join(dir, "m"));
    sess.run([tf.compat.v1.assign(a, [0, 0, 0]), tf.compat.v1.assign(b, [0, 0])]);
    const data = fs.readFileSync(`${p}.data-00000-of-00001`);
    data[data.length - 1] ^= 1; // b is written last
    fs.writeFileSync(`${p}.data-00000-of-00001`, data);
    assert.throws(() => saver.restore(sess, p), isDataLoss(/m\.data-00000-of-00001/, /"b"/));
    assert.deepEqual((sess.run(a) as tf.EagerTensor).arraySync(), [0, 0, 0], "a untouched although it read fine");
  });
});

test("a partitioned variable (an entry with slices, its slices under binary keys) is recognised; reading it is an UnimplementedError", (t) => {
  const prefix = path.join(tmpDir(t), "p");
  const tb = new TableBuilder();
  tb.add(new Uint8Array(0), toBinary(BundleHeaderProtoSchema, create(BundleHeaderProtoSchema, { numShards: 1, version: { producer: 1 } })));
  // A slice key as TensorFlow's EncodeTensorNameSlice writes it starts with a zero byte.
  tb.add(Uint8Array.of(0, 1, 0x77), toBinary(BundleEntryProtoSchema, create(BundleEntryProtoSchema, { dtype: 1, shape: { dim: [{ size: 2n }] }, size: 8n })));
  tb.add(
    new TextEncoder().encode("w"),
    toBinary(
      BundleEntryProtoSchema,
      create(BundleEntryProtoSchema, {
        dtype: 1,
        shape: { dim: [{ size: 4n }] },
        slices: [{ extent: [{ start: 0n, hasLength: { case: "length", value: 2n } }] }],
      }),
    ),
  );
  fs.writeFileSync(`${prefix}.index`, tb.finish());
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, new Uint8Array(8));
  const r = BundleReader.open(prefix);
  assert.deepEqual(r.keys(), ["w"]);
  assert.equal(r.numSliceEntries, 1);
  assert.deepEqual(r.entry("w"), { dtype: "float32", shape: [4] });
  assert.throws(
    () => r.read("w"),
    (e: Error) => e instanceof tf.errors.UnimplementedError && /partitioned/.test(e.message) && /"w"/.test(e.message),
  );
});
