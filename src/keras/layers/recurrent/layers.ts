/**
 * tf.keras.layers.SimpleRNN, LSTM and GRU: RNN over the matching cell, constructed from the cell's options
 * and the sequence options in one call, as in Keras (`new LSTM(64, { returnSequences: true })`). Weights
 * are named as Keras names them: `lstm/lstm_cell/kernel:0`, `recurrent_kernel`, `bias`.
 */
import type { Tensor } from "../../../core/tensor.js";
import { type AnyParam, declare, parseArgs, type Signature, signature, type ArgsOf } from "../../../core/signature.js";
import { LAYER_KWARGS, layerArgs, uniqueLayerName } from "../../engine/layer.js";
import type { CellLike } from "./cell_base.js";
import { GRU_CELL_PARAMS, GRUCell, LSTM_CELL_PARAMS, LSTMCell, SIMPLE_RNN_CELL_PARAMS, SimpleRNNCell } from "./cells.js";
import { type CellOptions, keyed, RNN_FLAGS, type RnnFlags } from "./params.js";
import { RNN, rnnSignature } from "./rnn.js";

const example = { args: () => [2] };
const simpleRnnSignature = signature(
  "keras.layers.SimpleRNN",
  "Fully-connected RNN whose output is fed back as its input.",
  [...SIMPLE_RNN_CELL_PARAMS, ...RNN_FLAGS, ...LAYER_KWARGS],
  example,
);
const lstmSignature = signature(
  "keras.layers.LSTM",
  "Long Short-Term Memory layer (Hochreiter & Schmidhuber 1997).",
  [...LSTM_CELL_PARAMS, ...RNN_FLAGS, ...LAYER_KWARGS],
  example,
);
const gruSignature = signature(
  "keras.layers.GRU",
  "Gated Recurrent Unit (Cho et al. 2014); resetAfter as TF2 and cuDNN.",
  [...GRU_CELL_PARAMS, ...RNN_FLAGS, ...LAYER_KWARGS],
  example,
);

const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** RNN's constructor arguments from a layer's: its cell (named `<layer>/<cell>` as in Keras) and the sequence options. */
function rnnArgs(
  sig: Signature,
  args: readonly unknown[],
  base: string,
  cellName: string,
  makeCell: (o: Record<string, unknown>) => CellLike,
): ArgsOf<typeof rnnSignature> {
  const parsed = parseArgs(sig, args);
  const all = keyed<Record<string, unknown>>(sig, parsed);
  const la = layerArgs(parsed);
  const name = la.name ?? uniqueLayerName(base);
  const cellOptions: Record<string, unknown> = {};
  const flags: Record<string, unknown> = {};
  const flagNames = new Set(RNN_FLAGS.map((p: AnyParam) => p.name));
  const layerNames = new Set(LAYER_KWARGS.map((p: AnyParam) => p.name));
  for (const [k, v] of Object.entries(all)) {
    if (flagNames.has(k)) flags[k] = v;
    else if (!layerNames.has(k)) cellOptions[k] = v;
  }
  const cell = makeCell(defined({ ...cellOptions, name: `${name}/${cellName}`, dtype: la.dtype }));
  return [cell, defined({ ...flags, ...la, name }) as unknown as RnnFlags] as unknown as ArgsOf<typeof rnnSignature>;
}

/** Delegates the cell's options as properties (Keras's lstm.units, lstm.dropout, ...). */
abstract class KerasRNN extends RNN {
  get units(): number {
    return (this.cell as unknown as CellOptions).units;
  }
  get dropout(): number {
    return (this.cell as unknown as CellOptions).dropout;
  }
  get recurrentDropout(): number {
    return (this.cell as unknown as CellOptions).recurrentDropout;
  }
  override getConfig(): Record<string, unknown> {
    const { cell, ...rest } = super.getConfig();
    const { name, trainable, dtype, ...cellConfig } = (cell as { config: Record<string, unknown> }).config;
    void [name, trainable, dtype];
    return { ...rest, ...cellConfig };
  }
}

export class SimpleRNN extends KerasRNN {
  constructor(...args: ArgsOf<typeof simpleRnnSignature>) {
    super(...rnnArgs(simpleRnnSignature, args, "simple_rnn", "simple_rnn_cell", (o) => new SimpleRNNCell(o as never)));
  }
}
declare(SimpleRNN, simpleRnnSignature);

export class LSTM extends KerasRNN {
  constructor(...args: ArgsOf<typeof lstmSignature>) {
    super(...rnnArgs(lstmSignature, args, "lstm", "lstm_cell", (o) => new LSTMCell(o as never)));
  }
  /** TensorFlow's cuDNN rule: a compatible cell, not unrolled, no mask (the caller checks that) -> one LSTMSequence op. */
  protected override wholeSequence(x: Tensor, states: readonly Tensor[], training: boolean): Tensor[] | null {
    const cell = this.cell as LSTMCell;
    if (this.unroll || !cell.cudnnCompatible) return null;
    return cell.sequence(x, states, training, this.timeMajor, this.goBackwards);
  }
}
declare(LSTM, lstmSignature);

export class GRU extends KerasRNN {
  constructor(...args: ArgsOf<typeof gruSignature>) {
    super(...rnnArgs(gruSignature, args, "gru", "gru_cell", (o) => new GRUCell(o as never)));
  }
  get resetAfter(): boolean {
    return (this.cell as GRUCell).resetAfter;
  }
  /** As LSTM: a compatible cell (GRUCell.sequenceCompatible), not unrolled, no mask (the caller checks that) -> one GRUSequence op. */
  protected override wholeSequence(x: Tensor, states: readonly Tensor[], training: boolean): Tensor[] | null {
    const cell = this.cell as GRUCell;
    if (this.unroll || !cell.sequenceCompatible) return null;
    return cell.sequence(x, states, training, this.timeMajor, this.goBackwards);
  }
}
declare(GRU, gruSignature);
