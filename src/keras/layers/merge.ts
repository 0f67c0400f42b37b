/**
 * The merge layers, called on a list of tensors: Add, Subtract, Multiply, Average, Maximum, Minimum
 * (elementwise, with broadcasting) and Concatenate. Masks combine as in Keras: an element is kept when
 * every input keeps it (Concatenate: the masks joined along the axis).
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { broadcastShapes, type Dim, type Shape } from "../../core/shape.js";
import { declare, K, parseArgs, signature, withDefault, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { convertToTensor, onesLike } from "../../ops/creation.js";
import { add, logicalAnd, maximum, minimum, multiply, realdiv, subtract } from "../../ops/elementwise.js";
import { concat, expandDims } from "../../ops/movement.js";
import { reduceAll } from "../../ops/reduce.js";
import { type CallOptions, LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { pyShape, several } from "./utils.js";

type MaskList = readonly (Tensor | null)[];
function masksOf(mask: CallOptions["mask"]): MaskList | null {
  if (mask === undefined || mask === null) return null;
  if (!Array.isArray(mask)) throw new InvalidArgumentError("A merge layer's mask should be a list of masks, one per input");
  return (mask as MaskList).every((m) => m === null) ? null : (mask as MaskList);
}

function tensors(layer: Layer, inputs: LayerIO, min: number): Tensor[] {
  if (!Array.isArray(inputs))
    throw new InvalidArgumentError(`Layer "${layer.name}" should be called on a list of inputs. Received: inputs=${String(inputs)} (not a list of tensors)`);
  const list = inputs as readonly Tensor[];
  if (list.length < min)
    throw new InvalidArgumentError(`Layer "${layer.name}" should be called on a list of at least ${min} inputs. Received: ${list.length} inputs.`);
  return [...list];
}

/** The elementwise merges: one op folded over the inputs, shapes broadcast. */
abstract class ElementwiseMerge extends Layer {
  protected minInputs = 2;
  constructor(kw: readonly unknown[]) {
    super(layerArgs(kw));
    this.supportsMasking = true;
  }
  protected abstract merge(xs: Tensor[]): Tensor;
  override call(inputs: LayerIO): Tensor {
    const xs = tensors(this, inputs, this.minInputs);
    this.computeOutputShape(xs.map((x) => x.shape));
    return this.merge(xs);
  }
  override computeMask(_inputs: LayerIO, mask: CallOptions["mask"]): Tensor | null {
    const masks = masksOf(mask);
    if (masks === null) return null;
    return masks.filter((m): m is Tensor => m !== null).reduce((a, b) => logicalAnd(a, b));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = several(this, inputShape);
    if (shapes.length < this.minInputs)
      throw new InvalidArgumentError(
        `Layer "${this.name}" should be called on a list of at least ${this.minInputs} inputs. Received: ${shapes.length} inputs.`,
      );
    let out: Shape = shapes[0];
    for (const s of shapes.slice(1)) {
      // The batch dimension may differ in being known; the others broadcast.
      const b = broadcastShapes(out, s);
      if (b === "incompatible")
        throw new InvalidArgumentError(`Layer "${this.name}": inputs must have compatible shapes. Received: input shape ${pyShape(out)} vs ${pyShape(s)}`);
      out = b;
    }
    return out;
  }
}

const mergeSig = (pyName: string, doc: string) =>
  signature(`keras.layers.${pyName}`, doc, [...LAYER_KWARGS], { args: () => [undefined, undefined, undefined, undefined, `${pyName.toLowerCase()}_ex`] });

const ADD = mergeSig("Add", "The elementwise sum of the inputs.");
export class Add extends ElementwiseMerge {
  constructor(...args: CallArgs<typeof ADD.params>) {
    super(parseArgs(ADD, args));
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.reduce((a, b) => add(a, b));
  }
}
declare(Add, ADD);

const SUBTRACT = mergeSig("Subtract", "The first input minus the second.");
export class Subtract extends ElementwiseMerge {
  constructor(...args: CallArgs<typeof SUBTRACT.params>) {
    super(parseArgs(SUBTRACT, args));
  }
  protected merge(xs: Tensor[]): Tensor {
    if (xs.length !== 2) throw new InvalidArgumentError(`A \`Subtract\` layer should be called on exactly 2 inputs. Received: ${xs.length} inputs.`);
    return subtract(xs[0], xs[1]);
  }
}
declare(Subtract, SUBTRACT);

const MULTIPLY = mergeSig("Multiply", "The elementwise product of the inputs.");
export class Multiply extends ElementwiseMerge {
  constructor(...args: CallArgs<typeof MULTIPLY.params>) {
    super(parseArgs(MULTIPLY, args));
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.reduce((a, b) => multiply(a, b));
  }
}
declare(Multiply, MULTIPLY);

const AVERAGE = mergeSig("Average", "The elementwise mean of the inputs.");
export class Average extends ElementwiseMerge {
  constructor(...args: CallArgs<typeof AVERAGE.params>) {
    super(parseArgs(AVERAGE, args));
  }
  protected merge(xs: Tensor[]): Tensor {
    const sum = xs.reduce((a, b) => add(a, b));
    return realdiv(sum, convertToTensor(xs.length, { dtype: sum.dtype }));
  }
}
declare(Average, AVERAGE);

const MAXIMUM = mergeSig("Maximum", "The elementwise maximum of the inputs.");
export class Maximum extends ElementwiseMerge {
  constructor(...args: CallArgs<typeof MAXIMUM.params>) {
    super(parseArgs(MAXIMUM, args));
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.reduce((a, b) => maximum(a, b));
  }
}
declare(Maximum, MAXIMUM);

const MINIMUM = mergeSig("Minimum", "The elementwise minimum of the inputs.");
export class Minimum extends ElementwiseMerge {
  constructor(...args: CallArgs<typeof MINIMUM.params>) {
    super(parseArgs(MINIMUM, args));
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.reduce((a, b) => minimum(a, b));
  }
}
declare(Minimum, MINIMUM);

const CONCATENATE = signature(
  "keras.layers.Concatenate",
  "Joins the inputs along an axis (the other dimensions must match).",
  [withDefault("axis", K.int, -1, "The axis to join along."), ...LAYER_KWARGS],
  { args: () => [1] },
);
export class Concatenate extends Layer {
  readonly axis: number;
  constructor(...args: CallArgs<typeof CONCATENATE.params>) {
    const p = parseArgs(CONCATENATE, args);
    super(layerArgs(p));
    this.axis = p[0];
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    const xs = tensors(this, inputs, 1);
    this.computeOutputShape(xs.map((x) => x.shape));
    return concat(xs, this.axis);
  }
  override computeMask(inputs: LayerIO, mask: CallOptions["mask"]): Tensor | null {
    const masks = masksOf(mask);
    if (masks === null) return null;
    const xs = tensors(this, inputs, 1);
    // Each mask (ones where an input has none) to its input's rank, joined along the axis, then all over the last.
    const full = masks.map((m, i) => {
      const x = xs[i];
      const all = cast(onesLike(x), "bool");
      if (m === null) return all;
      // Broadcast to the input's shape (Keras leaves it [..., 1], which only joins along the last axis).
      return logicalAnd(m.rank !== null && x.rank !== null && m.rank < x.rank ? expandDims(m, -1) : m, all);
    });
    return reduceAll(concat(full, this.axis), -1);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = several(this, inputShape);
    const rank = shapes[0]?.length ?? 0;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    const out: Dim[] = [...(shapes[0] as Dim[])];
    for (const s of shapes.slice(1)) {
      const ok = s !== null && s.length === rank && s.every((d, i) => i === axis || d === null || out[i] === null || d === out[i]);
      if (!ok) {
        throw new InvalidArgumentError(
          `A \`Concatenate\` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[${shapes.map(pyShape).join(", ")}]`,
        );
      }
      out.forEach((d, i) => {
        if (i === axis) out[i] = d === null || s![i] === null ? null : d + (s![i] as number);
        else if (d === null) out[i] = s![i];
      });
    }
    return out;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
declare(Concatenate, CONCATENATE);
