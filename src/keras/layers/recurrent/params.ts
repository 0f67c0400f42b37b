/**
 * The constructor parameters of the recurrent cells and layers, declared once (core/signature.ts) in
 * Keras's order with Keras's defaults, and a helper that turns parsed values into a keyed object.
 */
import { K, kind, param, withDefault, optional, type Signature, type AnyParam } from "../../../core/signature.js";
import type { Constraint, Regularizer } from "../../engine/layer.js";
import type { ActivationArg, InitializerArg } from "./resolve.js";

const ACT = kind<ActivationArg>("string | ((x: Tensor) => Tensor) | null");
const INIT = kind<InitializerArg>("string | Initializer");
const REG = kind<Regularizer | null>("Regularizer | null");
const CON = kind<Constraint | null>("Constraint | null");

export const UNITS = param("units", K.int, "The dimensionality of the output space (and of each state).");
export const ACTIVATION = withDefault("activation", ACT, "tanh", "The activation of the candidate and the output (null: linear).");
export const RECURRENT_ACTIVATION = withDefault("recurrentActivation", ACT, "sigmoid", "The activation of the gates.");
export const USE_BIAS = withDefault("useBias", K.boolean, true, "Whether the layer uses a bias vector.");
export const KERNEL_INIT = withDefault("kernelInitializer", INIT, "glorot_uniform", "Initializer of the input kernel.");
export const RECURRENT_INIT = withDefault("recurrentInitializer", INIT, "orthogonal", "Initializer of the recurrent kernel.");
export const BIAS_INIT = withDefault("biasInitializer", INIT, "zeros", "Initializer of the bias.");
export const UNIT_FORGET_BIAS = withDefault("unitForgetBias", K.boolean, true, "Adds 1 to the forget gate's bias at initialization (Jozefowicz et al. 2015).");
export const REGULARIZERS = [
  optional("kernelRegularizer", REG, "Regularizer of the input kernel."),
  optional("recurrentRegularizer", REG, "Regularizer of the recurrent kernel."),
  optional("biasRegularizer", REG, "Regularizer of the bias."),
] as const;
export const CONSTRAINTS = [
  optional("kernelConstraint", CON, "Constraint of the input kernel."),
  optional("recurrentConstraint", CON, "Constraint of the recurrent kernel."),
  optional("biasConstraint", CON, "Constraint of the bias."),
] as const;
export const DROPOUTS = [
  withDefault("dropout", K.number, 0, "Fraction of the input units to drop (training only; one mask per sequence)."),
  withDefault("recurrentDropout", K.number, 0, "Fraction of the recurrent state's units to drop (training only; one mask per sequence)."),
] as const;
export const RESET_AFTER = withDefault("resetAfter", K.boolean, true, "GRU: apply the reset gate after the recurrent matmul (TF2's and cuDNN's convention).");

/** The sequence options of RNN and the layers built on it (Keras's order). */
export const RNN_FLAGS = [
  withDefault("returnSequences", K.boolean, false, "Return the whole output sequence, not only the last output."),
  withDefault("returnState", K.boolean, false, "Also return the last states: [output, ...states]."),
  withDefault("goBackwards", K.boolean, false, "Process the sequence backwards (the outputs come in that order)."),
  withDefault("stateful", K.boolean, false, "Keep the last states of each batch as the initial states of the next (resetStates clears them)."),
  withDefault(
    "unroll",
    K.boolean,
    false,
    "Unroll the steps: LSTM and GRU then never run as one whole-sequence op (a sequence of known length is unrolled into its steps either way).",
  ),
  withDefault("timeMajor", K.boolean, false, "Inputs and outputs are [time, batch, features] instead of [batch, time, features]."),
  withDefault("zeroOutputForMask", K.boolean, false, "Masked steps output zeros instead of the previous output (with returnSequences)."),
] as const;

/** The parsed values keyed by parameter name (the tuple order is the signature's). */
export function keyed<T>(sig: Signature, parsed: readonly unknown[]): T {
  const out: Record<string, unknown> = {};
  sig.params.forEach((p: AnyParam, i: number) => {
    out[p.name] = parsed[i];
  });
  return out as T;
}

/** Options every recurrent cell reads (a superset: cells ignore what they lack). */
export interface CellOptions {
  units: number;
  activation: ActivationArg;
  recurrentActivation: ActivationArg;
  useBias: boolean;
  kernelInitializer: InitializerArg;
  recurrentInitializer: InitializerArg;
  biasInitializer: InitializerArg;
  unitForgetBias: boolean;
  kernelRegularizer?: Regularizer | null;
  recurrentRegularizer?: Regularizer | null;
  biasRegularizer?: Regularizer | null;
  kernelConstraint?: Constraint | null;
  recurrentConstraint?: Constraint | null;
  biasConstraint?: Constraint | null;
  dropout: number;
  recurrentDropout: number;
  resetAfter: boolean;
}

/** The sequence options of RNN. */
export interface RnnFlags {
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
  unroll: boolean;
  timeMajor: boolean;
  zeroOutputForMask: boolean;
}
