/**
 * A fixed number of training steps of one runner, for a kernel profiler to walk (`ncu --launch-skip N
 * --launch-count M node tmp/gpu-test/bench/kernel_walk.js ...`): the kernels of a steady-state step, in order,
 * beside another runner's. Prints nothing but the step count.
 *
 *   node tmp/gpu-test/bench/kernel_walk.js --runner=graph|fit --model=mlp|lenet --batch=64 [--steps=1000] [--tf32]
 */
import * as tf from "../src/index.js";
import { kerasModel, syntheticSet } from "./keras_fit.js";
import { graphStep, type ModelName } from "./tsflow_models.js";

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const runner = arg("runner", "graph");
const model = arg("model", "mlp") as Extract<ModelName, "mlp" | "lenet">;
const batch = Number(arg("batch", "64"));
const steps = Number(arg("steps", "1000"));
tf.config.experimental.enableTensorFloat32Execution(process.argv.includes("--tf32"));
tf.config.experimental.setTsflowOptions({ cudaGraphs: true });
if (runner === "fit") {
  const m = kerasModel(model);
  const { x, y } = syntheticSet(steps * batch);
  await m.fit(x, y, { batchSize: batch, epochs: 1, verbose: 0 });
} else {
  const s = graphStep(model, batch, { feedTensors: true });
  for (let i = 0; i < steps; i++) s.step();
  s.close();
}
console.log(`${runner} ${model} batch ${batch}: ${steps} steps`);
