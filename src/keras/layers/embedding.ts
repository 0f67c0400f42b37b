/** Embedding: integer indices to dense vectors (a gather of rows of the embedding matrix); maskZero masks index 0. */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { declare, K, optional, param, parseArgs, signature, withDefault, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { convertToTensor } from "../../ops/creation.js";
import { notEqual } from "../../ops/elementwise.js";
import { gather } from "../../ops/movement.js";
import type { Variable } from "../../variables/variable.js";
import { type ConstraintArg, get as getConstraint } from "../constraints.js";
import { type InitializerArg, get as getInitializer } from "../initializers.js";
import { type RegularizerArg, get as getRegularizer } from "../regularizers.js";
import { LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { CONSTRAINT, INITIALIZER, oneTensor, REGULARIZER, single } from "./utils.js";

// Embedding's own inputDim is its vocabulary size, so the shared keyword inputDim (Dense's shorthand) is left out.
const [KW_INPUT_SHAPE, KW_BATCH_INPUT_SHAPE, KW_BATCH_SIZE, , KW_NAME, KW_TRAINABLE, KW_DTYPE] = LAYER_KWARGS;
const EMBEDDING = signature(
  "keras.layers.Embedding",
  "Turns indices (integers in [0, inputDim)) into dense vectors of size outputDim.",
  [
    param("inputDim", K.int, "The vocabulary size: the largest index + 1."),
    param("outputDim", K.int, "The size of each vector."),
    withDefault("embeddingsInitializer", INITIALIZER, "uniform", "The matrix's initializer (Keras's default: uniform in [-0.05, 0.05])."),
    optional("embeddingsRegularizer", REGULARIZER, "A penalty on the matrix."),
    optional("embeddingsConstraint", CONSTRAINT, "A projection of the matrix after each update."),
    withDefault("maskZero", K.boolean, false, "Index 0 is padding: pass a mask on (then inputDim must be the vocabulary size + 1)."),
    optional("inputLength", K.int, "The length of the input sequences, when constant."),
    KW_INPUT_SHAPE,
    KW_BATCH_INPUT_SHAPE,
    KW_BATCH_SIZE,
    KW_NAME,
    KW_TRAINABLE,
    KW_DTYPE,
  ],
  { args: () => [10, 3, "uniform", undefined, undefined, true, 5] },
);
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: InitializerArg;
  readonly embeddingsRegularizer: RegularizerArg | null;
  readonly embeddingsConstraint: ConstraintArg | null;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  embeddings!: Variable;

  constructor(...args: CallArgs<typeof EMBEDDING.params>) {
    const p = parseArgs(EMBEDDING, args);
    const [
      inputDim,
      outputDim,
      embeddingsInitializer,
      embeddingsRegularizer,
      embeddingsConstraint,
      maskZero,
      inputLength,
      inputShape,
      batchInputShape,
      batchSize,
      name,
      trainable,
      dtype,
    ] = p;
    super(layerArgs([inputShape ?? (inputLength !== undefined ? [inputLength] : undefined), batchInputShape, batchSize, undefined, name, trainable, dtype]));
    if (!(Number.isInteger(inputDim) && inputDim > 0) || !(Number.isInteger(outputDim) && outputDim > 0)) {
      throw new InvalidArgumentError(
        `Embedding: both \`input_dim\` and \`output_dim\` should be positive, received input_dim = ${inputDim} and output_dim = ${outputDim}`,
      );
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.embeddingsInitializer = embeddingsInitializer;
    this.embeddingsRegularizer = embeddingsRegularizer ?? null;
    this.embeddingsConstraint = embeddingsConstraint ?? null;
    this.maskZero = maskZero;
    this.inputLength = inputLength ?? null;
    this.supportsMasking = maskZero;
  }
  override build(): void {
    this.embeddings = this.addWeight("embeddings", {
      shape: [this.inputDim, this.outputDim],
      initializer: getInitializer(this.embeddingsInitializer)!,
      regularizer: getRegularizer(this.embeddingsRegularizer),
      constraint: getConstraint(this.embeddingsConstraint),
    });
    this.built = true;
  }
  override call(inputs: LayerIO): Tensor {
    const x = oneTensor(this, inputs);
    const ids = x.dtype === "int32" || x.dtype === "int64" ? x : cast(x, "int32");
    return gather(this.embeddings, ids);
  }
  override computeMask(inputs: LayerIO): Tensor | null {
    if (!this.maskZero) return null;
    const x = oneTensor(this, inputs);
    return notEqual(x, convertToTensor(0, { dtype: x.dtype }));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...single(this, inputShape), this.outputDim];
  }
  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: this.embeddingsInitializer,
      embeddingsRegularizer: this.embeddingsRegularizer,
      embeddingsConstraint: this.embeddingsConstraint,
      maskZero: this.maskZero,
      inputLength: this.inputLength,
    };
  }
}
declare(Embedding, EMBEDDING);
