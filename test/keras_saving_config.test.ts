/**
 * Keras model configs: every built-in layer round-trips through model.toJson / tf.keras.models.modelFromJson
 * (and the rebuilt model, given the original's weights by setWeights, computes the same outputs); the JSON
 * has Keras 2's shape (class_name, snake_case keys, initializers as { class_name, config }, functional
 * inbound_nodes); a JSON written as Keras writes it loads; custom classes come from customObjects; a
 * subclassed model without getConfig says so; initializers, regularizers, constraints and optimizers
 * serialize and deserialize.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";

const L = tf.keras.layers;
type KT = ReturnType<typeof tf.keras.Input>;

function values(t: unknown): number[] {
  return Array.from((t as tf.Tensor).dataSync() as ArrayLike<number>);
}
function assertClose(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(a[i])), `${what}: element ${i}: ${a[i]} vs ${b[i]}`);
}

/** JSON round trip, weights copied, same outputs on x; returns the parsed JSON. */
function roundTrip(model: tf.keras.Model, x: tf.Tensor | tf.Tensor[], customObjects?: Record<string, unknown>): Record<string, unknown> {
  const json = model.toJson();
  const parsed = JSON.parse(json) as Record<string, unknown>;
  const rebuilt = tf.keras.models.modelFromJson(json, { customObjects });
  assert.equal(rebuilt.toJson(), json, "the rebuilt model writes the same JSON");
  // Wrappers (Bidirectional) make their inner weights on the first call.
  model.predictOnBatch(x);
  rebuilt.predictOnBatch(x);
  assert.ok(model.weights.length === 0 || rebuilt.weights.length === model.weights.length, "as many weights");
  rebuilt.setWeights(model.getWeights());
  assertClose(values(model.predictOnBatch(x)), values(rebuilt.predictOnBatch(x)), `${model.name} outputs`);
  return parsed;
}

function sequentialOf(layers: tf.keras.layers.Layer[], inputShape: number[], dtype: "float32" | "int32" = "float32"): tf.keras.Model {
  const model = new tf.keras.Sequential();
  model.add(tf.keras.Input(inputShape, { dtype }));
  for (const l of layers) model.add(l);
  return model;
}

const rand = (shape: number[]) => tf.randomUniform(shape, { minval: -1, maxval: 1, seed: 7 });

describe("every built-in layer round-trips through JSON", () => {
  const cases: [string, () => tf.keras.layers.Layer[], number[]][] = [
    [
      "Dense",
      () => [
        new L.Dense(4, {
          activation: "relu",
          kernelInitializer: "he_normal",
          biasInitializer: new tf.keras.initializers.Constant(0.1),
          kernelRegularizer: tf.keras.regularizers.l2(0.01),
          kernelConstraint: new tf.keras.constraints.MaxNorm(2),
        }),
      ],
      [6],
    ],
    ["Activation, Dropout", () => [new L.Activation("tanh"), new L.Dropout(0.3, { seed: 1 })], [5]],
    [
      "Conv1D, pooling 1-D",
      () => [new L.Conv1D(3, 2, { padding: "causal" }), new L.MaxPooling1D(2), new L.AveragePooling1D(1), new L.GlobalMaxPooling1D()],
      [8, 2],
    ],
    ["Conv1D, GlobalAveragePooling1D", () => [new L.Conv1D(2, 3), new L.GlobalAveragePooling1D()], [8, 2]],
    [
      "Conv2D, pooling 2-D, Flatten",
      () => [new L.Conv2D(3, 3, { padding: "same", activation: "relu", strides: 1 }), new L.MaxPooling2D(2), new L.AveragePooling2D([2, 2]), new L.Flatten()],
      [8, 8, 2],
    ],
    [
      "Conv2DTranspose, GlobalAveragePooling2D",
      () => [new L.Conv2DTranspose(2, 3, { strides: 2, padding: "same" }), new L.GlobalAveragePooling2D()],
      [4, 4, 1],
    ],
    ["DepthwiseConv2D, GlobalMaxPooling2D", () => [new L.DepthwiseConv2D(3, { depthMultiplier: 2 }), new L.GlobalMaxPooling2D({ keepdims: true })], [5, 5, 2]],
    ["Reshape, Permute", () => [new L.Reshape([3, 4]), new L.Permute([2, 1])], [12]],
    ["BatchNormalization, LayerNormalization", () => [new L.BatchNormalization({ momentum: 0.9 }), new L.LayerNormalization({ epsilon: 1e-4 })], [6]],
    ["ReLU, LeakyReLU, ELU, Softmax", () => [new L.ReLU({ maxValue: 0.8 }), new L.LeakyReLU({ alpha: 0.2 }), new L.ELU(0.5), new L.Softmax()], [5]],
    ["Rescaling", () => [new L.Rescaling(1 / 255, { offset: 0.5 })], [3]],
    ["SimpleRNN", () => [new L.SimpleRNN(3, { returnSequences: true }), new L.GRU(2, { resetAfter: false })], [4, 2]],
    ["LSTM", () => [new L.LSTM(3, { recurrentRegularizer: tf.keras.regularizers.l1(0.01), goBackwards: true })], [4, 2]],
    ["RNN(LSTMCell)", () => [new L.RNN(new L.LSTMCell(3))], [4, 2]],
    [
      "Bidirectional, TimeDistributed",
      () => [new L.Bidirectional(new L.LSTM(2, { returnSequences: true }), { mergeMode: "sum" }), new L.TimeDistributed(new L.Dense(3))],
      [4, 2],
    ],
    ["Bidirectional without merging", () => [new L.Bidirectional(new L.GRU(2), { mergeMode: "concat" })], [4, 2]],
    ["Masking", () => [new L.Masking(0), new L.LSTM(2)], [4, 3]],
  ];
  for (const [name, make, shape] of cases) {
    it(name, () => {
      const model = sequentialOf(make(), shape);
      roundTrip(model, rand([2, ...shape]));
    });
  }

  it("Embedding (integer inputs)", () => {
    const model = sequentialOf([new L.Embedding(10, 3, { maskZero: true }), new L.GRU(2)], [5], "int32");
    roundTrip(
      model,
      tf.constant(
        [
          [1, 2, 0, 0, 0],
          [3, 4, 5, 9, 0],
        ],
        { dtype: "int32" },
      ),
    );
  });

  it("merge layers (a functional model of two inputs)", () => {
    const a = tf.keras.Input([4], { name: "a" });
    const b = tf.keras.Input([4], { name: "b" });
    const merged = [new L.Add(), new L.Subtract(), new L.Multiply(), new L.Average(), new L.Maximum(), new L.Minimum()].map((m) => m([a, b]) as KT);
    const out = new L.Concatenate({ axis: -1 })(merged);
    const model = new tf.keras.Model({ inputs: [a, b], outputs: out });
    roundTrip(model, [rand([2, 4]), tf.ones([2, 4])]);
  });

  it("Lambda: its named function comes back through customObjects", () => {
    function doubled(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.multiply(x as tf.Tensor, 2);
    }
    const model = sequentialOf([new L.Lambda(doubled)], [3]);
    assert.throws(() => tf.keras.models.modelFromJson(model.toJson()), /Unknown function: 'doubled'.*customObjects/);
    roundTrip(model, rand([2, 3]), { doubled });
  });
});

describe("Keras's JSON layout", () => {
  it("a Sequential model: InputLayer first, snake_case keys, initializers as { class_name, config }", () => {
    const model = new tf.keras.Sequential([new L.Dense(10, { activation: "relu", inputShape: [784], name: "d1" })], { name: "seq" });
    const j = JSON.parse(model.toJson());
    assert.equal(j.class_name, "Sequential");
    assert.equal(j.backend, "tensorflow");
    assert.equal(typeof j.keras_version, "string");
    assert.deepEqual(j.config.layers[0], {
      class_name: "InputLayer",
      config: { batch_input_shape: [null, 784], dtype: "float32", sparse: false, ragged: false, name: "d1_input" },
    });
    const dense = j.config.layers[1];
    assert.equal(dense.class_name, "Dense");
    assert.deepEqual(dense.config.kernel_initializer, { class_name: "GlorotUniform", config: { seed: null } });
    assert.deepEqual(dense.config.bias_initializer, { class_name: "Zeros", config: {} });
    assert.equal(dense.config.use_bias, true);
    assert.equal(dense.config.activation, "relu");
    assert.equal(dense.config.units, 10);
    assert.deepEqual(dense.config.batch_input_shape, [null, 784]);
  });

  it("a functional model: inbound_nodes, input_layers and output_layers as Keras 2 writes them; shared layers keep their node indices", () => {
    const x = tf.keras.Input([3], { name: "x" });
    const shared = new L.Dense(3, { name: "shared" });
    const h1 = shared(x) as KT;
    const h2 = shared(h1) as KT;
    const out = new L.Dense(1, { name: "out" })(h2) as KT;
    const model = new tf.keras.Model({ inputs: x, outputs: out, name: "func" });
    const j = roundTrip(model, rand([2, 3])) as { class_name: string; config: Record<string, unknown> };
    assert.equal(j.class_name, "Functional");
    const layers = j.config.layers as { name: string; inbound_nodes: unknown[] }[];
    assert.deepEqual(
      layers.map((l) => [l.name, l.inbound_nodes]),
      [
        ["x", []],
        ["shared", [[["x", 0, 0, {}]], [["shared", 0, 0, {}]]]],
        ["out", [[["shared", 1, 0, {}]]]],
      ],
    );
    assert.deepEqual(j.config.input_layers, [["x", 0, 0]]);
    assert.deepEqual(j.config.output_layers, [["out", 0, 0]]);
  });

  it("loads a JSON written as TensorFlow 2.11's Keras writes it (activity_regularizer, implementation and all)", () => {
    const json = JSON.stringify({
      class_name: "Sequential",
      config: {
        name: "sequential",
        layers: [
          { class_name: "InputLayer", config: { batch_input_shape: [null, 5, 2], dtype: "float32", sparse: false, ragged: false, name: "lstm_input" } },
          {
            class_name: "LSTM",
            config: {
              name: "lstm",
              trainable: true,
              dtype: "float32",
              return_sequences: false,
              return_state: false,
              go_backwards: false,
              stateful: false,
              unroll: false,
              time_major: false,
              units: 4,
              activation: "tanh",
              recurrent_activation: "sigmoid",
              use_bias: true,
              kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
              recurrent_initializer: { class_name: "Orthogonal", config: { gain: 1.0, seed: null } },
              bias_initializer: { class_name: "Zeros", config: {} },
              unit_forget_bias: true,
              kernel_regularizer: null,
              recurrent_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              recurrent_constraint: null,
              bias_constraint: null,
              dropout: 0.0,
              recurrent_dropout: 0.0,
              implementation: 2,
            },
          },
          {
            class_name: "Dense",
            config: {
              name: "dense",
              trainable: true,
              dtype: "float32",
              units: 1,
              activation: "sigmoid",
              use_bias: true,
              kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
              bias_initializer: { class_name: "Zeros", config: {} },
              kernel_regularizer: { class_name: "L2", config: { l2: 0.01 } },
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: { class_name: "NonNeg", config: {} },
              bias_constraint: null,
            },
          },
        ],
      },
      keras_version: "2.11.0",
      backend: "tensorflow",
    });
    const model = tf.keras.models.modelFromJson(json);
    assert.deepEqual(
      model.layers.map((l) => l.name),
      ["lstm", "dense"],
    );
    assert.equal(model.countParams(), 4 * (2 * 4 + 4 * 4 + 4) + 5);
    const y = model.predict(tf.ones([3, 5, 2]), { verbose: 0 }) as tf.Tensor;
    assert.deepEqual(y.shape, [3, 1]);
    assert.equal(model.getLayer("dense").losses.length, 1, "the L2 penalty is back");
  });
});

describe("custom objects and subclassed models", () => {
  class Scale extends L.Layer {
    readonly factor: number;
    constructor(config: { factor: number; name?: string }) {
      super({ name: config.name });
      this.factor = config.factor;
    }
    override call(x: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
      return tf.multiply(x as tf.Tensor, this.factor);
    }
    computeOutputShape(s: (number | null)[]): (number | null)[] {
      return s;
    }
    override getConfig(): Record<string, unknown> {
      return { ...super.getConfig(), factor: this.factor };
    }
  }

  it("a layer of the user's class comes back through customObjects, and an unknown class names customObjects", () => {
    const model = sequentialOf([new Scale({ factor: 3 }), new L.Dense(2)], [4]);
    assert.throws(() => tf.keras.models.modelFromJson(model.toJson()), /Unknown layer: 'Scale'.*customObjects/);
    roundTrip(model, rand([2, 4]), { Scale });
  });

  it("a subclassed model without getConfig: a clear error pointing at customObjects and saveWeights", () => {
    class MyModel extends tf.keras.Model {
      dense = new L.Dense(2);
      override call(x: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
        return this.dense(x as tf.Tensor) as tf.Tensor;
      }
    }
    const m = new MyModel();
    m.predict(tf.ones([1, 3]), { verbose: 0 });
    assert.throws(
      () => m.toJson(),
      (e: unknown) =>
        e instanceof tf.errors.UnimplementedError && /subclassed model.*getConfig.*customObjects: \{ MyModel \}.*saveWeights/.test((e as Error).message),
    );
  });

  it("models nest (a Sequential inside a functional model) and cloneModel makes new layers", () => {
    const inner = new tf.keras.Sequential([new L.Dense(3, { activation: "relu", inputShape: [4] })], { name: "inner" });
    const x = tf.keras.Input([4]);
    const out = new L.Dense(1)(inner(x) as KT);
    const model = new tf.keras.Model({ inputs: x, outputs: out });
    roundTrip(model, rand([2, 4]));
    const clone = tf.keras.models.cloneModel(model);
    assert.equal(clone.weights.length, model.weights.length);
    assert.notEqual(clone.layers[1], model.layers[1]);
  });
});

describe("serialize / deserialize of Keras objects", () => {
  it("initializers, regularizers, constraints", () => {
    assert.deepEqual(tf.keras.initializers.serialize("glorot_uniform"), { className: "GlorotUniform", config: { seed: null } });
    const vs = tf.keras.initializers.deserialize({ class_name: "VarianceScaling", config: { scale: 2, mode: "fan_in", distribution: "uniform", seed: 3 } });
    assert.deepEqual(vs.getConfig(), { scale: 2, mode: "fan_in", distribution: "uniform", seed: 3 });
    assert.deepEqual(tf.keras.regularizers.serialize(new tf.keras.regularizers.L1L2(0.1, 0.2)), { className: "L1L2", config: { l1: 0.1, l2: 0.2 } });
    const r = tf.keras.regularizers.deserialize({ className: "L2", config: { l2: 0.5 } }) as tf.keras.regularizers.L2;
    assert.equal(r.l2, 0.5);
    const c = tf.keras.constraints.deserialize({ class_name: "MinMaxNorm", config: { min_value: 0.5, max_value: 2, rate: 1, axis: 0 } });
    assert.deepEqual(c.getConfig(), { minValue: 0.5, maxValue: 2, rate: 1, axis: 0 });
    assert.throws(() => tf.keras.initializers.deserialize({ className: "Mine", config: {} }), /Unknown initializer: 'Mine'.*customObjects/);
  });

  it("optimizers, with a learning-rate schedule, and Keras's optimizer JSON", () => {
    const opt = new tf.keras.optimizers.Adam({ learningRate: new tf.keras.optimizers.schedules.ExponentialDecay(0.01, 100, 0.5), beta1: 0.8 });
    const s = tf.keras.optimizers.serialize(opt);
    assert.equal(s.className, "Adam");
    const back = tf.keras.optimizers.deserialize(JSON.parse(JSON.stringify(s))) as tf.keras.optimizers.Adam;
    assert.deepEqual(back.getConfig(), opt.getConfig());
    const keras = tf.keras.optimizers.deserialize({
      class_name: "Adam",
      config: {
        name: "Adam",
        weight_decay: null,
        clipnorm: null,
        global_clipnorm: null,
        clipvalue: null,
        use_ema: false,
        ema_momentum: 0.99,
        ema_overwrite_frequency: null,
        jit_compile: true,
        is_legacy_optimizer: false,
        learning_rate: 0.002,
        beta_1: 0.85,
        beta_2: 0.995,
        epsilon: 1e-7,
        amsgrad: false,
      },
    }) as tf.keras.optimizers.Adam;
    assert.equal(keras.learningRate, 0.002);
    assert.equal(keras.getConfig().beta1, 0.85);
  });
});
