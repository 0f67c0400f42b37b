/**
 * What a new user tries first, copying TensorFlow tutorials (issue 8, item 7): keyword arguments
 * everywhere, tf.group(a, b, c), tf.assign, tf.enableEagerExecution, remote sessions, shape checks when
 * the graph is built, feeding a tensor, TF2's minimize(loss, var_list), and modules not implemented yet.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";

const inGraph = <T>(fn: (g: tf.Graph) => T): T => {
  const g = new tf.Graph();
  return g.asDefault(() => fn(g));
};
const isError = (cls: new (...a: never[]) => Error, pattern: RegExp) => (e: unknown) => e instanceof cls && pattern.test((e as Error).message);

describe("keyword arguments (API.md rule 2)", () => {
  it("new tf.Variable({ initialValue, name }) and optimizers constructed from an options object", () => {
    const v = new tf.Variable({ initialValue: 1, name: "w" });
    assert.equal(v.name, "w:0");
    assert.equal((v.value() as tf.EagerTensor).arraySync(), 1);
    const opt = new tf.train.GradientDescentOptimizer({ learningRate: 0.5 });
    opt.minimize(() => tf.square(v), [v]);
    assert.equal((v.value() as tf.EagerTensor).arraySync(), 0);
    const adam = new tf.train.AdamOptimizer({ learningRate: 0.1, beta1: 0.5 });
    assert.equal(adam.getName(), "Adam");
  });

  it("the first parameters may be named too: tf.matmul({ a, b })", () => {
    const r = tf.matmul({ a: [[1, 2]], b: [[3], [4]] });
    assert.deepEqual(r.arraySync(), [[11]]);
    assert.deepEqual(tf.matmul([[1, 2]], { b: [[1, 3]], transposeB: true }).arraySync(), [[7]]);
  });

  it("an unknown option key raises InvalidArgumentError naming the function, the key and the valid names", () => {
    assert.throws(
      () => tf.matmul([[1]], [[1]], { transpose_a: true } as never),
      isError(tf.errors.InvalidArgumentError, /matmul.*"transpose_a".*transposeA.*valid names: a, b, transposeA/),
    );
    assert.throws(() => tf.reduceSum([1, 2], { keep_dims: true } as never), isError(tf.errors.InvalidArgumentError, /reduce_sum.*"keep_dims".*keepdims/));
    assert.throws(
      () => tf.reduceSum([1, 2], { axes: 1 } as never),
      isError(
        tf.errors.InvalidArgumentError,
        /reduce_sum: got an unexpected argument "axes" \(did you mean "axis"\?\); valid names: inputTensor, axis, keepdims/,
      ),
    );
    assert.throws(
      () => new tf.train.GradientDescentOptimizer({ learningRate: 1, lr: 2 } as never),
      isError(tf.errors.InvalidArgumentError, /GradientDescentOptimizer.*"lr"/),
    );
  });

  it("a parameter given by position and by name, a missing one, or too many raise", () => {
    assert.throws(() => tf.add([1], [2], { x: [3] } as never), isError(tf.errors.InvalidArgumentError, /multiple values for argument "x"/));
    assert.throws(() => (tf.add as (...a: unknown[]) => unknown)([1]), isError(tf.errors.InvalidArgumentError, /missing required argument "y"/));
    assert.throws(
      () => (tf.add as (...a: unknown[]) => unknown)([1], [2], "n", 4),
      isError(tf.errors.InvalidArgumentError, /takes at most 3 positional arguments but 4 were given/),
    );
  });
});

describe("tutorial spellings", () => {
  it("tf.group(a, b, c) is variadic, as TensorFlow 1's tf.group(*inputs); a list works too", () => {
    inGraph(() => {
      const v = new tf.Variable([1, 2]);
      const a = v.assign([3, 4]) as tf.Tensor;
      const b = tf.identity(a);
      const g1 = tf.group(a, b, v, { name: "step" })!;
      assert.equal(g1.name, "step");
      assert.equal(g1.controlInputs.length, 3);
      assert.equal(tf.group([a, b])!.controlInputs.length, 2);
      assert.equal(tf.group()!.type, "NoOp");
    });
    assert.equal(tf.group(tf.constant(1)), null); // eagerly there is nothing to group
  });

  it("tf.assign / tf.assignAdd / tf.assignSub (also under tf.compat.v1), eagerly and in a graph", () => {
    const v = new tf.Variable([1, 2]);
    tf.assign(v, [5, 6]);
    tf.compat.v1.assignAdd(v, [1, 1]);
    tf.assignSub(v, { value: [2, 2] });
    assert.deepEqual((v.value() as tf.EagerTensor).arraySync(), [4, 5]);
    inGraph(() => {
      const w = new tf.Variable([1, 2]);
      const up = tf.compat.v1.assign(w, [7, 8], { name: "set" });
      const sess = new tf.Session();
      sess.run(w.initializer);
      sess.run(up);
      assert.deepEqual((sess.run(w) as tf.EagerTensor).arraySync(), [7, 8]);
    });
  });

  it("tf.enableEagerExecution() (TensorFlow 1.x's spelling) exists at the top level", () => {
    tf.compat.v1.disableEagerExecution();
    try {
      assert.equal(tf.executingEagerly(), false);
    } finally {
      tf.enableEagerExecution();
    }
    assert.equal(tf.executingEagerly(), true);
  });

  it('new tf.Session("grpc://...") raises UnimplementedError instead of running locally', () => {
    inGraph(() => {
      assert.throws(() => new tf.Session("grpc://localhost:2222"), isError(tf.errors.UnimplementedError, /remote sessions are not implemented yet/));
      assert.throws(() => new tf.Session({ target: "grpc://localhost:2222" }), tf.errors.UnimplementedError);
    });
  });

  it("assigning a value of the wrong static shape raises when the graph is built", () => {
    inGraph(() => {
      const v = new tf.Variable([1, 2, 3]);
      assert.throws(() => v.assign([1, 2]), isError(tf.errors.InvalidArgumentError, /Shapes \[3\] and \[2\] are incompatible/));
      assert.throws(() => tf.assign(v, [[1, 2, 3]]), isError(tf.errors.InvalidArgumentError, /Shapes \[3\] and \[1,3\] are incompatible/));
      assert.throws(() => v.assignAdd([1, 2]), /incompatible/);
      const p = tf.placeholder("float32", [null]);
      assert.ok(v.assign(p)); // an unknown dimension is compatible
    });
  });

  it("feeding a graph tensor says that a feed value cannot be a tensor", () => {
    inGraph(() => {
      const x = tf.placeholder("float32", [2]);
      const c = tf.constant([1, 2]);
      const sess = new tf.Session();
      assert.throws(
        () => sess.run(tf.add(x, 1), new Map([[x, c as never]])),
        isError(tf.errors.InvalidArgumentError, /The value of a feed cannot be a tf.Tensor object/),
      );
    });
  });

  it("eager optimizer.minimize(fn, [v]) takes the list as TensorFlow 2's var_list", () => {
    const v = new tf.Variable(3.0);
    const u = new tf.Variable(5.0);
    new tf.train.GradientDescentOptimizer(0.25).minimize(() => tf.add(tf.square(v), tf.square(u)), [v]);
    assert.equal((v.value() as tf.EagerTensor).arraySync(), 1.5);
    assert.equal((u.value() as tf.EagerTensor).arraySync(), 5);
  });
});

describe("modules not implemented yet", () => {
  it("touching tf.estimator, tf.sparse, tf.Module, tf.train.Coordinator raises UnimplementedError naming the member", () => {
    assert.throws(
      () => new tf.estimator.DNNClassifier(10),
      isError(tf.errors.UnimplementedError, /^tf.estimator is not implemented yet in tsflow: new tf.estimator.DNNClassifier\(\) was called/),
    );
    assert.throws(
      () => tf.sparse.SparseTensor.fromDense([1, 2]),
      isError(tf.errors.UnimplementedError, /tf.sparse is not implemented yet in tsflow: tf.sparse.SparseTensor.fromDense\(\)/),
    );
    assert.throws(() => new tf.Module(), isError(tf.errors.UnimplementedError, /tf.Module is not implemented yet/));
    assert.throws(() => new tf.train.Coordinator(), isError(tf.errors.UnimplementedError, /tf.train.Coordinator is not implemented yet/));
    assert.throws(() => new tf.compat.v1.train.Coordinator(), tf.errors.UnimplementedError);
    assert.throws(() => `${tf.lookup.StaticHashTable}`, isError(tf.errors.UnimplementedError, /tf.lookup.StaticHashTable was used as a value/));
  });

  it("introspection of the tf namespace keeps working", async () => {
    assert.ok(Object.keys(tf).includes("estimator"));
    assert.match((await import("node:util")).inspect(tf.estimator), /tf.estimator/);
    assert.equal(await Promise.resolve(tf.estimator), tf.estimator); // not a thenable
  });
});
