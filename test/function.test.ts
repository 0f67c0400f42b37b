import assert from "node:assert/strict";
import { describe, forEachDevice, it } from "./util/devices.js";
import { gpuOnly, onGpu } from "./util/gpu.js";
import * as tf from "../src/index.js";
import { initScope } from "../src/function/index.js";

type T = tf.Tensor;
const vals = (t: unknown) => Array.from((t as tf.EagerTensor).dataSync() as Float32Array);
const close = (got: number[], want: number[], tol = 1e-5) => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `element ${i}: ${g} vs ${want[i]}`));
};

describe("tf.function: tracing and the cache", () => {
  it("traces once per input signature; JS side effects happen at trace time only", () => {
    let traced = 0;
    const logged: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logged.push(a.join(" "));
    try {
      const f = tf.function((x: T, y: T) => {
        traced++;
        console.log("tracing f");
        return tf.add(tf.matmul(x, y), 1);
      });
      const a = tf.constant([
        [1, 2],
        [3, 4],
      ]);
      assert.deepEqual(f(a, a).arraySync(), [
        [8, 11],
        [16, 23],
      ]);
      f(a, a);
      f(a, a);
      assert.equal(traced, 1);
      assert.deepEqual(logged, ["tracing f"]);
      assert.equal(f.experimentalGetTracingCount(), 1);
    } finally {
      console.log = log;
    }
  });

  it("retraces for a new dtype, shape or JS value, not for a new tensor value", () => {
    const f = tf.function((x: T, n: number) => tf.mul(x, n));
    f(tf.ones([2]), 2);
    f(tf.constant([5, 6]), 2);
    assert.equal(f.experimentalGetTracingCount(), 1);
    assert.deepEqual(f(tf.constant([1, 2]), 3).arraySync(), [3, 6]);
    assert.equal(f.experimentalGetTracingCount(), 2);
    f(tf.ones([3]), 3);
    assert.equal(f.experimentalGetTracingCount(), 3);
    f(tf.ones([3], "float64"), 3);
    assert.equal(f.experimentalGetTracingCount(), 4);
    f(tf.ones([3], "float64"), 3);
    assert.equal(f.experimentalGetTracingCount(), 4);
  });

  it("reduceRetracing generalises the dims that differ to null after a retrace", () => {
    const f = tf.function((x: T) => tf.reduceSum(x, -1), { reduceRetracing: true });
    f(tf.ones([2, 3]));
    f(tf.ones([4, 3]));
    assert.equal(f.experimentalGetTracingCount(), 2);
    assert.deepEqual(f(tf.ones([5, 3])).arraySync(), [3, 3, 3, 3, 3]);
    f(tf.ones([9, 3]));
    assert.equal(f.experimentalGetTracingCount(), 2);
    assert.deepEqual(f.getConcreteFunction(tf.ones([7, 3])).inputSpecs[0].shape, [null, 3]);
    // Another rank is another trace.
    f(tf.ones([2]));
    assert.equal(f.experimentalGetTracingCount(), 3);
  });

  it("inputSignature: one trace with null dims; incompatible inputs raise TensorFlow's error", () => {
    const f = tf.function((x: T) => tf.reduceSum(x, 1), { inputSignature: [new tf.TensorSpec([null, 3], "float32")] });
    assert.deepEqual(f(tf.ones([2, 3])).arraySync(), [3, 3]);
    assert.deepEqual(f(tf.ones([4, 3])).shape, [4]);
    assert.deepEqual(f([[1, 2, 3]]).arraySync(), [6]);
    assert.equal(f.experimentalGetTracingCount(), 1);
    assert.throws(
      () => f(tf.ones([2, 4])),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /incompatible with input_signature/.test(e.message),
    );
    assert.throws(() => f(tf.ones([2, 3], "int32")), tf.errors.InvalidArgumentError);
    const cf = f.getConcreteFunction();
    assert.equal(cf.inputs[0].shape?.[0], null);
    assert.equal(String(new tf.TensorSpec([null, 784], "float32")), "TensorSpec(shape=(None, 784), dtype=tf.float32, name=None)");
  });

  it("getConcreteFunction: a callable ConcreteFunction with its graph and structured inputs and outputs", () => {
    const f = tf.function((x: T, scale: number) => ({ y: tf.mul(x, scale), parts: [tf.reduceSum(x), 7] }));
    const cf = f.getConcreteFunction(new tf.TensorSpec([null], "float32"), 2);
    assert.ok(cf.graph instanceof tf.Graph);
    assert.equal(cf.inputs.length, 1);
    assert.equal(cf.inputs[0].op.type, "Placeholder");
    const so = cf.structuredOutputs as { y: T; parts: T[] };
    assert.deepEqual(so.y.shape, [null]);
    assert.ok(String(cf.structuredInputSignature).includes("TensorSpec(shape=(None,)"));
    const out = cf(tf.constant([1, 2, 3])) as { y: tf.EagerTensor; parts: tf.EagerTensor[] };
    assert.deepEqual(out.y.arraySync(), [2, 4, 6]);
    assert.equal(out.parts[0].item(), 6);
    assert.equal(out.parts[1].item(), 7);
    // The polymorphic function reuses the concrete one for a matching call.
    f(tf.constant([4, 5]), 2);
    assert.equal(f.experimentalGetTracingCount(), 1);
  });

  it("a tf.device scope around the call reaches the trace's ops, and a trace belongs to its scope", () => {
    const f = tf.function((x: T) => tf.square(x));
    const x = tf.constant([1, 2]);
    assert.deepEqual((tf.device("/cpu:0", () => f(x)) as tf.EagerTensor).arraySync(), [1, 4]);
    const square = (cf: { graph: tf.Graph }) => cf.graph.getOperations().find((op) => op.type === "Square")!;
    const scoped = f._listAllConcreteFunctions().at(-1)!;
    assert.equal(square(scoped).device, "/device:CPU:0");
    f(x);
    assert.equal(f.experimentalGetTracingCount(), 2, "a call outside the scope traces again");
    assert.equal(square(f._listAllConcreteFunctions().at(-1)!).device, "");
    tf.device("/cpu:0", () => f(x));
    assert.equal(f.experimentalGetTracingCount(), 2);
  });

  it("under a recording GradientTape the body runs eagerly, so gradients flow through the call", () => {
    const f = tf.function((x: T) => tf.square(x));
    const x = tf.constant(3.0);
    const tape = new tf.GradientTape();
    tape.watch(x);
    const y = tape.run(() => f(x) as T);
    assert.equal((tape.gradient(y, x) as tf.EagerTensor).item(), 6);
  });

  it("tf.config.runFunctionsEagerly runs the body on every call, without tracing", () => {
    let calls = 0;
    const f = tf.function((x: T) => {
      calls++;
      return tf.add(x, 1);
    });
    tf.config.runFunctionsEagerly(true);
    try {
      assert.equal(tf.config.functionsRunEagerly(), true);
      f(tf.constant(1));
      f(tf.constant(1));
    } finally {
      tf.config.runFunctionsEagerly(false);
    }
    assert.equal(calls, 2);
    assert.equal(f.experimentalGetTracingCount(), 0);
    assert.equal((f(tf.constant(1)) as tf.EagerTensor).item(), 2);
    assert.equal(tf.config.functionsRunEagerly(), false);
  });

  it("returns any nesting of arrays and objects; a tf.function called inside another is inlined", () => {
    const inner = tf.function((x: T) => tf.square(x));
    const outer = tf.function((x: T) => [inner(x), { cube: tf.mul(inner(x), x), none: null }]);
    const [sq, obj] = outer(tf.constant([2, 3])) as [tf.EagerTensor, { cube: tf.EagerTensor; none: null }];
    assert.deepEqual(sq.arraySync(), [4, 9]);
    assert.deepEqual(obj.cube.arraySync(), [8, 27]);
    assert.equal(obj.none, null);
    assert.equal(inner.experimentalGetTracingCount(), 0);
  });
});

describe("tf.function: variables", () => {
  it("reads see the current value; updates inside the graph act on the eager variable", () => {
    const v = new tf.Variable(1.0);
    const f = tf.function((d: T) => {
      v.assignAdd(d);
      return v.value();
    });
    assert.equal((f(tf.constant(2)) as tf.EagerTensor).item(), 3);
    assert.equal(v.numpy(), 3);
    v.assign(10);
    assert.equal((f(tf.constant(1)) as tf.EagerTensor).item(), 11);
    assert.equal(v.numpy(), 11);
    assert.equal(f.experimentalGetTracingCount(), 1);
  });

  it("keeps the program order of reads and writes (automatic control dependencies)", () => {
    const v = new tf.Variable(0.0);
    const f = tf.function(() => {
      const before = v.value();
      v.assign(1);
      const mid = tf.add(v.value(), 0);
      v.assignAdd(5);
      return [before, mid, v.value()];
    });
    assert.deepEqual(
      (f() as tf.EagerTensor[]).map((t) => t.item()),
      [0, 1, 6],
    );
    assert.deepEqual(
      (f() as tf.EagerTensor[]).map((t) => t.item()),
      [6, 1, 6],
    );
  });

  it("runs variable updates nothing returned depends on", () => {
    const v = new tf.Variable([1, 2]);
    const f = tf.function(() => {
      v.assign(tf.mul(v.value(), 2));
    });
    f();
    f();
    assert.deepEqual(v.numpy(), [4, 8]);
  });

  it("creates variables on the first trace only (TensorFlow's ValueError otherwise)", () => {
    let made: tf.Variable | null = null;
    const f = tf.function((x: T) => {
      if (!made) made = new tf.Variable(tf.zeros([2]));
      made.assignAdd(x);
      return made.value();
    });
    assert.deepEqual((f(tf.constant([1, 2])) as tf.EagerTensor).arraySync(), [1, 2]);
    assert.deepEqual((f(tf.constant([1, 2])) as tf.EagerTensor).arraySync(), [2, 4]);
    assert.ok(made !== null);
    assert.deepEqual((made as tf.Variable).numpy(), [2, 4]);
    const g = tf.function((x: T) => tf.add(new tf.Variable(1.0).value(), x));
    assert.equal((g(tf.constant(1)) as tf.EagerTensor).item(), 2);
    assert.throws(
      () => g(tf.constant([1, 2])),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /tf.function only supports singleton tf.Variables created on the first call/.test(e.message),
    );
    const h = tf.function((x: T) => new tf.Variable(tf.mul(x, 2)).value());
    assert.throws(() => h(tf.constant(1)), /depends on the function's input/);
  });

  it("tf.cond and tf.whileLoop bodies read and assign captured variables, in program order", () => {
    const v = new tf.Variable(1.0);
    const f = tf.function((k: T) => {
      const [n] = tf.whileLoop(
        (i: T) => tf.less(i, k),
        (i: T) => {
          const a = v.assign(tf.multiply(v, 2)) as T;
          return [tf.add(i, tf.subtract(a, a)).add(1)];
        },
        [tf.constant(0)],
      ) as T[];
      const c = tf.cond(
        tf.greater(v, 10),
        () => v.assignAdd(10) as T,
        () => tf.identity(v),
      ) as T;
      return [n, c, v.value()];
    });
    const [n, c, after] = f(tf.constant(4)) as tf.EagerTensor[];
    assert.deepEqual([n.item(), c.item(), after.item()], [4, 26, 26]);
    assert.equal(v.numpy(), 26);
    v.assign(1);
    const again = f(tf.constant(2)) as tf.EagerTensor[];
    assert.deepEqual(
      again.map((t) => t.item()),
      [2, 4, 4],
    );
  });

  it("initScope makes variables (and runs ops) eagerly, outside the trace", () => {
    let inside: unknown = null;
    const f = tf.function((x: T) => {
      const w = initScope(() => {
        inside = tf.executingEagerly();
        return new tf.Variable(tf.ones([2]));
      });
      return tf.add(w.value(), x);
    });
    assert.deepEqual((f(tf.constant([1, 2])) as tf.EagerTensor).arraySync(), [2, 3]);
    assert.equal(inside, true);
  });
});

/** y = 3x + 2 with noise-free data, a small model, the same steps eagerly and in a tf.function. */
function linearData() {
  const xs = tf.constant([[0], [1], [2], [3], [4], [5]]);
  const ys = tf.constant([[2], [5], [8], [11], [14], [17]]);
  return { xs, ys };
}

describe("tf.function: training inside the graph gives the eager results", () => {
  it("linear regression: GradientTape + GradientDescentOptimizer.applyGradients", () => {
    const { xs, ys } = linearData();
    const run = (traced: boolean) => {
      const w = new tf.Variable([[0.1]]);
      const b = new tf.Variable([0.0]);
      const opt = new tf.train.GradientDescentOptimizer(0.02);
      const step = (x: T, y: T) => {
        const tape = new tf.GradientTape();
        const loss = tape.run(() => tf.reduceMean(tf.square(tf.sub(tf.add(tf.matmul(x, w), b), y))));
        const grads = tape.gradient(loss, [w, b]);
        opt.applyGradients([
          [grads[0], w],
          [grads[1], b],
        ]);
        return loss;
      };
      const f = traced ? tf.function(step) : step;
      let loss: T | null = null;
      for (let i = 0; i < 30; i++) loss = tf.tidy(() => f(xs, ys) as T);
      if (traced) assert.equal((f as unknown as { experimentalGetTracingCount(): number }).experimentalGetTracingCount(), 1);
      return { loss: vals(loss), w: vals(w.value()), b: vals(b.value()) };
    };
    const eager = run(false);
    const graph = run(true);
    close(graph.loss, eager.loss);
    close(graph.w, eager.w);
    close(graph.b, eager.b);
  });

  it("an MLP with Adam: tape.gradient and applyGradients in ONE traced graph", () => {
    const x = tf.constant([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const y = tf.constant([[0], [1], [1], [0]]);
    const run = (traced: boolean) => {
      const w1 = new tf.Variable(tf.constant([0.5, -0.4, 0.3, 0.2, -0.1, 0.6], { shape: [2, 3] }));
      const b1 = new tf.Variable(tf.zeros([3]));
      const w2 = new tf.Variable(tf.constant([0.3, -0.5, 0.4], { shape: [3, 1] }));
      const b2 = new tf.Variable(tf.zeros([1]));
      const vars = [w1, b1, w2, b2];
      const opt = new tf.train.AdamOptimizer(0.05);
      const step = (xb: T, yb: T) => {
        const tape = new tf.GradientTape();
        const loss = tape.run(() => {
          const h = tf.nn.relu(tf.add(tf.matmul(xb, w1), b1));
          return tf.reduceMean(tf.square(tf.sub(tf.add(tf.matmul(h, w2), b2), yb)));
        });
        const grads = tape.gradient(loss, vars);
        opt.applyGradients(grads.map((g, i) => [g, vars[i]] as [T, tf.Variable]));
        return loss;
      };
      const f = traced ? tf.function(step) : step;
      const losses: number[] = [];
      for (let i = 0; i < 25; i++) losses.push(tf.tidy(() => (f(x, y) as tf.EagerTensor).item()));
      return { losses, w1: vals(w1.value()), w2: vals(w2.value()), beta1: opt.getBetaAccumulators()[0]!.numpy() as number };
    };
    const eager = run(false);
    const graph = run(true);
    close(graph.losses, eager.losses, 1e-4);
    close(graph.w1, eager.w1, 1e-4);
    close(graph.w2, eager.w2, 1e-4);
    close([graph.beta1], [eager.beta1]);
    assert.ok(graph.losses[24] < graph.losses[0]);
  });

  it("optimizer.minimize(lossFn) inside a tf.function finds the variables the loss reads", () => {
    const { xs, ys } = linearData();
    const w = new tf.Variable([[0.0]]);
    const b = new tf.Variable([0.0]);
    const opt = new tf.train.MomentumOptimizer(0.01, 0.9);
    const step = tf.function((x: T, y: T) => {
      const lossFn = () => tf.reduceMean(tf.square(tf.sub(tf.add(tf.matmul(x, w), b), y)));
      opt.minimize(lossFn);
      return lossFn();
    });
    const first = (step(xs, ys) as tf.EagerTensor).item();
    let last = first;
    for (let i = 0; i < 40; i++) last = tf.tidy(() => (step(xs, ys) as tf.EagerTensor).item());
    assert.ok(last < first / 10, `loss ${first} -> ${last}`);
    assert.equal(step.experimentalGetTracingCount(), 1);
  });
});

forEachDevice(() => {
  describe("tf.function on the device", () => {
    it("variables captured by the graph stay on the device and are updated there", () => {
      const v = new tf.Variable(tf.ones([4]));
      const f = tf.function((d: T) => {
        v.assignAdd(d);
        return tf.reduceSum(v.value());
      });
      for (let i = 0; i < 3; i++) f(tf.ones([4]));
      assert.deepEqual(v.numpy(), [4, 4, 4, 4]);
      assert.equal((f(tf.ones([4])) as tf.EagerTensor).item(), 20);
    });
  });
});

describe("tf.function on a GPU", gpuOnly, () => {
  it("GPU-resident variables stay on the GPU after calls (CUDA-graph replays write them in place)", () => {
    const v = tf.device("/gpu:0", () => new tf.Variable(tf.ones([8])));
    const f = tf.function((d: T) => {
      v.assignAdd(d);
      return tf.reduceSum(v.value());
    });
    const d = tf.device("/gpu:0", () => tf.ones([8]));
    for (let i = 0; i < 5; i++) f(d);
    assert.ok(onGpu(v.value()));
    assert.deepEqual(v.numpy(), [6, 6, 6, 6, 6, 6, 6, 6]);
  });
});
