/**
 * The mixed-precision benchmark's models (issue 14): a CIFAR-style ResNet-18 (32x32x3 inputs) and an MLP of
 * 4096-wide layers, each a TensorFlow 1 graph-mode training step (placeholders, Session.run, Momentum SGD,
 * sparse softmax cross-entropy) in four precisions:
 *  - fp32 and tf32: float32 throughout (the runner switches TF32 with enableTensorFloat32Execution);
 *  - bf16 and fp16: mixed precision written as TF1 users write it: float32 variables (master weights), each
 *    read cast to the 16-bit type, activations in it, batch norm through fused_batch_norm with float32
 *    scale/offset (as TensorFlow's), logits cast back to float32 for the loss; fp16 wraps the optimizer in
 *    tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer (dynamic loss scale); bf16 needs none.
 * Batch norm uses the batch statistics only (no running averages), in the PyTorch and JAX peers too, as one
 * FusedBatchNormV3 ("fused", the default: on the GPU the cuda backend's own kernels, 16-bit data with float32
 * statistics) or as tf.nn.moments + tf.nn.batchNormalization in float32 ("moments", selectable for comparison:
 * what the GPU runner used while the cuda backend had no FusedBatchNormV3 kernel). Both compute the same thing
 * (test/mp_bench_models.test.ts).
 * FLOPs per step are analytic (flopsPerStep): multiply-adds of the convolutions and matrix products, forward
 * 2 x MACs, backward twice the forward; elementwise work, batch norm and the optimizer are not counted.
 */
import * as tf from "../src/index.js";

export type Precision = "fp32" | "tf32" | "bf16" | "fp16";
export type BatchNormOp = "fused" | "moments";
export const PRECISIONS: Precision[] = ["fp32", "tf32", "bf16", "fp16"];

/** ResNet-18 for size x size x 3 images: stem 3x3 conv of `width` channels, 4 stages of 2 basic blocks. */
export interface ResNetConfig {
  kind: "resnet18";
  width: number;
  size: number;
  classes: number;
}
/** input -> `depth` ReLU layers of `width` -> classes. */
export interface MlpConfig {
  kind: "mlp";
  input: number;
  width: number;
  depth: number;
  classes: number;
}
export type MpModelConfig = ResNetConfig | MlpConfig;

/** The benchmark's two models at their full sizes. */
export const MP_MODELS = {
  resnet18: { kind: "resnet18", width: 64, size: 32, classes: 10 },
  mlp4096: { kind: "mlp", input: 4096, width: 4096, depth: 3, classes: 10 },
} as const satisfies Record<string, MpModelConfig>;
export type MpModelName = keyof typeof MP_MODELS;

/** One convolution or matrix product of a model, as counted for FLOPs. */
interface Layer {
  /** Output positions per sample (1 for a dense layer). */
  positions: number;
  /** Multiply-adds per output value: kernel area x input channels. */
  fanIn: number;
  outChannels: number;
}

/** ResNet-18's convolutions (with the 1x1 projection shortcuts) and its final dense layer. */
function resnetLayers(c: ResNetConfig): Layer[] {
  const layers: Layer[] = [];
  let size = c.size;
  let channels = c.width;
  layers.push({ positions: size * size, fanIn: 9 * 3, outChannels: channels });
  for (let stage = 0; stage < 4; stage++) {
    const out = c.width * 2 ** stage;
    const stride = stage === 0 ? 1 : 2;
    for (let block = 0; block < 2; block++) {
      const s = block === 0 ? stride : 1;
      // SAME padding: ceil(size / stride) positions per side.
      const outSize = Math.ceil(size / s);
      layers.push({ positions: outSize * outSize, fanIn: 9 * channels, outChannels: out });
      layers.push({ positions: outSize * outSize, fanIn: 9 * out, outChannels: out });
      if (s !== 1 || channels !== out) layers.push({ positions: outSize * outSize, fanIn: channels, outChannels: out });
      size = outSize;
      channels = out;
    }
  }
  layers.push({ positions: 1, fanIn: channels, outChannels: c.classes });
  return layers;
}

function mlpLayers(c: MlpConfig): Layer[] {
  const layers: Layer[] = [];
  let nIn = c.input;
  for (let i = 0; i < c.depth; i++) {
    layers.push({ positions: 1, fanIn: nIn, outChannels: c.width });
    nIn = c.width;
  }
  layers.push({ positions: 1, fanIn: nIn, outChannels: c.classes });
  return layers;
}

/** Multiply-adds of one sample's forward pass. */
export function macsPerSample(c: MpModelConfig): number {
  const layers = c.kind === "resnet18" ? resnetLayers(c) : mlpLayers(c);
  return layers.reduce((sum, l) => sum + l.positions * l.fanIn * l.outChannels, 0);
}

/** FLOPs of one training step: forward 2 x MACs, backward twice that, times the batch. */
export function flopsPerStep(c: MpModelConfig, batch: number): number {
  return 3 * 2 * macsPerSample(c) * batch;
}

/** The 16-bit compute dtype of a precision, or float32. */
export function computeDtype(p: Precision): "float32" | "float16" | "bfloat16" {
  return p === "fp16" ? "float16" : p === "bf16" ? "bfloat16" : "float32";
}

/** Inputs of one batch: images (NHWC) or feature rows in [0, 1), and integer labels. */
export function mpBatch(c: MpModelConfig, batch: number): { x: Float32Array; xShape: number[]; y: Int32Array } {
  const xShape = c.kind === "resnet18" ? [batch, c.size, c.size, 3] : [batch, c.input];
  const x = new Float32Array(xShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
  const y = new Int32Array(batch);
  for (let i = 0; i < batch; i++) y[i] = i % c.classes;
  return { x, xShape, y };
}

/**
 * He-uniform float32 weights (the master copy), and the forward pass's read of them in the compute dtype.
 * Each kernel has its own op seed (its index), so that the initial weights are the same in every precision
 * (an op seed drawn from the graph would shift with the casts between them).
 */
class Weights {
  /** How many float32 values the variables hold. */
  parameters = 0;
  #kernels = 0;
  constructor(
    readonly dtype: "float32" | "float16" | "bfloat16",
    /** How convBn normalizes (the weights are the same either way). */
    readonly batchNorm: BatchNormOp,
  ) {}

  /** A weight read in the compute dtype. */
  read(v: tf.Variable): tf.Tensor {
    return this.dtype === "float32" ? v.value() : tf.cast(v, this.dtype);
  }
  kernel(shape: number[], fanIn: number, name: string): tf.Variable {
    const limit = Math.sqrt(6 / fanIn);
    this.parameters += shape.reduce((a, b) => a * b, 1);
    return new tf.Variable(tf.randomUniform(shape, -limit, limit, { seed: ++this.#kernels }), { name });
  }
  fill(n: number, value: number, name: string): tf.Variable {
    this.parameters += n;
    return new tf.Variable(tf.fill([n], value), { name });
  }
}

/** conv -> batch norm (batch statistics; float32 scale and offset) [-> ReLU]. */
function convBn(w: Weights, x: tf.Tensor, cin: number, cout: number, k: number, stride: number, name: string, relu: boolean): tf.Tensor {
  const kernel = w.kernel([k, k, cin, cout], k * k * cin, `${name}/kernel`);
  const gamma = w.fill(cout, 1, `${name}/gamma`);
  const beta = w.fill(cout, 0, `${name}/beta`);
  const h = tf.nn.conv2d(x, w.read(kernel), stride, "SAME");
  const y = w.batchNorm === "fused" ? tf.nn.fusedBatchNorm(h, gamma, beta, { epsilon: 1e-5, isTraining: true })[0] : momentsBatchNorm(h, gamma, beta);
  return relu ? tf.nn.relu(y) : y;
}

/** Batch norm over N, H, W with the batch statistics, computed in float32 (as Keras's for 16-bit inputs). */
function momentsBatchNorm(h: tf.Tensor, gamma: tf.Variable, beta: tf.Variable): tf.Tensor {
  const h32 = h.dtype === "float32" ? h : tf.cast(h, "float32");
  const [mean, variance] = tf.nn.moments(h32, [0, 1, 2]);
  const y = tf.nn.batchNormalization(h32, mean, variance, beta, gamma, 1e-5);
  return h.dtype === "float32" ? y : tf.cast(y, h.dtype);
}

function dense(w: Weights, x: tf.Tensor, nIn: number, nOut: number, name: string): tf.Tensor {
  const kernel = w.kernel([nIn, nOut], nIn, `${name}/kernel`);
  const bias = w.fill(nOut, 0, `${name}/bias`);
  return tf.add(tf.matmul(x, w.read(kernel)), w.read(bias));
}

function resnetLogits(w: Weights, c: ResNetConfig, x: tf.Tensor): tf.Tensor {
  let h = convBn(w, x, 3, c.width, 3, 1, "stem", true);
  let channels = c.width;
  for (let stage = 0; stage < 4; stage++) {
    const out = c.width * 2 ** stage;
    for (let block = 0; block < 2; block++) {
      const stride = block === 0 && stage > 0 ? 2 : 1;
      const name = `stage${stage + 1}/block${block + 1}`;
      const r = convBn(w, h, channels, out, 3, stride, `${name}/conv1`, true);
      const y = convBn(w, r, out, out, 3, 1, `${name}/conv2`, false);
      const shortcut = stride !== 1 || channels !== out ? convBn(w, h, channels, out, 1, stride, `${name}/shortcut`, false) : h;
      h = tf.nn.relu(tf.add(y, shortcut));
      channels = out;
    }
  }
  return dense(w, tf.reduceMean(h, [1, 2]), channels, c.classes, "logits");
}

function mlpLogits(w: Weights, c: MlpConfig, x: tf.Tensor): tf.Tensor {
  let h = x;
  let nIn = c.input;
  for (let i = 0; i < c.depth; i++) {
    h = tf.nn.relu(dense(w, h, nIn, c.width, `fc${i + 1}`));
    nIn = c.width;
  }
  return dense(w, h, nIn, c.classes, "logits");
}

export interface MpStep {
  /** One training step. */
  step: () => void;
  /** One training step, returning the batch's loss (computed before the update). */
  stepWithLoss: () => number;
  /** How many float32 values the model's variables hold (weights, biases, batch-norm scales and offsets). */
  parameters: number;
  flopsPerStep: number;
  close: () => void;
}

/**
 * Builds `config`'s training step in `precision` in a new graph, with a Session. The batch is fed as typed
 * arrays, or with `feedTensors` as eager tensors made beforehand (on GPU:0 when there is one); batch norm
 * is `batchNorm` ("fused" unless given).
 */
export function mpTrainStep(config: MpModelConfig, batch: number, precision: Precision, opts: { feedTensors?: boolean; batchNorm?: BatchNormOp } = {}): MpStep {
  const data = mpBatch(config, batch);
  const xt = opts.feedTensors ? tf.constant(data.x, { shape: data.xShape }) : null;
  const yt = opts.feedTensors ? tf.constant(data.y, { shape: [batch], dtype: "int32" }) : null;
  const g = new tf.Graph();
  return g.asDefault(() => {
    tf.setRandomSeed(1);
    const x = tf.placeholder("float32", [null, ...data.xShape.slice(1)], { name: "x" });
    const y = tf.placeholder("int32", [null], { name: "labels" });
    const w = new Weights(computeDtype(precision), opts.batchNorm ?? "fused");
    const xc = w.dtype === "float32" ? x : tf.cast(x, w.dtype);
    const logits = config.kind === "resnet18" ? resnetLogits(w, config, xc) : mlpLogits(w, config, xc);
    const loss = tf.reduceMean(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits: tf.cast(logits, "float32") }));
    const momentum = new tf.compat.v1.train.MomentumOptimizer(0.01, 0.9);
    const opt = precision === "fp16" ? new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(momentum, "dynamic") : momentum;
    const train = opt.minimize(loss);
    const sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const feed = new Map<tf.Tensor, tf.Tensor | Float32Array | Int32Array>([
      [x, xt ?? data.x],
      [y, yt ?? data.y],
    ]);
    return {
      step: () => void sess.run(train, feed as never),
      stepWithLoss: () => (sess.run([train, loss], feed as never)[1] as tf.EagerTensor).item() as number,
      parameters: w.parameters,
      flopsPerStep: flopsPerStep(config, batch),
      close: () => {
        sess.close();
        if (xt && yt) tf.dispose([xt, yt]);
      },
    };
  });
}
