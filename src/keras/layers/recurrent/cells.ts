/**
 * tf.keras.layers.SimpleRNNCell, LSTMCell and GRUCell: one time step of each recurrent layer, with Keras's
 * weights (kernel [features, k*units], recurrent_kernel [units, k*units], bias), gate order (LSTM: i, f, c,
 * o; GRU: z, r, h) and defaults. The gate arithmetic of a step goes through ./gates.ts, which uses the
 * fused recurrent ops for the default activations.
 */
import type { Tensor } from "../../../core/tensor.js";
import type { Variable } from "../../../variables/variable.js";
import { declare, parseArgs, signature, type ArgsOf } from "../../../core/signature.js";
import { add } from "../../../ops/elementwise.js";
import { matmul } from "../../../ops/matmul.js";
import { reverse, slice, transpose } from "../../../ops/movement.js";
import { visibleGpuCount } from "../../../core/devices.js";
import { gruSequence, lstmSequence } from "../../../ops/recurrent.js";
import { LAYER_KWARGS, layerArgs } from "../../engine/layer.js";
import { RecurrentCell, type PreparedSequence } from "./cell_base.js";
import { gruStep, lstmStep } from "./gates.js";
import {
  ACTIVATION,
  BIAS_INIT,
  type CellOptions,
  CONSTRAINTS,
  DROPOUTS,
  KERNEL_INIT,
  keyed,
  RECURRENT_ACTIVATION,
  RECURRENT_INIT,
  REGULARIZERS,
  RESET_AFTER,
  UNIT_FORGET_BIAS,
  UNITS,
  USE_BIAS,
} from "./params.js";
import { type ActivationArg, activationName, resolveActivation, resolveInitializer, unitForgetBias } from "./resolve.js";

const cellExample = { args: () => [3] };
export const SIMPLE_RNN_CELL_PARAMS = [
  UNITS,
  ACTIVATION,
  USE_BIAS,
  KERNEL_INIT,
  RECURRENT_INIT,
  BIAS_INIT,
  ...REGULARIZERS,
  ...CONSTRAINTS,
  ...DROPOUTS,
] as const;
export const LSTM_CELL_PARAMS = [
  UNITS,
  ACTIVATION,
  RECURRENT_ACTIVATION,
  USE_BIAS,
  KERNEL_INIT,
  RECURRENT_INIT,
  BIAS_INIT,
  UNIT_FORGET_BIAS,
  ...REGULARIZERS,
  ...CONSTRAINTS,
  ...DROPOUTS,
] as const;
export const GRU_CELL_PARAMS = [
  UNITS,
  ACTIVATION,
  RECURRENT_ACTIVATION,
  USE_BIAS,
  KERNEL_INIT,
  RECURRENT_INIT,
  BIAS_INIT,
  ...REGULARIZERS,
  ...CONSTRAINTS,
  ...DROPOUTS,
  RESET_AFTER,
] as const;

const simpleRnnCellSignature = signature(
  "keras.layers.SimpleRNNCell",
  "One step of SimpleRNN: h = activation(x W + h U + b).",
  [...SIMPLE_RNN_CELL_PARAMS, ...LAYER_KWARGS],
  cellExample,
);
const lstmCellSignature = signature(
  "keras.layers.LSTMCell",
  "One step of LSTM (Hochreiter & Schmidhuber 1997), gates i, f, c, o.",
  [...LSTM_CELL_PARAMS, ...LAYER_KWARGS],
  cellExample,
);
const gruCellSignature = signature(
  "keras.layers.GRUCell",
  "One step of GRU (Cho et al. 2014), gates z, r, h.",
  [...GRU_CELL_PARAMS, ...LAYER_KWARGS],
  cellExample,
);

/** What every built-in cell keeps of its options (and returns from getConfig). */
abstract class KerasCell extends RecurrentCell {
  protected options!: CellOptions;
  protected act!: ((x: Tensor) => Tensor) | null;
  protected recAct!: ((x: Tensor) => Tensor) | null;

  protected setOptions(o: CellOptions): void {
    this.options = o;
    this.units = o.units;
    this.dropout = Math.min(1, Math.max(0, o.dropout));
    this.recurrentDropout = Math.min(1, Math.max(0, o.recurrentDropout));
    this.act = resolveActivation(o.activation);
    this.recAct = resolveActivation(o.recurrentActivation);
  }
  get activation(): ActivationArg {
    return this.options.activation;
  }
  get useBias(): boolean {
    return this.options.useBias;
  }

  /** Whether the gates are Keras's defaults (tanh, sigmoid), which the fused ops compute. */
  protected get fusable(): boolean {
    return activationName(this.options.activation) === "tanh" && activationName(this.options.recurrentActivation) === "sigmoid";
  }

  protected addKernels(features: number, gates: number, biasShape: number[] | null, biasInit = resolveInitializer(this.options.biasInitializer)): void {
    const o = this.options;
    const n = gates * o.units;
    this.kernel = this.addWeight("kernel", {
      shape: [features, n],
      initializer: resolveInitializer(o.kernelInitializer),
      regularizer: o.kernelRegularizer,
      constraint: o.kernelConstraint,
    });
    this.recurrentKernel = this.addWeight("recurrent_kernel", {
      shape: [o.units, n],
      initializer: resolveInitializer(o.recurrentInitializer),
      regularizer: o.recurrentRegularizer,
      constraint: o.recurrentConstraint,
    });
    this.bias = biasShape
      ? this.addWeight("bias", { shape: biasShape, initializer: biasInit, regularizer: o.biasRegularizer, constraint: o.biasConstraint })
      : null;
  }

  /** h (with the recurrent dropout mask) times the recurrent kernel. */
  protected recurrent(h: Tensor, seq: PreparedSequence): Tensor {
    return matmul(seq.recurrentMask ? h.mul(seq.recurrentMask) : h, this.recurrentKernel);
  }

  override getConfig(): Record<string, unknown> {
    const { kernelRegularizer, recurrentRegularizer, biasRegularizer, kernelConstraint, recurrentConstraint, biasConstraint, ...rest } = this.options;
    const penalties = { kernelRegularizer, recurrentRegularizer, biasRegularizer, kernelConstraint, recurrentConstraint, biasConstraint };
    return { ...super.getConfig(), ...this.ownConfig(rest), ...Object.fromEntries(Object.entries(penalties).map(([k, v]) => [k, v ?? null])) };
  }
  protected abstract ownConfig(o: Omit<CellOptions, `${string}Regularizer` | `${string}Constraint`>): Record<string, unknown>;
}

const common = (o: Partial<CellOptions>) => ({
  units: o.units,
  activation: o.activation,
  useBias: o.useBias,
  kernelInitializer: o.kernelInitializer,
  recurrentInitializer: o.recurrentInitializer,
  biasInitializer: o.biasInitializer,
  dropout: o.dropout,
  recurrentDropout: o.recurrentDropout,
});

/** tf.keras.layers.SimpleRNNCell: h_t = activation(x_t W + b + h_{t-1} U). */
export class SimpleRNNCell extends KerasCell {
  constructor(...args: ArgsOf<typeof simpleRnnCellSignature>) {
    const parsed = parseArgs(simpleRnnCellSignature, args);
    super(layerArgs(parsed));
    this.setOptions(keyed<CellOptions>(simpleRnnCellSignature, parsed));
  }
  get stateSize(): number[] {
    return [this.units];
  }
  protected buildWeights(features: number): void {
    this.addKernels(features, 1, this.options.useBias ? [this.units] : null);
  }
  step(xp: Tensor, [h]: readonly Tensor[], seq: PreparedSequence): Tensor[] {
    const z = add(xp, this.recurrent(h, seq));
    const out = this.act ? this.act(z) : z;
    return [out, out];
  }
  protected ownConfig(o: CellOptions): Record<string, unknown> {
    return common(o);
  }
}
declare(SimpleRNNCell, simpleRnnCellSignature);

/** tf.keras.layers.LSTMCell: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t); states [h, c]. */
export class LSTMCell extends KerasCell {
  constructor(...args: ArgsOf<typeof lstmCellSignature>) {
    const parsed = parseArgs(lstmCellSignature, args);
    super(layerArgs(parsed));
    this.setOptions(keyed<CellOptions>(lstmCellSignature, parsed));
  }
  get stateSize(): number[] {
    return [this.units, this.units];
  }
  protected buildWeights(features: number): void {
    const o = this.options;
    const biasInit = resolveInitializer(o.biasInitializer);
    this.addKernels(features, 4, o.useBias ? [4 * o.units] : null, o.unitForgetBias ? unitForgetBias(biasInit, o.units) : biasInit);
  }
  /**
   * Whether the whole sequence can run as one LSTMSequence op (cuDNN's LSTM on a GPU): TensorFlow's rule
   * for its cuDNN path, Keras's default activations, no recurrent dropout and a bias.
   */
  get cudnnCompatible(): boolean {
    return this.fusable && this.recurrentDropout === 0 && this.bias !== null;
  }

  /**
   * The whole sequence as one LSTMSequence op -> [outputs (time axis as x's), h, c]; goBackwards runs the
   * steps from the last (the outputs then come in that order, as the per-step loop gives them).
   */
  sequence(x: Tensor, [h, c]: readonly Tensor[], training: boolean, timeMajor: boolean, goBackwards: boolean): Tensor[] {
    let xs = this.dropInputs(x, training, timeMajor);
    if (timeMajor) xs = transpose(xs, [1, 0, 2]);
    if (goBackwards) xs = reverse(xs, [1]);
    const [y, hT, cT] = lstmSequence(xs, h, c, this.kernel, this.recurrentKernel, this.bias as Variable);
    return [timeMajor ? transpose(y, [1, 0, 2]) : y, hT, cT];
  }

  step(xp: Tensor, [h, c]: readonly Tensor[], seq: PreparedSequence): Tensor[] {
    const [hNew, cNew] = lstmStep(xp, this.recurrent(h, seq), c, this.fusable ? null : { act: this.act, recAct: this.recAct });
    return [hNew, hNew, cNew];
  }
  protected ownConfig(o: CellOptions): Record<string, unknown> {
    return { ...common(o), recurrentActivation: o.recurrentActivation, unitForgetBias: o.unitForgetBias };
  }
}
declare(LSTMCell, lstmCellSignature);

/**
 * tf.keras.layers.GRUCell. With resetAfter (TF2's default, cuDNN's convention) the bias is [2, 3*units]
 * (input and recurrent halves) and the reset gate scales the recurrent product: hh = tanh(x_h + r * (h U_h
 * + b_rh)); without it, hh = tanh(x_h + (r * h) U_h). h_t = z * h_{t-1} + (1 - z) * hh.
 */
export class GRUCell extends KerasCell {
  constructor(...args: ArgsOf<typeof gruCellSignature>) {
    const parsed = parseArgs(gruCellSignature, args);
    super(layerArgs(parsed));
    this.setOptions(keyed<CellOptions>(gruCellSignature, parsed));
  }
  get resetAfter(): boolean {
    return this.options.resetAfter;
  }
  get stateSize(): number[] {
    return [this.units];
  }
  protected buildWeights(features: number): void {
    const o = this.options;
    this.addKernels(features, 3, o.useBias ? (o.resetAfter ? [2, 3 * o.units] : [3 * o.units]) : null);
  }
  /**
   * Whether the whole sequence can run as one GRUSequence op: TensorFlow's rule for its cuDNN path (Keras's
   * default activations, no recurrent dropout, a bias, resetAfter). Without resetAfter the op has a CPU
   * kernel only, so it is used where no GPU is visible: on a GPU the per-step ops stay on the device.
   */
  get sequenceCompatible(): boolean {
    return this.fusable && this.recurrentDropout === 0 && this.bias !== null && (this.options.resetAfter || visibleGpuCount() === 0);
  }

  /**
   * The whole sequence as one GRUSequence op -> [outputs (time axis as x's), h]; goBackwards runs the steps
   * from the last (the outputs then come in that order, as the per-step loop gives them).
   */
  sequence(x: Tensor, [h]: readonly Tensor[], training: boolean, timeMajor: boolean, goBackwards: boolean): Tensor[] {
    let xs = this.dropInputs(x, training, timeMajor);
    if (timeMajor) xs = transpose(xs, [1, 0, 2]);
    if (goBackwards) xs = reverse(xs, [1]);
    const [y, hT] = gruSequence(xs, h, this.kernel, this.recurrentKernel, this.bias as Variable, { resetAfter: this.options.resetAfter });
    return [timeMajor ? transpose(y, [1, 0, 2]) : y, hT];
  }

  protected override inputBias(): Tensor | Variable | null {
    if (this.bias === null || !this.options.resetAfter) return this.bias;
    return slice(this.bias, [0, 0], [1, -1]).reshape([-1]);
  }
  step(xp: Tensor, [h]: readonly Tensor[], seq: PreparedSequence): Tensor[] {
    const u = this.units;
    const hIn = seq.recurrentMask ? h.mul(seq.recurrentMask) : h;
    const activations = this.fusable ? null : { act: this.act, recAct: this.recAct };
    if (this.options.resetAfter) {
      let hp = matmul(hIn, this.recurrentKernel);
      if (this.bias !== null) hp = add(hp, slice(this.bias, [1, 0], [1, -1]));
      const hNew = gruStep(xp, hp, h, activations);
      return [hNew, hNew];
    }
    // reset_after false: the candidate's recurrent product needs r first, so it is computed in two parts.
    const hNew = gruStep(xp, null, h, activations, { hIn, kernel: this.recurrentKernel, units: u });
    return [hNew, hNew];
  }
  protected ownConfig(o: CellOptions): Record<string, unknown> {
    return { ...common(o), recurrentActivation: o.recurrentActivation, resetAfter: o.resetAfter };
  }
}
declare(GRUCell, gruCellSignature);
