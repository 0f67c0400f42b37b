/**
 * An LSTM layer's training step on the CPU: forward over the sequence and backward through it with a
 * GradientTape (tf.keras.layers.LSTM, batch 64, 50 steps, 128 units, 32 input features; float32), three
 * ways: the whole sequence as one LSTMSequence op (the default), unrolled into per-step ops with the fused
 * cell (`unroll: true`), and with the same equations composed of public ops (a sigmoid passed as a function
 * makes the layer compose). `node --import tsx bench/lstm.ts` prints them; bench/run.ts adds them to
 * docs/BENCHMARKS.md.
 */
import * as tf from "../src/index.js";
import { measure, type Measurement } from "./timing.js";

export interface LstmBench {
  readonly label: string;
  readonly result: Measurement;
}

const SHAPE = { batch: 64, time: 50, units: 128, features: 32 };

type Variant = "sequence" | "steps" | "composed";
const VARIANTS: Record<Variant, { options: Record<string, unknown>; label: string }> = {
  sequence: { options: {}, label: "one LSTMSequence op" },
  steps: { options: { unroll: true }, label: "fused step ops (unroll)" },
  composed: { options: { recurrentActivation: (x: tf.Tensor) => tf.sigmoid(x) }, label: "composed ops" },
};

function lstmStep(variant: Variant, batch: number, time: number, units: number, features: number): () => void {
  const layer = new tf.keras.layers.LSTM(units, VARIANTS[variant].options as never);
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
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    const result = await measure(lstmStep(variant, batch, time, units, features), batch, { warmup: 2, reps: quick ? 3 : 5, repSeconds: quick ? 0.5 : 1 });
    out.push({
      label: `LSTM ${units} units, batch ${batch}, ${time} steps, ${features} features: forward + backward, ${VARIANTS[variant].label}`,
      result,
    });
  }
  return out;
}

export function formatLstm(rows: readonly LstmBench[]): string {
  const lines = ["| LSTM layer training step (CPU, float32) | sequences/s | ms per step |", "| --- | --- | --- |"];
  for (const r of rows) lines.push(`| ${r.label} | ${r.result.median.toFixed(1)} | ${((SHAPE.batch / r.result.median) * 1000).toFixed(1)} |`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchLstm(process.argv.includes("--quick"));
  console.log(formatLstm(rows));
}
