/**
 * An LSTM and a GRU layer's training step on the CPU: forward over the sequence and backward through it
 * with a GradientTape (tf.keras.layers.LSTM and GRU, batch 64, 50 steps, 128 units, 32 input features;
 * float32). The LSTM three ways: the whole sequence as one LSTMSequence op (the default), unrolled into
 * per-step ops with the fused cell (`unroll: true`), and with the same equations composed of public ops (a
 * sigmoid passed as a function makes the layer compose). The GRU as one GRUSequence op and unrolled, with
 * resetAfter (TF2's default: the fused GRUCellStep per step) and without (per step composed of public ops).
 * `node --import tsx bench/lstm.ts` prints them; bench/run.ts adds them to docs/BENCHMARKS.md.
 */
import * as tf from "../src/index.js";
import { measure, type Measurement } from "./timing.js";

export interface LstmBench {
  readonly label: string;
  readonly result: Measurement;
}

const SHAPE = { batch: 64, time: 50, units: 128, features: 32 };

interface Variant {
  readonly layer: "LSTM" | "GRU";
  readonly options: Record<string, unknown>;
  readonly label: string;
}
const VARIANTS: readonly Variant[] = [
  { layer: "LSTM", options: {}, label: "one LSTMSequence op" },
  { layer: "LSTM", options: { unroll: true }, label: "fused step ops (unroll)" },
  { layer: "LSTM", options: { recurrentActivation: (x: tf.Tensor) => tf.sigmoid(x) }, label: "composed ops" },
  { layer: "GRU", options: {}, label: "one GRUSequence op" },
  { layer: "GRU", options: { unroll: true }, label: "fused step ops (unroll)" },
  { layer: "GRU", options: { resetAfter: false }, label: "resetAfter false, one GRUSequence op" },
  { layer: "GRU", options: { resetAfter: false, unroll: true }, label: "resetAfter false, composed step ops (unroll)" },
];

function trainStep(v: Variant, batch: number, time: number, units: number, features: number): () => void {
  const layer = v.layer === "LSTM" ? new tf.keras.layers.LSTM(units, v.options as never) : new tf.keras.layers.GRU(units, v.options as never);
  const x = tf.randomNormal([batch, time, features]);
  layer(x);
  const weights = layer.trainableWeights;
  return () =>
    tf.tidy(() => {
      const tape = new tf.GradientTape();
      const loss = tape.run(() => tf.reduceMean(tf.square(layer(x) as tf.Tensor)));
      const grads = tape.gradient(loss, weights) as tf.EagerTensor[];
      grads[0].dataSync();
    });
}

export async function benchLstm(quick = false): Promise<LstmBench[]> {
  const { batch, time, units, features } = SHAPE;
  const out: LstmBench[] = [];
  for (const v of VARIANTS) {
    const result = await measure(trainStep(v, batch, time, units, features), batch, { warmup: 2, reps: quick ? 3 : 5, repSeconds: quick ? 0.5 : 1 });
    out.push({ label: `${v.layer} ${units} units, batch ${batch}, ${time} steps, ${features} features: forward + backward, ${v.label}`, result });
  }
  return out;
}

export function formatLstm(rows: readonly LstmBench[]): string {
  const lines = ["| LSTM / GRU layer training step (CPU, float32) | sequences/s | ms per step |", "| --- | --- | --- |"];
  for (const r of rows) lines.push(`| ${r.label} | ${r.result.median.toFixed(1)} | ${((SHAPE.batch / r.result.median) * 1000).toFixed(1)} |`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchLstm(process.argv.includes("--quick"));
  console.log(formatLstm(rows));
}
