/** The reshaping layers: Flatten, Reshape and Permute (Keras's layers/reshaping). */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Dim, Shape } from "../../core/shape.js";
import { declare, param, parseArgs, signature, optional, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { reshape, transpose } from "../../ops/movement.js";
import { LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { batchAndRest, DATA_FORMAT, type DataFormat, normDataFormat, oneTensor, prodOrNull, pyShape, SHAPE, single } from "./utils.js";

const FLATTEN = signature(
  "keras.layers.Flatten",
  "Flattens each sample to one dimension: [batch, ...] -> [batch, prod(...)].",
  [optional("dataFormat", DATA_FORMAT, "channels_first inputs are moved to channels_last first (Keras's order)."), ...LAYER_KWARGS],
  { args: () => ["channels_last"] },
);
export class Flatten extends Layer {
  readonly dataFormat: DataFormat;
  constructor(...args: CallArgs<typeof FLATTEN.params>) {
    const p = parseArgs(FLATTEN, args);
    super(layerArgs(p));
    this.dataFormat = normDataFormat("Flatten", p[0]);
  }
  override call(inputs: LayerIO): Tensor {
    let x = oneTensor(this, inputs);
    const rank = x.rank;
    if (rank === null) throw new InvalidArgumentError(`Layer "${this.name}": Flatten needs an input of known rank`);
    if (this.dataFormat === "channels_first" && rank > 2) x = transpose(x, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1]);
    if (rank === 1) return reshape(x, new Int32Array([-1, 1]));
    const rest = prodOrNull(x.shape!.slice(1));
    return reshape(x, rest === null ? new Int32Array([x.shape![0] ?? -1, -1]) : batchAndRest(x, [rest]));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    if (s.length === 1) return [s[0], 1];
    return [s[0], prodOrNull(s.slice(1))];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}
declare(Flatten, FLATTEN);

const RESHAPE = signature(
  "keras.layers.Reshape",
  "Reshapes each sample to targetShape (the batch dimension kept; one -1 is inferred).",
  [param("targetShape", SHAPE, "The new shape without the batch dimension."), ...LAYER_KWARGS],
  { args: () => [[2, -1]] },
);
export class Reshape extends Layer {
  readonly targetShape: number[];
  constructor(...args: CallArgs<typeof RESHAPE.params>) {
    const p = parseArgs(RESHAPE, args);
    super(layerArgs(p));
    const t = Array.from(p[0], (d) => (d === null ? -1 : d));
    if (t.filter((d) => d === -1).length > 1)
      throw new InvalidArgumentError(`Reshape: there must be at most one unknown dimension in output_shape. Received: output_shape=[${t}].`);
    this.targetShape = t;
  }
  /** The target with its -1 resolved from the sample's size, where that is known. */
  #resolve(inShape: readonly Dim[]): Dim[] {
    const size = prodOrNull(inShape.slice(1));
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    if (size === null) return this.targetShape.map((d) => (d === -1 ? null : d));
    const unknown = this.targetShape.indexOf(-1);
    if ((unknown === -1 && known !== size) || (unknown !== -1 && (known === 0 || size % known !== 0))) {
      throw new InvalidArgumentError(
        `Layer "${this.name}": total size of new array must be unchanged, input_shape = ${pyShape(inShape.slice(1))}, output_shape = ${pyShape(this.targetShape)}`,
      );
    }
    return this.targetShape.map((d) => (d === -1 ? size / known : d));
  }
  override call(inputs: LayerIO): Tensor {
    const x = oneTensor(this, inputs);
    const target = x.shape === null ? this.targetShape : this.#resolve(x.shape).map((d) => d ?? -1);
    return reshape(x, batchAndRest(x, target));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    return [s[0], ...this.#resolve(s)];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}
declare(Reshape, RESHAPE);

const PERMUTE = signature(
  "keras.layers.Permute",
  "Permutes the non-batch dimensions (dims are 1-indexed, as in Keras).",
  [param("dims", SHAPE, "The permutation of 1..rank-1."), ...LAYER_KWARGS],
  { args: () => [[2, 1]] },
);
export class Permute extends Layer {
  readonly dims: number[];
  constructor(...args: CallArgs<typeof PERMUTE.params>) {
    const p = parseArgs(PERMUTE, args);
    super(layerArgs(p));
    const dims = Array.from(p[0], Number);
    const sorted = [...dims].sort((a, b) => a - b);
    if (sorted.some((d, i) => d !== i + 1)) {
      throw new InvalidArgumentError(
        `Permute: invalid permutation argument \`dims\` for Permute Layer. The set of indices in \`dims\` must be consecutive and start from 1. Received dims=[${dims}]`,
      );
    }
    this.dims = dims;
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    return transpose(oneTensor(this, inputs), [0, ...this.dims]);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    if (s.length !== this.dims.length + 1)
      throw new InvalidArgumentError(`Layer "${this.name}": dims [${this.dims}] do not match the input shape ${pyShape(s)}`);
    return [s[0], ...this.dims.map((d) => s[d])];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: this.dims };
  }
}
declare(Permute, PERMUTE);
