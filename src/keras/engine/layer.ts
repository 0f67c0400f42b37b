/**
 * tf.keras.layers.Layer: the base every Keras layer and model extends. A layer owns weights (eager
 * tf.Variables made by addWeight), builds them on its first call from the input's shape, and computes its
 * outputs in call(). As in Python, an instance is callable: `new tf.keras.layers.Dense(10)(x)`.
 *
 * Called on concrete tensors it runs eagerly (or builds graph nodes inside a graph or a tf.function trace);
 * called on KerasTensors (tf.keras.Input and what layers return for them) it records a node of a functional
 * model instead, through the hook the functional engine installs (engine/functional.ts).
 */
import { inspect } from "node:util";
import { type DType, isFloating } from "../../core/dtype.js";
import { isNarrowFloat } from "../../core/half.js";
import { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { withAutocast } from "../../variables/autocast.js";
import { Policy, policyOf } from "../mixed_precision/policy.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import type { Initializer } from "../../variables/initializers.js";
import { Variable } from "../../variables/variable.js";
import { KerasTensor } from "./keras_tensor.js";
import { K, kind, optional } from "../../core/signature.js";
import { snakeCaseName, trackableChanged } from "../../saving/trackable.js";

/** What a layer is called with and returns: one tensor or several (Keras's nested structures, flattened to arrays). */
export type LayerIO = Tensor | readonly Tensor[];
/** What a layer is called with symbolically (functional API). */
export type SymbolicIO = KerasTensor | readonly KerasTensor[];

/** The keyword arguments of a layer call (Keras's `training` and `mask`, plus layer-specific ones such as `initialState`). */
export interface CallOptions {
  training?: boolean;
  mask?: Tensor | readonly (Tensor | null)[] | null;
  [keyword: string]: unknown;
}

/** The constructor keywords every layer accepts (Keras's **kwargs of Layer.__init__). */
export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** The dtype policy: a Policy, a policy name ("mixed_float16") or a dtype name; absent: the global policy. */
  dtype?: DType | Policy | string;
  /** The input's shape without the batch dimension; makes Sequential build at once (Keras's input_shape). */
  inputShape?: Shape;
  /** The input's shape with the batch dimension (Keras's batch_input_shape). */
  batchInputShape?: Shape;
  batchSize?: number;
  /** Dense's and Embedding's shorthand for inputShape [inputDim]. */
  inputDim?: number;
}

/**
 * The keywords every layer constructor accepts (Keras's **kwargs of Layer.__init__), declared once: a layer's
 * signature ends with `...LAYER_KWARGS`, and `layerArgs` turns their parsed values into the base's LayerArgs.
 */
/** @public (every layer's signature spreads it) */
export const LAYER_KWARGS = [
  optional("inputShape", kind<Shape>("Shape"), "The input's shape without the batch dimension (makes a Sequential model build at once)."),
  optional("batchInputShape", kind<Shape>("Shape"), "The input's shape with the batch dimension."),
  optional("batchSize", K.int, "The batch size of inputShape's batch dimension."),
  optional("inputDim", K.int, "Shorthand for inputShape [inputDim]."),
  optional("name", K.string, "The layer's name (default: the snake_cased class name, made unique)."),
  optional("trainable", K.boolean, "Whether the layer's weights are updated by training (default true)."),
  optional(
    "dtype",
    kind<DType | Policy | string>("string | Policy"),
    'The dtype policy: a dtype ("float32"), "mixed_float16", "mixed_bfloat16" or a Policy (default: the global policy).',
  ),
] as const;
/** The base's arguments from the parsed values of LAYER_KWARGS (the last seven of a layer's parsed args). */
/** @public */
export function layerArgs(kw: readonly unknown[]): LayerArgs {
  const [inputShape, batchInputShape, batchSize, inputDim, name, trainable, dtype] = kw.slice(-LAYER_KWARGS.length) as [
    Shape | undefined,
    Shape | undefined,
    number | undefined,
    number | undefined,
    string | undefined,
    boolean | undefined,
    DType | Policy | string | undefined,
  ];
  return { inputShape: inputShape ?? undefined, batchInputShape: batchInputShape ?? undefined, batchSize, inputDim, name, trainable, dtype };
}

/** A weight regularizer: a penalty added to the model's loss (tf.keras.regularizers). */
export interface Regularizer {
  call(weight: Tensor): Tensor;
}
/** A weight constraint: a projection applied after each optimizer update (tf.keras.constraints). */
export interface Constraint {
  call(weight: Tensor): Tensor;
}

export interface AddWeightOptions {
  shape: number[];
  dtype?: DType;
  initializer: Initializer;
  /** Whether a mixed-precision layer reads the weight in its compute dtype (Keras's experimental_autocast; default true). */
  autocast?: boolean;
  regularizer?: Regularizer | null;
  constraint?: Constraint | null;
  trainable?: boolean;
}

/**
 * Runs a layer call on KerasTensors (recording a functional node). Installed by engine/functional.ts so that
 * this base stays free of the functional engine.
 */
type SymbolicCall = (layer: Layer, inputs: SymbolicIO, options: CallOptions) => SymbolicIO;
let symbolicCall: SymbolicCall | null = null;
/** @public (the functional engine, engine/functional.ts, calls it as it loads) */
export function installSymbolicCall(fn: SymbolicCall): void {
  symbolicCall = fn;
}

const layerCounts = new Map<string, number>();
/** Keras's unique default names: dense, dense_1, dense_2, ... per snake_cased class name. */
export function uniqueLayerName(base: string): string {
  const n = layerCounts.get(base) ?? 0;
  layerCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}
/** Restarts the default names (tf.keras.backend.clearSession). */
export function resetLayerNames(): void {
  layerCounts.clear();
}
/** Keras's to_snake_case: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, ReLU -> re_lu, SimpleRNN -> simple_rnn. */
function snakeCase(className: string): string {
  return className
    .replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

export function isSymbolic(x: unknown): x is SymbolicIO {
  return x instanceof KerasTensor || (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof KerasTensor));
}

/** A layer instance is callable on tensors (eager or graph) and on KerasTensors (functional API). */
export interface Layer {
  (inputs: KerasTensor, options?: CallOptions): KerasTensor;
  (inputs: readonly KerasTensor[], options?: CallOptions): KerasTensor | KerasTensor[];
  (inputs: Tensor, options?: CallOptions): Tensor;
  (inputs: LayerIO, options?: CallOptions): Tensor | Tensor[];
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature of the function the constructor returns
export class Layer {
  name!: string;
  trainable!: boolean;
  built!: boolean;
  /** The dtype of the layer's weights (its policy's variable dtype, as Keras's layer.dtype). */
  dtype!: DType;
  /** The layer's dtype policy (Keras's dtype_policy). */
  dtypePolicy!: Policy;
  /** Whether the layer passes a mask on (Keras's supports_masking). */
  supportsMasking!: boolean;
  /** The batch input shape given to the constructor (inputShape, batchInputShape or inputDim), if any. */
  batchInputShape!: Shape | undefined;
  /** Regularization penalties of the last call (Keras's layer.losses for weight regularizers). */
  protected weightRegularizers!: [Variable, Regularizer][];
  protected ownTrainableWeights!: Variable[];
  protected ownNonTrainableWeights!: Variable[];
  /** The weights by the name addWeight was given ("kernel"), in creation order: their names in checkpoints. */
  protected namedWeights!: [string, Variable][];

  constructor(args: LayerArgs = {}) {
    // The instance is a function whose prototype is the subclass's, so that `layer(x)` calls __call__.
    // Subclass field initialisers and constructor bodies then run on this function object.
    const self = ((inputs: LayerIO | SymbolicIO, options?: CallOptions) => self.invoke(inputs, options)) as unknown as Layer;
    delete (self as unknown as { name?: string }).name;
    delete (self as unknown as { length?: number }).length;
    Object.setPrototypeOf(self, new.target.prototype);
    self.name = args.name ?? uniqueLayerName(snakeCase(new.target.name));
    self.trainable = args.trainable ?? true;
    self.built = false;
    self.dtypePolicy = policyOf(args.dtype);
    self.dtype = self.dtypePolicy.variableDtype;
    self.supportsMasking = false;
    self.weightRegularizers = [];
    self.ownTrainableWeights = [];
    self.ownNonTrainableWeights = [];
    self.namedWeights = [];
    self.batchInputShape =
      args.batchInputShape ??
      (args.inputShape ? [args.batchSize ?? null, ...args.inputShape] : args.inputDim !== undefined ? [args.batchSize ?? null, args.inputDim] : undefined);
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance is the point (Keras layers are called like functions)
    return self;
  }

  /** Creates the weights, knowing the input's shape; called once, before the first call. */
  build(_inputShape: Shape | Shape[]): void {
    this.built = true;
  }

  /** The layer's computation. `inputs` is what the layer was called with. */
  call(inputs: LayerIO, _options: CallOptions = {}): Tensor | Tensor[] {
    return inputs as Tensor | Tensor[];
  }

  /** The output's mask given the input's (Keras's compute_mask): by default the input mask if masking is supported. */
  computeMask(_inputs: LayerIO, mask: CallOptions["mask"]): Tensor | readonly (Tensor | null)[] | null {
    return this.supportsMasking ? (mask ?? null) : null;
  }

  /** Keras's __call__: builds on first use, then calls; on KerasTensors records a functional node. */
  invoke(inputs: LayerIO | SymbolicIO, options: CallOptions = {}): Tensor | Tensor[] | KerasTensor | KerasTensor[] {
    if (isSymbolic(inputs)) {
      if (!symbolicCall) throw new InvalidArgumentError(`Layer ${this.name}: KerasTensors need the functional engine (import tsflow, not a deep module)`);
      return symbolicCall(this, inputs, options) as KerasTensor | KerasTensor[];
    }
    const io = autocastInputs(inputs as LayerIO, this.computeDtype);
    if (!this.built) this.buildFrom(io);
    return withAutocast(this.computeDtype, () => this.call(io, options));
  }

  /** The dtype the layer computes in (its policy's compute dtype). */
  get computeDtype(): DType {
    return this.dtypePolicy.computeDtype;
  }
  /** The dtype of the layer's variables. */
  get variableDtype(): DType {
    return this.dtypePolicy.variableDtype;
  }

  /** Builds from concrete or graph tensors' shapes. */
  protected buildFrom(inputs: LayerIO): void {
    const shape = (t: Tensor): Shape => t.shape;
    this.build(Array.isArray(inputs) ? (inputs as readonly Tensor[]).map(shape) : shape(inputs as Tensor));
    this.built = true;
  }

  /** Creates a weight of this layer (an eager tf.Variable named `layer/name`). */
  addWeight(name: string, options: AddWeightOptions): Variable {
    const dtype = options.dtype ?? this.dtype;
    const trainable = options.trainable ?? true;
    const v = new Variable(() => options.initializer.call(options.shape, dtype), { name: `${this.name}/${name}`, trainable, dtype });
    // Keras's AutoCastVariable: a mixed-precision layer's float32 weight reads as its compute dtype in call().
    v.autocast = (options.autocast ?? true) && this.computeDtype !== dtype;
    (trainable ? this.ownTrainableWeights : this.ownNonTrainableWeights).push(v);
    if (options.regularizer) this.weightRegularizers.push([v, options.regularizer]);
    if (options.constraint) weightConstraints.set(v, options.constraint);
    this.namedWeights.push([name, v]);
    // A restore may be waiting for this weight (a layer built after tf.train.Checkpoint.restore).
    trackableChanged(this);
    return v;
  }

  /**
   * The checkpoint protocol (saving/trackable.ts), as TensorFlow 2's Keras tracks a layer: the layers held in
   * its properties (by the property's snake_cased name, lists of layers as lists), then its weights by their
   * addWeight names ("kernel", "bias", "moving_mean").
   */
  _trackableChildren(): [string, unknown][] {
    return [...this.propertyDependencies(), ...this.namedWeights];
  }

  /** The trackable objects in this layer's own properties: layers, lists of layers, and objects that track themselves (optimizers). */
  protected propertyDependencies(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(this)) {
      const value = (this as unknown as Record<string, unknown>)[key];
      if (value === this || value === null || value === undefined) continue;
      const tracks = value instanceof Layer || (Array.isArray(value) && value.length > 0 && value.every((x) => x instanceof Layer));
      const selfTracking = typeof (value as { _trackableChildren?: unknown })._trackableChildren === "function";
      if (tracks || selfTracking) out.push([snakeCaseName(key), value]);
    }
    return out;
  }

  /** The layers this layer holds in its own properties (a model's layers, a wrapper's inner layer), in order. */
  get sublayers(): Layer[] {
    const out: Layer[] = [];
    for (const key of Object.keys(this)) {
      const value = (this as unknown as Record<string, unknown>)[key];
      if (value instanceof Layer && value !== this) out.push(value);
      else if (Array.isArray(value)) for (const item of value) if (item instanceof Layer && item !== this) out.push(item);
    }
    return [...new Set(out)];
  }

  /** Trainable weights, this layer's then its sublayers' (none when the layer is frozen). */
  get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    return unique([...this.ownTrainableWeights, ...this.sublayers.flatMap((l) => l.trainableWeights)]);
  }
  /** Non-trainable weights, including a frozen layer's trainable ones. */
  get nonTrainableWeights(): Variable[] {
    const own = this.trainable ? this.ownNonTrainableWeights : [...this.ownTrainableWeights, ...this.ownNonTrainableWeights];
    const subs = this.sublayers.flatMap((l) => (this.trainable ? l.nonTrainableWeights : [...l.trainableWeights, ...l.nonTrainableWeights]));
    return unique([...own, ...subs]);
  }
  /** All weights, trainable first (Keras's order). */
  get weights(): Variable[] {
    return unique([...this.trainableWeights, ...this.nonTrainableWeights]);
  }
  /** The regularization penalties of this layer's and its sublayers' weights, computed now. */
  get losses(): Tensor[] {
    return [...this.weightRegularizers.map(([v, r]) => r.call(v.value())), ...this.sublayers.flatMap((l) => l.losses)];
  }

  /** The number of scalars in the weights. */
  countParams(): number {
    if (!this.built) throw new InvalidArgumentError(`You tried to call countParams on layer ${this.name}, but the layer isn't built.`);
    return this.weights.reduce((n, v) => n + (v.shape ?? []).reduce<number>((a, d) => a * (d ?? 0), 1), 0);
  }

  /** The constructor's keywords, for cloning and saving (layers add their own). */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: this.dtypePolicy.name };
    // Keras writes batch_input_shape only for a layer given an input shape (the first layer of a Sequential model).
    if (this.batchInputShape) config.batchInputShape = [...this.batchInputShape];
    return config;
  }

  /**
   * The layer a config describes (Keras's from_config): the constructor takes the config as its options.
   * Nested objects (initializers, inner layers) are already deserialized by tf.keras.layers.deserialize.
   */
  static fromConfig<T extends Layer>(this: new (config: Record<string, unknown>) => T, config: Record<string, unknown>, _customObjects?: unknown): T {
    return new this(config);
  }

  [inspect.custom](): string {
    return `<${this.constructor.name} name=${this.name}, built=${this.built}>`;
  }
  toString(): string {
    return `<${this.constructor.name} name=${this.name}, built=${this.built}>`;
  }
}

/**
 * Keras casts a layer's floating inputs to its compute dtype. Here that is done where a 16-bit float is
 * involved (a mixed-precision layer, or a float32 layer after one); other dtypes are left to the layers,
 * which cast what they compute with. (A function, not a method: layer instances are functions, which
 * carry no private class members.)
 */
function autocastInputs(inputs: LayerIO, to: DType): LayerIO {
  const cast1 = (t: Tensor): Tensor =>
    t instanceof Tensor && t.dtype !== to && isFloating(t.dtype) && isFloating(to) && (isNarrowFloat(t.dtype) || isNarrowFloat(to)) ? cast(t, to) : t;
  return Array.isArray(inputs) ? (inputs as readonly Tensor[]).map(cast1) : cast1(inputs as Tensor);
}

/** The constraint of each weight that has one, applied by optimizers after updating it. */
export const weightConstraints = new WeakMap<Variable, Constraint>();

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
