/** The built-in loss classes of tf.keras.losses: each wraps its loss function with the constructor's keywords. */
import { ArgsOf, declare, K, parseArgs, signature, withDefault } from "../../core/signature.js";
import { binaryCrossentropy, categoricalCrossentropy, huber, meanAbsoluteError, meanSquaredError, sparseCategoricalCrossentropy } from "./functions.js";
import { lossName, LossFunctionWrapper, type LossFn, REDUCTION } from "./loss.js";

const FROM_LOGITS = withDefault("fromLogits", K.boolean, false, "Whether yPred holds logits rather than probabilities.");
const LABEL_SMOOTHING = withDefault("labelSmoothing", K.number, 0, "In [0, 1]: squeezes the labels towards the uniform distribution.");
const AXIS = withDefault("axis", K.int, -1, "The class axis.");
const EXAMPLE = { args: () => ["sum", "l"] };

const mseSignature = signature(
  "keras.losses.MeanSquaredError",
  "The mean of squares of errors between labels and predictions.",
  [REDUCTION, lossName("mean_squared_error")],
  EXAMPLE,
);
export class MeanSquaredError extends LossFunctionWrapper {
  constructor(...args: ArgsOf<typeof mseSignature>) {
    const [reduction, name] = parseArgs(mseSignature, args);
    super(meanSquaredError as LossFn, reduction, name);
  }
}
declare(MeanSquaredError, mseSignature);

const maeSignature = signature(
  "keras.losses.MeanAbsoluteError",
  "The mean of absolute errors between labels and predictions.",
  [REDUCTION, lossName("mean_absolute_error")],
  EXAMPLE,
);
export class MeanAbsoluteError extends LossFunctionWrapper {
  constructor(...args: ArgsOf<typeof maeSignature>) {
    const [reduction, name] = parseArgs(maeSignature, args);
    super(meanAbsoluteError as LossFn, reduction, name);
  }
}
declare(MeanAbsoluteError, maeSignature);

const huberSignature = signature(
  "keras.losses.Huber",
  "The Huber loss: quadratic for small errors, linear for large ones.",
  [withDefault("delta", K.number, 1, "Where the loss turns from quadratic to linear."), REDUCTION, lossName("huber_loss")],
  { args: () => [0.5, "sum", "h"] },
);
export class Huber extends LossFunctionWrapper {
  constructor(...args: ArgsOf<typeof huberSignature>) {
    const [delta, reduction, name] = parseArgs(huberSignature, args);
    super(huber as LossFn, reduction, name, { delta });
  }
}
declare(Huber, huberSignature);

const bceSignature = signature(
  "keras.losses.BinaryCrossentropy",
  "The cross-entropy of binary labels (0 or 1) against predicted probabilities or logits.",
  [FROM_LOGITS, LABEL_SMOOTHING, AXIS, REDUCTION, lossName("binary_crossentropy")],
  { args: () => [true, 0.1, -1, "sum", "b"] },
);
export class BinaryCrossentropy extends LossFunctionWrapper {
  constructor(...args: ArgsOf<typeof bceSignature>) {
    const [fromLogits, labelSmoothing, axis, reduction, name] = parseArgs(bceSignature, args);
    super(binaryCrossentropy as LossFn, reduction, name, { fromLogits, labelSmoothing, axis });
  }
}
declare(BinaryCrossentropy, bceSignature);

const cceSignature = signature(
  "keras.losses.CategoricalCrossentropy",
  "The cross-entropy of one-hot labels against predicted probabilities or logits.",
  [FROM_LOGITS, LABEL_SMOOTHING, AXIS, REDUCTION, lossName("categorical_crossentropy")],
  { args: () => [true, 0.1, -1, "sum", "c"] },
);
export class CategoricalCrossentropy extends LossFunctionWrapper {
  constructor(...args: ArgsOf<typeof cceSignature>) {
    const [fromLogits, labelSmoothing, axis, reduction, name] = parseArgs(cceSignature, args);
    super(categoricalCrossentropy as LossFn, reduction, name, { fromLogits, labelSmoothing, axis });
  }
}
declare(CategoricalCrossentropy, cceSignature);

const scceSignature = signature(
  "keras.losses.SparseCategoricalCrossentropy",
  "The cross-entropy of integer class labels against predicted probabilities or logits.",
  [FROM_LOGITS, REDUCTION, lossName("sparse_categorical_crossentropy"), AXIS],
  { args: () => [true, "sum", "s", -1] },
);
export class SparseCategoricalCrossentropy extends LossFunctionWrapper {
  constructor(...args: ArgsOf<typeof scceSignature>) {
    const [fromLogits, reduction, name, axis] = parseArgs(scceSignature, args);
    super(sparseCategoricalCrossentropy as LossFn, reduction, name, { fromLogits, axis });
  }
}
declare(SparseCategoricalCrossentropy, scceSignature);
