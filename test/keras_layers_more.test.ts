/**
 * tf.keras.activations, initializers, regularizers and constraints, and the normalization, activation,
 * embedding, merge and utility layers: values against hand-computed results, gradients against float64
 * finite differences (eagerly and through tf.gradients in a graph), shapes against computeOutputShape.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { checkGradient } from "./util/gradcheck.js";
import { assertAllClose, checkLayer, det, input } from "./util/layer_check.js";

const L = tf.keras.layers;
const A = tf.keras.activations;
const f64 = { dtype: "float64" as const };
const xs = [-2, -0.7, 0.3, 1.5];
const merged = (l: tf.keras.layers.Layer, ins: tf.Tensor[]) => l(ins) as tf.EagerTensor;
const vals = (t: tf.Tensor) => Array.from((t as tf.EagerTensor).dataSync() as Float32Array);

describe("tf.keras.activations", () => {
  const x = tf.constant(xs);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  it("values as Keras defines them", () => {
    const cases: [string, (t: tf.Tensor) => tf.Tensor, (v: number) => number][] = [
      ["linear", A.linear, (v) => v],
      ["exponential", A.exponential, Math.exp],
      ["sigmoid", A.sigmoid, sig],
      ["tanh", A.tanh, Math.tanh],
      ["softplus", A.softplus, (v) => Math.log1p(Math.exp(v))],
      ["softsign", A.softsign, (v) => v / (1 + Math.abs(v))],
      ["relu", A.relu, (v) => Math.max(v, 0)],
      ["relu6", A.relu6, (v) => Math.min(Math.max(v, 0), 6)],
      ["elu", A.elu, (v) => (v > 0 ? v : Math.exp(v) - 1)],
      ["selu", A.selu, (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1))],
      ["swish", A.swish, (v) => v * sig(v)],
      ["silu", A.silu, (v) => v * sig(v)],
      ["hard_sigmoid", A.hardSigmoid, (v) => Math.min(Math.max(0.2 * v + 0.5, 0), 1)],
      ["leaky_relu", A.leakyRelu, (v) => (v > 0 ? v : 0.2 * v)],
    ];
    for (const [name, f, want] of cases) {
      assertAllClose(f(x) as tf.EagerTensor, xs.map(want), 1e-6, name);
      assertAllClose(A.get(name)(x) as tf.EagerTensor, xs.map(want), 1e-6, `get("${name}")`);
    }
    // gelu(1) = Phi(1) = 0.841344746..., exact form; the tanh approximation differs slightly.
    assertAllClose(A.gelu(tf.constant([-1, 0, 1])) as tf.EagerTensor, [-0.15865525393145707, 0, 0.8413447460685429], 1e-6, "gelu");
    assertAllClose(A.gelu(tf.constant([1]), true) as tf.EagerTensor, [0.8411919906082768], 1e-6, "gelu approximate");
    assertAllClose(
      A.relu(x, { alpha: 0.1, maxValue: 1, threshold: 0.5 }) as tf.EagerTensor,
      [-0.25, -0.12, -0.02, 1],
      1e-6,
      "relu(alpha, maxValue, threshold)",
    );
    assertAllClose(tf.reduceSum(A.softmax(tf.constant([[1, 2, 3]])), -1) as tf.EagerTensor, [1], 1e-6, "softmax");
  });
  it("get resolves snake_case, camelCase, functions and null; serialize names them", () => {
    assert.equal(A.get("hard_sigmoid"), A.get("hardSigmoid"));
    assert.equal(A.get("leakyRelu"), A.get("leaky_relu"));
    const f = (t: tf.Tensor) => t;
    assert.equal(A.get(f), f);
    assert.deepEqual(A.get(null)(x).arraySync(), x.arraySync());
    assert.throws(() => A.get("nope"), /Unknown activation function: 'nope'/);
    assert.equal(A.serialize(A.relu), "relu");
    assert.equal(A.serialize("hardSigmoid"), "hard_sigmoid");
  });
  it("gradients match finite differences", () => {
    for (const f of [A.selu, A.gelu, A.swish, A.softsign, A.hardSigmoid, A.elu, A.softplus]) checkGradient((t) => f(t), [[-1.3, -0.4, 0.6, 1.7]]);
    checkGradient((t) => A.gelu(t, true), [[-1.3, 0.6]]);
    checkGradient((t) => A.leakyRelu(t, 0.3), [[-1.3, 0.6]]);
    checkGradient((t) => A.relu(t, 0.1, 1, 0.5), [[-1.3, 0.2, 0.8, 1.7]]);
  });
});

describe("tf.keras.initializers", () => {
  const I = tf.keras.initializers;
  const stats = (t: tf.Tensor) => {
    const v = vals(t);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), max: Math.max(...v.map(Math.abs)) };
  };
  it("get resolves glorot_uniform, glorotUniform and GlorotUniform to the class", () => {
    for (const n of ["glorot_uniform", "glorotUniform", "GlorotUniform"]) assert.ok(I.get(n) instanceof I.GlorotUniform, n);
    assert.ok(I.get("he_normal") instanceof I.HeNormal);
    assert.ok(I.get("orthogonal") instanceof I.Orthogonal);
    assert.ok(I.get("zeros") instanceof I.Zeros);
    assert.throws(() => I.get("nope"), /Unknown initializer: 'nope'/);
  });
  it("variance scaling: Glorot uniform's limit sqrt(6 / (in + out)), He normal's stddev sqrt(2 / in)", () => {
    const g = stats(new I.GlorotUniform().call([200, 100]));
    const limit = Math.sqrt(6 / 300);
    assert.ok(g.max <= limit && g.max > 0.95 * limit, `max ${g.max}`);
    assert.ok(Math.abs(g.std - limit / Math.sqrt(3)) < 0.005, `std ${g.std}`);
    const h = stats(new I.HeNormal().call([3, 3, 20, 30]));
    assert.ok(Math.abs(h.std - Math.sqrt(2 / 180)) < 0.006, `He std ${h.std}`);
    const lu = stats(new I.LecunUniform().call([400, 50]));
    assert.ok(lu.max <= Math.sqrt(3 / 400), `LeCun max ${lu.max}`);
    const v = stats(new I.VarianceScaling({ scale: 4, mode: "fan_out", distribution: "untruncated_normal" }).call([50, 100]));
    assert.ok(Math.abs(v.std - 0.2) < 0.01, `VarianceScaling std ${v.std}`);
    assert.ok(Math.abs(stats(new I.RandomNormal(1, 0.5).call([4000])).mean - 1) < 0.05);
    assert.ok(stats(new I.TruncatedNormal(0, 1).call([4000])).max <= 2);
    assert.ok(stats(new I.RandomUniform(-1, 1).call([4000])).max <= 1);
  });
  it("Orthogonal gives orthonormal columns (or rows), the same for one seed; Identity, Constant, Ones, Zeros", () => {
    for (const shape of [
      [6, 4],
      [4, 6],
      [2, 3, 5],
    ]) {
      const q = tf.reshape(new I.Orthogonal({ seed: 3, gain: 2 }).call(shape, "float64"), [-1, shape[shape.length - 1]]);
      const [r, c] = q.shape as number[];
      const gram = r >= c ? tf.matmul(q, q, { transposeA: true }) : tf.matmul(q, q, { transposeB: true });
      const n = Math.min(r, c);
      const eye = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 4 : 0));
      assertAllClose(gram as tf.EagerTensor, eye, 1e-12, `orthogonal ${shape}`);
    }
    assert.deepEqual(new I.Orthogonal({ seed: 5 }).call([3, 3]).arraySync(), new I.Orthogonal({ seed: 5 }).call([3, 3]).arraySync());
    assert.deepEqual(new I.Identity(2).call([2, 3]).arraySync(), [
      [2, 0, 0],
      [0, 2, 0],
    ]);
    assert.deepEqual(new I.Constant(3).call([2]).arraySync(), [3, 3]);
    assert.deepEqual(new I.Ones().call([2], "int32").arraySync(), [1, 1]);
    assert.deepEqual(new I.Zeros().call([1]).arraySync(), [0]);
  });
});

describe("tf.keras.regularizers and constraints", () => {
  const w = tf.constant([1, -2, 3]);
  it("L1, L2, L1L2 and their lower-case forms; a layer's losses", () => {
    const R = tf.keras.regularizers;
    assertAllClose(R.l2(0.01).call(w) as tf.EagerTensor, [0.14], 1e-6, "l2");
    assertAllClose(new R.L1(0.1).call(w) as tf.EagerTensor, [0.6], 1e-6, "l1");
    assertAllClose(R.l1L2().call(w) as tf.EagerTensor, [0.2], 1e-6, "l1_l2 (0.01, 0.01)");
    assertAllClose(new R.L1L2({ l2: 0.5 }).call(w) as tf.EagerTensor, [7], 1e-6, "L1L2(l2=0.5)");
    assert.ok(R.get("l1_l2") instanceof R.L1L2);
    const d = new L.Dense(2, { kernelRegularizer: R.l2(0.01), biasRegularizer: "l1", kernelInitializer: "ones" });
    d(tf.ones([1, 3]));
    assert.equal(d.losses.length, 2);
    assertAllClose(d.losses[0] as tf.EagerTensor, [0.06], 1e-6, "kernel penalty");
  });
  it("MaxNorm, NonNeg, UnitNorm, MinMaxNorm; a layer's weights get their constraint", () => {
    const C = tf.keras.constraints;
    const m = tf.constant([[3], [4]]);
    assertAllClose(new C.MaxNorm(2).call(m) as tf.EagerTensor, [1.2, 1.6], 1e-6, "MaxNorm");
    assertAllClose(new C.MaxNorm(10).call(m) as tf.EagerTensor, [3, 4], 1e-6, "MaxNorm within");
    assertAllClose(new C.NonNeg().call(w) as tf.EagerTensor, [1, 0, 3], 0, "NonNeg");
    assertAllClose(new C.UnitNorm().call(m) as tf.EagerTensor, [0.6, 0.8], 1e-6, "UnitNorm");
    assertAllClose(new C.MinMaxNorm(1, 2).call(tf.constant([[0.3], [0.4]])) as tf.EagerTensor, [0.6, 0.8], 1e-5, "MinMaxNorm");
    assertAllClose(
      new C.MinMaxNorm({ minValue: 1, maxValue: 2, rate: 0.5 }).call(tf.constant([[0.3], [0.4]])) as tf.EagerTensor,
      [0.45, 0.6],
      1e-5,
      "MinMaxNorm rate",
    );
    assert.ok(C.get("max_norm") instanceof C.MaxNorm && C.get("nonNeg") instanceof C.NonNeg);
    const d = new L.Dense(2, { kernelConstraint: "non_neg" });
    d(tf.ones([1, 2]));
    assert.equal(tf.keras.constraints.get("non_neg")!.constructor, C.NonNeg);
  });
});

describe("BatchNormalization", () => {
  it("trains with the batch's statistics and moves the averages; infers with the averages", () => {
    const bn = new L.BatchNormalization();
    const x = tf.constant([
      [1, 2],
      [3, 4],
    ]);
    assertAllClose(bn(x, { training: true }) as tf.EagerTensor, [-0.9995, -0.9995, 0.9995, 0.9995], 1e-4, "training output");
    assertAllClose(bn.movingMean.value() as tf.EagerTensor, [0.02, 0.03], 1e-6, "moving mean");
    assertAllClose(bn.movingVariance.value() as tf.EagerTensor, [1, 1], 1e-6, "moving variance (biased batch variance 1)");
    const inferred = bn(x);
    assertAllClose(
      inferred as tf.EagerTensor,
      [1 - 0.02, 2 - 0.03, 3 - 0.02, 4 - 0.03].map((v) => v / Math.sqrt(1.001)),
      1e-5,
      "inference output",
    );
    assert.equal(bn.countParams(), 8);
    assert.deepEqual(
      bn.weights.map((v) => v.name.split("/")[1]),
      ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"],
    );
    assert.equal(bn.trainableWeights.length, 2);
  });
  it("4-D inputs use the fused op, whose variance for the averages is Bessel-corrected", () => {
    const bn = new L.BatchNormalization({ momentum: 0.9 });
    bn(tf.constant([1, 3], { shape: [2, 1, 1, 1] }), { training: true });
    assertAllClose(bn.movingMean.value() as tf.EagerTensor, [0.2], 1e-6, "moving mean");
    assertAllClose(bn.movingVariance.value() as tf.EagerTensor, [0.9 + 0.1 * 2], 1e-6, "moving variance");
  });
  it("gradients (training and inference, 2-D and fused 4-D, channels_first axis 1)", () => {
    const mk = (extra: object) => () => new L.BatchNormalization({ gammaInitializer: det(0.3, 1), betaInitializer: det(0.2), ...f64, ...extra });
    checkLayer(mk({}), input([3, 2]), { training: true });
    checkLayer(mk({}), input([3, 2]), { training: false });
    checkLayer(mk({}), input([2, 2, 2, 2]), { training: true });
    checkLayer(mk({ axis: 1 }), input([2, 2, 2, 3]), { training: true });
    checkLayer(mk({ axis: 1 }), input([2, 3, 2]), { training: true });
  });
  it("in a graph, fetching the output runs the moving-average updates", () => {
    new tf.Graph().asDefault(() => {
      const bn = new L.BatchNormalization({ momentum: 0.5 });
      const x = tf.placeholder("float32", [null, 2]);
      const y = bn(x, { training: true });
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      sess.run(
        y,
        new Map([
          [
            x,
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ]),
      );
      assertAllClose(sess.run(bn.movingMean.value()) as tf.EagerTensor, [1, 1.5], 1e-6, "moving mean after one step");
      sess.close();
    });
  });
  it("a frozen BatchNormalization runs in inference mode, as TensorFlow 2", () => {
    const bn = new L.BatchNormalization();
    bn(tf.ones([2, 2]));
    bn.trainable = false;
    bn(tf.constant([[5, 5]]), { training: true });
    assertAllClose(bn.movingMean.value() as tf.EagerTensor, [0, 0], 0, "unchanged");
  });
});

describe("LayerNormalization", () => {
  it("normalizes each sample over the last axis", () => {
    assertAllClose(new L.LayerNormalization()(tf.constant([[1, 2, 3]])) as tf.EagerTensor, [-1.2238, 0, 1.2238], 1e-4, "values");
    checkLayer(() => new L.LayerNormalization({ gammaInitializer: det(0.3, 1), betaInitializer: det(0.2), ...f64 }), input([2, 4]));
    checkLayer(() => new L.LayerNormalization({ axis: [1, 2], gammaInitializer: det(0.3, 1), betaInitializer: det(0.2), ...f64 }), input([2, 2, 3]));
    checkLayer(() => new L.LayerNormalization({ axis: 1, gammaInitializer: det(0.3, 1), ...f64 }), input([2, 3, 2]));
  });
});

describe("activation layers", () => {
  it("ReLU (maxValue, negativeSlope, threshold), LeakyReLU, ELU, Softmax (axis, mask), Activation", () => {
    assertAllClose(
      new L.ReLU({ maxValue: 1, negativeSlope: 0.5, threshold: 0.2 })(tf.constant([-1, 0.1, 0.5, 3])) as tf.EagerTensor,
      [-0.6, -0.05, 0.5, 1],
      1e-6,
      "ReLU",
    );
    assert.deepEqual(new L.ReLU(6)(tf.constant([-1, 7])).arraySync(), [0, 6]);
    assertAllClose(new L.LeakyReLU()(tf.constant([-1, 2])) as tf.EagerTensor, [-0.3, 2], 1e-6, "LeakyReLU");
    assertAllClose(new L.ELU(0.5)(tf.constant([-1, 2])) as tf.EagerTensor, [0.5 * (Math.exp(-1) - 1), 2], 1e-6, "ELU");
    assertAllClose(new L.Softmax({ axis: 0 })(tf.constant([[0], [Math.log(3)]])) as tf.EagerTensor, [0.25, 0.75], 1e-6, "Softmax axis 0");
    const masked = new L.Softmax()(tf.constant([[1, 2, 3]]), { mask: tf.constant([[true, true, false]]) });
    assertAllClose(masked as tf.EagerTensor, [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-6, "Softmax mask");
    assertAllClose(new L.Softmax({ axis: [1, 2] })(tf.zeros([1, 2, 2])) as tf.EagerTensor, [0.25, 0.25, 0.25, 0.25], 1e-6, "Softmax over two axes");
    assert.deepEqual(new L.Activation("relu")(tf.constant([-1, 1])).arraySync(), [0, 1]);
    for (const make of [() => new L.ReLU(1, 0.1, 0.2), () => new L.LeakyReLU(0.2), () => new L.ELU(), () => new L.Softmax(), () => new L.Activation("tanh")]) {
      checkGradient((t) => make()(t), [[-1.3, 0.6, 0.25, 1.7]]);
    }
  });
});

describe("Embedding", () => {
  it("gathers rows, masks index 0 when maskZero, and differentiates into the matrix", () => {
    const e = new L.Embedding(4, 2, {
      embeddingsInitializer: () =>
        tf.constant([
          [0, 0],
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      maskZero: true,
    });
    const ids = tf.constant([[1, 0, 3]], { dtype: "int32" });
    assert.deepEqual(e(ids).arraySync(), [
      [
        [1, 2],
        [0, 0],
        [5, 6],
      ],
    ]);
    assert.deepEqual(e.computeMask(ids)?.arraySync(), [[true, false, true]]);
    assert.deepEqual(e.computeOutputShape([null, 3]), [null, 3, 2]);
    assert.equal(e.countParams(), 8);
    checkLayer(
      () => new L.Embedding(5, 3, { embeddingsInitializer: det(), ...f64 }),
      tf.constant(
        [
          [1, 4, 1],
          [0, 2, 3],
        ],
        { dtype: "int32" },
      ) as tf.EagerTensor,
    );
    assert.deepEqual(new L.Embedding(10, 4, { inputLength: 7 }).batchInputShape, [null, 7]);
  });
});

describe("merge layers", () => {
  const a = tf.constant([[1, 5]]);
  const b = tf.constant([[3, 2]]);
  it("Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate", () => {
    assert.deepEqual(merged(new L.Add(), [a, b]).arraySync(), [[4, 7]]);
    assert.deepEqual(merged(new L.Subtract(), [a, b]).arraySync(), [[-2, 3]]);
    assert.deepEqual(merged(new L.Multiply(), [a, b]).arraySync(), [[3, 10]]);
    assert.deepEqual(merged(new L.Average(), [a, b]).arraySync(), [[2, 3.5]]);
    assert.deepEqual(merged(new L.Maximum(), [a, b]).arraySync(), [[3, 5]]);
    assert.deepEqual(merged(new L.Minimum(), [a, b]).arraySync(), [[1, 2]]);
    assert.deepEqual(merged(new L.Concatenate(), [a, b]).arraySync(), [[1, 5, 3, 2]]);
    assert.deepEqual(merged(new L.Concatenate({ axis: 0 }), [a, b]).arraySync(), [
      [1, 5],
      [3, 2],
    ]);
    assert.deepEqual(
      new L.Concatenate().computeOutputShape([
        [null, 2, 3],
        [null, 2, 4],
      ]),
      [null, 2, 7],
    );
    assert.deepEqual(
      new L.Add().computeOutputShape([
        [null, 3],
        [null, 3],
      ]),
      [null, 3],
    );
    assert.throws(() => new L.Add({ name: "sum" })([tf.ones([1, 2]), tf.ones([1, 3])]), /Layer "sum": inputs must have compatible shapes/);
    assert.throws(() => new L.Concatenate()(tf.ones([1, 2])), /should be called on a list of inputs/);
    assert.throws(() => new L.Subtract()([a, b, a]), /exactly 2 inputs/);
  });
  it("masks: all inputs' masks (Concatenate: joined along the axis)", () => {
    const m1 = tf.constant([[true, false]]);
    const m2 = tf.constant([[true, true]]);
    assert.deepEqual(new L.Add().computeMask([a, b], [m1, m2])?.arraySync(), [[true, false]]);
    const x = tf.ones([1, 2, 3]);
    assert.deepEqual(new L.Concatenate({ axis: 1 }).computeMask([x, x], [m1, null])?.arraySync(), [[true, false, true, true]]);
    assert.equal(new L.Add().computeMask([a, b], [null, null]), null);
  });
  it("gradients", () => {
    for (const make of [
      () => new L.Add(),
      () => new L.Subtract(),
      () => new L.Multiply(),
      () => new L.Average(),
      () => new L.Maximum(),
      () => new L.Minimum(),
      () => new L.Concatenate(),
    ]) {
      checkGradient((p, q) => make()([p, q]) as tf.Tensor, [[[1.5, -2, 0.3]], [[0.2, 1, -0.4]]]);
    }
  });
});

describe("Rescaling, Lambda, Masking", () => {
  it("Rescaling casts and scales", () => {
    assertAllClose(new L.Rescaling(1 / 255)(tf.constant([0, 255], { dtype: "uint8" })) as tf.EagerTensor, [0, 1], 1e-7, "1/255");
    assertAllClose(new L.Rescaling(2, -1)(tf.constant([1, 3])) as tf.EagerTensor, [1, 5], 1e-7, "offset");
    checkGradient((t) => new L.Rescaling(2, 1, f64)(t), [[1, 2]]);
  });
  it("Lambda calls the function (with arguments) and infers its output shape by tracing it", () => {
    const sq = new L.Lambda((t: tf.Tensor | tf.Tensor[]) => tf.square(t as tf.Tensor));
    assert.deepEqual(sq(tf.constant([2, 3])).arraySync(), [4, 9]);
    assert.deepEqual(sq.computeOutputShape([null, 3]), [null, 3]);
    const sum = new L.Lambda((t: tf.Tensor | tf.Tensor[]) => tf.reduceSum(t as tf.Tensor, 1, true));
    assert.deepEqual(sum.computeOutputShape([null, 5]), [null, 1]);
    const scaled = new L.Lambda({
      function: (t: tf.Tensor | tf.Tensor[], kw: unknown) => tf.multiply(t as tf.Tensor, (kw as { k: number }).k),
      arguments: { k: 3 },
    });
    assert.deepEqual(scaled(tf.constant([1])).arraySync(), [3]);
    assert.deepEqual(new L.Lambda((t: tf.Tensor | tf.Tensor[]) => t as tf.Tensor, { outputShape: [7] }).computeOutputShape([null, 2]), [null, 7]);
  });
  it("Masking zeroes masked steps and passes the mask", () => {
    const x = tf.constant([
      [
        [1, 2],
        [0, 0],
        [3, 0],
      ],
    ]);
    const m = new L.Masking();
    assert.deepEqual(m(x).arraySync(), x.arraySync());
    assert.deepEqual(m.computeMask(x)?.arraySync(), [[true, false, true]]);
    assert.deepEqual(
      new L.Masking(3)(
        tf.constant([
          [
            [3, 3],
            [1, 2],
          ],
        ]),
      ).arraySync(),
      [
        [
          [0, 0],
          [1, 2],
        ],
      ],
    );
  });
  it("Dropout in a graph drops in training and is the identity otherwise", () => {
    const ones = tf.ones([1, 200]) as tf.EagerTensor;
    new tf.Graph().asDefault(() => {
      const x = tf.placeholder("float32", [null, 200]) as tf.SymbolicTensor;
      const d = new L.Dropout(0.5, { seed: 2 });
      const sess = new tf.Session();
      const trained = vals(sess.run(d(x, { training: true }), new Map([[x, ones]])) as tf.Tensor);
      assert.ok(trained.some((v) => v === 0) && trained.every((v) => v === 0 || v === 2));
      assert.ok(vals(sess.run(d(x), new Map([[x, ones]])) as tf.Tensor).every((v) => v === 1));
      sess.close();
    });
  });
});

describe("layers with tf.function, models and channels_first", () => {
  it("a Sequential LeNet-5 and a functional model infer shapes and count parameters as Keras", () => {
    const lenet = new tf.keras.Sequential([
      new L.Conv2D(6, 5, { padding: "same", activation: "relu", inputShape: [28, 28, 1] }),
      new L.MaxPooling2D(),
      new L.Conv2D(16, 5, { activation: "relu" }),
      new L.MaxPooling2D(),
      new L.Flatten(),
      new L.Dense(120, "relu"),
      new L.Dense(84, "relu"),
      new L.Dense(10, "softmax"),
    ]);
    assert.equal(lenet.countParams(), 61706);
    assert.throws(
      () => lenet(tf.zeros([1, 28, 28, 3])),
      /layer "conv2d(_\d+)?" is incompatible with the layer: expected axis -1 of input shape to have value 1, but received input with shape \(1, 28, 28, 3\)/,
    );
    const inp = tf.keras.Input([6]);
    const h = new L.Dense(4, "relu")(inp);
    const out = new L.Dense(2)(L.concatenate([h, inp]));
    assert.deepEqual(out.shape, [null, 2]);
    const model = new tf.keras.Model({ inputs: inp, outputs: out });
    assert.equal(model.countParams(), 6 * 4 + 4 + 10 * 2 + 2);
    const e = new L.Embedding(20, 4, { maskZero: true })(tf.keras.Input([5]));
    assert.deepEqual(e.shape, [null, 5, 4]);
    assert.deepEqual(L.concatenate([h, h]).shape, [null, 8]);
  });
  it("Keras's functional merge forms", () => {
    const a = tf.constant([[1, 5]]);
    const b = tf.constant([[3, 2]]);
    assert.deepEqual(L.add([a, b]).arraySync(), [[4, 7]]);
    assert.deepEqual(L.subtract([a, b], { name: "diff" }).arraySync(), [[-2, 3]]);
    assert.deepEqual(L.multiply([a, b]).arraySync(), [[3, 10]]);
    assert.deepEqual(L.average([a, b]).arraySync(), [[2, 3.5]]);
    assert.deepEqual(L.maximum([a, b]).arraySync(), [[3, 5]]);
    assert.deepEqual(L.minimum([a, b]).arraySync(), [[1, 2]]);
    assert.deepEqual(L.concatenate([a, b], 0).shape, [2, 2]);
    assert.deepEqual(L.concatenate([a, b], { axis: -1 }).shape, [1, 4]);
  });
  it("a traced function calls layers on the eager weights and moves BatchNormalization's averages each call", () => {
    const dense = new L.Dense(3, "relu", { kernelInitializer: "ones" });
    const bn = new L.BatchNormalization({ momentum: 0.5 });
    const x = tf.constant([
      [1, 2],
      [3, 4],
    ]);
    const eager = dense(x) as tf.EagerTensor;
    const step = tf.function((t: tf.Tensor) => bn(dense(t), { training: true }));
    step(x);
    assertAllClose(bn.movingMean.value() as tf.EagerTensor, [2.5, 2.5, 2.5], 1e-6, "after one traced step (batch mean 5, momentum 0.5)");
    step(x);
    assertAllClose(bn.movingMean.value() as tf.EagerTensor, [3.75, 3.75, 3.75], 1e-6, "after two");
    const infer = tf.function((t: tf.Tensor) => dense(t));
    assertAllClose(infer(x) as tf.EagerTensor, eager, 1e-6, "traced Dense = eager Dense");
  });
  it("channels_first gives the channels_last results, transposed (Conv2D, DepthwiseConv2D, Conv2DTranspose, pooling, BatchNormalization, Conv1D)", () => {
    const x = input([1, 5, 5, 2]);
    const xc = tf.transpose(x, [0, 3, 1, 2]);
    const pairs: [tf.keras.layers.Layer, tf.keras.layers.Layer][] = [
      [
        new L.Conv2D(3, 3, { kernelInitializer: det(), padding: "same", strides: 2, ...f64 }),
        new L.Conv2D(3, 3, { kernelInitializer: det(), padding: "same", strides: 2, dataFormat: "channels_first", ...f64 }),
      ],
      [
        new L.DepthwiseConv2D(3, { depthwiseInitializer: det(), depthMultiplier: 2, ...f64 }),
        new L.DepthwiseConv2D(3, { depthwiseInitializer: det(), depthMultiplier: 2, dataFormat: "channels_first", ...f64 }),
      ],
      [
        new L.Conv2DTranspose(3, 3, { kernelInitializer: det(), strides: 2, ...f64 }),
        new L.Conv2DTranspose(3, 3, { kernelInitializer: det(), strides: 2, dataFormat: "channels_first", ...f64 }),
      ],
      [new L.MaxPooling2D(), new L.MaxPooling2D({ dataFormat: "channels_first" })],
      [new L.AveragePooling2D(), new L.AveragePooling2D({ dataFormat: "channels_first" })],
      [new L.BatchNormalization(f64), new L.BatchNormalization({ axis: 1, ...f64 })],
    ];
    for (const [last, first] of pairs) {
      const want = last(x, { training: true }) as tf.EagerTensor;
      const got = tf.transpose(first(xc, { training: true }) as tf.Tensor, [0, 2, 3, 1]) as tf.EagerTensor;
      assertAllClose(got, want, 1e-9, last.constructor.name);
      const declared = (first as unknown as { computeOutputShape(s: tf.Shape): tf.Shape }).computeOutputShape([null, 2, 5, 5]);
      assert.deepEqual(declared, [null, want.shape[3], want.shape[1], want.shape[2]], `${last.constructor.name} computeOutputShape`);
    }
    const s = input([1, 4, 3]);
    const c1 = new L.Conv1D(2, 2, { kernelInitializer: det(), ...f64 });
    const c1f = new L.Conv1D(2, 2, { kernelInitializer: det(), dataFormat: "channels_first", ...f64 });
    assertAllClose(tf.transpose(c1f(tf.transpose(s, [0, 2, 1])), [0, 2, 1]) as tf.EagerTensor, c1(s) as tf.EagerTensor, 1e-9, "Conv1D");
  });
});
