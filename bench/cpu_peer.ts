/**
 * tsflow's CPU graph mode beside PyTorch's CPU build, LeNet-5 and the MLP at batch 64 and 256, in one run: the
 * training table's two columns alone, for a machine where the whole `npm run bench` is not wanted (the GPU
 * machine's CPU: run it with TSFLOW_CUDA=0). Prints the BLAS tsflow loaded, the threads, and a Markdown table.
 *
 *   TSFLOW_CUDA=0 node tmp/gpu-test/bench/cpu_peer.js [--quick] [--threads=1,2,4,8,16]     (or node --import tsx bench/cpu_peer.ts)
 * With --threads both run at each count in turn (tf.config.threading.setIntraOpParallelismThreads, which also
 * sets a loaded BLAS's threads, and torch.set_num_threads).
 */
import { cpus } from "node:os";
import * as tf from "../src/index.js";
import { measure } from "./timing.js";
import { torchCpuRows } from "./torch_cpu.js";
import { graphStep, type ModelName } from "./tsflow_models.js";

const quick = process.argv.includes("--quick");
const models: ModelName[] = ["lenet", "mlp"];
const batches = [64, 256];
// --threads=1,2,4,...: a sweep, both frameworks at each count (tf.config.threading, torch.set_num_threads).
const sweep = process.argv
  .find((a) => a.startsWith("--threads="))
  ?.slice("--threads=".length)
  .split(",")
  .map(Number);
const info = tf.config.experimental.getBlasInfo();
console.log(`${cpus().length} cores (${cpus()[0]?.model ?? "?"}); tsflow CPU kernels: ${JSON.stringify(info)}`);
console.log("| threads | model | batch | tsflow graph samples/s | PyTorch cpu samples/s | tsflow / PyTorch |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const threads of sweep ?? [undefined]) {
  if (threads !== undefined) tf.config.threading.setIntraOpParallelismThreads(threads);
  const shown = threads ?? tf.config.experimental.getBlasInfo().threads;
  const ours = new Map<string, number>();
  for (const model of models) {
    for (const batch of batches) {
      const s = graphStep(model, batch);
      try {
        ours.set(`${model}|${batch}`, (await measure(s.step, batch, { reps: quick ? 3 : 5, repSeconds: quick ? 0.3 : 0.6 })).median);
      } finally {
        s.close();
      }
    }
  }
  for (const r of torchCpuRows(models, batches, quick, threads)) {
    const a = ours.get(`${r.model}|${r.batch}`) ?? 0;
    const b = "error" in r.result ? null : r.result.median;
    console.log(
      `| ${shown} | ${r.model} | ${r.batch} | ${a.toFixed(0)} | ${b === null ? (r.result as { error: string }).error : b.toFixed(0)} | ${b ? `${(a / b).toFixed(2)}x` : "-"} |`,
    );
  }
}
