/**
 * One side of a CPU before/after comparison: the tsflow rows of `npm run bench` (graph and eager training
 * steps, Session.run and eager-op overhead) for the tree this file sits in, as one JSON line. bench/ab_cpu.sh
 * runs it alternately in two trees (an earlier commit's and this one), so both see the same machine state.
 */
import { benchOverhead } from "./overhead.js";
import { measure } from "./timing.js";
import { eagerStep, graphStep, MODELS } from "./tsflow_models.js";

const out: Record<string, number> = {};
for (const model of MODELS) {
  for (const batch of [64, 256]) {
    for (const mode of ["graph", "eager"] as const) {
      const s = mode === "graph" ? graphStep(model, batch) : eagerStep(model, batch);
      try {
        out[`${model} ${batch} ${mode}`] = (await measure(s.step, batch, { warmup: 3, reps: 5, repSeconds: 0.4 })).median;
      } finally {
        s.close();
      }
    }
  }
}
const o = benchOverhead();
out["Session.run us"] = o.sessionRunMicros;
out["Session.run+feed us"] = o.sessionRunFeedMicros;
out["eager op us"] = o.eagerOpMicros;
console.log(JSON.stringify(out));
