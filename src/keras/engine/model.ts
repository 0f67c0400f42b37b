/**
 * tf.keras.Model: a layer that groups layers and trains them. Three ways to make one, as in Keras:
 *  - functional: `new tf.keras.Model({ inputs, outputs })` over KerasTensors (engine/functional.ts runs the
 *    recorded nodes);
 *  - Sequential (engine/sequential.ts): a list of layers;
 *  - subclassed: `class M extends tf.keras.Model { call(x) {...} }`, layers found in its properties.
 * compile/fit/evaluate/predict live in engine/training_loop.ts and engine/step.ts; this file holds the
 * model's structure, weights and the call.
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { type ArgsOf, declare, type ImplArgs, K, kind, optional, param, parseArgs, positionalOnly, signature, withDefault } from "../../core/signature.js";
import { Tensor } from "../../core/tensor.js";
import { tidy } from "../../eager/memory.js";
import { constant, zeros } from "../../ops/creation.js";
import type { Graph } from "../../graph/graph.js";
import type { Variable } from "../../variables/variable.js";
import type { Callback, CallbackModel } from "../callbacks/callback.js";
import type { History } from "../callbacks/history.js";
import { CompiledLoss, CompiledMetrics, type MetricObject } from "./compile_utils.js";
import { nodesOf, pyShape, runNodes, topologicalNodes } from "./functional.js";
import { InputLayer } from "./input_layer.js";
import { trackableChanged } from "../../saving/trackable.js";
import type { KerasNode, KerasTensor } from "./keras_tensor.js";
import { type CallOptions, Layer, type LayerIO } from "./layer.js";
import { resolve } from "./resolve.js";
import { LossScaleOptimizer } from "../mixed_precision/loss_scale_optimizer.js";
import { Optimizer as KerasOptimizer } from "../optimizers/optimizer.js";
import type { StepFunctions } from "./step.js";
import { printSummary, type SummaryOptions } from "./summary.js";
import { evaluateLoop, type FitArgs, fitLoop, onBatch, predictBatch, predictLoop, runAsync, runSync, type Verbose } from "./training_loop.js";

/** How a model's inputs or outputs were given: one tensor, an array, or an object keyed by name. */
type Structure = { kind: "single" } | { kind: "list" } | { kind: "dict"; keys: string[] };
/** Any nesting the functional API accepts for inputs and outputs. */
export type SymbolicStructure = KerasTensor | readonly KerasTensor[] | { readonly [name: string]: KerasTensor };

function flattenStructure(s: SymbolicStructure | undefined, what: string): { tensors: KerasTensor[]; structure: Structure } {
  if (s === undefined || s === null) throw new InvalidArgumentError(`tf.keras.Model: ${what} must be given (KerasTensors from tf.keras.Input and layer calls)`);
  if (Array.isArray(s)) return { tensors: [...(s as KerasTensor[])], structure: { kind: "list" } };
  if (isKerasTensor(s)) return { tensors: [s], structure: { kind: "single" } };
  const keys = Object.keys(s);
  return { tensors: keys.map((k) => (s as Record<string, KerasTensor>)[k]), structure: { kind: "dict", keys } };
}
function isKerasTensor(x: unknown): x is KerasTensor {
  return typeof x === "object" && x !== null && "node" in x && "shape" in x && "dtype" in x && !(x instanceof Tensor);
}

/** What compile() was given, resolved once the model's outputs are known. */
interface CompileArgs {
  loss: unknown;
  metrics: unknown;
  lossWeights: unknown;
  weightedMetrics: unknown;
  runEagerly: boolean;
  jitCompile: boolean;
}

const modelSignature = signature(
  "keras.Model",
  "A model: functional (inputs and outputs from tf.keras.Input and layer calls) or subclassed (override call).",
  [
    optional("inputs", kind<SymbolicStructure>("KerasTensor | KerasTensor[] | {[name]: KerasTensor}"), "The functional model's inputs."),
    optional("outputs", kind<SymbolicStructure>("KerasTensor | KerasTensor[] | {[name]: KerasTensor}"), "The functional model's outputs."),
    optional("name", K.string, "The model's name (default model, model_1, ...)."),
    optional("trainable", K.boolean, "Whether the model's weights are trained (default true)."),
  ],
  { args: (tf) => [tf.keras.Input([3]), undefined, "m"], skip: "builds a graph of KerasTensors; test/keras_engine.test.ts covers both forms" },
);

const compileSignature = signature("keras.Model.compile", "Configures the model for training.", [
  optional("optimizer", kind<unknown>("string | Optimizer"), 'The optimizer (name or object; default "rmsprop").'),
  optional("loss", kind<unknown>("string | Loss | function | per-output array/object"), "The loss of each output."),
  optional("metrics", kind<unknown>("(string | Metric | function)[] | per-output array/object"), "Metrics shown during training and evaluation."),
  optional("lossWeights", kind<unknown>("number[] | {[output]: number}"), "Weights of the per-output losses in the total."),
  optional("weightedMetrics", kind<unknown>("(string | Metric | function)[]"), "Metrics weighted by sampleWeight or classWeight."),
  optional("runEagerly", K.boolean, "Run the train step eagerly instead of as one traced graph."),
  optional("stepsPerExecution", K.int, "Accepted; tsflow runs one step per call."),
  optional("jitCompile", K.boolean, "Passed to tf.function."),
]);

const X = positionalOnly(
  optional(
    "x",
    kind<unknown>("DataInput | Dataset"),
    "Inputs: a tensor, (nested/typed) array, an array or object of those per input, or a tf.data.Dataset of [x, y(, sampleWeight)].",
  ),
);
const Y = optional("y", kind<unknown>("DataInput"), "Targets, as x (not with a dataset); an object of targets by output name is taken by position too.");
const VERBOSE = optional("verbose", kind<Verbose>('0 | 1 | 2 | "auto"'), '0: silent, 1: progress bar, 2: one line per epoch, "auto": 1.');
const CALLBACKS = optional("callbacks", kind<Callback[]>("Callback[]"), "Callbacks to call during the run.");
const IGNORED = (name: string) => optional(name, kind<unknown>("unknown"), "Accepted and ignored (Python's data-loading workers).");

const fitSignature = signature("keras.Model.fit", "Trains the model for a number of epochs; resolves to the History.", [
  X,
  Y,
  optional("batchSize", K.int, "Samples per step (default 32; not with a dataset)."),
  withDefault("epochs", K.int, 1, "Epochs to train (up to this epoch index, from initialEpoch)."),
  VERBOSE,
  CALLBACKS,
  withDefault("validationSplit", K.number, 0, "The fraction of the data (taken from its end) to validate on."),
  optional("validationData", kind<unknown>("[xVal, yVal] | [xVal, yVal, sampleWeight] | Dataset"), "Data to validate on after each epoch."),
  withDefault("shuffle", K.boolean, true, "Shuffle in-memory data before each epoch."),
  optional("classWeight", kind<Record<number, number>>("{[class]: number}"), "Weights of the classes in the loss."),
  optional("sampleWeight", kind<unknown>("DataInput"), "Weights of the samples in the loss."),
  withDefault("initialEpoch", K.int, 0, "The epoch to start at (to resume a run)."),
  optional("stepsPerEpoch", K.int, "Steps per epoch (default: the whole data)."),
  optional("validationSteps", K.int, "Validation steps (default: the whole validation data)."),
  optional("validationBatchSize", K.int, "Batch size of validation (default: batchSize)."),
  withDefault("validationFreq", kind<number | number[]>("number | number[]"), 1, "Validate every n epochs, or at the listed epochs (from 1)."),
  IGNORED("maxQueueSize"),
  IGNORED("workers"),
  IGNORED("useMultiprocessing"),
]);
const evaluateSignature = signature("keras.Model.evaluate", "The loss and metrics on data: a number, a list (loss first) or an object.", [
  X,
  Y,
  optional("batchSize", K.int, "Samples per step (default 32)."),
  VERBOSE,
  optional("sampleWeight", kind<unknown>("DataInput"), "Weights of the samples."),
  optional("steps", K.int, "Steps to run (default: the whole data)."),
  CALLBACKS,
  IGNORED("maxQueueSize"),
  IGNORED("workers"),
  IGNORED("useMultiprocessing"),
  withDefault("returnDict", K.boolean, false, "Return {name: value} instead of a list."),
]);
const predictSignature = signature("keras.Model.predict", "The model's outputs on data, batch by batch, joined.", [
  X,
  optional("batchSize", K.int, "Samples per step (default 32)."),
  VERBOSE,
  optional("steps", K.int, "Steps to run (default: the whole data)."),
  CALLBACKS,
  IGNORED("maxQueueSize"),
  IGNORED("workers"),
  IGNORED("useMultiprocessing"),
]);
const trainOnBatchSignature = signature("keras.Model.train_on_batch", "One training step on one batch; returns the loss (and metrics).", [
  X,
  Y,
  optional("sampleWeight", kind<unknown>("DataInput"), "Weights of the samples."),
  optional("classWeight", kind<Record<number, number>>("{[class]: number}"), "Weights of the classes."),
  withDefault("resetMetrics", K.boolean, true, "Reset the metrics first (else they accumulate over calls)."),
  withDefault("returnDict", K.boolean, false, "Return {name: value} instead of a list."),
]);
const testOnBatchSignature = signature("keras.Model.test_on_batch", "The loss (and metrics) of one batch, without training.", [
  X,
  Y,
  optional("sampleWeight", kind<unknown>("DataInput"), "Weights of the samples."),
  withDefault("resetMetrics", K.boolean, true, "Reset the metrics first."),
  withDefault("returnDict", K.boolean, false, "Return {name: value} instead of a list."),
]);
const predictOnBatchSignature = signature("keras.Model.predict_on_batch", "The model's outputs on one batch.", [X]);

/**
 * What keras/saving provides to models (configs, JSON, saving and loading weights and whole models); it
 * imports this engine, so it installs itself here when tf.keras loads rather than being imported.
 */
export interface ModelSavingHooks {
  getConfig(model: Model): Record<string, unknown>;
  fromConfig(cls: object, config: Record<string, unknown>, customObjects: Readonly<Record<string, unknown>>): Model;
  toJson(model: Model): string;
  save(model: Model, filepath: string, options: SaveOptions): void;
  saveWeights(model: Model, filepath: string, overwrite: boolean, saveFormat: string | undefined): void;
  loadWeights(model: Model, filepath: string, byName: boolean, skipMismatch: boolean): unknown;
}
/** What model.save was asked for. */
export interface SaveOptions {
  overwrite: boolean;
  includeOptimizer: boolean;
  saveFormat: string | undefined;
}
let savingHooks: ModelSavingHooks | null = null;
/** @public (keras/saving/model_config.ts calls it as it loads) */
export function installModelSaving(hooks: ModelSavingHooks): void {
  savingHooks = hooks;
}
function saving(): ModelSavingHooks {
  if (!savingHooks) throw new InvalidArgumentError("Keras model saving is not loaded: import tsflow, not a deep module");
  return savingHooks;
}

const toJsonSignature = signature("keras.Model.to_json", "The model's architecture as Keras's JSON ({class_name, config, keras_version, backend}).", []);
const FILEPATH = param("filepath", K.string, "Where to write (a checkpoint prefix for weights, a directory for the whole model).");
const IGNORED_OPTIONS = optional("options", kind<unknown>("unknown"), "Accepted and ignored (tf.train.CheckpointOptions / tf.saved_model.SaveOptions).");
const saveWeightsSignature = signature(
  "keras.Model.save_weights",
  "Writes the weights (and, once compiled, the optimizer's state) as a TensorFlow checkpoint at the prefix filepath, and the checkpoint file beside it.",
  [
    FILEPATH,
    withDefault("overwrite", K.boolean, true, "Replace an existing checkpoint (false: fail with AlreadyExistsError)."),
    optional("saveFormat", K.string, '"tf" (the only format; HDF5 raises UnimplementedError).'),
    IGNORED_OPTIONS,
  ],
);
const loadWeightsSignature = signature(
  "keras.Model.load_weights",
  "Restores weights (and optimizer state) saved by saveWeights or TensorFlow's Keras, by object graph; returns the restore status.",
  [
    FILEPATH,
    withDefault("byName", K.boolean, false, "HDF5 only: not supported for TensorFlow checkpoints (UnimplementedError)."),
    withDefault("skipMismatch", K.boolean, false, "HDF5 only, with byName."),
    IGNORED_OPTIONS,
  ],
);
const saveSignature = signature(
  "keras.Model.save",
  "Saves the whole model as a directory as TF 2.x Keras writes it: keras_metadata.pb (architecture, compile settings) and variables/ (weights and optimizer state).",
  [
    FILEPATH,
    withDefault("overwrite", K.boolean, true, "Replace an existing model directory."),
    withDefault("includeOptimizer", K.boolean, true, "Save the optimizer's state too."),
    optional("saveFormat", K.string, '"tf" (the only format; "h5" and .keras raise UnimplementedError).'),
    optional("signatures", kind<unknown>("unknown"), "Not supported yet."),
    IGNORED_OPTIONS,
    withDefault("saveTraces", K.boolean, true, "Accepted and ignored (no traced functions are saved)."),
  ],
);

export class Model extends Layer implements CallbackModel {
  /** The functional model's input and output KerasTensors (empty for a subclassed model). */
  inputs: KerasTensor[] = [];
  outputs: KerasTensor[] = [];
  /** Set by callbacks (EarlyStopping) to end fit after the current batch. */
  stopTraining = false;
  optimizer: unknown = null;
  /** Built from compile's arguments once the outputs are known (the first step). */
  compiledLoss: CompiledLoss | null = null;
  compiledMetrics: CompiledMetrics | null = null;
  /** The traced (or eager) step functions of fit/evaluate/predict; rebuilt by compile. */
  steps: StepFunctions | null = null;
  history: unknown = null;
  protected compileArgs: CompileArgs | null = null;
  protected nodes: KerasNode[] = [];
  protected inputStructure: Structure = { kind: "single" };
  protected outputStructure: Structure = { kind: "single" };
  /** For subclassed models: the number of outputs seen on the first call. */
  protected outputCount = 0;

  constructor(...args: ArgsOf<typeof modelSignature>) {
    const [inputs, outputs, name, trainable] = parseArgs(modelSignature, args);
    super({ name, trainable });
    if (inputs !== undefined || outputs !== undefined) this.initGraph(inputs, outputs);
  }

  /** Makes this a functional model over the given KerasTensors. */
  protected initGraph(inputs: SymbolicStructure | undefined, outputs: SymbolicStructure | undefined): void {
    const ins = flattenStructure(inputs, "inputs");
    const outs = flattenStructure(outputs, "outputs");
    for (const t of ins.tensors) {
      if (!isKerasTensor(t) || !(t.node?.layer instanceof InputLayer)) {
        throw new InvalidArgumentError(`tf.keras.Model: inputs must be tensors made by tf.keras.Input, got ${String(t)}`);
      }
    }
    for (const t of outs.tensors) if (!isKerasTensor(t)) throw new InvalidArgumentError(`tf.keras.Model: outputs must be KerasTensors, got ${String(t)}`);
    this.inputs = ins.tensors;
    this.outputs = outs.tensors;
    this.inputStructure = ins.structure;
    this.outputStructure = outs.structure;
    this.nodes = topologicalNodes(this.inputs, this.outputs);
    this.built = true;
  }

  /** Whether this is a graph of layers (functional or Sequential) rather than a subclassed model. */
  get isGraphNetwork(): boolean {
    return this.outputs.length > 0;
  }

  /** The model's layers: a functional model's in call order with its InputLayers first; a subclassed model's properties. */
  get layers(): Layer[] {
    if (!this.isGraphNetwork) return super.sublayers;
    const out: Layer[] = this.inputs.map((t) => t.node?.layer as Layer);
    for (const n of this.nodes) if (!out.includes(n.layer as Layer)) out.push(n.layer as Layer);
    return out;
  }
  override get sublayers(): Layer[] {
    return this.layers.filter((l) => !(l instanceof InputLayer));
  }

  /** The layers a checkpoint names by position (`layer-N`): a graph network's layers; null for a subclassed model. */
  protected checkpointLayers(): Layer[] | null {
    return this.isGraphNetwork ? this.layers : null;
  }

  /**
   * The checkpoint protocol as TensorFlow 2's Keras tracks a model: a functional or Sequential model's layers in
   * order as `layer_with_weights-K` (the K-th layer that has weights) and `layer-N`, a subclassed model's
   * layers by property name; then its own weights and `optimizer` once compiled. Metrics are not saved.
   */
  override _trackableChildren(): [string, unknown][] {
    const layers = this.checkpointLayers();
    if (layers === null) return super._trackableChildren();
    const out: [string, unknown][] = [];
    let withWeights = 0;
    layers.forEach((layer, i) => {
      if (layer.weights.length > 0) out.push([`layer_with_weights-${withWeights++}`, layer]);
      out.push([`layer-${i}`, layer]);
    });
    const others = this.propertyDependencies().filter(([, v]) => !(v instanceof Layer) && !(Array.isArray(v) && v.every((x) => x instanceof Layer)));
    return [...out, ...this.namedWeights, ...others];
  }

  /** The names data objects are keyed by: the input layers' names (or the keys the inputs were given with). */
  get inputNames(): string[] {
    if (this.inputStructure.kind === "dict") return this.inputStructure.keys;
    if (this.inputs.length > 0) return this.inputs.map((t) => ((t.node as KerasNode).layer as Layer).name);
    return ["input_1"];
  }
  /** The names targets and per-output losses are keyed by: the output layers' names (or the output keys). */
  get outputNames(): string[] {
    if (this.outputStructure.kind === "dict") return this.outputStructure.keys;
    if (this.outputs.length > 0) return this.outputs.map((t) => ((t.node as KerasNode).layer as Layer).name);
    return Array.from({ length: Math.max(1, this.outputCount) }, (_, i) => `output_${i + 1}`);
  }

  /** getLayer(name) or getLayer(index), as Keras. */
  getLayer(nameOrIndex: string | number | { name?: string; index?: number }): Layer {
    const key = typeof nameOrIndex === "object" ? (nameOrIndex.name ?? nameOrIndex.index) : nameOrIndex;
    const layers = this.layers;
    if (typeof key === "number") {
      if (!Number.isInteger(key) || key < 0 || key >= layers.length) {
        throw new InvalidArgumentError(`Was asked to retrieve layer at index ${key} but model only has ${layers.length} layers.`);
      }
      return layers[key];
    }
    const found = layers.find((l) => l.name === key);
    if (!found) throw new InvalidArgumentError(`No such layer: ${String(key)}. Existing layers are: [${layers.map((l) => `'${l.name}'`).join(", ")}].`);
    return found;
  }

  /** Called on data for the first time: a subclassed model's call builds its layers itself. */
  protected override buildFrom(_inputs: LayerIO): void {
    this.built = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    if (this.isGraphNetwork || this.built) {
      this.built = true;
      return;
    }
    // A subclassed model builds by running once on zeros of that shape (unknown dims as 1).
    const shapes = (Array.isArray(inputShape) && inputShape.some((d) => Array.isArray(d)) ? inputShape : [inputShape]) as Shape[];
    tidy(() => {
      const xs = shapes.map((s) => zeros((s ?? []).map((d) => d ?? 1)));
      this.built = true;
      this.call(xs.length === 1 ? xs[0] : xs, { training: false });
    });
  }

  override call(inputs: LayerIO, options: CallOptions = {}): Tensor | Tensor[] {
    if (!this.isGraphNetwork) throw new InvalidArgumentError(`Model ${this.name}: a subclassed model must override call(inputs, { training })`);
    const xs = this.flattenInputs(inputs);
    const outs = runNodes(this.nodes, this.inputs, this.outputs, xs, { training: options.training ?? false });
    return this.restructureOutputs(outs) as Tensor | Tensor[];
  }

  /** The inputs given to call in the model's input order. */
  protected flattenInputs(inputs: unknown): Tensor[] {
    const n = this.inputs.length;
    if (inputs instanceof Tensor) {
      if (n !== 1) throw new InvalidArgumentError(`Model ${this.name} expects ${n} inputs (${this.inputNames.join(", ")}), but it received 1 input tensor`);
      return [inputs];
    }
    if (Array.isArray(inputs)) {
      if (inputs.length !== n) throw new InvalidArgumentError(`Model ${this.name} expects ${n} input(s), but it received ${inputs.length} input tensors`);
      return inputs as Tensor[];
    }
    if (inputs !== null && typeof inputs === "object") {
      const obj = inputs as Record<string, Tensor>;
      return this.inputNames.map((k) => {
        if (!(k in obj)) throw new InvalidArgumentError(`Model ${this.name}: missing input "${k}"`);
        return obj[k];
      });
    }
    throw new InvalidArgumentError(`Model ${this.name}: cannot call on ${String(inputs)}`);
  }

  protected restructureOutputs(outs: Tensor[]): Tensor | Tensor[] | Record<string, Tensor> {
    const s = this.outputStructure;
    if (s.kind === "single") return outs[0];
    if (s.kind === "list") return outs;
    return Object.fromEntries(s.keys.map((k, i) => [k, outs[i]]));
  }

  /** The model's outputs for flat inputs, flattened in output order (what the steps use). */
  forward(xs: readonly Tensor[], training: boolean): Tensor[] {
    let out: unknown;
    if (this.isGraphNetwork && this.nodes.length > 0 && this.constructor === Model) {
      out = runNodes(this.nodes, this.inputs, this.outputs, xs, { training });
    } else {
      out = this.invoke((xs.length === 1 ? xs[0] : xs) as LayerIO, { training });
    }
    const flat = this.flattenOutputs(out);
    if (!this.isGraphNetwork) this.outputCount = flat.length;
    return flat;
  }
  protected flattenOutputs(out: unknown): Tensor[] {
    if (out instanceof Tensor) return [out];
    if (Array.isArray(out)) return out as Tensor[];
    if (out !== null && typeof out === "object") {
      const obj = out as Record<string, Tensor>;
      if (this.outputStructure.kind !== "dict") this.outputStructure = { kind: "dict", keys: Object.keys(obj) };
      return this.outputStructure.keys.map((k) => obj[k]);
    }
    throw new InvalidArgumentError(`Model ${this.name}: call returned ${String(out)}, not tensors`);
  }

  /** A functional model's output shapes (so that it can be called on KerasTensors inside another model). */
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    if (this.isGraphNetwork) {
      const shapes = this.outputs.map((t) => t.shape);
      return shapes.length === 1 ? shapes[0] : shapes;
    }
    const ins = (Array.isArray(inputShape) && inputShape.some((d) => Array.isArray(d)) ? inputShape : [inputShape]) as Shape[];
    const outs = tidy(() => {
      const xs = ins.map((s) => zeros((s ?? []).map((d) => d ?? 1)));
      return this.forward(xs, false).map((t) => t.shape);
    });
    const batchUnknown = ins.some((s) => s?.[0] === null);
    const fixed = outs.map((s) => (s ?? []).map((d, i) => (i === 0 && batchUnknown ? null : d)));
    return fixed.length === 1 ? fixed[0] : fixed;
  }

  /** Checks data against the model's input shapes (Keras's input_spec check, naming the model). */
  checkInputShapes(xs: readonly Tensor[]): void {
    if (!this.isGraphNetwork) return;
    if (xs.length !== this.inputs.length) {
      throw new InvalidArgumentError(`Layer "${this.name}" expects ${this.inputs.length} input(s), but it received ${xs.length} input tensors.`);
    }
    xs.forEach((x, i) => {
      const expected = this.inputs[i].shape;
      const got = x.shape;
      if (expected === null || got === null) return;
      if (got.length !== expected.length || got.some((d, j) => j > 0 && d !== null && expected[j] !== null && d !== expected[j])) {
        throw new InvalidArgumentError(
          `Input ${i} of layer "${this.name}" is incompatible with the layer: expected shape=${pyShape(expected)}, found shape=${pyShape(got)}`,
        );
      }
    });
  }

  // ---------------------------------------------------------------- weights

  /** Copies of the weights' values, trainable first (Keras's get_weights). */
  getWeights(): Tensor[] {
    return this.weights.map((v) => {
      const t = v.value() as Tensor;
      return constant(t.dataSync().slice(), v.dtype, t.shape as number[]);
    });
  }
  /** Sets the weights from values in getWeights' order, checking each shape. */
  setWeights(weights: readonly unknown[]): void {
    const vars = this.weights;
    if (weights.length !== vars.length) {
      throw new InvalidArgumentError(
        `You called setWeights(weights) on layer "${this.name}" with a weight list of length ${weights.length}, but the layer was expecting ${vars.length} weights.`,
      );
    }
    vars.forEach((v: Variable, i) => {
      const w = weights[i] instanceof Tensor ? (weights[i] as Tensor) : constant(weights[i] as never, v.dtype);
      const vs = v.shape ?? [];
      const ws = w.shape ?? [];
      if (vs.length !== ws.length || vs.some((d, j) => d !== ws[j])) {
        throw new InvalidArgumentError(`Layer ${this.name} weight shape ${pyShape(vs)} is not compatible with provided weight shape ${pyShape(ws)}.`);
      }
      v.assign(w);
    });
  }

  // ---------------------------------------------------------------- config

  /**
   * The architecture (Keras's get_config): a Sequential model's layers, or a functional model's layers with
   * their inbound nodes, input_layers and output_layers. A subclassed model has no config unless its class
   * writes getConfig (its architecture is its code): asking for it is an UnimplementedError naming customObjects.
   */
  override getConfig(): Record<string, unknown> {
    return saving().getConfig(this);
  }
  /** The model a config describes (Keras's from_config); layers of user classes come from customObjects. */
  static override fromConfig<T extends Layer>(this: unknown, config: Record<string, unknown>, customObjects: Readonly<Record<string, unknown>> = {}): T {
    // biome-ignore lint/complexity/noThisInStatic: the class it is called on (Sequential, a user's subclass) decides how to rebuild
    return saving().fromConfig(this as typeof Model, config, customObjects) as unknown as T;
  }
  /** The architecture as JSON, as Keras writes it (tf.keras.models.modelFromJson reads it back). */
  toJson(...args: ArgsOf<typeof toJsonSignature>): string {
    parseArgs(toJsonSignature, args);
    return saving().toJson(this);
  }

  /** Writes the weights as a TensorFlow checkpoint (Keras's save_weights with save_format "tf"). */
  saveWeights(...args: ArgsOf<typeof saveWeightsSignature>): void {
    const [filepath, overwrite, saveFormat] = parseArgs(saveWeightsSignature, args);
    saving().saveWeights(this, filepath, overwrite, saveFormat);
  }
  /** Restores weights from a TensorFlow checkpoint; returns the status (assertConsumed, expectPartial, ...). */
  loadWeights(...args: ArgsOf<typeof loadWeightsSignature>): unknown {
    const [filepath, byName, skipMismatch] = parseArgs(loadWeightsSignature, args);
    return saving().loadWeights(this, filepath, byName, skipMismatch);
  }
  /** Saves architecture, weights, optimizer state and compile settings (tf.keras.models.loadModel reads them back). */
  save(...args: ArgsOf<typeof saveSignature>): void {
    const [filepath, overwrite, includeOptimizer, saveFormat, signatures] = parseArgs(saveSignature, args);
    if (signatures !== undefined && signatures !== null) throw new UnimplementedError("model.save: signatures are not supported yet");
    saving().save(this, filepath, { overwrite, includeOptimizer, saveFormat });
  }

  /** What compile() was given (loss, metrics, lossWeights, weightedMetrics), or null before compile: model.save writes it. */
  getCompileConfig(): { loss: unknown; metrics: unknown; lossWeights: unknown; weightedMetrics: unknown } | null {
    const a = this.compileArgs;
    return a ? { loss: a.loss, metrics: a.metrics, lossWeights: a.lossWeights, weightedMetrics: a.weightedMetrics } : null;
  }

  // ---------------------------------------------------------------- compile

  compile(...args: ArgsOf<typeof compileSignature>): void {
    const [optimizer, loss, metrics, lossWeights, weightedMetrics, runEagerly, _stepsPerExecution, jitCompile] = parseArgs(compileSignature, args);
    this.optimizer = resolve("optimizer", optimizer ?? "rmsprop");
    // As Keras: a model whose policy is mixed_float16 trains through dynamic loss scaling.
    if (this.dtypePolicy.name === "mixed_float16" && this.optimizer instanceof KerasOptimizer) this.optimizer = new LossScaleOptimizer(this.optimizer);
    // A restore may be waiting for the optimizer's values (`optimizer`).
    trackableChanged(this);
    const opt = this.optimizer as { applyGradients?: unknown };
    if (typeof opt?.applyGradients !== "function") throw new InvalidArgumentError(`compile: the optimizer must have applyGradients, got ${String(optimizer)}`);
    if (loss === undefined || loss === null) throw new InvalidArgumentError("compile: a loss is needed to train (compile({ optimizer, loss }))");
    this.compileArgs = { loss, metrics, lossWeights, weightedMetrics, runEagerly: runEagerly ?? false, jitCompile: jitCompile ?? false };
    this.compiledLoss = null;
    this.compiledMetrics = null;
    this.steps = null;
    if (this.isGraphNetwork) this.buildCompiled();
  }

  get isCompiled(): boolean {
    return this.compileArgs !== null;
  }
  get runEagerly(): boolean {
    return this.compileArgs?.runEagerly ?? false;
  }
  get jitCompile(): boolean {
    return this.compileArgs?.jitCompile ?? false;
  }

  /** The loss and metric containers, once the outputs are known. */
  buildCompiled(): void {
    if (this.compiledLoss || !this.compileArgs) return;
    const a = this.compileArgs;
    this.compiledLoss = new CompiledLoss(a.loss, a.lossWeights, this.outputNames);
    this.compiledMetrics = new CompiledMetrics(a.metrics, a.weightedMetrics, this.outputNames, this.compiledLoss.names);
  }

  /** Every metric the logs show, loss first (Keras's model.metrics). */
  get metrics(): MetricObject[] {
    if (!this.compiledLoss) return [];
    return [...this.compiledLoss.trackers, ...(this.compiledMetrics?.entries.map((e) => e.metric) ?? [])];
  }
  /** The names of the logged values, as Keras's model.metrics_names. */
  get metricsNames(): string[] {
    return this.metrics.map((m) => m.name);
  }
  resetMetrics(): void {
    for (const m of this.metrics) m.resetState();
  }
  /** The graph of the traced train step (what the TensorBoard callback writes), or null before the first step or when steps run eagerly. */
  trainStepGraph(): Graph | null {
    return this.steps?.trainGraph?.() ?? null;
  }
  /** The current value of every metric (reads them from the device). */
  metricLogs(): Record<string, number> {
    const logs: Record<string, number> = {};
    for (const m of this.metrics) logs[m.name] = tidy(() => m.result().item());
    return logs;
  }

  // ---------------------------------------------------------------- fit, evaluate, predict

  /**
   * `fit(x, { out1: y1, out2: y2 })`: a plain object in y's place whose keys are all output names is the
   * targets, not the options object (which it would be by API.md rule 2).
   */
  private targetsByName<A extends readonly unknown[]>(args: A): A {
    const y = args[1];
    if (args.length < 2 || y === null || typeof y !== "object" || Array.isArray(y) || y instanceof Tensor || ArrayBuffer.isView(y)) return args;
    const keys = Object.keys(y);
    const names = this.outputNames;
    if (keys.length === 0 || !keys.every((k) => names.includes(k))) return args;
    const rest = args[2];
    const options = rest !== null && typeof rest === "object" && !Array.isArray(rest) ? (rest as object) : {};
    return [args[0], { ...options, y }] as unknown as A;
  }

  /** Trains the model (awaits datasets that are read asynchronously); resolves to the History. */
  async fit(...args: ArgsOf<typeof fitSignature>): Promise<History> {
    const parsed = parseArgs(fitSignature, this.targetsByName(args));
    return runAsync(fitLoop(this, fitArgs(parsed), true));
  }
  /** fit's synchronous twin (in-memory data and synchronously iterable datasets). */
  fitSync(...args: ArgsOf<typeof fitSignature>): History {
    const parsed = parseArgs(fitSignature, this.targetsByName(args));
    return runSync(fitLoop(this, fitArgs(parsed), false));
  }
  evaluate(...args: ArgsOf<typeof evaluateSignature>): number | number[] | Record<string, number> {
    const [x, y, batchSize, verbose, sampleWeight, steps, callbacks, , , , returnDict] = parseArgs(evaluateSignature, this.targetsByName(args));
    return runSync(evaluateLoop(this, { x, y, batchSize, verbose, sampleWeight, steps, callbacks, returnDict }, false));
  }
  predict(...args: ArgsOf<typeof predictSignature>): Tensor | Tensor[] {
    const [x, batchSize, verbose, steps, callbacks] = parseArgs(predictSignature, args);
    return runSync(predictLoop(this, { x, batchSize, verbose, steps, callbacks }, false));
  }
  trainOnBatch(...args: ArgsOf<typeof trainOnBatchSignature>): number | number[] | Record<string, number> {
    const [x, y, sampleWeight, classWeight, resetMetrics, returnDict] = parseArgs(trainOnBatchSignature, this.targetsByName(args));
    return onBatch(this, "train", x, y, sampleWeight, classWeight, resetMetrics, returnDict);
  }
  testOnBatch(...args: ArgsOf<typeof testOnBatchSignature>): number | number[] | Record<string, number> {
    const [x, y, sampleWeight, resetMetrics, returnDict] = parseArgs(testOnBatchSignature, this.targetsByName(args));
    return onBatch(this, "test", x, y, sampleWeight, undefined, resetMetrics, returnDict);
  }
  predictOnBatch(...args: ArgsOf<typeof predictOnBatchSignature>): Tensor | Tensor[] {
    const [x] = parseArgs(predictOnBatchSignature, args);
    return predictBatch(this, x);
  }

  // ---------------------------------------------------------------- summary

  /** Prints Keras's table of layers, output shapes and parameter counts. */
  summary(options: SummaryOptions = {}): void {
    if (!this.built) {
      throw new InvalidArgumentError(
        "This model has not yet been built. Build the model first by calling `build()` or by calling the model on a batch of data.",
      );
    }
    printSummary(this, options);
  }

  /** The nodes of a functional model (for summary's Connected to). */
  get graphNodes(): readonly KerasNode[] {
    return this.nodes;
  }
  /** The index of a node among its layer's calls (Keras's node index in `dense[1][0]`). */
  static nodeIndex(node: KerasNode): number {
    return nodesOf(node.layer).indexOf(node);
  }
}
declare(Model, modelSignature);
declare(Model.prototype.compile, compileSignature);
declare(Model.prototype.toJson, toJsonSignature);
declare(Model.prototype.saveWeights, saveWeightsSignature);
declare(Model.prototype.loadWeights, loadWeightsSignature);
declare(Model.prototype.save, saveSignature);
declare(Model.prototype.fit, fitSignature);
declare(Model.prototype.fitSync, fitSignature);
declare(Model.prototype.evaluate, evaluateSignature);
declare(Model.prototype.predict, predictSignature);
declare(Model.prototype.trainOnBatch, trainOnBatchSignature);
declare(Model.prototype.testOnBatch, testOnBatchSignature);
declare(Model.prototype.predictOnBatch, predictOnBatchSignature);

function fitArgs(p: ImplArgs<(typeof fitSignature)["params"]>): FitArgs {
  const [
    x,
    y,
    batchSize,
    epochs,
    verbose,
    callbacks,
    validationSplit,
    validationData,
    shuffle,
    classWeight,
    sampleWeight,
    initialEpoch,
    stepsPerEpoch,
    validationSteps,
    validationBatchSize,
    validationFreq,
  ] = p;
  return {
    x,
    y,
    batchSize,
    epochs,
    verbose,
    callbacks,
    validationSplit,
    validationData,
    shuffle,
    classWeight,
    sampleWeight,
    initialEpoch,
    stepsPerEpoch,
    validationSteps,
    validationBatchSize,
    validationFreq,
  };
}
