import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { checkGradient } from "./util/gradcheck.js";
import { gpuOnly } from "./util/gpu.js";

/**
 * tf.cond and tf.whileLoop through the public API: eagerly (JavaScript control flow, taped), and in graphs
 * (If/While nodes with function bodies run by the Session), values and gradients against float64 finite
 * differences (checkGradient runs each function eagerly with a tape and in a graph with tf.gradients).
 */

type T = tf.Tensor;
const val = (t: unknown) => (t as tf.EagerTensor).arraySync();

function inGraph<R>(fn: (g: tf.Graph) => R): R {
  const g = new tf.Graph();
  return g.asDefault(() => fn(g));
}

/** Runs fetches in a fresh session of the default graph. */
function run(fetches: unknown, feeds?: Record<string, unknown>): unknown {
  using sess = new tf.Session();
  sess.run(tf.globalVariablesInitializer());
  return sess.run(fetches as tf.Tensor, feeds as never);
}

describe("tf.cond", () => {
  it("eagerly calls one branch (tensor or JS boolean predicate)", () => {
    assert.equal(
      val(
        tf.cond(
          tf.constant(true),
          () => tf.constant(1),
          () => tf.constant(2),
        ),
      ),
      1,
    );
    assert.equal(
      val(
        tf.cond(
          false,
          () => tf.constant(1),
          () => tf.constant(2),
        ),
      ),
      2,
    );
    let called = 0;
    tf.cond(
      tf.less(3, 2),
      () => {
        called++;
        return 0;
      },
      () => 1,
    );
    assert.equal(called, 0);
  });

  it("in a graph builds one If node whose branches are function bodies, and runs the branch the predicate selects", () => {
    inGraph((g) => {
      const x = tf.placeholder("float32", [null], { name: "x" });
      const p = tf.placeholder("bool", [], { name: "p" });
      const out = tf.cond(
        p,
        () => ({ a: tf.multiply(x, 2), b: [tf.reduceSum(x)] }),
        () => ({ a: tf.square(x), b: [tf.constant(-1)] }),
        { name: "choose" },
      ) as { a: T; b: T[] };
      const ifs = g.getOperations().filter((o) => o.type === "StatelessIf");
      assert.equal(ifs.length, 1);
      assert.equal(ifs[0].name, "choose");
      assert.deepEqual(out.a.shape, [null]);
      const [a1, b1] = run([out.a, out.b[0]], { "x:0": [1, 2, 3], "p:0": true }) as T[];
      assert.deepEqual(val(a1), [2, 4, 6]);
      assert.equal(val(b1), 6);
      const [a2, b2] = run([out.a, out.b[0]], { "x:0": [1, 2, 3], "p:0": false }) as T[];
      assert.deepEqual(val(a2), [1, 4, 9]);
      assert.equal(val(b2), -1);
    });
  });

  it("merges the branches' static shapes", () => {
    inGraph(() => {
      const p = tf.placeholder("bool", []);
      const y = tf.cond(
        p,
        () => tf.zeros([2, 3]),
        () => tf.ones([2, 4]),
      ) as T;
      assert.deepEqual(y.shape, [2, null]);
    });
  });

  it("gradients through both branches (tape eagerly, tf.gradients in a graph)", () => {
    for (const sign of [1, -1]) {
      checkGradient(
        (x, y) =>
          tf.cond(
            tf.greater(tf.reduceSum(x), 0),
            () => tf.multiply(tf.sin(x), y),
            () => tf.add(tf.square(x), tf.exp(y)),
          ) as T,
        [
          [0.5 * sign, 0.3 * sign],
          [0.7, -0.2],
        ],
      );
    }
  });

  it("raises tf.errors for a non-scalar or non-bool predicate and branches that do not match", () => {
    assert.throws(
      () =>
        tf.cond(
          tf.constant([true, false]),
          () => 1,
          () => 2,
        ),
      tf.errors.InvalidArgumentError,
    );
    inGraph(() => {
      assert.throws(
        () =>
          tf.cond(
            tf.placeholder("bool", [2]),
            () => 1,
            () => 2,
          ),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /scalar bool/.test(e.message),
      );
      assert.throws(
        () =>
          tf.cond(
            tf.placeholder("float32", []),
            () => 1,
            () => 2,
          ),
        /scalar bool/,
      );
      const p = tf.placeholder("bool", []);
      assert.throws(
        () =>
          tf.cond(
            p,
            () => [tf.constant(1)],
            () => tf.constant(2),
          ),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /same number, type, and overall structure/.test(e.message),
      );
      assert.throws(
        () =>
          tf.cond(
            p,
            () => tf.constant(1, { dtype: "int32" }),
            () => tf.constant(2),
          ),
        /have different types/,
      );
    });
  });

  it("tf.compat.v1.cond takes TensorFlow 1's arguments", () => {
    assert.equal(
      val(
        tf.compat.v1.cond(
          true,
          () => tf.constant(3),
          () => tf.constant(4),
          { strict: true },
        ),
      ),
      3,
    );
  });
});

describe("tf.whileLoop", () => {
  it("eagerly loops in JavaScript, over nested loop variables", () => {
    const [i, acc] = tf.whileLoop(
      (i: T) => tf.less(i, 4),
      (i: T, acc: { s: T; p: T }) => [tf.add(i, 1), { s: tf.add(acc.s, i), p: tf.multiply(acc.p, 2) }],
      [tf.constant(0), { s: tf.constant(0), p: tf.constant(1) }],
    ) as [T, { s: T; p: T }];
    assert.equal(val(i), 4);
    assert.equal(val(acc.s), 6);
    assert.equal(val(acc.p), 16);
    const single = tf.whileLoop(
      (x: T) => tf.less(x, 100),
      (x: T) => tf.multiply(x, 3),
      [tf.constant(1)],
    ) as T[];
    assert.equal(val(single[0]), 243);
    const capped = tf.whileLoop(
      () => true,
      (x: T) => [tf.add(x, 1)],
      [tf.constant(0)],
      { maximumIterations: 7 },
    ) as T[];
    assert.equal(val(capped[0]), 7);
  });

  it("in a graph builds one While node; the Session runs the compiled body per iteration", () => {
    inGraph((g) => {
      const n = tf.placeholder("float32", [], { name: "n" });
      const out = tf.whileLoop(
        (i: T) => tf.less(i, n),
        (i: T, acc: { s: T; p: T }) => [tf.add(i, 1), { s: tf.add(acc.s, i), p: tf.multiply(acc.p, 2) }],
        [tf.constant(0), { s: tf.constant(0), p: tf.constant(1) }],
      ) as [T, { s: T; p: T }];
      assert.equal(g.getOperations().filter((o) => o.type === "StatelessWhile").length, 1);
      using sess = new tf.Session();
      for (const [k, s, p] of [
        [4, 6, 16],
        [0, 0, 1],
        [6, 15, 64],
      ]) {
        const [i, sv, pv] = sess.run([out[0], out[1].s, out[1].p], { "n:0": k }) as T[];
        assert.deepEqual([val(i), val(sv), val(pv)], [k, s, p]);
      }
    });
  });

  it("honours maximumIterations in a graph, and tf.compat.v1.whileLoop returns a single variable bare", () => {
    inGraph(() => {
      const r = tf.whileLoop(
        () => true,
        (x: T) => [tf.add(x, 2)],
        [tf.constant(1)],
        { maximumIterations: 5 },
      ) as T[];
      assert.equal(val(run(r[0])), 11);
      const x = tf.placeholder("float32", []);
      const stopped = tf.whileLoop(
        (i: T) => tf.less(i, 3),
        (i: T, y: T) => [tf.add(i, 1), tf.multiply(y, x)],
        [tf.constant(0), x],
        { backProp: false },
      ) as T[];
      assert.deepEqual(tf.gradients(stopped[1], x), [null]);
      const bare = tf.compat.v1.whileLoop(
        (x: T) => tf.less(x, 10),
        (x: T) => [tf.add(x, 4)],
        [tf.constant(1)],
      ) as T;
      assert.ok(bare instanceof tf.Tensor);
      assert.equal(val(run(bare)), 13);
    });
  });

  it("checks shapes: a loop variable may change shape only under a shape invariant", () => {
    inGraph(() => {
      assert.throws(
        () =>
          tf.whileLoop(
            (x: T) => tf.less(tf.size(x), 5),
            (x: T) => [tf.concat([x, x], 0)],
            [tf.constant([1])],
          ),
        (e: Error) =>
          e instanceof tf.errors.InvalidArgumentError && /enters the loop with shape \(1,\), but has shape \(2,\) after one iteration/.test(e.message),
      );
      const [x] = tf.whileLoop(
        (x: T) => tf.less(tf.size(x), 5),
        (x: T) => [tf.concat([x, x], 0)],
        [tf.constant([1])],
        {
          shapeInvariants: [[null]],
        },
      ) as T[];
      assert.deepEqual(x.shape, [null]);
      assert.deepEqual(val(run(x)), [1, 1, 1, 1, 1, 1, 1, 1]);
      assert.throws(
        () =>
          tf.whileLoop(
            (x: T) => tf.less(x, 5),
            (x: T) => [tf.cast(x, "int32")],
            [tf.constant(1)],
          ),
        /enters the loop with type float32, but has type int32 after 1 iteration/,
      );
      assert.throws(
        () =>
          tf.whileLoop(
            (x: T) => tf.less(x, 5),
            (x: T) => [x, x],
            [tf.constant(1)],
          ),
        /same nested structure/,
      );
      assert.throws(
        () =>
          tf.whileLoop(
            (x: T) => x,
            (x: T) => [x],
            [tf.constant(1)],
          ),
        /scalar bool/,
      );
    });
    assert.throws(
      () =>
        tf.whileLoop(
          (x: T) => tf.less(x, 5),
          (x: T) => [x, x],
          [tf.constant(1)],
        ),
      tf.errors.InvalidArgumentError,
    );
  });

  it("gradients through the loop (tape eagerly, tf.gradients in a graph)", () => {
    checkGradient(
      (x, y) => {
        const [, a, b] = tf.whileLoop(
          (i: T) => tf.less(i, 3),
          (i: T, a: T, b: T) => [tf.add(i, 1), tf.add(tf.multiply(a, y), tf.sin(b)), tf.multiply(b, 0.9)],
          [tf.constant(0), x, tf.reduceSum(y)],
        ) as T[];
        return tf.add(a, b);
      },
      [
        [0.5, -0.4],
        [0.8, 1.1],
      ],
    );
  });

  it("the gradient uses the forward pass's loop states (a random body is differentiated at the values it drew)", () => {
    inGraph(() => {
      const x = tf.placeholder("float32", [3]);
      const [, a] = tf.whileLoop(
        (i: T) => tf.less(i, 3),
        (i: T, a: T) => [tf.add(i, 1), tf.multiply(a, tf.randomUniform([3], 1, 2))],
        [tf.constant(0), x],
      ) as T[];
      const [dx] = tf.gradients(a, x);
      using sess = new tf.Session();
      const [av, dv] = sess.run([a, dx as T], { [x.name]: [1, 1, 1] }) as T[];
      // a = x * u1 * u2 * u3, so da/dx = a / x = a (up to the order of the float32 products).
      const d = val(dv) as number[];
      (val(av) as number[]).forEach((v, j) => assert.ok(Math.abs(d[j] - v) < 1e-6 * v, `${d} vs ${val(av)}`));
    });
  });

  it("gradients honour maximumIterations", () => {
    checkGradient(
      (x) =>
        (
          tf.whileLoop(
            () => true,
            (a: T) => [tf.multiply(tf.sin(a), 1.5)],
            [x],
            { maximumIterations: 4 },
          ) as T[]
        )[0],
      [[0.3, 1.2, -0.7]],
    );
  });

  it("gradients of a cond nested in the loop body", () => {
    checkGradient(
      (x) => {
        const [, a] = tf.whileLoop(
          (i: T) => tf.less(i, 4),
          (i: T, a: T) => [
            tf.add(i, 1),
            tf.cond(
              tf.greater(tf.reduceSum(a), 0),
              () => tf.subtract(tf.multiply(a, 0.5), 0.4),
              () => tf.add(tf.square(a), 0.3),
            ),
          ],
          [tf.constant(0), x],
        ) as T[];
        return a;
      },
      [[0.9, 0.2]],
    );
  });

  it("gradients of a loop nested in a loop body, and of a cond nested in a branch", () => {
    checkGradient(
      (x) => {
        const [, a] = tf.whileLoop(
          (i: T) => tf.less(i, 2),
          (i: T, a: T) => [
            tf.add(i, 1),
            (
              tf.whileLoop(
                (j: T) => tf.less(j, 2),
                (j: T, b: T) => [tf.add(j, 1), tf.sin(tf.multiply(b, a))],
                [tf.constant(0), a],
              ) as T[]
            )[1],
          ],
          [tf.constant(0), x],
        ) as T[];
        const p = tf.greater(tf.reduceSum(a), -10);
        return tf.cond(
          p,
          () =>
            tf.cond(
              tf.less(tf.reduceSum(x), 0),
              () => tf.exp(a),
              () => tf.multiply(a, x),
            ) as T,
          () => a,
        ) as T;
      },
      [[0.6, -0.3]],
    );
  });
});

describe("control flow with variables", () => {
  /** f(w) = loop 3 times: s = s * w + sin(s), from s = x; the sum of s. */
  const loss = (w: tf.Variable | T, x: T) =>
    tf.reduceSum(
      (
        tf.whileLoop(
          (i: T) => tf.less(i, 3),
          (i: T, s: T) => [tf.add(i, 1), tf.add(tf.multiply(s, w as T), tf.sin(s))],
          [tf.constant(0, { dtype: "float64" }), x],
        ) as T[]
      )[1],
    );
  const W = [0.7, -1.2];
  const X = [0.4, 0.9];

  function numeric(): number[] {
    const eps = 1e-6;
    const f = (wv: number[]) => val(loss(tf.constant(wv, { dtype: "float64" }), tf.constant(X, { dtype: "float64" }))) as number;
    return W.map((_, j) => {
      const p = W.slice();
      const m = W.slice();
      p[j] += eps;
      m[j] -= eps;
      return (f(p) - f(m)) / (2 * eps);
    });
  }

  it("a loop capturing a variable: gradients with respect to it, eagerly and in a graph", () => {
    const want = numeric();
    const v = new tf.Variable(tf.constant(W, { dtype: "float64" }));
    const tape = new tf.GradientTape();
    const l = tape.run(() => loss(v, tf.constant(X, { dtype: "float64" })));
    const eager = val(tape.gradient(l, v)) as number[];
    const graph = inGraph(() => {
      const gv = new tf.Variable(tf.constant(W, { dtype: "float64" }));
      const gl = loss(gv, tf.constant(X, { dtype: "float64" }));
      const [d] = tf.gradients(gl, gv);
      return val(run(d)) as number[];
    });
    for (const got of [eager, graph]) got.forEach((g, j) => assert.ok(Math.abs(g - want[j]) < 1e-6 * Math.max(1, Math.abs(want[j])), `${got} vs ${want}`));
  });

  it("bodies read and assign variables: each iteration sees the previous one's assignment", () => {
    inGraph((g) => {
      const v = new tf.Variable(1, { name: "v" });
      const [n] = tf.whileLoop(
        (i: T) => tf.less(i, 4),
        (i: T) => {
          const assigned = v.assign(tf.multiply(v, 2)) as T;
          return [tf.add(i, tf.subtract(assigned, assigned)).add(1)];
        },
        [tf.constant(0)],
      ) as T[];
      const c = tf.cond(
        tf.greater(v, 10),
        () => v.assignAdd(10) as T,
        () => tf.identity(v),
      ) as T;
      assert.equal(g.getOperations().filter((o) => o.type === "While").length, 1);
      assert.equal(g.getOperations().filter((o) => o.type === "If").length, 1);
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      assert.equal(val(sess.run(n)), 4);
      assert.equal(val(sess.run(v.value())), 16);
      sess.run(c);
      assert.equal(val(sess.run(v.value())), 26);
    });
  });

  it("a cond run for its effect returns the If node; a variable read before the loop is read again in it", () => {
    inGraph(() => {
      const v = new tf.Variable(0, { name: "v" });
      const p = tf.placeholder("bool", []);
      const op = tf.cond(
        p,
        () => {
          v.assign(5);
        },
        () => {
          v.assign(7);
        },
      );
      assert.ok(op instanceof tf.Operation);
      const read = v.value();
      const [sum] = tf.whileLoop(
        (i: T) => tf.less(i, 3),
        (i: T) => [tf.add(tf.add(i, 1), tf.multiply(tf.subtract(v.assignAdd(1) as T, read), 0))],
        [tf.constant(0)],
      ) as T[];
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      sess.run(op, { [p.name]: false });
      assert.equal(val(sess.run(v.value())), 7);
      sess.run(op, { [p.name]: true });
      assert.equal(val(sess.run(v.value())), 5);
      assert.equal(val(sess.run(sum)), 3);
      assert.equal(val(sess.run(v.value())), 8);
    });
  });

  it("gradient descent in a loop: tf.gradients inside the body with respect to a captured variable", () => {
    inGraph(() => {
      const w = new tf.Variable(3, { name: "w" });
      const [n] = tf.whileLoop(
        (i: T) => tf.less(i, 3),
        (i: T) => {
          const [dw] = tf.gradients(tf.square(w), w);
          const updated = w.assignSub(tf.multiply(dw as T, 0.25)) as T;
          return [tf.add(i, tf.add(tf.multiply(updated, 0), 1))];
        },
        [tf.constant(0)],
      ) as T[];
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      assert.equal(val(sess.run(n)), 3);
      // w <- w - 0.25 * 2w = w / 2, three times.
      assert.equal(val(sess.run(w.value())), 3 / 8);
    });
  });
});

describe("control flow in tf.function", () => {
  it("cond and whileLoop trace into If/While nodes; eager variables read, assigned and differentiated", () => {
    const w = new tf.Variable(tf.constant([0.5, -1.0], { dtype: "float64" }));
    const counter = new tf.Variable(0);
    const f = tf.function((x: T) => {
      const y = tf.cond(
        tf.greater(tf.reduceSum(x), 0),
        () => tf.multiply(x, w),
        () => tf.square(x),
      ) as T;
      const [, z] = tf.whileLoop(
        (i: T) => tf.less(i, 3),
        (i: T, z: T) => {
          counter.assignAdd(1);
          return [tf.add(i, 1), tf.add(tf.multiply(z, w), tf.sin(z))];
        },
        [tf.constant(0), y],
      ) as T[];
      return z;
    });
    const step = tf.function((x: T) => {
      const tape = new tf.GradientTape();
      const loss = tape.run(() => tf.reduceSum(f(x) as T));
      return tape.gradient(loss, w);
    });
    /** The same computation eagerly, unrolled in JavaScript. */
    const reference = (x: T) => {
      const tape = new tf.GradientTape();
      const loss = tape.run(() => {
        let z = (val(tf.reduceSum(x)) as number) > 0 ? tf.multiply(x, w) : tf.square(x);
        for (let i = 0; i < 3; i++) z = tf.add(tf.multiply(z, w), tf.sin(z));
        return tf.reduceSum(z);
      });
      return [val(loss), val(tape.gradient(loss, w))];
    };
    for (const xv of [
      [1, 2],
      [-1, -2],
    ]) {
      const x = tf.constant(xv, { dtype: "float64" });
      const [loss, grad] = reference(x);
      assert.ok(Math.abs((val(tf.reduceSum(f(x) as T)) as number) - (loss as number)) < 1e-9);
      const got = val(step(x)) as number[];
      (grad as number[]).forEach((g, j) => assert.ok(Math.abs(got[j] - g) < 1e-9, `${got} vs ${grad}`));
    }
    // Three body runs per call of f (two direct calls, two inside step); the gradient's re-run assigns nothing.
    assert.equal(counter.numpy(), 12);
  });

  it("a loop waits for the writes before it and the reads after it wait for the loop (automatic control dependencies)", () => {
    const v = new tf.Variable(5);
    const f = tf.function(() => {
      v.assign(1);
      const [n] = tf.whileLoop(
        () => tf.less(v, 20),
        (i: T) => {
          v.assign(tf.multiply(v, 3));
          return [tf.add(i, 1)];
        },
        [tf.constant(0)],
      ) as T[];
      return [n, v.value()];
    });
    const [n, after] = f() as T[];
    assert.deepEqual([val(n), val(after), v.numpy()], [3, 27, 27]);
  });
});

describe("control flow on the GPU", gpuOnly, () => {
  it("a loop and a cond placed on GPU:0 agree with the CPU", () => {
    const build = (device: string) =>
      inGraph(() =>
        tf.device(device, () => {
          const x = tf.constant([0.5, -1.5, 2]);
          const [, a] = tf.whileLoop(
            (i: T) => tf.less(i, 5),
            (i: T, a: T) => [
              tf.add(i, 1),
              tf.cond(
                tf.greater(tf.reduceSum(a), 0),
                () => tf.multiply(a, 0.5),
                () => tf.add(a, 1),
              ),
            ],
            [tf.constant(0), x],
          ) as T[];
          const [d] = tf.gradients(tf.reduceSum(tf.square(a)), x);
          return (run([a, d]) as T[]).map((t) => val(t));
        }),
      );
    assert.deepEqual(build("/gpu:0"), build("/cpu:0"));
  });
});
