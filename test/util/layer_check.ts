import assert from "node:assert/strict";
import * as tf from "../../src/index.js";

/**
 * Checks a Keras layer: its output in eager mode against `expect` (optional), its output shape against
 * computeOutputShape, and the gradients of sum(layer(x) * w) with respect to the input and every
 * trainable weight against float64 central finite differences (eagerly, with a tape); then builds the same
 * layer inside a tf.Graph (variables initialized by the session) and checks that its output and its
 * tf.gradients agree with the eager ones.
 *
 * `make` builds the layer (float64 weights with deterministic initializers: use `det`); `x` is the input.
 */
export function checkLayer(
  make: () => tf.keras.layers.Layer,
  x: tf.EagerTensor,
  opts: { tol?: number; eps?: number; training?: boolean; inputGrad?: boolean; graph?: boolean } = {},
): tf.EagerTensor {
  const eps = opts.eps ?? 1e-6;
  const tol = opts.tol ?? 1e-5;
  const call = (layer: tf.keras.layers.Layer, input: tf.Tensor) => layer(input, { training: opts.training }) as tf.Tensor;
  const layer = make();
  const y0 = call(layer, x) as tf.EagerTensor;
  const declared = (layer as unknown as { computeOutputShape(s: tf.Shape): tf.Shape }).computeOutputShape([null, ...x.shape.slice(1)]);
  assert.deepEqual(declared, [null, ...y0.shape.slice(1)], `${layer.name}: computeOutputShape vs the output's shape`);
  const w = tf.constant(
    Float64Array.from({ length: y0.size }, (_, i) => Math.sin(i * 1.7 + 0.3) + 1.1),
    { dtype: "float64", shape: y0.shape },
  );
  const loss = (input: tf.Tensor) => tf.reduceSum(tf.multiply(tf.cast(call(layer, input), "float64"), w));
  const weights = layer.trainableWeights;
  const floatInput = x.dtype === "float64" && opts.inputGrad !== false;

  const tape = new tf.GradientTape();
  const l = tape.run(() => {
    if (floatInput) tape.watch(x);
    return loss(x);
  }) as tf.EagerTensor;
  const sources: (tf.Tensor | tf.Variable)[] = [...(floatInput ? [x] : []), ...weights];
  const grads = tape.gradient(l, sources as tf.Tensor[]) as (tf.EagerTensor | null)[];

  const numeric = (values: Float64Array, set: (v: Float64Array) => void): Float64Array => {
    const out = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) {
      const plus = values.slice();
      plus[j] += eps;
      set(plus);
      const fp = (loss(xNow) as tf.EagerTensor).item() as number;
      const minus = values.slice();
      minus[j] -= eps;
      set(minus);
      const fm = (loss(xNow) as tf.EagerTensor).item() as number;
      out[j] = (fp - fm) / (2 * eps);
    }
    set(values);
    return out;
  };
  let xNow: tf.Tensor = x;
  const compare = (label: string, got: tf.EagerTensor | null, want: Float64Array) => {
    assert.ok(got !== null, `${label}: no gradient`);
    const g = got.dataSync() as Float64Array;
    for (let j = 0; j < want.length; j++) {
      const err = Math.abs(g[j] - want[j]) / Math.max(1, Math.abs(want[j]));
      assert.ok(err <= tol, `${label}[${j}]: tape ${g[j]}, finite differences ${want[j]} (rel. error ${err})`);
    }
  };
  let k = 0;
  if (floatInput) {
    const base = Float64Array.from(x.dataSync() as Float64Array);
    compare(
      `${layer.name} d/dx`,
      grads[k++],
      numeric(base, (v) => (xNow = tf.constant(v, { dtype: "float64", shape: x.shape }))),
    );
  }
  for (const v of weights) {
    const base = Float64Array.from((v.value() as tf.EagerTensor).dataSync() as Float64Array);
    compare(
      `${layer.name} d/d${v.name}`,
      grads[k++],
      numeric(base, (vals) => v.assign(tf.constant(vals, { dtype: "float64", shape: v.shape as number[] }))),
    );
  }

  if (opts.graph !== false) {
    const g = new tf.Graph();
    g.asDefault(() => {
      const p = tf.placeholder(x.dtype, [null, ...x.shape.slice(1)]);
      const gl = make();
      const y = call(gl, p);
      assert.deepEqual(y.shape?.slice(1), y0.shape.slice(1), `${gl.name}: graph output's static shape`);
      const gw = tf.constant(w.dataSync() as Float64Array, { dtype: "float64", shape: y0.shape });
      const gloss = tf.reduceSum(tf.multiply(tf.cast(y, "float64"), gw));
      const gsrc = [...(floatInput ? [p] : []), ...gl.trainableWeights];
      const ggrads = tf.gradients(gloss, gsrc as tf.Tensor[]);
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const feed = new Map([[p, x]]);
      const [yv, ...gv] = sess.run([y, ...ggrads], feed) as tf.EagerTensor[];
      sess.close();
      assertAllClose(yv, y0, 1e-9, `${gl.name}: graph output`);
      gv.forEach((gr, i) => assertAllClose(gr, grads[i] as tf.EagerTensor, 1e-9, `${gl.name}: tf.gradients #${i}`));
    });
  }
  return y0;
}

export function assertAllClose(got: tf.EagerTensor, want: tf.EagerTensor | number[], tol: number, label: string): void {
  const w = Array.isArray(want) ? want : Array.from(want.dataSync() as Float64Array);
  const g = Array.from(got.dataSync() as Float64Array);
  assert.equal(g.length, w.length, `${label}: size`);
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - w[i]) <= tol * Math.max(1, Math.abs(w[i])), `${label}[${i}]: ${g[i]} != ${w[i]}`);
}

/** A deterministic initializer (the same values eagerly and in a graph): sin of the index, scaled. */
export function det(scale = 0.5, offset = 0): (shape: number[], dtype?: tf.DType) => tf.Tensor {
  return (shape, dtype) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.constant(
      Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.9 + 0.4) * scale + offset),
      { dtype: dtype ?? "float64", shape },
    );
  };
}

/** A deterministic float64 input. */
export function input(shape: number[], scale = 1): tf.EagerTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.constant(
    Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.3 + 0.2) * scale),
    { dtype: "float64", shape },
  ) as tf.EagerTensor;
}
