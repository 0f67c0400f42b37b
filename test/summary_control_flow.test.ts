/**
 * TensorFlow 2 summaries inside tf.cond branches and tf.whileLoop bodies (eagerly and inside tf.function:
 * one event per execution of the branch or iteration that ran, at the step of that moment), recordIf
 * inside a function, and the name scopes that prefix summary tags as TensorFlow 2 and 1 prefix them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { type Summary, SummarySchema, type Summary_Value } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import type { TensorProto } from "../src/proto/tensorflow/core/framework/tensor_pb.js";
import * as tf from "../src/index.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs fn with a new writer as the default and returns the summary events it wrote: [tag, step, value?]. */
function written(fn: () => void): { tag: string; step: number; v: Summary_Value }[] {
  const dir = mkdtempSync(join(tmpdir(), "tsflow-summary-cf-"));
  dirs.push(dir);
  const writer = tf.summary.createFileWriter(dir);
  writer.asDefault(fn);
  writer.close();
  const [file] = readdirSync(dir);
  return [...tf.summary.summaryIterator(join(dir, file))]
    .filter((e) => e.what.case === "summary")
    .map((e) => {
      const v = (e.what.value as Summary).value[0];
      return { tag: v.tag, step: Number(e.step), v };
    });
}
const f32 = (v: Summary_Value) => {
  const c = (v.value.value as TensorProto).tensorContent;
  return new DataView(c.buffer, c.byteOffset).getFloat32(0, true);
};
/** The Summary in a TF1 summary op's output (a scalar string tensor of latin1 bytes). */
const parse = (t: tf.Tensor): Summary => fromBinary(SummarySchema, Buffer.from((t.dataSync() as string[])[0], "latin1"));
const tagSteps = (events: { tag: string; step: number }[]) => events.map((e) => [e.tag, e.step]);

describe("tf.summary in tf.cond and tf.whileLoop inside tf.function", () => {
  it('a while loop writing scalar "i" at step i writes one event per iteration of each call', () => {
    const loop = tf.function((n: tf.Tensor) =>
      tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, n),
        (i: tf.Tensor) => {
          tf.summary.scalar("i", tf.mul(tf.cast(i, "float32"), 10), { step: i });
          return tf.add(i, 1);
        },
        [tf.constant(0)],
      ),
    );
    const events = written(() => {
      loop(tf.constant(4));
      loop(tf.constant(2));
      loop(tf.constant(0));
    });
    assert.equal(loop.experimentalGetTracingCount(), 1);
    // As while_v2, the body is built inside the name scope "while": the tag is "while/i".
    assert.deepEqual(tagSteps(events), [
      ["while/i", 0],
      ["while/i", 1],
      ["while/i", 2],
      ["while/i", 3],
      ["while/i", 0],
      ["while/i", 1],
    ]);
    assert.deepEqual(
      events.map((e) => f32(e.v)),
      [0, 10, 20, 30, 0, 10],
    );
  });

  it("only the branch of tf.cond that ran writes, at the step of that call, and the If node runs although nothing reads it", () => {
    const step = new tf.Variable(0, { dtype: "int64" });
    const f = tf.function((x: tf.Tensor) => {
      tf.cond(
        tf.greater(x, 0),
        () => tf.summary.scalar("positive", x, { step }),
        () => tf.summary.histogram("negative", tf.stack([x, tf.neg(x)]), { step, buckets: 2 }),
      );
      return tf.mul(x, 2);
    });
    const events = written(() => {
      for (const [i, x] of [3, -1, 5].entries()) {
        step.assign(i);
        f(tf.constant(x));
      }
    });
    assert.deepEqual(tagSteps(events), [
      ["cond/positive", 0],
      ["cond/negative", 1],
      ["cond/positive", 2],
    ]);
    assert.equal(f32(events[2].v), 5);
    assert.equal(events[1].v.metadata?.pluginData?.pluginName, "histograms");
  });

  it("images, text and audio write from branches and loop bodies; nested control flow nests the scopes", () => {
    const f = tf.function((flag: tf.Tensor) => {
      tf.cond(
        flag,
        () => {
          tf.summary.image("img", tf.ones([1, 2, 2, 3]), 0);
          tf.summary.text("note", tf.constant("**yes**"), 0);
          return tf.whileLoop(
            (i: tf.Tensor) => tf.less(i, 2),
            (i: tf.Tensor) => {
              tf.summary.audio("clip", tf.zeros([1, 4, 1]), 8000, { step: i });
              return tf.add(i, 1);
            },
            [tf.constant(0)],
          ) as tf.Tensor[];
        },
        () => [tf.constant(0)],
      );
      return flag;
    });
    const events = written(() => {
      f(tf.constant(true));
      f(tf.constant(false));
    });
    // Writes of one call are not ordered among themselves (TensorBoard orders a tag's events by step).
    assert.deepEqual(events.map((e) => [e.tag, e.step, e.v.metadata?.pluginData?.pluginName]).sort(), [
      ["cond/img", 0, "images"],
      ["cond/note", 0, "text"],
      ["cond/while/clip", 0, "audio"],
      ["cond/while/clip", 1, "audio"],
    ]);
  });

  it("a number default step (setStep) inside a loop body is the step of the call", () => {
    const f = tf.function(() =>
      tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, 3),
        (i: tf.Tensor) => {
          tf.summary.scalar("x", tf.cast(i, "float32"));
          return tf.add(i, 1);
        },
        [tf.constant(0)],
      ),
    );
    const events = written(() => {
      tf.summary.experimental.setStep(42);
      f();
    });
    tf.summary.experimental.setStep(null);
    assert.deepEqual(
      events.map((e) => [e.step, f32(e.v)]),
      [
        [42, 0],
        [42, 1],
        [42, 2],
      ],
    );
  });

  it("a gradient through a loop whose body writes does not write again", () => {
    const w = new tf.Variable(1.5);
    const f = tf.function(() => {
      const tape = new tf.GradientTape();
      const y = tape.run(
        () =>
          (
            tf.whileLoop(
              (i: tf.Tensor) => tf.less(i, 3),
              (i: tf.Tensor, v: tf.Tensor) => {
                tf.summary.scalar("v", v, { step: i });
                return [tf.add(i, 1), tf.mul(v, w)];
              },
              [tf.constant(0), tf.constant(1)],
            ) as tf.Tensor[]
          )[1],
      );
      return tape.gradient(y, w);
    });
    let grad = 0;
    const events = written(() => {
      grad = (f() as tf.Tensor).dataSync()[0] as number;
    });
    assert.equal(grad, 3 * 1.5 * 1.5);
    assert.deepEqual(
      events.map((e) => [e.step, f32(e.v)]),
      [
        [0, 1],
        [1, 1.5],
        [2, 2.25],
      ],
    );
  });

  it("eagerly, tf.cond and tf.whileLoop are JavaScript: the summaries write as they run, with no scope added", () => {
    const events = written(() => {
      tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, 2),
        (i: tf.Tensor) => {
          tf.summary.scalar("i", tf.cast(i, "float32"), { step: i });
          return tf.add(i, 1);
        },
        [tf.constant(0)],
      );
      tf.cond(
        tf.constant(false),
        () => tf.summary.scalar("t", 1, { step: 5 }),
        () => tf.summary.scalar("f", 2, { step: 5 }),
      );
    });
    assert.deepEqual(tagSteps(events), [
      ["i", 0],
      ["i", 1],
      ["f", 5],
    ]);
  });
});

describe("tf.summary.recordIf inside tf.function", () => {
  it("a boolean entered inside the function decides when traced; the outer recordIf at the call no longer applies", () => {
    const f = tf.function(() => {
      tf.summary.recordIf(false, () => tf.summary.scalar("off", 1, { step: 0 }));
      tf.summary.recordIf(true, () => tf.summary.scalar("on", 1, { step: 0 }));
      tf.summary.scalar("outer", 1, { step: 0 });
      return tf.constant(0);
    });
    const events = written(() => {
      f();
      tf.summary.recordIf(false, () => f());
    });
    assert.deepEqual(
      events.map((e) => e.tag),
      ["on", "outer", "on"],
    );
    assert.equal(
      f
        .getConcreteFunction()
        .graph.getOperations()
        .filter((o) => o.type === "WriteSummary").length,
      2,
      "no node for recordIf(false)",
    );
  });

  it("a bool tensor (or a function returning one) decides at each iteration", () => {
    const f = tf.function((n: tf.Tensor) =>
      tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, n),
        (i: tf.Tensor) => {
          tf.summary.recordIf(tf.equal(tf.mod(i, 2), 0), () => tf.summary.scalar("even", tf.cast(i, "float32"), { step: i }));
          tf.summary.recordIf(
            () => tf.equal(i, 3),
            () => tf.summary.scalar("three", 3, { step: i }),
          );
          return tf.add(i, 1);
        },
        [tf.constant(0)],
      ),
    );
    const events = written(() => {
      f(tf.constant(5));
    });
    assert.deepEqual(tagSteps(events), [
      ["while/even", 0],
      ["while/even", 2],
      ["while/three", 3],
      ["while/even", 4],
    ]);
  });

  it("eagerly, a bool tensor condition is read at each write", () => {
    const events = written(() => {
      for (let i = 0; i < 4; i++) tf.summary.recordIf(tf.constant(i % 2 === 1), () => tf.summary.scalar("odd", i, { step: i }));
    });
    assert.deepEqual(
      events.map((e) => e.step),
      [1, 3],
    );
  });
});

describe("name scopes in summary tags", () => {
  it("eagerly: tf.nameScope prefixes the tag (never made unique)", () => {
    const events = written(() => {
      tf.nameScope("foo", () => {
        tf.summary.scalar("x", 1, { step: 0 });
        tf.summary.scalar("x", 2, { step: 1 });
        tf.nameScope("bar", () => tf.summary.histogram("h", [1, 2], { step: 0 }));
      });
      tf.summary.scalar("x", 3, { step: 2 });
    });
    assert.deepEqual(tagSteps(events), [
      ["foo/x", 0],
      ["foo/x", 1],
      ["foo/bar/h", 0],
      ["x", 2],
    ]);
  });

  it("inside tf.function: scopes opened in the function prefix the tag, a scope around the call does not (tf.function resets it)", () => {
    const f = tf.function(() => {
      tf.nameScope("foo", () => {
        tf.summary.scalar("x", 1, { step: 0 });
        tf.summary.scalar("x", 2, { step: 0 });
      });
      tf.nameScope("foo", () => tf.summary.scalar("x", 3, { step: 0 }));
      tf.nameScope("loop", () =>
        tf.cond(
          tf.constant(true),
          () => tf.summary.scalar("b", 3, { step: 0 }),
          () => false,
        ),
      );
      tf.summary.scalar("plain", 4, { step: 0 });
      return tf.constant(0);
    });
    const events = written(() => {
      tf.nameScope("outer", () => f());
    });
    // TensorFlow 2's summary_scope takes the tag from get_name_scope() before entering the summary's own
    // scope: a second "x" in "foo" is op scope foo/x_1 but tag "foo/x"; a second tf.nameScope("foo") in a
    // graph is foo_1, for tags too.
    assert.deepEqual(
      events.map((e) => e.tag),
      ["foo/x", "foo/x", "foo_1/x", "loop/cond/b", "plain"],
    );
    const ops = f
      .getConcreteFunction()
      .graph.getOperations()
      .filter((o) => o.type === "WriteSummary")
      .map((o) => o.name);
    assert.deepEqual(ops, ["foo/x/write_summary", "foo/x_1/write_summary", "foo_1/x/write_summary", "plain/write_summary"]);
  });

  it("TensorFlow 1: the tag is the op's unique scope inside the graph's name scopes, and eagerly the eager scopes", () => {
    const g = new tf.Graph();
    const [names, merged] = g.asDefault(() => {
      const ops = tf.nameScope("foo", () => [tf.compat.v1.summary.scalar("x", tf.constant(1)), tf.compat.v1.summary.scalar("x", tf.constant(2))]);
      return [ops.map((t) => (t as tf.SymbolicTensor).op.name), tf.summary.mergeAll()!] as const;
    });
    assert.deepEqual(names, ["foo/x", "foo/x_1"]);
    const sess = new tf.Session({ graph: g });
    const graphTags = parse(sess.run(merged) as tf.Tensor).value.map((v) => v.tag);
    sess.close();
    assert.deepEqual(graphTags, ["foo/x", "foo/x_1"]);
    const eager = tf.nameScope("foo", () => tf.compat.v1.summary.scalar("y", 1));
    assert.deepEqual(
      parse(eager).value.map((v) => v.tag),
      ["foo/y"],
    );
  });
});
