/**
 * The TensorBoard proof's own logic, where Python's `tensorboard` is not installed: scripts/tensorboard_logdir.ts
 * writes its logdir (TF2, TF1, tf.function, control flow and the Keras callback's runs), and
 * scripts/tensorboard_check.py checks it through test/tensorboard_stub.py, a stand-in for TensorBoard's
 * accumulators fed with the events tsflow's reader gets from the files. What this proves: the logdir holds
 * every run, tag and step the checker expects, and the checker's code runs and can fail. What only the GPU
 * machine proves (the real package): that TensorBoard's own loader parses the files the same way.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { GraphDefSchema } from "../src/proto/tensorflow/core/framework/graph_pb.js";
import type { Summary_Value } from "../src/proto/tensorflow/core/framework/summary_pb.js";
import { tensorFromProto } from "../src/io/tensor_proto.js";
import * as tf from "../src/index.js";

const hasNumpy = spawnSync("python3", ["-c", "import numpy"], { stdio: "ignore" }).status === 0;
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
/** JSON has no NaN or Infinity: Python's float() reads these spellings back. */
const num = (x: number | bigint | boolean) => {
  const v = Number(x);
  return Number.isFinite(v) ? v : String(v);
};

/** One summary value as the stub serves it (test/tensorboard_stub.py's kinds). */
function valueJson(v: Summary_Value): Record<string, unknown> {
  const plugin = v.metadata?.pluginData;
  const common = { tag: v.tag, plugin: plugin?.pluginName ?? "", content: b64(plugin?.content ?? new Uint8Array()) };
  const x = v.value;
  switch (x.case) {
    case "simpleValue":
      return { ...common, kind: "simple", value: num(x.value) };
    case "histo":
      return { ...common, kind: "histo", num: x.value.num, min: x.value.min, max: x.value.max, sum: x.value.sum, bucket: x.value.bucket };
    case "image":
      return { ...common, kind: "image", width: x.value.width, height: x.value.height, data: b64(x.value.encodedImageString) };
    case "audio":
      return {
        ...common,
        kind: "audio",
        sampleRate: x.value.sampleRate,
        lengthFrames: Number(x.value.lengthFrames),
        contentType: x.value.contentType,
        data: b64(x.value.encodedAudioString),
      };
    case "tensor": {
      const t = x.value;
      if (t.stringVal.length > 0)
        return { ...common, kind: "tensor", dtype: "string", shape: t.tensorShape?.dim.map((d) => Number(d.size)) ?? [], values: t.stringVal.map(b64) };
      const h = tensorFromProto(t, v.tag);
      return { ...common, kind: "tensor", dtype: h.dtype, shape: h.shape, values: Array.from(h.values as ArrayLike<number>, num) };
    }
    default:
      throw new Error(`tag ${v.tag}: no stub form for ${x.case}`);
  }
}

/** Every run (directory holding event files) under `logdir`, as the stub's JSON: events and the graph. */
function dumpRuns(logdir: string, out: Record<string, unknown> = {}): Record<string, unknown> {
  const files = readdirSync(logdir);
  const events = files.filter((f) => f.startsWith("events.out.tfevents"));
  if (events.length > 0) {
    const run: { events: unknown[]; graph: unknown } = { events: [], graph: null };
    for (const f of events) {
      for (const e of tf.summary.summaryIterator(join(logdir, f))) {
        if (e.what.case === "summary") run.events.push({ step: Number(e.step), values: e.what.value.value.map(valueJson) });
        if (e.what.case === "graphDef") run.graph = fromBinary(GraphDefSchema, e.what.value).node.map((n) => ({ name: n.name, op: n.op }));
      }
    }
    out[realpathSync(logdir)] = run;
  }
  for (const f of files) if (statSync(join(logdir, f)).isDirectory()) dumpRuns(join(logdir, f), out);
  return out;
}

function runChecker(logdir: string, dumpPath: string): { status: number | null; out: string } {
  writeFileSync(dumpPath, JSON.stringify(dumpRuns(logdir)));
  const r = spawnSync("python3", ["test/tensorboard_stub.py", "scripts/tensorboard_check.py", logdir], {
    encoding: "utf8",
    // No __pycache__ in the repository.
    env: { ...process.env, TSFLOW_TB_DUMP: dumpPath, PYTHONDONTWRITEBYTECODE: "1" },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("scripts/tensorboard_check.py on scripts/tensorboard_logdir.ts's logdir (TensorBoard stubbed)", {
  skip: hasNumpy ? false : "python3 with numpy not available",
}, () => {
  let dir = "";
  let logdir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tsflow-tb-check-"));
    logdir = join(dir, "logs");
    const w = spawnSync(process.execPath, ["--import", "tsx", "scripts/tensorboard_logdir.ts", logdir], { encoding: "utf8" });
    assert.equal(w.status, 0, w.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("passes every check, the Keras, control-flow and tf.function runs included", () => {
    const { status, out } = runChecker(logdir, join(dir, "dump.json"));
    assert.equal(status, 0, out);
    assert.match(out, /RESULT: all checks passed/);
    assert.doesNotMatch(out, /FAIL|not present/);
    const passed = out.split("\n").filter((l) => l.startsWith("PASS "));
    for (const what of [
      "keras train: epoch_loss equals History's loss",
      "keras validation: epoch_accuracy equals History's val_accuracy",
      "keras train: batch_loss every 2 batches (steps [2, 4, 6, 8])",
      "keras train: batch_accuracy values finite and in [0, 1]",
      "keras train: a histogram per weight (<layer>/<weight>_0/histogram)",
      "keras train: the train step's graph",
      "keras train: the model's config as the 'keras' summary (plugin graph_keras_model)",
      "keras validation: evaluation_loss_vs_iterations at iterations [3, 6, 9]",
      "tf.whileLoop body: one 'while/i' event per iteration, steps 0..3",
      "tf.cond: only the branch that ran wrote",
    ]) {
      assert.ok(
        passed.some((l) => l.startsWith(`PASS ${what}`)),
        `no PASS line for "${what}"`,
      );
    }
    assert.ok(passed.length >= 60, `${passed.length} checks passed`);
  });

  it("fails, naming the check, when the logs disagree with what was trained", () => {
    const historyPath = join(logdir, "keras", "history.json");
    const history = JSON.parse(readFileSync(historyPath, "utf8"));
    history.val_loss[1] += 0.5;
    writeFileSync(historyPath, JSON.stringify(history));
    const { status, out } = runChecker(logdir, join(dir, "dump.json"));
    assert.equal(status, 1, out);
    assert.match(out, /FAIL keras validation: epoch_loss equals History's val_loss/);
    assert.match(out, /FAIL keras validation: evaluation_loss_vs_iterations equals History's val_loss/);
    assert.match(out, /RESULT: FAIL /);
  });
});
