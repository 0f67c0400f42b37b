/**
 * tf.cond and tf.whileLoop inside saved tf.functions: written as TensorFlow 2 writes them (If / StatelessIf /
 * While / StatelessWhile nodes whose func attrs name FunctionDefs of the library; variables passed to a body as
 * DT_RESOURCE inputs), checked by a reader independent of the writer, and loaded back by tsflow with the same
 * results (and the same effect on variables).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import * as tf from "../src/index.js";
import type { FunctionDef } from "../src/proto/tensorflow/core/framework/function_pb.js";
import type { NodeDef } from "../src/proto/tensorflow/core/framework/node_def_pb.js";
import { DataType } from "../src/proto/tensorflow/core/framework/types_pb.js";
import { SavedModelSchema } from "../src/proto/tensorflow/core/protobuf/saved_model_pb.js";

// biome-ignore lint/suspicious/noExplicitAny: a loaded SavedModel's attributes are known only at run time, as in Python
type Loaded = any;
const scalar = (t: unknown) => (t as tf.Tensor).dataSync()[0] as number;

/** The func attrs TensorFlow's control-flow ops take, and the type-list attr that matches the bodies' inputs. */
const FUNC_ATTRS: Record<string, { funcs: string[]; types: string; skip: number }> = {
  If: { funcs: ["then_branch", "else_branch"], types: "Tin", skip: 1 },
  StatelessIf: { funcs: ["then_branch", "else_branch"], types: "Tin", skip: 1 },
  While: { funcs: ["cond", "body"], types: "T", skip: 0 },
  StatelessWhile: { funcs: ["cond", "body"], types: "T", skip: 0 },
};

/** Checks every control-flow node of the library against the functions it names; returns the op types met. */
function checkControlFlow(library: Map<string, FunctionDef>): Set<string> {
  const seen = new Set<string>();
  const check = (n: NodeDef, where: string) => {
    const spec = FUNC_ATTRS[n.op];
    if (spec === undefined) return;
    seen.add(n.op);
    const types = n.attr[spec.types]?.value;
    assert.ok(types?.case === "list", `${where}: ${n.name} has ${spec.types}`);
    const dataInputs = n.input.filter((i) => !i.startsWith("^"));
    assert.equal(types.value.type.length, dataInputs.length - spec.skip, `${where}: ${n.name} ${spec.types} covers its inputs`);
    for (const attr of spec.funcs) {
      const f = n.attr[attr]?.value;
      assert.ok(f?.case === "func", `${where}: ${n.name} has func attr ${attr}`);
      const callee = library.get(f.value.name);
      assert.ok(callee, `${where}: ${n.name}'s ${attr} ${f.value.name} is in the library`);
      assert.deepEqual(
        callee.signature!.inputArg.map((a) => a.type),
        types.value.type,
        `${where}: ${n.name}'s ${attr} takes ${spec.types}`,
      );
      if (attr === "cond")
        assert.deepEqual(
          callee.signature!.outputArg.map((a) => a.type),
          [DataType.DT_BOOL],
        );
      if (attr === "body")
        assert.deepEqual(
          callee.signature!.outputArg.map((a) => a.type),
          types.value.type,
          `${where}: ${n.name}'s body keeps T`,
        );
      if (spec.types === "Tin") {
        const tout = n.attr.Tout?.value;
        assert.ok(tout?.case === "list");
        assert.deepEqual(
          callee.signature!.outputArg.map((a) => a.type),
          tout.value.type,
          `${where}: ${n.name}'s ${attr} gives Tout`,
        );
      }
      // A body's resource arguments are read or written only through the resource ops.
      const resources = new Set(callee.signature!.inputArg.filter((a) => a.type === DataType.DT_RESOURCE).map((a) => a.name));
      for (const m of callee.nodeDef) {
        for (const i of m.input) {
          if (resources.has(i)) assert.ok(/VariableOp$|^ReadVariableOp$|^(Stateless)?(If|While)$/.test(m.op), `${f.value.name}: ${m.op} takes a resource`);
        }
      }
    }
  };
  for (const f of library.values()) for (const n of f.nodeDef) check(n, `function ${f.signature!.name}`);
  return seen;
}

test("tf.cond and tf.whileLoop in saved tf.functions: If/While with library bodies, loaded back with the same results", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tsflow-savedmodel-cf-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // biome-ignore lint/suspicious/noExplicitAny: a module of attributes, as a Python tf.Module
  const obj: any = {};
  obj.w = new tf.Variable(2, { name: "w", dtype: "float32" });
  obj.count = new tf.Variable(0, { name: "count", dtype: "float32" });
  // A cond reading a variable in one branch (an If taking it as a resource) and a stateless one.
  obj.pick = tf.function(
    (x: tf.Tensor) =>
      tf.cond(
        tf.greater(x, 0),
        () => tf.mul(x, obj.w),
        () => tf.sub(x, 1),
      ),
    {
      inputSignature: [new tf.TensorSpec([], "float32", "x")],
    },
  );
  obj.plain = tf.function(
    (x: tf.Tensor) =>
      tf.cond(
        tf.less(x, 10),
        () => tf.square(x),
        () => tf.neg(x),
      ),
    {
      inputSignature: [new tf.TensorSpec([], "float32", "x")],
    },
  );
  // A loop whose body reads a variable and one whose body assigns one (a stateful While).
  obj.power = tf.function(
    (n: tf.Tensor) => {
      const [, acc] = tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, n),
        (i: tf.Tensor, acc: tf.Tensor) => [tf.add(i, 1), tf.add(tf.mul(acc, obj.w), 1)],
        [tf.constant(0, "int32"), tf.constant(0, "float32")],
      ) as tf.Tensor[];
      return acc;
    },
    { inputSignature: [new tf.TensorSpec([], "int32", "n")] },
  );
  obj.tick = tf.function(
    (n: tf.Tensor) => {
      const [i] = tf.whileLoop(
        (i: tf.Tensor) => tf.less(i, n),
        (i: tf.Tensor) => {
          obj.count.assignAdd(1);
          return [tf.add(i, 1)];
        },
        [tf.constant(0, "int32")],
      ) as tf.Tensor[];
      return i;
    },
    { inputSignature: [new tf.TensorSpec([], "int32", "n")] },
  );
  const expected = {
    pick: [scalar(obj.pick(tf.constant(3))), scalar(obj.pick(tf.constant(-2)))],
    plain: [scalar(obj.plain(tf.constant(3))), scalar(obj.plain(tf.constant(12)))],
    power: [scalar(obj.power(tf.constant(0, "int32"))), scalar(obj.power(tf.constant(4, "int32")))],
  };
  assert.deepEqual(expected, { pick: [6, -3], plain: [9, -12], power: [0, 15] });
  obj.tick(tf.constant(1, "int32")); // traced before saving; count is 1 when saved
  tf.savedModel.save(obj, dir);

  const model = fromBinary(SavedModelSchema, readFileSync(join(dir, "saved_model.pb")));
  const library = new Map(model.metaGraphs[0].graphDef!.library!.function.map((f) => [f.signature!.name, f]));
  const seen = checkControlFlow(library);
  assert.ok(seen.has("If") && seen.has("StatelessIf") && seen.has("While"), `control-flow ops written: ${[...seen].join(", ")}`);

  const loaded: Loaded = tf.savedModel.load(dir);
  assert.deepEqual([scalar(loaded.pick(tf.constant(3))), scalar(loaded.pick(tf.constant(-2)))], expected.pick);
  assert.deepEqual([scalar(loaded.plain(tf.constant(3))), scalar(loaded.plain(tf.constant(12)))], expected.plain);
  assert.deepEqual([scalar(loaded.power(tf.constant(0, "int32"))), scalar(loaded.power(tf.constant(4, "int32")))], expected.power);
  assert.equal(scalar(loaded.count.value()), 1);
  assert.equal(scalar(loaded.tick(tf.constant(5, "int32"))), 5);
  assert.equal(scalar(loaded.count.value()), 6, "the loaded loop body assigned the loaded variable once per iteration");
  // The loaded variable is the one the loaded loop reads.
  loaded.w.assign(3);
  assert.equal(scalar(loaded.power(tf.constant(2, "int32"))), 4);
});
