/**
 * tf.keras.layers.Bidirectional and TimeDistributed: layers that wrap another layer.
 */
import { InvalidArgumentError } from "../../../core/errors.js";
import type { Shape } from "../../../core/shape.js";
import type { Tensor } from "../../../core/tensor.js";
import { declare, kind, optional, parseArgs, param, signature, withDefault, type ArgsOf } from "../../../core/signature.js";
import { add, multiply } from "../../../ops/elementwise.js";
import { concat, reshape, reverse } from "../../../ops/movement.js";
import { type CallOptions, LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../../engine/layer.js";
import { RNN } from "./rnn.js";

/** A layer's computeOutputShape, which every built-in layer has (the functional engine needs it). */
function outputShapeOf(layer: Layer, inputShape: Shape | Shape[]): Shape | Shape[] {
  const f = (layer as unknown as { computeOutputShape?: (s: Shape | Shape[]) => Shape | Shape[] }).computeOutputShape;
  if (typeof f !== "function") throw new InvalidArgumentError(`${layer.name}: the layer has no computeOutputShape`);
  return f.call(layer, inputShape);
}

type MergeMode = "concat" | "sum" | "mul" | "ave" | null;
const MERGE_MODES = ["concat", "sum", "mul", "ave", null];

const bidirectionalSignature = signature(
  "keras.layers.Bidirectional",
  "Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges their outputs.",
  [
    param("layer", kind<RNN>("RNN"), "The recurrent layer (LSTM, GRU, SimpleRNN or RNN); it is recreated from its config as the forward layer."),
    withDefault("mergeMode", kind<MergeMode>('"concat" | "sum" | "mul" | "ave" | null'), "concat", "How the two outputs are combined (null: both returned)."),
    optional("weights", kind<unknown>("unknown"), "Initial weights (not supported: set them with setWeights after building)."),
    optional("backwardLayer", kind<RNN>("RNN"), "The backward layer (default: a copy of layer with goBackwards flipped)."),
    ...LAYER_KWARGS,
  ],
  { args: (tf) => [new tf.keras.layers.LSTM(2), "concat"] },
);

/** A recurrent layer made again from its config, with changes (Keras's _recreate_layer_from_config). */
function recreate(layer: RNN, changes: Record<string, unknown>): RNN {
  const config = { ...layer.getConfig(), ...changes };
  if ("cell" in config) throw new InvalidArgumentError(`Bidirectional: cannot copy ${layer.name} (an RNN over a custom cell); pass backwardLayer`);
  const Ctor = layer.constructor as new (options: Record<string, unknown>) => RNN;
  return new Ctor(config);
}

export class Bidirectional extends Layer {
  forwardLayer!: RNN;
  backwardLayer!: RNN;
  mergeMode!: MergeMode;
  returnSequences!: boolean;
  returnState!: boolean;
  /** The configs Keras saves: the layer as given (not the renamed forward copy), and a backward layer only if one was given. */
  readonly #layerConfig: { className: string; config: Record<string, unknown> };
  readonly #backwardConfig: { className: string; config: Record<string, unknown> } | null;

  constructor(...args: ArgsOf<typeof bidirectionalSignature>) {
    const parsed = parseArgs(bidirectionalSignature, args);
    const [layer, mergeMode, weights, backward] = parsed;
    const la = layerArgs(parsed);
    super(la);
    if (!(layer instanceof RNN))
      throw new InvalidArgumentError(`Please initialize \`Bidirectional\` layer with a recurrent layer instance. Received: ${String(layer)}`);
    if (!MERGE_MODES.includes(mergeMode))
      throw new InvalidArgumentError(`Invalid merge mode. Received: ${mergeMode}. Merge mode should be one of {"sum", "mul", "ave", "concat", null}`);
    if (weights !== undefined && weights !== null)
      throw new InvalidArgumentError("Bidirectional: initial weights are not supported; use setWeights after building");
    this.#layerConfig = { className: layer.constructor.name, config: layer.getConfig() };
    this.#backwardConfig = backward ? { className: backward.constructor.name, config: backward.getConfig() } : null;
    const zero = { zeroOutputForMask: layer.returnSequences };
    this.forwardLayer = recreate(layer, { ...zero, name: `forward_${layer.name}` });
    this.backwardLayer = backward ? backward : recreate(layer, { ...zero, goBackwards: !layer.goBackwards, name: `backward_${layer.name}` });
    if (this.backwardLayer.returnSequences !== layer.returnSequences || this.backwardLayer.returnState !== layer.returnState) {
      throw new InvalidArgumentError("Bidirectional: forward and backward layers must agree on returnSequences and returnState");
    }
    this.mergeMode = mergeMode;
    this.returnSequences = layer.returnSequences;
    this.returnState = layer.returnState;
    this.supportsMasking = true;
  }

  override call(inputs: LayerIO, options: CallOptions = {}): Tensor | Tensor[] {
    const n = this.forwardLayer.stateSize.length;
    let init = options.initialState as readonly Tensor[] | undefined;
    const x = Array.isArray(inputs) ? (inputs as readonly Tensor[])[0] : (inputs as Tensor);
    if (Array.isArray(inputs) && inputs.length > 1) init = (inputs as readonly Tensor[]).slice(1);
    if (init && init.length !== 2 * n)
      throw new InvalidArgumentError(`${this.name}: expected ${2 * n} initial states (forward then backward), got ${init.length}`);
    const sub = (s: readonly Tensor[] | undefined) => ({ training: options.training, mask: options.mask, initialState: s });
    const fw = this.forwardLayer(x, sub(init?.slice(0, n)));
    const bw = this.backwardLayer(x, sub(init?.slice(n)));
    const [yf, ...sf] = Array.isArray(fw) ? fw : [fw];
    let [yb, ...sb] = Array.isArray(bw) ? bw : [bw];
    if (this.returnSequences) yb = reverse(yb, [this.forwardLayer.timeMajor ? 0 : 1]);
    const merged = this.merge(yf, yb);
    if (!this.returnState) return merged;
    return [...(Array.isArray(merged) ? merged : [merged]), ...sf, ...sb];
  }

  private merge(a: Tensor, b: Tensor): Tensor | Tensor[] {
    switch (this.mergeMode) {
      case "concat":
        return concat([a, b], -1);
      case "sum":
        return add(a, b);
      case "mul":
        return multiply(a, b);
      case "ave":
        return multiply(add(a, b), 0.5);
      default:
        return [a, b];
    }
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const fw = outputShapeOf(this.forwardLayer, inputShape);
    const [y, ...states] = this.returnState ? (fw as Shape[]) : [fw as Shape];
    let merged: Shape[];
    if (this.mergeMode === "concat") {
      const last = y === null ? null : y[y.length - 1];
      merged = [y === null ? null : [...y.slice(0, -1), last === null ? null : 2 * last]];
    } else merged = this.mergeMode === null ? [y, y] : [y];
    if (!this.returnState) return merged.length === 1 ? merged[0] : merged;
    return [...merged, ...states, ...states];
  }

  override computeMask(_inputs: LayerIO, mask: CallOptions["mask"]): Tensor | readonly (Tensor | null)[] | null {
    const m = this.returnSequences ? (((Array.isArray(mask) ? mask[0] : mask) ?? null) as Tensor | null) : null;
    const outs = this.mergeMode === null ? [m, m] : [m];
    if (!this.returnState) return outs.length === 1 ? outs[0] : outs;
    return [...outs, ...this.forwardLayer.stateSize.map(() => null), ...this.forwardLayer.stateSize.map(() => null)];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      mergeMode: this.mergeMode,
      layer: this.#layerConfig,
      ...(this.#backwardConfig ? { backwardLayer: this.#backwardConfig } : {}),
    };
  }
}
declare(Bidirectional, bidirectionalSignature);

const timeDistributedSignature = signature(
  "keras.layers.TimeDistributed",
  "Applies a layer to every time step of a sequence (the same weights at each step).",
  [param("layer", kind<Layer>("Layer"), "The layer applied to each [batch, ...] slice of the [batch, time, ...] input."), ...LAYER_KWARGS],
  { args: (tf) => [new tf.keras.layers.Masking()] },
);

export class TimeDistributed extends Layer {
  layer!: Layer;
  constructor(...args: ArgsOf<typeof timeDistributedSignature>) {
    const parsed = parseArgs(timeDistributedSignature, args);
    const la = layerArgs(parsed);
    super(la);
    if (!(parsed[0] instanceof Layer))
      throw new InvalidArgumentError(`Please initialize \`TimeDistributed\` layer with a tf.keras.layers.Layer instance. Received: ${String(parsed[0])}`);
    this.layer = parsed[0];
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = inputShape as Shape;
    if (s === null || s.length < 3) {
      throw new InvalidArgumentError(`${this.name}: TimeDistributed requires an input of at least rank 3 [batch, time, ...], got ${JSON.stringify(s)}`);
    }
    if (!this.layer.built) {
      this.layer.build([s[0] === null || s[1] === null ? null : s[0] * s[1], ...s.slice(2)]);
      this.layer.built = true;
    }
    this.built = true;
  }

  override call(inputs: LayerIO, options: CallOptions = {}): Tensor {
    const x = inputs as Tensor;
    if (x.shape === null) throw new InvalidArgumentError(`${this.name}: the inputs' rank must be known`);
    const [b, t, ...rest] = x.shape;
    if (rest.some((d) => d === null)) throw new InvalidArgumentError(`${this.name}: the feature dimensions must be known, got [${x.shape}]`);
    if (b === null && t === null) throw new InvalidArgumentError(`${this.name}: the batch or the time dimension must be known, got [${x.shape}]`);
    const y = this.layer(reshape(x, [-1, ...(rest as number[])]), { training: options.training }) as Tensor;
    const yRest = (y.shape ?? [null]).slice(1);
    if (yRest.some((d) => d === null)) throw new InvalidArgumentError(`${this.name}: ${this.layer.name} returned an unknown shape [${y.shape}]`);
    return reshape(y, [b ?? -1, t ?? -1, ...(yRest as number[])]);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape === null) return null;
    const [b, t, ...rest] = inputShape;
    const inner = outputShapeOf(this.layer, [b === null || t === null ? null : b * t, ...rest]) as Shape;
    return [b, t, ...(inner === null ? [] : inner.slice(1))];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: { className: this.layer.constructor.name, config: this.layer.getConfig() } };
  }
}
declare(TimeDistributed, timeDistributedSignature);
