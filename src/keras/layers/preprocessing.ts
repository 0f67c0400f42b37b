/** Rescaling: inputs * scale + offset, as floats (Keras's preprocessing layer, e.g. 1/255 for pixels). */
import type { Shape } from "../../core/shape.js";
import { declare, K, param, parseArgs, signature, withDefault, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { convertToTensor } from "../../ops/creation.js";
import { add, multiply } from "../../ops/elementwise.js";
import { LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { oneTensor, single } from "./utils.js";

const RESCALING = signature(
  "keras.layers.Rescaling",
  "Multiplies the inputs by scale and adds offset (in the layer's float dtype).",
  [param("scale", K.number, "The factor."), withDefault("offset", K.number, 0, "The offset."), ...LAYER_KWARGS],
  { args: () => [1 / 255, 0] },
);
export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;
  constructor(...args: CallArgs<typeof RESCALING.params>) {
    const p = parseArgs(RESCALING, args);
    super(layerArgs(p));
    [this.scale, this.offset] = p;
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    let x = oneTensor(this, inputs);
    if (x.dtype !== this.computeDtype) x = cast(x, this.computeDtype);
    const y = multiply(x, convertToTensor(this.scale, { dtype: this.computeDtype }));
    return this.offset === 0 ? y : add(y, convertToTensor(this.offset, { dtype: this.computeDtype }));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}
declare(Rescaling, RESCALING);
