/**
 * Batch normalization on the GPU (FusedBatchNormV3 in training and FusedBatchNormGradV3), device time per call
 * on ResNet-18's activation shapes (batch 256, NHWC), in float32 and bfloat16, against the bytes each call must
 * move (forward: x read twice and y written; gradient: x and dy read twice and dx written) as GB/s; for each
 * launch geometry of kernels/norm.ts's bnLaunch given on the command line (statsPerSm:applyPerSm pairs).
 *
 *   node tmp/gpu-test/bench/gpu_bn_bench.js [reps] [4:16,16:16,32:32]
 */
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { bnLaunch } from "../src/backends/cuda/kernels/norm.js";
import { bytesPerElement } from "../src/core/dtype.js";
import { execute } from "../src/ops/dispatch.js";
import { deviceUs } from "./gpu_device_us.js";

const reps = Number(process.argv[2] ?? 20);
const geometries = (process.argv[3] ?? "4:16,16:16,32:32").split(",").map((p) => p.split(":").map(Number));
const b = gpuBackend(0);
if (!b) {
  console.log("no GPU");
  process.exit(0);
}
const gpu = <T>(fn: () => T): T => tf.device("/gpu:0", fn);
const shapes = [
  [256, 32, 32, 64],
  [256, 16, 16, 128],
  [256, 8, 8, 256],
  [256, 4, 4, 512],
];
const attrs = { epsilon: 1e-3, data_format: "NHWC", is_training: true };

console.log(`FusedBatchNormV3 / FusedBatchNormGradV3 (training, NHWC), device us per call (${reps} calls) and GB/s`);
console.log("| shape | dtype | statsPerSm:applyPerSm | forward us | forward GB/s | gradient us | gradient GB/s |");
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: |");
for (const dtype of ["float32", "bfloat16"] as const) {
  for (const shape of shapes) {
    const C = shape[3];
    const x = gpu(() => tf.cast(tf.randomUniform(shape, -1, 1), dtype));
    const dy = gpu(() => tf.cast(tf.randomUniform(shape, -1, 1), dtype));
    const scale = gpu(() => tf.ones([C]));
    const offset = gpu(() => tf.zeros([C]));
    const empty = gpu(() => tf.zeros([0]));
    const bytes = shape.reduce((p, d) => p * d, 1) * bytesPerElement(dtype);
    for (const [statsPerSm, applyPerSm] of geometries) {
      bnLaunch.statsPerSm = statsPerSm;
      bnLaunch.applyPerSm = applyPerSm;
      const fwd = () => gpu(() => execute("FusedBatchNormV3", [x, scale, offset, empty, empty], attrs as never));
      const outs = fwd();
      const [, , , r1, r2, r3] = outs;
      const f = deviceUs(b, () => tf.dispose(fwd()), reps);
      const g = deviceUs(b, () => tf.dispose(gpu(() => execute("FusedBatchNormGradV3", [dy, x, scale, r1, r2, r3], attrs as never))), reps);
      console.log(
        `| ${JSON.stringify(shape)} | ${dtype} | ${statsPerSm}:${applyPerSm} | ${f.toFixed(1)} | ${((3 * bytes) / f / 1e3).toFixed(0)} | ${g.toFixed(1)} | ${((5 * bytes) / g / 1e3).toFixed(0)} |`,
      );
      tf.dispose(outs);
    }
    tf.dispose([x, dy, scale, offset, empty]);
  }
}
