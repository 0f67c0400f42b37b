/**
 * A SavedModel of a module whose tf.function writes summaries: saving keeps the WriteSummary nodes in the
 * function (with the summary kind as the `_tsflow_summary` attr, not the writer: a SavedModel saves no
 * summary writer), and the loaded function writes to the default writer of call time.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { SavedModelSchema } from "../src/proto/tensorflow/core/protobuf/saved_model_pb.js";
import type { Summary } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import * as tf from "../src/index.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tsflow-summary-sm-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** [tag, step] of every summary event in a logdir's event files. */
function events(logdir: string): [string, number][] {
  return readdirSync(logdir).flatMap((f) =>
    [...tf.summary.summaryIterator(join(logdir, f))]
      .filter((e) => e.what.case === "summary")
      .map((e): [string, number] => [(e.what.value as Summary).value[0].tag, Number(e.step)]),
  );
}

describe("tf.saved_model with tf.summary inside its functions", () => {
  it("saves the writes (not the writer); the loaded function writes to the default writer of call time", () => {
    const exportDir = join(tmp(), "model");
    // biome-ignore lint/suspicious/noExplicitAny: a module of attributes, as a Python tf.Module
    const obj: any = {};
    obj.step = new tf.Variable(0, { dtype: "int64", name: "step" });
    obj.f = tf.function(
      (x: tf.Tensor) => {
        tf.summary.scalar("x", x, { step: obj.step });
        tf.whileLoop(
          (i: tf.Tensor) => tf.less(i, 2),
          (i: tf.Tensor) => {
            tf.summary.histogram("h", tf.stack([x, tf.cast(i, "float32")]), { step: i });
            return tf.add(i, 1);
          },
          [tf.constant(0, "int32")],
        );
        return tf.mul(x, 2);
      },
      { inputSignature: [new tf.TensorSpec([], "float32", "x")] },
    );
    const atTrace = tmp();
    const traceWriter = tf.summary.createFileWriter(atTrace);
    traceWriter.asDefault(() => {
      obj.f(tf.constant(1));
      tf.savedModel.save(obj, exportDir);
    });
    traceWriter.close();
    assert.deepEqual(events(atTrace), [
      ["x", 0],
      ["while/h", 0],
      ["while/h", 1],
    ]);

    // The SavedModel's functions hold WriteSummary nodes with the summary kind, and no writer.
    const sm = fromBinary(SavedModelSchema, readFileSync(join(exportDir, "saved_model.pb")));
    const writes = (sm.metaGraphs[0].graphDef?.library?.function ?? []).flatMap((fn) => fn.nodeDef.filter((n) => n.op === "WriteSummary"));
    assert.equal(writes.length, 2);
    for (const n of writes) {
      assert.equal(n.attr.writer, undefined);
      const spec = JSON.parse(new TextDecoder().decode(n.attr._tsflow_summary.value.value as Uint8Array));
      assert.ok(["scalar", "histogram"].includes(spec.value.kind), JSON.stringify(spec));
    }

    const loaded = tf.savedModel.load(exportDir) as unknown as { f: (x: tf.Tensor) => tf.Tensor; step: tf.Variable };
    assert.equal(loaded.f(tf.constant(3)).dataSync()[0], 6, "runs without a default writer, writing nothing");
    const atCall = tmp();
    const callWriter = tf.summary.createFileWriter(atCall);
    callWriter.asDefault(() => {
      loaded.step.assign(7);
      assert.equal(loaded.f(tf.constant(2)).dataSync()[0], 4);
      tf.summary.recordIf(false, () => loaded.f(tf.constant(5)));
    });
    callWriter.close();
    assert.deepEqual(events(atCall), [
      ["x", 7],
      ["while/h", 0],
      ["while/h", 1],
    ]);
    assert.equal(events(atTrace).length, 3, "the writer of trace time got nothing from the loaded function");
  });
});
