/**
 * tf.keras recurrent layers: SimpleRNN, LSTM and GRU against a plain-JS reference of Keras's equations,
 * their options (returnSequences, returnState, goBackwards, stateful, masking, initialState, dropout),
 * Bidirectional, TimeDistributed and Masking, gradients against finite differences, eagerly and in a tf.Graph.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { assertClose } from "./util/gradcheck.js";

const L = tf.keras.layers;
type M = number[][];

// ---------------------------------------------------------------- a plain-JS reference of Keras's cells

const sig = (v: number) => 1 / (1 + Math.exp(-v));
function matvec(x: number[], w: M): number[] {
  const out = new Array(w[0].length).fill(0);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < out.length; j++) out[j] += x[i] * w[i][j];
  return out;
}
const addv = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);

function refLstm(xs: number[][], W: M, U: M, b: number[], h0: number[], c0: number[]): { hs: number[][]; c: number[] } {
  const u = h0.length;
  let h = h0;
  let c = c0;
  const hs: number[][] = [];
  for (const x of xs) {
    const z = addv(addv(matvec(x, W), matvec(h, U)), b);
    const i = z.slice(0, u).map(sig);
    const f = z.slice(u, 2 * u).map(sig);
    const g = z.slice(2 * u, 3 * u).map(Math.tanh);
    const o = z.slice(3 * u).map(sig);
    c = c.map((cv, k) => f[k] * cv + i[k] * g[k]);
    h = c.map((cv, k) => o[k] * Math.tanh(cv));
    hs.push(h);
  }
  return { hs, c };
}

function refGru(xs: number[][], W: M, U: M, b: number[][], h0: number[], resetAfter: boolean): number[][] {
  const u = h0.length;
  let h = h0;
  const hs: number[][] = [];
  for (const x of xs) {
    const xp = addv(matvec(x, W), b[0]);
    let z: number[];
    let hh: number[];
    if (resetAfter) {
      const hp = addv(matvec(h, U), b[1]);
      z = xp.slice(0, u).map((v, k) => sig(v + hp[k]));
      const r = xp.slice(u, 2 * u).map((v, k) => sig(v + hp[u + k]));
      hh = xp.slice(2 * u).map((v, k) => Math.tanh(v + r[k] * hp[2 * u + k]));
    } else {
      const hp = matvec(h, U);
      z = xp.slice(0, u).map((v, k) => sig(v + hp[k]));
      const r = xp.slice(u, 2 * u).map((v, k) => sig(v + hp[u + k]));
      const Uh = U.map((row) => row.slice(2 * u));
      const rh = matvec(
        h.map((v, k) => v * r[k]),
        Uh,
      );
      hh = xp.slice(2 * u).map((v, k) => Math.tanh(v + rh[k]));
    }
    h = h.map((hv, k) => z[k] * hv + (1 - z[k]) * hh[k]);
    hs.push(h);
  }
  return hs;
}

const rows = (t: tf.Variable | tf.Tensor): M => ("value" in t ? (t as tf.Variable).value() : t).arraySync() as M;
const seq = (batch: number, time: number, features: number, seed = 1) =>
  tf.constant(
    Float64Array.from({ length: batch * time * features }, (_, i) => Math.sin(i * 0.7 + seed) * 0.9),
    { dtype: "float64", shape: [batch, time, features] },
  );

describe("LSTM", () => {
  it("matches Keras's equations, with returnSequences and returnState, and its weights have Keras's shapes, names and defaults", () => {
    const layer = new L.LSTM(3, { returnSequences: true, returnState: true, dtype: "float64", name: "enc" });
    const x = seq(2, 4, 5);
    const [ys, h, c] = layer(x) as unknown as tf.Tensor[];
    assert.deepEqual(ys.shape, [2, 4, 3]);
    assert.deepEqual(
      layer.weights.map((w) => [w.name, w.shape]),
      [
        ["enc/lstm_cell/kernel:0", [5, 12]],
        ["enc/lstm_cell/recurrent_kernel:0", [3, 12]],
        ["enc/lstm_cell/bias:0", [12]],
      ],
    );
    const [W, U, bias] = layer.weights;
    // unit_forget_bias: ones for the forget gate, zeros elsewhere; the recurrent kernel is orthogonal (U U^T = I for [3, 12]).
    assert.deepEqual(bias.value().arraySync(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assertClose(
      tf.matmul(U, U, { transposeB: true }).arraySync(),
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      1e-9,
    );
    const xv = x.arraySync() as number[][][];
    for (let n = 0; n < 2; n++) {
      const ref = refLstm(xv[n], rows(W), rows(U), bias.value().arraySync() as number[], [0, 0, 0], [0, 0, 0]);
      assertClose((ys.arraySync() as M[])[n], ref.hs, 1e-9);
      assertClose((h.arraySync() as M)[n], ref.hs[3], 1e-9);
      assertClose((c.arraySync() as M)[n], ref.c, 1e-9);
    }
    // The last step of the sequence is what returnSequences false returns.
    const last = new L.LSTM(3, { dtype: "float64" });
    last(x);
    layer.weights.forEach((w, i) => last.weights[i].assign(w.value()));
    assertClose((last(x) as tf.Tensor).arraySync(), h.arraySync(), 1e-12);
  });

  it("takes initial states, runs backwards, and keeps its states across calls when stateful", () => {
    const x = seq(2, 5, 3, 2);
    const layer = new L.LSTM(2, { dtype: "float64", returnState: true });
    const h0 = tf.constant(
      [
        [0.1, -0.2],
        [0.3, 0.4],
      ],
      { dtype: "float64" },
    );
    const c0 = tf.constant(
      [
        [0.5, 0.0],
        [-0.5, 0.2],
      ],
      { dtype: "float64" },
    );
    const [y] = layer(x, { initialState: [h0, c0] }) as unknown as tf.Tensor[];
    const [W, U, b] = layer.weights.map((w) => w.value().arraySync());
    const xv = x.arraySync() as number[][][];
    const ref = refLstm(xv[1], W as M, U as M, b as number[], [0.3, 0.4], [-0.5, 0.2]);
    assertClose((y.arraySync() as M)[1], ref.hs[4], 1e-9);

    const back = new L.LSTM(2, { dtype: "float64", goBackwards: true });
    back(x);
    layer.weights.forEach((w, i) => back.weights[i].assign(w.value()));
    const refBack = refLstm([...xv[0]].reverse(), W as M, U as M, b as number[], [0, 0], [0, 0]);
    assertClose(((back(x) as tf.Tensor).arraySync() as M[])[0], refBack.hs[4], 1e-9);

    // stateful: two calls on halves equal one call on the whole sequence; resetStates starts again.
    const whole = new L.LSTM(2, { dtype: "float64" });
    whole(x);
    const stateful = new L.LSTM(2, { dtype: "float64", stateful: true });
    stateful(x);
    stateful.resetStates();
    layer.weights.forEach((w, i) => {
      whole.weights[i].assign(w.value());
      stateful.weights[i].assign(w.value());
    });
    stateful(tf.slice(x, [0, 0, 0], [-1, 3, -1]));
    const second = stateful(tf.slice(x, [0, 3, 0], [-1, 2, -1])) as tf.Tensor;
    assertClose(second.arraySync(), (whole(x) as tf.Tensor).arraySync(), 1e-9);
    stateful.resetStates();
    assertClose((stateful(x) as tf.Tensor).arraySync(), (whole(x) as tf.Tensor).arraySync(), 1e-9);
  });

  it("skips masked steps: the states carry over and the previous output repeats (Keras's masking)", () => {
    const x = seq(2, 4, 3, 3);
    const layer = new L.LSTM(2, { dtype: "float64", returnSequences: true, returnState: true });
    const mask = tf.constant([
      [true, true, false, true],
      [true, true, true, true],
    ]);
    const [ys, h] = layer(x, { mask }) as unknown as tf.Tensor[];
    const [W, U, b] = layer.weights.map((w) => w.value().arraySync());
    const xv = x.arraySync() as number[][][];
    const ref = refLstm([xv[0][0], xv[0][1], xv[0][3]], W as M, U as M, b as number[], [0, 0], [0, 0]);
    const y0 = (ys.arraySync() as M[])[0];
    assertClose(y0, [ref.hs[0], ref.hs[1], ref.hs[1], ref.hs[2]], 1e-9);
    assertClose((h.arraySync() as M)[0], ref.hs[2], 1e-9);

    // The same through a Masking layer: padded (all-zero) steps are skipped.
    const padded = tf.concat([tf.slice(x, [0, 0, 0], [1, 2, 3]), tf.zeros([1, 1, 3], "float64"), tf.slice(x, [0, 3, 0], [1, 1, 3])], 1);
    const last = new L.LSTM(2, { dtype: "float64" });
    last(padded);
    layer.weights.forEach((w, i) => last.weights[i].assign(w.value()));
    const masking = new L.Masking({ maskValue: 0 });
    const masked = masking(padded);
    assertClose((last(masked, { mask: masking.computeMask(padded) }) as tf.Tensor).arraySync(), [ref.hs[2]], 1e-9);
  });

  it("differentiates through the whole sequence (tape vs finite differences in float64)", () => {
    const layer = new L.LSTM(2, { dtype: "float64", returnSequences: true });
    const x = seq(2, 3, 2, 4);
    layer(x);
    const loss = () => tf.reduceSum(tf.multiply(layer(x) as tf.Tensor, tf.constant([[[1, -2]], [[0.5, 3]]], { dtype: "float64" })));
    const tape = new tf.GradientTape();
    const l = tape.run(loss);
    const grads = tape.gradient(l, layer.trainableWeights) as unknown as tf.Tensor[];
    layer.trainableWeights.forEach((w, k) => {
      const g = grads[k].dataSync() as Float64Array;
      const base = Float64Array.from(w.value().dataSync() as Float64Array);
      for (let j = 0; j < base.length; j += 3) {
        const at = (d: number) => {
          const v = base.slice();
          v[j] += d;
          w.assign(tf.constant(v, { dtype: "float64", shape: w.shape as number[] }));
          return Number((loss() as tf.EagerTensor).item());
        };
        const numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
        w.assign(tf.constant(base, { dtype: "float64", shape: w.shape as number[] }));
        assert.ok(Math.abs(g[j] - numeric) <= 1e-6 * Math.max(1, Math.abs(numeric)), `${w.name}[${j}]: ${g[j]} vs ${numeric}`);
      }
    });
  });

  it("builds and runs in a tf.Graph (TF1-style) with a Session", () => {
    const g = new tf.Graph();
    const feed = tf.ones([5, 4, 3]);
    g.asDefault(() => {
      const p = tf.placeholder("float32", [null, 4, 3]);
      const layer = new L.LSTM(2, { returnSequences: true });
      const y = layer(p) as tf.SymbolicTensor;
      assert.deepEqual(y.shape, [null, 4, 2]);
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const out = sess.run(y, new Map([[p as tf.SymbolicTensor, feed as tf.EagerTensor]])) as tf.EagerTensor;
      assert.deepEqual(out.shape, [5, 4, 2]);
      sess.close();
    });
  });

  it("applies dropout only in training, and computeOutputShape and getConfig say what Keras says", () => {
    const layer = new L.LSTM(4, { dropout: 0.5, recurrentDropout: 0.5, returnSequences: true, returnState: true });
    const x = tf.ones([3, 2, 5]);
    const a = (layer(x) as unknown as tf.Tensor[])[0].arraySync();
    const b = (layer(x, { training: false }) as unknown as tf.Tensor[])[0].arraySync();
    assert.deepEqual(a, b);
    const t = (layer(x, { training: true }) as unknown as tf.Tensor[])[0];
    assert.deepEqual(t.shape, [3, 2, 4]);
    assert.deepEqual(layer.computeOutputShape([null, 7, 5]), [
      [null, 7, 4],
      [null, 4],
      [null, 4],
    ]);
    const config = layer.getConfig();
    assert.equal(config.units, 4);
    assert.equal(config.returnSequences, true);
    assert.equal(config.recurrentInitializer, "orthogonal");
    const copy = new L.LSTM(config as { units: number });
    assert.equal(copy.units, 4);
  });
});

describe("GRU and SimpleRNN", () => {
  for (const resetAfter of [true, false]) {
    it(`GRU (resetAfter ${resetAfter}) matches Keras's equations`, () => {
      const layer = new L.GRU(3, { returnSequences: true, resetAfter, dtype: "float64", biasInitializer: "ones" });
      const x = seq(2, 3, 4, 5);
      const ys = layer(x) as tf.Tensor;
      const [W, U, b] = layer.weights.map((w) => w.value().arraySync());
      assert.deepEqual(layer.weights[2].shape, resetAfter ? [2, 9] : [9]);
      const bias = resetAfter ? (b as M) : [b as number[], new Array(9).fill(0)];
      const xv = x.arraySync() as number[][][];
      for (let n = 0; n < 2; n++) assertClose((ys.arraySync() as M[])[n], refGru(xv[n], W as M, U as M, bias, [0, 0, 0], resetAfter), 1e-9);
    });
  }

  it("SimpleRNN computes h = tanh(x W + b + h U) (a hand-computed case)", () => {
    const layer = new L.SimpleRNN(1, {
      returnSequences: true,
      kernelInitializer: { call: () => tf.constant([[0.5]]) },
      recurrentInitializer: { call: () => tf.constant([[0.3]]) },
      biasInitializer: { call: () => tf.constant([0.1]) },
    });
    const y = layer(tf.constant([[[1], [2]]])) as tf.Tensor;
    const h1 = Math.tanh(0.6);
    assertClose(y.arraySync(), [[[h1], [Math.tanh(1.1 + 0.3 * h1)]]], 1e-6);
  });

  it("RNN(cell) runs a built-in cell and a user-defined cell; a cell is called on one step with its states", () => {
    const cell = new L.SimpleRNNCell(2, { dtype: "float64" });
    const rnn = new L.RNN(cell, { returnSequences: true });
    const x = seq(1, 3, 2, 6);
    const ys = rnn(x) as tf.Tensor;
    const [out, h] = cell(tf.slice(x, [0, 0, 0], [1, 1, 2]).reshape([1, 2]), { states: [tf.zeros([1, 2], "float64")] }) as unknown as tf.Tensor[];
    assertClose(out.arraySync(), (tf.slice(ys, [0, 0, 0], [1, 1, 2]).reshape([1, 2]) as tf.Tensor).arraySync(), 1e-12);
    assertClose(h.arraySync(), out.arraySync(), 0);

    class Accumulate extends tf.keras.layers.Layer {
      stateSize = 2;
      override call(inputs: tf.Tensor | readonly tf.Tensor[], options: { states?: tf.Tensor[] } = {}): tf.Tensor[] {
        const s = tf.add((options.states as tf.Tensor[])[0], inputs as tf.Tensor);
        return [s, s];
      }
    }
    const sum = new L.RNN(new Accumulate() as never)(
      tf.constant([
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      ]),
    ) as tf.Tensor;
    assert.deepEqual(sum.arraySync(), [[9, 12]]);
  });
});

describe("wrappers", () => {
  it("Bidirectional concatenates a forward and a backward pass (sum, ave, mul and null too)", () => {
    const x = seq(2, 3, 2, 7);
    const bi = new L.Bidirectional(new L.LSTM(2, { returnSequences: true, dtype: "float64" }));
    const y = bi(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 3, 4]);
    assert.deepEqual(bi.computeOutputShape([null, 3, 2]), [null, 3, 4]);
    assert.equal(bi.weights.length, 6);
    const [W, U, b, Wb, Ub, bb] = bi.weights.map((w) => w.value().arraySync());
    const xv = x.arraySync() as number[][][];
    const fw = refLstm(xv[0], W as M, U as M, b as number[], [0, 0], [0, 0]).hs;
    const bw = refLstm([...xv[0]].reverse(), Wb as M, Ub as M, bb as number[], [0, 0], [0, 0]).hs.reverse();
    assertClose(
      (y.arraySync() as M[])[0],
      fw.map((h, t) => [...h, ...bw[t]]),
      1e-9,
    );

    const both = new L.Bidirectional(new L.GRU(3, { returnState: true }), { mergeMode: null });
    const out = both(tf.ones([2, 4, 2])) as unknown as tf.Tensor[];
    assert.deepEqual(
      out.map((t) => t.shape),
      [
        [2, 3],
        [2, 3],
        [2, 3],
        [2, 3],
      ],
    );
    for (const mergeMode of ["sum", "ave", "mul"] as const) {
      assert.deepEqual((new L.Bidirectional(new L.SimpleRNN(3), { mergeMode })(tf.ones([2, 4, 2])) as tf.Tensor).shape, [2, 3]);
    }
  });

  it("TimeDistributed applies a layer to every step with the same weights", () => {
    class Scale extends tf.keras.layers.Layer {
      w!: tf.Variable;
      override build(s: tf.Shape | tf.Shape[]): void {
        const shape = s as number[];
        this.w = this.addWeight("w", { shape: [shape[shape.length - 1], 2], initializer: { call: (sh) => tf.ones(sh) } });
      }
      override call(inputs: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
        return tf.matmul(inputs as tf.Tensor, this.w);
      }
      computeOutputShape(s: tf.Shape): tf.Shape {
        return [(s as number[])[0], 2];
      }
    }
    const td = new L.TimeDistributed(new Scale());
    const y = td(
      tf.constant([
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ]),
    ) as tf.Tensor;
    assert.deepEqual(y.arraySync(), [
      [
        [6, 6],
        [15, 15],
      ],
    ]);
    assert.deepEqual(td.computeOutputShape([null, 2, 3]), [null, 2, 2]);
    assert.equal(td.weights.length, 1);
  });
});

describe("inside tf.function", () => {
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  /** Outputs and the recurrent kernel's gradient of sum(first output), as one list. */
  const outputsAndGradient = (layer: tf.keras.layers.RNN) => (x: tf.Tensor, mask: tf.Tensor) => {
    const tape = new tf.GradientTape();
    let y: tf.Tensor | tf.Tensor[] = [];
    const loss = tape.run(() => {
      y = layer(x, { mask }) as tf.Tensor | tf.Tensor[];
      return tf.reduceSum(Array.isArray(y) ? y[0] : y);
    });
    return [...(Array.isArray(y) ? y : [y]), (tape.gradient(loss, layer.trainableWeights) as tf.Tensor[])[1]];
  };

  it("a known length is unrolled; a length unknown when tracing becomes one tf.whileLoop with the same values and gradients", () => {
    const x = seq(2, 5, 3, 8).cast("float32");
    const mask = tf.constant([
      [true, true, false, true, true],
      [true, false, true, true, true],
    ]);
    for (const layer of [new L.LSTM(3, { returnSequences: true }), new L.GRU(3, { goBackwards: true, returnState: true })]) {
      const run = outputsAndGradient(layer);
      const eager = run(x, mask).map((t) => flat(t.arraySync()));
      const known = tf.function(run);
      const unknown = tf.function(run, { inputSignature: [new tf.TensorSpec([null, null, 3]), new tf.TensorSpec([null, null], "bool")] });
      for (const f of [known, unknown]) {
        const got = (f(x, mask) as unknown as tf.Tensor[]).map((t) => flat(t.arraySync()));
        got.forEach((g, i) => assertClose(g, eager[i], 1e-5));
      }
    }
  });
});

describe("in Keras models", () => {
  it("takes Embedding(maskZero)'s mask (padded steps skipped); parameter counts are Keras's", () => {
    const emb = new L.Embedding(10, 3, { maskZero: true });
    const lstm = new L.LSTM(4);
    const ids = tf.constant([[3, 5, 0, 0]], { dtype: "int32" });
    const padded = lstm(emb(ids) as tf.Tensor, { mask: emb.computeMask(ids) }) as tf.Tensor;
    const direct = lstm(emb(tf.constant([[3, 5]], { dtype: "int32" })) as tf.Tensor) as tf.Tensor;
    assertClose(padded.arraySync(), direct.arraySync(), 1e-6);
    assert.equal(lstm.countParams(), 4 * 4 * (3 + 4 + 1));
    const bi = new L.Bidirectional(new L.GRU(3));
    bi(tf.ones([1, 2, 10]));
    assert.equal(bi.countParams(), 2 * 3 * 3 * (10 + 3 + 2));
  });

  it("Sequential and functional models pass Embedding(maskZero)'s mask on to the LSTM, as Keras does", () => {
    const emb = new L.Embedding(10, 3, { maskZero: true });
    const lstm = new L.LSTM(4);
    const seq = new tf.keras.Sequential([emb, lstm]);
    const padded = seq.predict(tf.constant([[3, 5, 0, 0]], { dtype: "int32" }), { verbose: 0 }) as tf.Tensor;
    const direct = lstm(emb(tf.constant([[3, 5]], { dtype: "int32" })) as tf.Tensor) as tf.Tensor;
    assertClose(padded.arraySync(), direct.arraySync(), 1e-6);
    const inp = tf.keras.Input([null], { dtype: "int32" });
    const functional = new tf.keras.Model({ inputs: inp, outputs: lstm(emb(inp)) });
    const fPadded = functional.predict(tf.constant([[3, 5, 0, 0]], { dtype: "int32" }), { verbose: 0 }) as tf.Tensor;
    assertClose(fPadded.arraySync(), direct.arraySync(), 1e-6);
  });

  it("a functional model takes an LSTM's states and TimeDistributed outputs", () => {
    const inp = tf.keras.Input([7, 3]);
    const [seq, h] = new L.LSTM(4, { returnSequences: true, returnState: true })(inp) as unknown as ReturnType<typeof tf.keras.Input>[];
    const out = new L.TimeDistributed(new L.Dense(2))(seq);
    assert.deepEqual(out.shape, [null, 7, 2]);
    assert.deepEqual(h.shape, [null, 4]);
    const model = new tf.keras.Model({ inputs: inp, outputs: [out, h] });
    const [y, state] = model.predict(tf.ones([5, 7, 3]), { verbose: 0 }) as tf.Tensor[];
    assert.deepEqual(
      [y.shape, state.shape],
      [
        [5, 7, 2],
        [5, 4],
      ],
    );
  });
});
