import { inspect } from "node:util";
import { checkDType, DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { Shape, shapesCompatible } from "../core/shape.js";
import { ArgsOf, declare, K, kind, optional, parseArgs, signature, withDefault } from "../core/signature.js";

const tensorSpecSignature = signature(
  "TensorSpec",
  "Describes a tensor a tf.function accepts: its shape (null dims and a null shape match anything) and dtype.",
  [
    param0(),
    withDefault("dtype", kind<DType>("DType"), "float32", "The dtype."),
    optional("name", K.string, "A name for the placeholder the function's graph gets."),
  ],
  { args: () => [[null, 784], "float32", "x"] },
);
function param0() {
  return withDefault("shape", kind<Shape>("Shape"), null, "The shape: an array with null for unknown dims, or null for an unknown rank.");
}

/** tf.TensorSpec(shape, dtype, name): the type of a tensor argument of a tf.function (its input signature). */
export class TensorSpec {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly name: string | null;

  constructor(...args: ArgsOf<typeof tensorSpecSignature>) {
    const [shape, dtype, name] = parseArgs(tensorSpecSignature, args);
    if (shape !== null && (!Array.isArray(shape) || shape.some((d) => d !== null && (!Number.isInteger(d) || d < 0)))) {
      throw new InvalidArgumentError(`tf.TensorSpec: shape must be an array of non-negative integers or null, got ${String(shape)}`);
    }
    this.shape = shape === null ? null : [...shape];
    this.dtype = checkDType(dtype, "tf.TensorSpec");
    this.name = name ?? null;
  }

  /** Whether a tensor (or spec) of this dtype and shape fits this spec. */
  isCompatibleWith(other: { dtype: DType; shape: Shape }): boolean {
    return other.dtype === this.dtype && shapesCompatible(this.shape, other.shape);
  }

  toString(): string {
    const shape = this.shape === null ? "<unknown>" : `(${this.shape.map((d) => d ?? "None").join(", ")}${this.shape.length === 1 ? "," : ""})`;
    return `TensorSpec(shape=${shape}, dtype=tf.${this.dtype}, name=${this.name === null ? "None" : `'${this.name}'`})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}
declare(TensorSpec, tensorSpecSignature);
