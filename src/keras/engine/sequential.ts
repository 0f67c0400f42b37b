/**
 * tf.keras.Sequential: a model that is a stack of single-input, single-output layers. When the first layer
 * knows its input shape (inputShape, batchInputShape, inputDim, or a tf.keras.Input added first) the model
 * is built at once as a functional graph (so summary() works before any data); otherwise it is built on
 * its first call, from the data's shape.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { type ArgsOf, declare, K, kind, optional, parseArgs, signature } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { topologicalNodes } from "./functional.js";
import { InputLayer } from "./input_layer.js";
import { trackableChanged } from "../../saving/trackable.js";
import { KerasTensor } from "./keras_tensor.js";
import { type CallOptions, Layer, type LayerIO } from "./layer.js";
import { Model } from "./model.js";

const sequentialSignature = signature(
  "keras.Sequential",
  "A linear stack of layers.",
  [
    optional("layers", kind<(Layer | KerasTensor)[]>("(Layer | KerasTensor)[]"), "The layers, first to last (a tf.keras.Input first sets the input shape)."),
    optional("name", K.string, "The model's name (default sequential, sequential_1, ...)."),
  ],
  { skip: "a model is a callable function object, which the both-ways test cannot compare; test/keras_engine.test.ts builds Sequential both ways" },
);

export class Sequential extends Model {
  /** The layers in order, without the InputLayer. */
  protected stack: Layer[] = [];
  protected inputLayer: InputLayer | null = null;

  constructor(...args: ArgsOf<typeof sequentialSignature>) {
    const [layers, name] = parseArgs(sequentialSignature, args);
    super({ name });
    for (const l of layers ?? []) this.add(l);
  }

  override get layers(): Layer[] {
    return [...this.stack];
  }
  override get sublayers(): Layer[] {
    return [...this.stack];
  }
  /** Checkpoints name a Sequential model's layers by position, built or not. */
  protected override checkpointLayers(): Layer[] {
    return this.layers;
  }

  /** Adds a layer on top (or sets the input, for a tf.keras.Input or an InputLayer). */
  add(layer: Layer | KerasTensor): void {
    if (layer instanceof KerasTensor) {
      const source = layer.node?.layer;
      if (!(source instanceof InputLayer)) throw new InvalidArgumentError("Sequential.add: a KerasTensor added must come from tf.keras.Input");
      this.setInput(source);
      return;
    }
    if (!(layer instanceof Layer)) {
      throw new InvalidArgumentError(`The added layer must be an instance of class Layer. Received: layer=${String(layer)} of type ${typeof layer}.`);
    }
    if (layer instanceof InputLayer) {
      this.setInput(layer);
      return;
    }
    if (this.stack.includes(layer)) throw new InvalidArgumentError(`Sequential.add: layer "${layer.name}" is already in the model`);
    const names = new Set(this.stack.map((l) => l.name));
    if (names.has(layer.name)) {
      throw new InvalidArgumentError(
        `All layers added to a Sequential model should have unique names. Name "${layer.name}" is already the name of a layer in this model.`,
      );
    }
    this.stack.push(layer);
    if (this.stack.length === 1 && !this.inputLayer && layer.batchInputShape) {
      // Keras names the input it makes for a Sequential model after the first layer.
      this.inputLayer = new InputLayer({ batchInputShape: layer.batchInputShape, dtype: layer.dtype, name: `${layer.name}_input` });
    }
    if (this.inputLayer) this.rebuild();
    // A restore may be waiting for this layer (`layer-N`).
    trackableChanged(this);
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (!layer) throw new InvalidArgumentError("There are no layers in the model.");
    if (this.inputLayer && this.stack.length > 0) this.rebuild();
    else {
      this.inputs = [];
      this.outputs = [];
      this.nodes = [];
      this.built = this.stack.length > 0 && this.built;
    }
    return layer;
  }

  private setInput(input: InputLayer): void {
    if (this.stack.length > 0 || this.inputLayer) throw new InvalidArgumentError("Sequential.add: an input must be added first");
    this.inputLayer = input;
  }

  /** The functional graph of the stack from its input (each layer called once more on KerasTensors). */
  private rebuild(): void {
    const input = (this.inputLayer as InputLayer).output;
    let x: KerasTensor = input;
    for (const layer of this.stack) {
      const out = layer(x);
      if (!(out instanceof KerasTensor)) {
        throw new InvalidArgumentError(
          `All layers in a Sequential model should have a single output tensor. For multi-output layers, use the functional API. Layer "${layer.name}" has several.`,
        );
      }
      x = out;
    }
    this.inputs = [input];
    this.outputs = [x];
    this.nodes = topologicalNodes(this.inputs, this.outputs);
    this.built = true;
  }

  /** Built from the data's shape on the first call when no input shape was given. */
  protected override buildFrom(inputs: LayerIO): void {
    if (this.inputLayer || this.stack.length === 0) {
      this.built = true;
      return;
    }
    const shape = (inputs as Tensor).shape ?? [];
    this.inputLayer = new InputLayer({
      batchInputShape: [null, ...shape.slice(1)],
      dtype: (inputs as Tensor).dtype === "int32" ? "int32" : "float32",
      name: `${this.stack[0].name}_input`,
    });
    this.rebuild();
  }

  override build(inputShape: Shape | Shape[]): void {
    if (this.inputLayer) return;
    this.inputLayer = new InputLayer({ batchInputShape: inputShape as Shape, name: this.stack[0] ? `${this.stack[0].name}_input` : undefined });
    this.rebuild();
  }

  override call(inputs: LayerIO, options: CallOptions = {}): Tensor | Tensor[] {
    // Masks flow as in Keras: each layer gets the mask its predecessor computed (Embedding(maskZero) -> LSTM).
    let x = inputs as Tensor;
    let mask = options.mask ?? null;
    for (const layer of this.stack) {
      const y = layer.invoke(x, mask === null ? options : { ...options, mask }) as Tensor;
      mask = layer.computeMask(x, mask);
      x = y;
    }
    return x;
  }
}
declare(Sequential, sequentialSignature);
