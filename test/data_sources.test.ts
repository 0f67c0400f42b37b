/**
 * tf.data's file sources through the public API: TFRecord files written by real TensorFlow (the fixtures in
 * ../shared/fixtures/tf), CRC checks, compression, text lines, CSV (types, defaults, labels, errors naming
 * the file and line), and device prefetching.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync, deflateSync } from "node:zlib";
import * as tf from "../src/index.js";
import { gpuOnly, onGpu } from "./util/gpu.js";

// ../shared/fixtures/tf beside the checkout (/work/main), or two levels up from a worktree (/work/wt/<name>), or shared/ inside it.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES =
  [join(ROOT, "..", "shared"), join(ROOT, "..", "..", "shared"), join(ROOT, "shared")].map((d) => join(d, "fixtures", "tf")).find((d) => existsSync(d)) ??
  join(ROOT, "..", "shared", "fixtures", "tf");
const FOX = join(FIXTURES, "tfrecord-tf-rust-quick-brown-fox", "expected.tfrecord");
const EVENTS = join(FIXTURES, "tfevents-lingvo-bleu", "events.out.tfevents.test");
const haveFixtures = (() => {
  try {
    readFileSync(FOX);
    return true;
  } catch {
    return false;
  }
})();
const skip = haveFixtures ? false : `the TensorFlow fixtures are not at ${FIXTURES}`;

function strings(ds: tf.data.Dataset): string[] {
  return [...ds.asNumpyIterator()] as string[];
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "tsflow-data-src-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("tf.data.TFRecordDataset", () => {
  it("reads the record TensorFlow wrote (tfrecord-tf-rust-quick-brown-fox)", { skip }, () => {
    const ds = new tf.data.TFRecordDataset(FOX);
    assert.deepEqual(strings(ds), ["The Quick Brown Fox"]);
    assert.equal(ds.elementSpec.toString(), "TensorSpec(shape=(), dtype=tf.string, name=None)");
  });

  it("reads a TensorFlow 1 event file: 361 records, the first the file version", { skip }, () => {
    const records = strings(new tf.data.TFRecordDataset([EVENTS]));
    assert.equal(records.length, 361);
    assert.ok(records[0].includes("brain.Event:2"));
  });

  it("raises DataLossError on a corrupted or truncated record, and NotFoundError for a missing file", { skip }, () => {
    withDir((dir) => {
      const bytes = readFileSync(FOX);
      const bad = Buffer.from(bytes);
      bad[20] ^= 1;
      writeFileSync(join(dir, "bad.tfrecord"), bad);
      assert.throws(
        () => strings(new tf.data.TFRecordDataset(join(dir, "bad.tfrecord"))),
        (e: unknown) => e instanceof tf.errors.DataLossError && /corrupted record at 0/.test(String(e)),
      );
      writeFileSync(join(dir, "cut.tfrecord"), bytes.subarray(0, 30));
      assert.throws(() => strings(new tf.data.TFRecordDataset(join(dir, "cut.tfrecord"))), tf.errors.DataLossError);
      assert.throws(() => strings(new tf.data.TFRecordDataset(join(dir, "missing.tfrecord"))), tf.errors.NotFoundError);
    });
  });

  it("reads GZIP and ZLIB files, several files in order, and batches like any dataset", { skip }, () => {
    withDir((dir) => {
      const bytes = readFileSync(FOX);
      writeFileSync(join(dir, "a.gz"), gzipSync(Buffer.concat([bytes, bytes])));
      writeFileSync(join(dir, "b.z"), deflateSync(bytes));
      assert.deepEqual(strings(new tf.data.TFRecordDataset(join(dir, "a.gz"), "GZIP")), ["The Quick Brown Fox", "The Quick Brown Fox"]);
      assert.deepEqual(strings(new tf.data.TFRecordDataset([join(dir, "b.z")], { compressionType: "ZLIB" })), ["The Quick Brown Fox"]);
      const both = new tf.data.TFRecordDataset([FOX, FOX]).batch(2);
      assert.deepEqual([...both.asNumpyIterator()], [["The Quick Brown Fox", "The Quick Brown Fox"]]);
    });
  });
});

describe("tf.data.TextLineDataset", () => {
  it("the lines of each file without their endings", () => {
    withDir((dir) => {
      writeFileSync(join(dir, "a.txt"), "one\r\ntwo\nthree");
      writeFileSync(join(dir, "b.txt"), "four\n");
      const ds = new tf.data.TextLineDataset([join(dir, "a.txt"), join(dir, "b.txt")]);
      assert.deepEqual(strings(ds), ["one", "two", "three", "four"]);
      assert.deepEqual(strings(ds.skip(1).filter((l: tf.EagerTensor) => l.arraySync() !== "three")), ["two", "four"]);
    });
  });
});

describe("tf.data.experimental.makeCsvDataset", () => {
  const CSV = "a,b,name,label\n1,2.5,x,0\n3,4.5,y,1\n5,,z,0\n";

  it("batches of (features, label) with inferred types and defaults", () => {
    withDir((dir) => {
      writeFileSync(join(dir, "data.csv"), CSV);
      const ds = tf.data.experimental.makeCsvDataset(join(dir, "*.csv"), 2, {
        labelName: "label",
        columnDefaults: ["int32", -1, "string", "int32"],
        shuffle: false,
        numEpochs: 1,
      });
      const batches = [...ds.asNumpyIterator()];
      assert.deepEqual(batches, [
        [{ a: [1, 3], b: [2.5, 4.5], name: ["x", "y"] }, [0, 1]],
        [{ a: [5], b: [-1], name: ["z"] }, [0]],
      ]);
      const [features, label] = ds.elementSpec as unknown as [Record<string, { dtype: string; shape: unknown }>, { dtype: string }];
      assert.equal(features.a.dtype, "int32");
      assert.equal(features.b.dtype, "float32");
      assert.equal(label.dtype, "int32");
      const inferred = tf.data.experimental.makeCsvDataset(join(dir, "data.csv"), 3, { selectColumns: ["a", "name"], shuffle: false, numEpochs: 2 });
      assert.deepEqual(
        [...inferred.asNumpyIterator()],
        [
          { a: [1, 3, 5], name: ["x", "y", "z"] },
          { a: [1, 3, 5], name: ["x", "y", "z"] },
        ],
      );
    });
  });

  it("a row with a wrong field count is an InvalidArgumentError naming the file and line", () => {
    withDir((dir) => {
      const file = join(dir, "bad.csv");
      writeFileSync(file, "a,b\n1,2\n3,4,5\n");
      assert.throws(
        () => tf.data.experimental.makeCsvDataset(file, 2),
        (e: unknown) => e instanceof tf.errors.InvalidArgumentError && String(e).includes(`${file}:3: Expect 2 fields but have 3 in record 1`),
      );
      const skipped = tf.data.experimental.makeCsvDataset(file, 2, { ignoreErrors: true, shuffle: false, numEpochs: 1 });
      assert.deepEqual([...skipped.asNumpyIterator()], [{ a: [1], b: [2] }]);
      assert.throws(() => tf.data.experimental.makeCsvDataset(join(dir, "none-*.csv"), 2), tf.errors.NotFoundError);
    });
  });

  it("shuffles with a seed and repeats forever by default", () => {
    withDir((dir) => {
      writeFileSync(join(dir, "n.csv"), `v\n${Array.from({ length: 10 }, (_v, i) => i).join("\n")}\n`);
      const take = (seed: number) =>
        ([...tf.data.experimental.makeCsvDataset(join(dir, "n.csv"), 5, { shuffleSeed: seed }).take(4).asNumpyIterator()] as { v: number[] }[]).flatMap(
          (b) => b.v,
        );
      const a = take(3);
      assert.equal(a.length, 20);
      assert.deepEqual(
        [...a.slice(0, 10)].sort((x, y) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.deepEqual(take(3), a);
    });
  });
});

describe("tf.data.experimental device transformations", () => {
  it("prefetchToDevice and copyToDevice keep the elements (on the CPU here), cardinality", async () => {
    const ds = tf.data.Dataset.range(4).batch(2).apply(tf.data.experimental.prefetchToDevice("/cpu:0"));
    const got: number[][] = [];
    for await (const b of ds) got.push(((b as tf.EagerTensor).arraySync() as bigint[]).map(Number));
    assert.deepEqual(got, [
      [0, 1],
      [2, 3],
    ]);
    const copied = tf.data.Dataset.range(2).apply(tf.data.experimental.copyToDevice("/cpu:0"));
    assert.deepEqual([...copied.asNumpyIterator()].map(Number), [0, 1]);
    assert.equal(Number(tf.data.experimental.cardinality(ds).dataSync()[0]), 2);
  });
});

describe("tf.data on a GPU", () => {
  it("prefetch puts batches on GPU:0 ahead of the step; a graph iterator feeds a GPU step", gpuOnly, async () => {
    const x = tf.cast(tf.reshape(tf.range(0, 24), [8, 3]), "float32");
    const ds = tf.data.Dataset.fromTensorSlices(x).shuffle(8, 1).batch(4).prefetch(2);
    let rows = 0;
    for await (const b of ds) {
      assert.ok(onGpu(b as tf.Tensor), `the batch is on ${(b as tf.EagerTensor).device}`);
      rows += (b as tf.EagerTensor).shape[0];
    }
    assert.equal(rows, 8);
    const onDevice = tf.data.Dataset.fromTensorSlices(x).batch(8).apply(tf.data.experimental.prefetchToDevice("/gpu:0"));
    for (const b of onDevice) assert.ok(onGpu(b as tf.Tensor));
    new tf.Graph().asDefault(() => {
      const next = tf.compat.v1.data.makeOneShotIterator(tf.data.Dataset.fromTensorSlices(x).batch(4)).getNext() as tf.SymbolicTensor;
      const total = tf.reduceSum(tf.matmul(next, tf.ones([3, 1])));
      using sess = new tf.Session();
      assert.equal((sess.run(total) as tf.EagerTensor).item(), 66);
      assert.equal((sess.run(total) as tf.EagerTensor).item(), 210);
      assert.throws(() => sess.run(total), tf.errors.OutOfRangeError);
    });
  });
});
