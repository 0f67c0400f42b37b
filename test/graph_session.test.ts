import assert from "node:assert/strict";
import { describe, forEachDevice, it } from "./util/devices.js";
import * as tf from "../src/index.js";

/** Builds in a fresh graph and returns fn's result; every test gets its own graph. */
function inGraph<T>(fn: (g: tf.Graph) => T): T {
  const g = new tf.Graph();
  return g.asDefault(() => fn(g));
}
const val = (t: unknown) => (t as tf.EagerTensor).arraySync();

forEachDevice(() => {
  describe("graph building", () => {
    it("names ops and tensors as TensorFlow does", () => {
      inGraph(() => {
        const a = tf.constant(1.0);
        const b = tf.constant(2.0, { name: "b" });
        const c = tf.constant(3.0);
        assert.deepEqual([a.name, b.name, c.name], ["Const:0", "b:0", "Const_1:0"]);
        const s = tf.add(a, b);
        assert.equal(s.name, "Add:0");
        assert.equal(tf.add(s, c).name, "Add_1:0");
        assert.equal((s as tf.SymbolicTensor).op.type, "AddV2");
        assert.equal(tf.constant(5, { name: "b" }).name, "b_1:0");
        assert.equal(tf.multiply(a, b, "prod").name, "prod:0");
        assert.equal(tf.multiply(a, b, { name: "prod" }).name, "prod_1:0");
      });
    });

    it('prints symbolic tensors as Tensor("Add:0", shape=[], dtype=int32)', () => {
      inGraph(() => {
        const t = tf.add(tf.constant(3, { dtype: "int32" }), tf.constant(5, { dtype: "int32" }));
        assert.equal(t.toString(), 'Tensor("Add:0", shape=[], dtype=int32)');
        const x = tf.placeholder("float32", [null, 784], { name: "x" });
        assert.equal(x.toString(), 'Tensor("x:0", shape=[?, 784], dtype=float32)');
      });
    });

    it("name scopes prefix names and are made unique", () => {
      inGraph((g) => {
        const x = tf.constant(1.0);
        const m1 = tf.nameScope("layer1", () => tf.multiply(x, 2));
        const m2 = tf.nameScope("layer1", () => tf.nameScope("inner", () => tf.multiply(x, 2)));
        assert.equal(m1.name, "layer1/Mul:0");
        assert.equal(m2.name, "layer1_1/inner/Mul:0");
        assert.equal((m1 as tf.SymbolicTensor).op.inputs[1].name, "layer1/Mul/y:0");
        assert.equal(g.getOperationByName("layer1/Mul").name, "layer1/Mul");
        assert.equal(g.getTensorByName("layer1_1/inner/Mul:0"), m2);
      });
    });

    it("records control dependencies", () => {
      inGraph(() => {
        const a = tf.constant(1.0);
        const b = tf.constant(2.0);
        const c = tf.controlDependencies([a, b], () => tf.add(a, 1));
        const op = (c as tf.SymbolicTensor).op;
        assert.deepEqual(
          op.controlInputs.map((o) => o.name),
          ["Const", "Const_1"],
        );
      });
    });

    it("keeps collections", () => {
      inGraph((g) => {
        const v = new tf.Variable(1.0, { name: "v" });
        const w = new tf.Variable(2.0, { name: "w", trainable: false });
        assert.deepEqual(
          tf.globalVariables().map((x) => x.name),
          ["v:0", "w:0"],
        );
        assert.deepEqual(
          tf.trainableVariables().map((x) => x.name),
          ["v:0"],
        );
        assert.deepEqual(g.getCollection(tf.GraphKeys.TRAINABLE_VARIABLES), [v]);
        tf.addToCollection("losses", w);
        assert.deepEqual(tf.getCollection("losses"), [w]);
        assert.deepEqual(tf.getCollection(tf.GraphKeys.GLOBAL_VARIABLES, "w"), [w]);
      });
    });

    it("refuses new ops in a finalized graph", () => {
      inGraph((g) => {
        tf.constant(1);
        g.finalize();
        assert.throws(
          () => tf.constant(2),
          (e: Error) => e instanceof tf.errors.FailedPreconditionError && /finalized/.test(e.message),
        );
      });
    });

    it("infers static shapes with unknown dimensions, and setShape refines them", () => {
      inGraph(() => {
        const x = tf.placeholder("float32", [null, 3]);
        const w = tf.zeros([3, 4]);
        const y = tf.matmul(x, w);
        assert.deepEqual(y.shape, [null, 4]);
        assert.deepEqual(tf.reduceSum(y, 1).shape, [null]);
        assert.deepEqual(tf.reshape(x, [-1]).shape, [null]);
        const u = tf.placeholder("float32");
        assert.equal(u.shape, null);
        (x as tf.SymbolicTensor).setShape([8, 3]);
        assert.deepEqual(x.shape, [8, 3]);
        assert.throws(() => (x as tf.SymbolicTensor).setShape([8, 4]), tf.errors.InvalidArgumentError);
      });
    });

    it("tf.shape gives the dynamic shape at run time", () => {
      inGraph(() => {
        const x = tf.placeholder("float32", [null, 2]);
        const s = tf.shape(x);
        const sess = new tf.Session();
        assert.deepEqual(
          val(
            sess.run(
              s,
              new Map([
                [
                  x,
                  [
                    [1, 2],
                    [3, 4],
                    [5, 6],
                  ],
                ],
              ]),
            ),
          ),
          [3, 2],
        );
      });
    });

    it("resetDefaultGraph starts a new default graph", () => {
      tf.compat.v1.disableEagerExecution();
      try {
        const g1 = tf.getDefaultGraph();
        tf.constant(1);
        tf.resetDefaultGraph();
        const g2 = tf.getDefaultGraph();
        assert.notEqual(g1, g2);
        assert.equal(tf.constant(1).name, "Const:0");
        assert.equal(tf.executingEagerly(), false);
      } finally {
        tf.compat.v1.enableEagerExecution();
      }
      assert.equal(tf.executingEagerly(), true);
    });
  });

  describe("sessions", () => {
    it("runs the seed tutorial's graph: [pow_op, useless] gives [15625, 10]", () => {
      inGraph(() => {
        const x = 2;
        const y = 3;
        const addOp = tf.add(x, y);
        const mulOp = tf.mul(x, y);
        const useless = tf.mul(x, addOp);
        const powOp = tf.pow(addOp, mulOp);
        using sess = new tf.Session();
        const [z, notUseless] = sess.run([powOp, useless]) as tf.EagerTensor[];
        assert.equal(z.arraySync(), 15625);
        assert.equal(notUseless.arraySync(), 10);
      });
    });

    it("runs only the subgraph the fetches need", () => {
      inGraph(() => {
        const x = tf.constant(4.0);
        const needed = tf.sqrt(x);
        // This node fails whenever it runs: fetching `needed` must not run it.
        const poison = tf.debugging.checkNumerics(tf.log(tf.constant(-1.0)), "must not run");
        const sess = new tf.Session();
        const meta = new tf.RunMetadata();
        assert.equal(val(sess.run(needed, undefined, { traceLevel: 3 }, meta)), 2);
        // Host entries per device (a GPU's kernel times are a "/stream:all" entry of their own).
        const ran = meta.stepStats!.devStats.filter((d) => !d.device.includes("/stream:")).flatMap((d) => d.nodeStats.map((n) => n.nodeName));
        assert.deepEqual(ran.sort(), ["Const", "Sqrt"]);
        assert.throws(() => sess.run(poison), /must not run/);
      });
    });

    it("returns nested fetch structures with null for operations", () => {
      inGraph(() => {
        const a = tf.constant(1.0, { name: "a" });
        const b = tf.add(a, 1, { name: "b" });
        const noop = tf.noOp();
        const sess = new tf.Session();
        const out = sess.run({ first: a, rest: [b, noop, "b:0", { deep: "a:0" }] }) as {
          first: tf.EagerTensor;
          rest: [tf.EagerTensor, null, tf.EagerTensor, { deep: tf.EagerTensor }];
        };
        assert.equal(out.first.arraySync(), 1);
        assert.equal(out.rest[0].arraySync(), 2);
        assert.equal(out.rest[1], null);
        assert.equal(out.rest[2].arraySync(), 2);
        assert.equal(out.rest[3].deep.arraySync(), 1);
        assert.equal(sess.run("b"), null);
      });
    });

    it("accepts feeds as a Map keyed by tensors or names, or an object keyed by names", () => {
      const five = tf.constant([[5]]);
      inGraph(() => {
        const x = tf.placeholder("float32", [null, 1], { name: "x" });
        const y = tf.placeholder("int32", [], { name: "y" });
        const z = tf.multiply(x, tf.cast(y, "float32"));
        const sess = new tf.Session();
        assert.deepEqual(
          val(
            sess.run(
              z,
              new Map<tf.Tensor | string, number[][] | number>([
                [x, [[1], [2]]],
                ["y:0", 3],
              ]),
            ),
          ),
          [[3], [6]],
        );
        assert.deepEqual(val(sess.run(z, { "x:0": [[1]], y: 4 })), [[4]]);
        // A flat typed array takes the placeholder's shape, solving its unknown dimension.
        assert.deepEqual(val(sess.run(z, { x: new Float32Array([1, 2, 3]), y: 2 })), [[2], [4], [6]]);
        // A concrete tensor can be fed too.
        assert.deepEqual(val(sess.run(z, { x: five as tf.EagerTensor, y: 1 })), [[5]]);
      });
    });

    it("can feed any tensor, not only placeholders", () => {
      inGraph(() => {
        const a = tf.constant(2.0);
        const b = tf.multiply(a, 10);
        const sess = new tf.Session();
        assert.equal(val(sess.run(b, new Map([[a, 7]]))), 70);
      });
    });

    it("InteractiveSession makes tensor.eval() and op.run() work", () => {
      inGraph(() => {
        const v = new tf.Variable(3.0, { name: "v" });
        const twice = tf.multiply(v, 2);
        const sess = new tf.InteractiveSession();
        v.initializer.run();
        assert.equal(val((twice as tf.SymbolicTensor).eval()), 6);
        sess.close();
        assert.throws(() => (twice as tf.SymbolicTensor).eval(), /No default session/);
      });
    });

    it("asDefault makes a session the default for eval()", () => {
      inGraph(() => {
        const c = tf.constant(7.0) as tf.SymbolicTensor;
        const sess = new tf.Session();
        assert.equal(
          sess.asDefault(() => val(c.eval())),
          7,
        );
        assert.equal(val(c.eval(undefined, sess)), 7);
      });
    });

    it("keeps separate variable values in two sessions on one graph", () => {
      inGraph(() => {
        const v = new tf.Variable(0.0, { name: "counter" });
        const inc = v.assignAdd(1);
        const s1 = new tf.Session();
        const s2 = new tf.Session();
        s1.run(tf.globalVariablesInitializer());
        s2.run(v.initializer);
        s1.run(inc);
        s1.run(inc);
        s2.run(inc);
        assert.equal(val(s1.run(v)), 2);
        assert.equal(val(s2.run(v)), 1);
      });
    });

    it("close() makes the session unusable; `using` closes it", () => {
      inGraph(() => {
        const c = tf.constant(1);
        let outer: tf.Session;
        {
          using sess = new tf.Session();
          outer = sess;
          sess.run(c);
        }
        assert.equal(outer.closed, true);
        assert.throws(() => outer.run(c), tf.errors.FailedPreconditionError);
      });
    });

    it("takes the graph and config by name or by position", () => {
      const g = new tf.Graph();
      const c = g.asDefault(() => tf.constant(3.0));
      assert.equal(val(new tf.Session({ graph: g }).run(c)), 3);
      assert.equal(val(new tf.Session("", g, {}).run(c)), 3);
    });

    it("describes its execution plan", () => {
      inGraph(() => {
        const x = tf.placeholder("float32", [], { name: "x" });
        const y = tf.square(x, "y");
        const plan = new tf.Session().describePlan(y, [x]);
        assert.match(plan, /y \(Square\) on \/job:localhost\/replica:0\/task:0\/device:(CPU|GPU):0/);
        assert.doesNotMatch(plan, /Placeholder/);
      });
    });
  });

  describe("variables and placeholders", () => {
    it("creates TensorFlow 1 variable nodes: W, W/Assign, W/read", () => {
      inGraph((g) => {
        const w = new tf.Variable([[1, 2]], { name: "W" });
        assert.equal(w.name, "W:0");
        assert.equal(w.initializer.name, "W/Assign");
        assert.equal((w.value() as tf.SymbolicTensor).name, "W/read:0");
        assert.equal(g.getOperationByName("W").type, "VariableV2");
        assert.equal(g.getOperationByName("W/initial_value").type, "Const");
        assert.deepEqual(w.shape, [1, 2]);
        assert.equal(new tf.Variable(1, { name: "W" }).name, "W_1:0");
        assert.equal(new tf.Variable(1).name, "Variable:0");
      });
    });

    it("assign, assignAdd and assignSub update the session's value", () => {
      inGraph(() => {
        const v = new tf.Variable([1, 2], { name: "v" });
        const sess = new tf.Session();
        sess.run(tf.variablesInitializer([v]));
        assert.deepEqual(val(sess.run(v.assign([5, 6]))), [5, 6]);
        assert.deepEqual(val(sess.run(v.assignAdd([1, 1]))), [6, 7]);
        assert.deepEqual(val(sess.run(v.assignSub([2, 2]))), [4, 5]);
        assert.deepEqual(val(sess.run(v)), [4, 5]);
      });
    });

    it("refuses to read an uninitialized variable", () => {
      inGraph(() => {
        const w = new tf.Variable(1.0, { name: "W" });
        const y = tf.multiply(w, 2);
        assert.throws(
          () => new tf.Session().run(y),
          (e: Error) => e instanceof tf.errors.FailedPreconditionError && e.message.includes("Attempting to use uninitialized value W"),
        );
      });
    });

    it("a failed run leaves every variable as it was", () => {
      inGraph(() => {
        const v = new tf.Variable(10.0, { name: "v" });
        const x = tf.placeholder("float32", [], { name: "x" });
        const update = v.assign(x);
        const checked = tf.controlDependencies([update], () => tf.debugging.checkNumerics(tf.log(x), "bad x"));
        const sess = new tf.Session();
        sess.run(v.initializer);
        assert.throws(() => sess.run([update, checked], { x: -1 }), /bad x/);
        assert.equal(val(sess.run(v)), 10);
        sess.run([update, checked], { x: 3 });
        assert.equal(val(sess.run(v)), 3);
      });
    });

    it("a placeholder left unfed names itself, its dtype and shape", () => {
      inGraph(() => {
        const x = tf.placeholder("float32", [null, 1], { name: "x" });
        const y = tf.multiply(x, 2);
        assert.throws(
          () => new tf.Session().run(y),
          (e: Error) =>
            e instanceof tf.errors.InvalidArgumentError &&
            e.message.includes("You must feed a value for placeholder tensor 'x' with dtype float and shape [?,1]"),
        );
      });
    });

    it("rejects a fed value of the wrong shape or dtype", () => {
      const intTensor = tf.constant([[1]], { dtype: "int32" }) as tf.EagerTensor;
      inGraph(() => {
        const x = tf.placeholder("float32", [null, 1], { name: "x" });
        const i = tf.placeholder("int32", [2], { name: "i" });
        const sess = new tf.Session();
        assert.throws(() => sess.run(x, { x: [[1, 2]] }), /Cannot feed value of shape \[1,2\] for Tensor 'x:0', which has shape \[\?,1\]/);
        assert.throws(() => sess.run(i, { i: [1.5, 2] }), /non-integer values for Tensor 'i:0'/);
        assert.throws(() => sess.run(x, { x: intTensor }), /dtype int32 for Tensor 'x:0', which has dtype float32/);
        assert.throws(() => sess.run(x, { x: [["a"]] as never }), tf.errors.InvalidArgumentError);
      });
    });

    it("placeholderWithDefault uses its input unless fed", () => {
      inGraph(() => {
        const p = tf.placeholderWithDefault(tf.constant([1.0, 2.0]), [null]);
        const y = tf.multiply(p, 10);
        const sess = new tf.Session();
        assert.deepEqual(val(sess.run(y)), [10, 20]);
        assert.deepEqual(val(sess.run(y, new Map([[p, [3]]]))), [30]);
      });
    });

    it("placeholders refuse eager mode", () => {
      assert.throws(() => tf.placeholder("float32", [1]), /not compatible with eager execution/);
    });

    it("rejects fetches from another graph and unknown names", () => {
      const g1 = new tf.Graph();
      const c1 = g1.asDefault(() => tf.constant(1.0));
      inGraph(() => {
        const sess = new tf.Session();
        assert.throws(
          () => sess.run(c1),
          (e: Error) => e instanceof tf.errors.InvalidArgumentError && /not an element of this graph/.test(e.message),
        );
        assert.throws(() => sess.run("missing:0"), tf.errors.NotFoundError);
        assert.throws(() => sess.run("missing"), tf.errors.NotFoundError);
        assert.throws(() => tf.add(c1, 1), /same graph/);
      });
    });
  });

  describe("getVariable and variableScope", () => {
    it("shares variables with reuse, and errors as TensorFlow does otherwise", () => {
      inGraph(() => {
        const v = tf.variableScope("rnn", () => tf.getVariable("w", [2, 3]));
        assert.equal(v.name, "rnn/w:0");
        assert.throws(
          () => tf.variableScope("rnn", () => tf.getVariable("w", [2, 3])),
          (e: Error) => e.message.includes("Variable rnn/w already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"),
        );
        const same = tf.variableScope("rnn", { reuse: true }, () => tf.getVariable("w"));
        assert.equal(same, v);
        assert.throws(() => tf.variableScope("rnn", { reuse: true }, () => tf.getVariable("missing", [1])), /Variable rnn\/missing does not exist/);
        const auto1 = tf.variableScope("auto", { reuse: tf.AUTO_REUSE }, () => tf.getVariable("x", [1]));
        const auto2 = tf.variableScope("auto", { reuse: tf.AUTO_REUSE }, () => tf.getVariable("x", [1]));
        assert.equal(auto1, auto2);
        const reused = tf.variableScope("rnn", (scope) => {
          scope.reuseVariables();
          return tf.getVariable("w");
        });
        assert.equal(reused, v);
      });
    });

    it("opens a name scope for ops but names variables from the variable scope", () => {
      inGraph(() => {
        const [a, m] = tf.variableScope("layer", () => {
          const w = tf.getVariable("w", [1], { initializer: tf.onesInitializer() });
          return [w, tf.multiply(w, 2)] as const;
        });
        const m2 = tf.variableScope("layer", { reuse: true }, () => tf.multiply(tf.getVariable("w"), 2));
        assert.equal(a.name, "layer/w:0");
        assert.equal(m.name, "layer/Mul:0");
        assert.equal(m2.name, "layer_1/Mul:0");
        const sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        assert.deepEqual(val(sess.run(m2)), [2]);
      });
    });

    it("initializes with Glorot uniform by default, within its limit", () => {
      inGraph(() => {
        const w = tf.getVariable("w", [20, 30]);
        const sess = new tf.Session();
        sess.run(w.initializer);
        const values = Array.from((sess.run(w) as tf.EagerTensor).dataSync() as Float32Array);
        const limit = Math.sqrt(6 / 50);
        assert.ok(values.every((x) => Math.abs(x) <= limit));
        assert.ok(Math.max(...values) > limit * 0.8);
      });
    });
  });

  describe("devices", () => {
    it("records requested devices and places ops on the CPU", () => {
      inGraph(() => {
        const a = tf.device("/cpu:0", () => tf.constant([1.0, 2.0], { name: "a" }));
        assert.equal((a as tf.SymbolicTensor).op.device, "/device:CPU:0");
        const b = tf.device("/job:localhost/replica:0/task:0/device:CPU:0", () => tf.add(a, 1));
        assert.equal((b as tf.SymbolicTensor).op.device, "/job:localhost/replica:0/task:0/device:CPU:0");
        const lines: string[] = [];
        const log = console.log;
        console.log = (s: string) => lines.push(s);
        try {
          new tf.Session({ config: { logDevicePlacement: true } }).run(b);
        } finally {
          console.log = log;
        }
        assert.ok(lines.includes("Add: (AddV2): /job:localhost/replica:0/task:0/device:CPU:0"), lines.join("\n"));
        assert.equal((b as tf.SymbolicTensor).op.assignedDevice, "/job:localhost/replica:0/task:0/device:CPU:0");
      });
    });

    it("a missing GPU is an error without soft placement, and the CPU with it", () => {
      inGraph(() => {
        const c = tf.device("/gpu:2", () => tf.matmul(tf.constant([[1.0, 2.0]], { name: "a" }), tf.constant([[3.0], [4.0]], { name: "b" })));
        assert.throws(
          () => new tf.Session().run(c),
          (e: Error) =>
            e instanceof tf.errors.InvalidArgumentError && e.message.includes("Cannot assign a device for operation") && e.message.includes("/device:GPU:2"),
        );
        assert.deepEqual(val(new tf.Session({ config: { allowSoftPlacement: true } }).run(c)), [[11]]);
      });
    });

    it("rejects malformed device names", () => {
      inGraph(() => {
        assert.throws(() => tf.device("/gpu:x", () => tf.constant(1)), tf.errors.InvalidArgumentError);
      });
    });
  });
});
