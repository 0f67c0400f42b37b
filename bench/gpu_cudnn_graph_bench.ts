/**
 * cuDNN's legacy API against its graph API (cudnn.ts against cudnn_graph.ts, the cudnnGraph setting) on
 * ResNet-18's convolutions (32x32 inputs, the stem left out), per direction: device microseconds per call
 * (events behind a spinning kernel, bench/gpu_device_us.ts), TFLOP/s, the wall time of the first call (the
 * legacy Find or the graph API's autotuning), and the weighted sum over the network's convolutions (how
 * many times each shape occurs). Then every choice, legacy algorithms and graph-API engines with their times.
 *
 *   node tmp/gpu-test/bench/gpu_cudnn_graph_bench.js [reps=20] [dtype=bfloat16] [batch=256]
 */
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import type { CudaHandle } from "../src/backends/cuda/handle.js";
import { cudnnConv2d, cudnnConv2dBackpropFilter, cudnnConv2dBackpropInput, cudnnFor } from "../src/backends/cuda/cudnn.js";
import type { DType } from "../src/core/dtype.js";
import { deviceUs as deviceUsOn } from "./gpu_device_us.js";
import { convShape } from "./gpu_conv_shape.js";

const reps = Number(process.argv[2] ?? 20);
const dtype = (process.argv[3] ?? "bfloat16") as DType;
const batch = Number(process.argv[4] ?? 256);
const b = gpuBackend(0);
const dnn = b ? cudnnFor(b) : null;
if (!b || !dnn) {
  console.log("no GPU or no cuDNN");
  process.exit(0);
}
type E = tf.EagerTensor;
const gpu = <T>(fn: () => T): T => tf.device("/gpu:0", fn);
const h = (t: tf.Tensor) => (t as E).handle as CudaHandle;
const rand = (shape: number[]) => gpu(() => tf.cast(tf.randomUniform(shape, -1, 1), dtype)) as E;

/** [name, x, HWIO filter, stride, padding, occurrences in ResNet-18]. */
const convs: [string, number[], number[], number, "SAME" | "VALID", number][] = [
  ["3x3 64->64", [batch, 32, 32, 64], [3, 3, 64, 64], 1, "SAME", 4],
  ["3x3/2 64->128", [batch, 32, 32, 64], [3, 3, 64, 128], 2, "SAME", 1],
  ["3x3 128->128", [batch, 16, 16, 128], [3, 3, 128, 128], 1, "SAME", 3],
  ["3x3/2 128->256", [batch, 16, 16, 128], [3, 3, 128, 256], 2, "SAME", 1],
  ["3x3 256->256", [batch, 8, 8, 256], [3, 3, 256, 256], 1, "SAME", 3],
  ["3x3/2 256->512", [batch, 8, 8, 256], [3, 3, 256, 512], 2, "SAME", 1],
  ["3x3 512->512", [batch, 4, 4, 512], [3, 3, 512, 512], 1, "SAME", 3],
  ["1x1/2 64->128", [batch, 32, 32, 64], [1, 1, 64, 128], 2, "VALID", 1],
  ["1x1/2 128->256", [batch, 16, 16, 128], [1, 1, 128, 256], 2, "VALID", 1],
  ["1x1/2 256->512", [batch, 8, 8, 256], [1, 1, 256, 512], 2, "VALID", 1],
];
const DIRS = ["forward", "input grad", "filter grad"] as const;

const graphRuns = () => dnn!.stats.graphForward + dnn!.stats.graphBackwardData + dnn!.stats.graphBackwardFilter;

/**
 * The first call's wall milliseconds (planning included), then device microseconds per call; null where
 * cuDNN declined. `viaGraph`: whether the graph API ran it (with cudnnGraph on, a key whose graph-API plan
 * failed runs on the legacy API: the choices below say why).
 */
function measure(mode: "off" | "on", call: () => boolean): { firstMs: number; us: number; viaGraph: boolean } | null {
  tf.config.experimental.setTsflowOptions({ cudnnGraph: mode });
  const t0 = performance.now();
  const before = graphRuns();
  if (!call()) return null;
  b!.synchronizeSync();
  const firstMs = performance.now() - t0;
  return { firstMs, us: deviceUsOn(b!, () => void call(), reps), viaGraph: graphRuns() > before };
}

const tflops = (flop: number, us: number) => (flop / us / 1e6).toFixed(0);
console.log(
  `cuDNN legacy API against its graph API, ${dtype}, batch ${batch}, TF32 ${tf.config.experimental.tensorFloat32ExecutionEnabled() ? "on" : "off"}, ` +
    `determinism ${tf.config.experimental.getTsflowOptions().opDeterminism ? "on" : "off"}; device us per call (${reps} calls), TFLOP/s, first call ms`,
);
console.log("| conv | x | direction | legacy us (TFLOP/s) | graph us (TFLOP/s) | legacy / graph | first call legacy / graph ms |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
const totals = DIRS.map(() => ({ legacy: 0, graph: 0 }));
for (const [name, xs, fs, s, pad, times] of convs) {
  const g = convShape(xs, fs, s, pad);
  const x = rand(xs);
  const f = rand(fs);
  const dy = rand([g.n, g.OH, g.OW, g.OC]);
  const [y, dx, df] = [dy, x, f].map((t) => gpu(() => tf.zerosLike(t)) as E);
  const flop = 2 * g.n * g.OH * g.OW * g.OC * g.kH * g.kW * g.C;
  const calls = [
    () => cudnnConv2d(b, g, h(x), h(f), h(y)),
    () => cudnnConv2dBackpropInput(b, g, h(f), h(dy), h(dx)),
    () => cudnnConv2dBackpropFilter(b, g, h(x), h(dy), h(df)),
  ];
  calls.forEach((call, d) => {
    const legacy = measure("off", call);
    const graph = measure("on", call);
    const cell = (m: typeof legacy) => (m === null ? "n/a" : `${m.us.toFixed(1)} (${tflops(flop, m.us)})${mode(m)}`);
    const mode = (m: NonNullable<typeof legacy>) => (m === graph && !m.viaGraph ? " legacy!" : "");
    const ratio = legacy && graph ? (legacy.us / graph.us).toFixed(2) : "n/a";
    const first = `${legacy ? legacy.firstMs.toFixed(0) : "n/a"} / ${graph ? graph.firstMs.toFixed(0) : "n/a"}`;
    console.log(`| ${name} x${times} | ${JSON.stringify(xs)} | ${DIRS[d]} | ${cell(legacy)} | ${cell(graph)} | ${ratio} | ${first} |`);
    if (legacy && graph) {
      totals[d].legacy += times * legacy.us;
      totals[d].graph += times * graph.us;
    }
  });
  tf.dispose([x, f, dy, y, dx, df]);
}
tf.config.experimental.setTsflowOptions({ cudnnGraph: "off" });
console.log("\nweighted by occurrences in ResNet-18 (stem left out), us per step:");
totals.forEach((t, d) =>
  console.log(`  ${DIRS[d]}: legacy ${t.legacy.toFixed(0)}, graph ${t.graph.toFixed(0)} (${(t.legacy / Math.max(t.graph, 1e-9)).toFixed(2)}x)`),
);
const all = totals.reduce((p, t) => ({ legacy: p.legacy + t.legacy, graph: p.graph + t.graph }), { legacy: 0, graph: 0 });
console.log(`  all: legacy ${all.legacy.toFixed(0)}, graph ${all.graph.toFixed(0)} (${(all.legacy / Math.max(all.graph, 1e-9)).toFixed(2)}x)`);
const s = dnn.stats;
console.log(`\ngraph API: ${s.graphTunes} keys tuned, ${s.graphFallbacks} fell back to the legacy API`);
console.log("\nchoices:");
for (const [k, v] of s.choices) console.log(`  ${k}: ${v}`);
