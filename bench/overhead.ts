/**
 * Per-call overhead: Session.run of a one-op graph on scalars, a tf.function of the same op called with an
 * eager tensor (a cache hit: one key, one precompiled plan run), and one eager op, in microseconds
 * (median of repetitions). The work itself is negligible, so this is the framework's own cost.
 */
import * as tf from "../src/index.js";
import { median } from "./timing.js";

function perCallMicros(fn: () => void, calls = 20000, reps = 7): number {
  for (let i = 0; i < 2000; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / calls);
  }
  return median(samples);
}

export function benchOverhead(): { sessionRunMicros: number; sessionRunFeedMicros: number; tfFunctionMicros: number; eagerOpMicros: number } {
  const g = new tf.Graph();
  const { sessionRunMicros, sessionRunFeedMicros } = g.asDefault(() => {
    const a = tf.constant(1.0);
    const b = tf.add(a, 1);
    const x = tf.placeholder("float32", []);
    const y = tf.multiply(x, 2);
    const sess = new tf.Session();
    const feed = new Map([[x, 3]]);
    const r = {
      sessionRunMicros: perCallMicros(() => sess.run(b).dispose()),
      sessionRunFeedMicros: perCallMicros(() => sess.run(y, feed).dispose()),
    };
    sess.close();
    return r;
  });
  const c = tf.constant(1.0);
  const eagerOpMicros = perCallMicros(() => tf.add(c, c).dispose());
  const f = tf.function((x: tf.Tensor) => tf.multiply(x, 2));
  const tfFunctionMicros = perCallMicros(() => f(c).dispose());
  c.dispose();
  return { sessionRunMicros, sessionRunFeedMicros, tfFunctionMicros, eagerOpMicros };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchOverhead());
