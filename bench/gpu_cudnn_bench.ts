/**
 * cuDNN against tsflow's own convolution and pooling kernels, op by op (for bench/GPU_NOTES.md and the rule
 * in backends/cuda/kernels/conv.ts that picks between them). Device time per call, measured with events behind a spinning kernel
 * (the host queues all calls first), TF32 as configured (on by default). cuDNN is called through cudnn.ts
 * directly (every case it takes, whatever kernels/conv.ts's rule), the own kernels through the op with cuDNN off.
 *
 *   node tmp/gpu-test/bench/gpu_cudnn_bench.js [reps]
 */
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import type { CudaHandle } from "../src/backends/cuda/handle.js";
import {
  cudnnConv2d,
  cudnnConv2dBackpropFilter,
  cudnnConv2dBackpropInput,
  cudnnFor,
  cudnnMaxPool,
  cudnnMaxPoolGrad,
  PoolShape,
} from "../src/backends/cuda/cudnn.js";
import { execute } from "../src/ops/dispatch.js";
import { deviceUs as deviceUsOn } from "./gpu_device_us.js";
import { convShape } from "./gpu_conv_shape.js";
import type { OpType } from "../src/core/schema/index.js";

const reps = Number(process.argv[2] ?? 20);
const b = gpuBackend(0);
const dnn = b ? cudnnFor(b) : null;
if (!b || !dnn) {
  console.log(`no GPU or no cuDNN`);
  process.exit(0);
}
type E = tf.EagerTensor;
const gpu = <T>(fn: () => T): T => tf.device("/gpu:0", fn);
const deviceUs = (fn: () => void) => deviceUsOn(b!, fn, reps);

function own(type: OpType, inputs: tf.Tensor[], attrs: Record<string, unknown>): number {
  tf.config.experimental.setTsflowOptions({ cudnn: false });
  try {
    return deviceUs(() => tf.dispose(gpu(() => execute(type, inputs, attrs as never))));
  } finally {
    tf.config.experimental.setTsflowOptions({ cudnn: true });
  }
}

const h = (t: tf.Tensor) => (t as E).handle as CudaHandle;
const rand = (shape: number[]) => gpu(() => tf.randomUniform(shape, -1, 1)) as E;
const fmt = (v: number | null) => (v === null ? "n/a" : v.toFixed(1));

console.log(`cuDNN against the own kernels, device us per call (${reps} calls), TF32 ${tf.config.experimental.tensorFloat32ExecutionEnabled() ? "on" : "off"}`);
console.log("| case | forward own / cuDNN | input grad own / cuDNN | filter grad own / cuDNN |");
console.log("| --- | --- | --- | --- |");
const convs: [string, number[], number[], number, "SAME" | "VALID"][] = [
  ["LeNet conv1 b64", [64, 28, 28, 1], [5, 5, 1, 6], 1, "SAME"],
  ["LeNet conv2 b64", [64, 14, 14, 6], [5, 5, 6, 16], 1, "VALID"],
  ["LeNet conv1 b1024", [1024, 28, 28, 1], [5, 5, 1, 6], 1, "SAME"],
  ["LeNet conv2 b1024", [1024, 14, 14, 6], [5, 5, 6, 16], 1, "VALID"],
  ["8->16 5x5 b64 14x14", [64, 14, 14, 8], [5, 5, 8, 16], 1, "SAME"],
  ["8->16 5x5 b1024 14x14", [1024, 14, 14, 8], [5, 5, 8, 16], 1, "SAME"],
  ["8->8 3x3 b256 28x28", [256, 28, 28, 8], [3, 3, 8, 8], 1, "SAME"],
  ["3->32 3x3 b64 32x32", [64, 32, 32, 3], [3, 3, 3, 32], 1, "SAME"],
  ["16->32 3x3 b64 28x28", [64, 28, 28, 16], [3, 3, 16, 32], 1, "SAME"],
  ["32->64 3x3 b64 16x16", [64, 16, 16, 32], [3, 3, 32, 64], 1, "SAME"],
  ["64->128 3x3 b64 32x32", [64, 32, 32, 64], [3, 3, 64, 128], 1, "SAME"],
  ["128->256 3x3 b256 8x8", [256, 8, 8, 128], [3, 3, 128, 256], 1, "SAME"],
  ["64->128 1x1 b64 16x16", [64, 16, 16, 64], [1, 1, 64, 128], 1, "VALID"],
  ["3->64 7x7/2 b64 64x64", [64, 64, 64, 3], [7, 7, 3, 64], 2, "SAME"],
];
for (const [name, xs, fs, s, pad] of convs) {
  const g = convShape(xs, fs, s, pad);
  const attrs = { strides: [1, s, s, 1], padding: pad, dilations: [1, 1, 1, 1], data_format: "NHWC" };
  const x = rand(xs);
  const f = rand(fs);
  const dy = rand([g.n, g.OH, g.OW, g.OC]);
  const y = gpu(() => tf.zerosLike(dy)) as E;
  const dx = gpu(() => tf.zerosLike(x)) as E;
  const df = gpu(() => tf.zerosLike(f)) as E;
  const xsT = tf.constant(xs, { dtype: "int32" });
  const fsT = tf.constant(fs, { dtype: "int32" });
  const dnnUs = (call: () => boolean) => {
    if (!call()) return null;
    return deviceUs(() => void call());
  };
  const row = [
    own("Conv2D", [x, f], attrs),
    dnnUs(() => cudnnConv2d(b, g, h(x), h(f), h(y))),
    own("Conv2DBackpropInput", [xsT, f, dy], attrs),
    dnnUs(() => cudnnConv2dBackpropInput(b, g, h(f), h(dy), h(dx))),
    own("Conv2DBackpropFilter", [x, fsT, dy], attrs),
    dnnUs(() => cudnnConv2dBackpropFilter(b, g, h(x), h(dy), h(df))),
  ];
  console.log(
    `| ${name} ${JSON.stringify(xs)}x${JSON.stringify(fs)} ${pad} | ${fmt(row[0])} / ${fmt(row[1])} | ${fmt(row[2])} / ${fmt(row[3])} | ${fmt(row[4])} / ${fmt(row[5])} |`,
  );
  tf.dispose([x, f, dy, y, dx, df]);
}

console.log("\n| pooling | forward own / cuDNN | gradient own / cuDNN |");
console.log("| --- | --- | --- |");
const pools: [string, number[], number, number, "SAME" | "VALID"][] = [
  ["LeNet pool1 b64", [64, 28, 28, 6], 2, 2, "VALID"],
  ["LeNet pool2 b64", [64, 10, 10, 16], 2, 2, "VALID"],
  ["LeNet pool1 b1024", [1024, 28, 28, 6], 2, 2, "VALID"],
  ["LeNet pool2 b1024", [1024, 10, 10, 16], 2, 2, "VALID"],
  ["2x2/2 b64 32x32x64", [64, 32, 32, 64], 2, 2, "VALID"],
  ["3x3/2 SAME b64 33x33x128", [64, 33, 33, 128], 3, 2, "SAME"],
];
for (const [name, xs, k, s, pad] of pools) {
  const attrs = { ksize: [1, k, k, 1], strides: [1, s, s, 1], padding: pad, data_format: "NHWC" };
  const x = rand(xs);
  const c = convShape(xs, [k, k, xs[3], xs[3]], s, pad);
  const g: PoolShape = { n: c.n, H: c.H, W: c.W, C: c.C, OH: c.OH, OW: c.OW, kH: k, kW: k, sH: s, sW: s, padT: c.padT, padL: c.padL };
  const y = gpu(() => execute("MaxPool", [x], attrs as never)[0]) as E;
  const dy = rand(y.shape as number[]);
  const dx = gpu(() => tf.zerosLike(x)) as E;
  const y2 = gpu(() => tf.zerosLike(y)) as E;
  const dnnUs = (call: () => boolean) => (call() ? deviceUs(() => void call()) : null);
  const row = [
    own("MaxPool", [x], attrs),
    dnnUs(() => cudnnMaxPool(b, g, h(x), h(y2))),
    own("MaxPoolGrad", [x, y, dy], attrs),
    dnnUs(() => cudnnMaxPoolGrad(b, g, h(x), h(y), h(dy), h(dx))),
  ];
  console.log(`| ${name} ${pad} | ${fmt(row[0])} / ${fmt(row[1])} | ${fmt(row[2])} / ${fmt(row[3])} |`);
  tf.dispose([x, y, dy, dx, y2]);
}
console.log("\nalgorithms chosen:");
for (const [k, v] of dnn.stats.choices) console.log(`  ${k}: ${v}`);
