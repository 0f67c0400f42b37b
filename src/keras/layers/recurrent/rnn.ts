/**
 * tf.keras.layers.RNN: runs a cell over the time steps of a sequence. A sequence of known length is
 * unrolled into its steps: a built-in cell projects all inputs with one matmul before the loop, so that a
 * step is the recurrent matmul and one fused gate op (cells.ts, gates.ts). Options as in Keras:
 * returnSequences, returnState, goBackwards, stateful (resetStates), timeMajor, masking (a [batch, time]
 * boolean mask: masked steps carry the states over and repeat the previous output, or output zeros with
 * zeroOutputForMask; given as the call's `mask`, which the functional engine passes from Masking or an
 * Embedding with maskZero), initial states (`layer(x, { initialState: [h, c] })` or `layer([x, h, c])`), and the
 * cells' dropout and recurrentDropout (training only).
 */
import { InvalidArgumentError } from "../../../core/errors.js";
import type { Shape } from "../../../core/shape.js";
import type { Tensor } from "../../../core/tensor.js";
import { declare, kind, parseArgs, param, signature, type ArgsOf } from "../../../core/signature.js";
import { cast } from "../../../ops/cast.js";
import { whileLoop } from "../../../ops/control_flow.js";
import { add, less, subtract } from "../../../ops/elementwise.js";
import { fill, where, zeros, zerosLike } from "../../../ops/creation.js";
import { concat, expandDims, gather, reshape, slice, stack, transpose, unstack } from "../../../ops/movement.js";
import { shape as shapeOf } from "../../../ops/shape.js";
import { Variable } from "../../../variables/variable.js";
import { type CallOptions, LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../../engine/layer.js";
import { type CellLike, dimsOf, RecurrentCell, stateSizes } from "./cell_base.js";
import { keyed, RNN_FLAGS, type RnnFlags } from "./params.js";

export const rnnSignature = signature(
  "keras.layers.RNN",
  "Runs a recurrent cell over a sequence (Keras's base recurrent layer).",
  [
    param("cell", kind<CellLike>("Layer (a cell)"), "The cell: SimpleRNNCell, LSTMCell, GRUCell or any layer with stateSize and call(x, { states })."),
    ...RNN_FLAGS,
    ...LAYER_KWARGS,
  ],
  { args: (tf) => [new tf.keras.layers.SimpleRNNCell(2)] },
);

export class RNN extends Layer {
  cell!: CellLike;
  returnSequences!: boolean;
  returnState!: boolean;
  goBackwards!: boolean;
  stateful!: boolean;
  unroll!: boolean;
  timeMajor!: boolean;
  zeroOutputForMask!: boolean;
  /** The states of a stateful layer (variables made on the first call), else null. */
  statesVariables!: Variable[] | null;

  constructor(...args: ArgsOf<typeof rnnSignature>) {
    const parsed = parseArgs(rnnSignature, args);
    super(layerArgs(parsed));
    this.initRnn(parsed[0], keyed<RnnFlags>(rnnSignature, parsed));
  }

  /** Sets the cell and the sequence options (subclasses such as LSTM call it after making their cell). */
  protected initRnn(cell: CellLike, flags: RnnFlags): void {
    if (!(cell instanceof Layer) || !("stateSize" in cell)) {
      throw new InvalidArgumentError(`${this.name}: the cell must be a layer with a stateSize and call(x, { states }), got ${String(cell)}`);
    }
    this.cell = cell;
    this.returnSequences = flags.returnSequences;
    this.returnState = flags.returnState;
    this.goBackwards = flags.goBackwards;
    this.stateful = flags.stateful;
    this.unroll = flags.unroll;
    this.timeMajor = flags.timeMajor;
    this.zeroOutputForMask = flags.zeroOutputForMask;
    this.statesVariables = null;
    this.supportsMasking = true;
  }

  /** The flags as given, for getConfig and for cloning (Bidirectional). */
  protected flags(): RnnFlags {
    const { returnSequences, returnState, goBackwards, stateful, unroll, timeMajor, zeroOutputForMask } = this;
    return { returnSequences, returnState, goBackwards, stateful, unroll, timeMajor, zeroOutputForMask };
  }

  get stateSize(): number[] {
    return stateSizes(this.cell);
  }
  protected get outputSize(): number {
    return this.cell.outputSize ?? this.stateSize[0];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (isShapeList(inputShape) ? inputShape[0] : inputShape) as Shape;
    if (shape === null || shape.length !== 3) {
      throw new InvalidArgumentError(
        `Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=3, found ndim=${shape?.length}. Full shape received: ${JSON.stringify(shape)}`,
      );
    }
    if (!this.cell.built) {
      const step: Shape = this.timeMajor ? [shape[1], shape[2]] : [shape[0], shape[2]];
      this.cell.build(step);
      this.cell.built = true;
    }
    this.built = true;
  }

  override call(inputs: LayerIO, options: CallOptions = {}): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
    const x = list[0];
    const xShape = dimsOf(x, this.name);
    const training = options.training === true;
    const sizes = this.stateSize;
    const timeAxis = this.timeMajor ? 0 : 1;
    const batchAxis = 1 - timeAxis;
    const time = xShape[timeAxis];
    if (xShape.length !== 3)
      throw new InvalidArgumentError(
        `Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=3, found ndim=${xShape.length}. Full shape received: [${xShape}]`,
      );

    let states = this.initialStates(x, list.slice(1), options.initialState, batchAxis);
    // The mask: [batch, time] booleans; one [batch, 1] slice per step.
    const mask = Array.isArray(options.mask) ? options.mask[0] : options.mask;
    if (!mask) {
      const whole = this.wholeSequence(x, states, training);
      if (whole !== null) {
        const [y, ...last] = whole;
        if (this.stateful) this.storeStates(last);
        const output = this.returnSequences ? y : last[0];
        return this.returnState ? [output, ...last] : output;
      }
    }
    if (time === null) {
      // A length known only when the graph runs: one tf.whileLoop over the steps.
      const looped = this.loop(x, states, (mask as Tensor | null | undefined) ?? null, training);
      if (this.stateful) this.storeStates(looped.states);
      return this.returnState ? [looped.output, ...looped.states] : looped.output;
    }
    let stepMasks: Tensor[] | null = null;
    if (mask) {
      const m = cast(mask as Tensor, "bool");
      stepMasks = unstack(expandDims(this.timeMajor ? m : transpose(m, [1, 0]), -1), { num: time, axis: 0 });
    }

    const cell = this.cell;
    let stepInputs: Tensor[];
    let stepFn: (xt: Tensor, s: readonly Tensor[]) => Tensor[];
    if (cell instanceof RecurrentCell) {
      const seq = cell.prepare(x, training, this.timeMajor);
      stepInputs = seq.steps;
      stepFn = (xt, s) => cell.step(xt, s, seq);
    } else {
      stepInputs = unstack(x, { num: time, axis: timeAxis });
      stepFn = (xt, s) => {
        const r = cell.call(xt, { states: [...s], training });
        return Array.isArray(r) ? (r as Tensor[]) : [r as Tensor, r as Tensor];
      };
    }

    const outputs: Tensor[] = [];
    let prevOut: Tensor | null = null;
    for (let k = 0; k < time; k++) {
      const t = this.goBackwards ? time - 1 - k : k;
      const [out0, ...next] = stepFn(stepInputs[t], states);
      if (next.length !== sizes.length)
        throw new InvalidArgumentError(`${this.name}: the cell returned ${next.length} states, its stateSize has ${sizes.length}`);
      let out = out0;
      if (stepMasks) {
        const m = stepMasks[t];
        const old = states;
        next.forEach((s, i) => {
          next[i] = where(m, s, old[i]);
        });
        out = where(m, out, this.zeroOutputForMask || prevOut === null ? zerosLike(out) : prevOut);
      }
      states = next;
      prevOut = out;
      if (this.returnSequences) outputs.push(out);
    }
    if (this.stateful) this.storeStates(states);
    const output = this.returnSequences ? stack(outputs, { axis: timeAxis }) : (prevOut as Tensor);
    return this.returnState ? [output, ...states] : output;
  }

  /**
   * The whole sequence as one op where the layer has one (LSTM: LSTMSequence, GRU: GRUSequence) -> [outputs, ...last states],
   * or null: the steps run one by one.
   */
  protected wholeSequence(_x: Tensor, _states: readonly Tensor[], _training: boolean): Tensor[] | null {
    return null;
  }

  /**
   * The steps as one tf.whileLoop (a graph whose sequence length is unknown until it runs): loop variables
   * [t, previous output, outputs so far (with returnSequences), ...states]; each iteration gathers its step
   * from the time-major inputs (and mask). The outputs are gathered by concatenation (the loop is for
   * lengths unknown when building; known lengths are unrolled).
   */
  private loop(x: Tensor, initial: readonly Tensor[], mask: Tensor | null, training: boolean): { output: Tensor; states: Tensor[] } {
    const cell = this.cell;
    let stacked: Tensor;
    let stepFn: (xt: Tensor, s: readonly Tensor[]) => Tensor[];
    if (cell instanceof RecurrentCell) {
      const seq = cell.prepare(x, training, this.timeMajor);
      stacked = seq.stacked;
      stepFn = (xt, s) => cell.step(xt, s, seq);
    } else {
      stacked = this.timeMajor ? x : transpose(x, [1, 0, 2]);
      stepFn = (xt, s) => {
        const r = cell.call(xt, { states: [...s], training });
        return Array.isArray(r) ? (r as Tensor[]) : [r as Tensor, r as Tensor];
      };
    }
    const time = reshape(slice(shapeOf(stacked), [0], [1]), []);
    const masks = mask ? expandDims(this.timeMajor ? cast(mask, "bool") : transpose(cast(mask, "bool"), [1, 0]), -1) : null;
    const n = initial.length;
    const outSize = this.outputSize;
    const rows = slice(shapeOf(initial[0]), [0], [1]);
    const zero = cast(0, initial[0].dtype);
    const batch = initial[0].shape?.[0] ?? null;
    // Static shapes where they are known ([batch, outSize], [0, batch, outSize]), as the shape invariants say.
    const out0 = reshape(fill(concat([rows, [outSize]], 0), zero), [batch ?? -1, outSize]);
    const acc0 = slice(expandDims(out0, 0), [0, 0, 0], [0, -1, -1]);
    const loopVars = [cast(0, "int32"), out0, acc0, ...initial];
    const invariants = [[], [batch, outSize], [null, batch, outSize], ...initial.map((s) => s.shape)];
    const result = whileLoop(
      (t: Tensor) => less(t, time),
      (t: Tensor, prev: Tensor, acc: Tensor, ...s: Tensor[]) => {
        const idx = this.goBackwards ? subtract(subtract(time, 1), t) : t;
        const [out0Step, ...next] = stepFn(gather(stacked, idx), s);
        let out = out0Step;
        if (masks) {
          const m = gather(masks, idx);
          next.forEach((v, i) => {
            next[i] = where(m, v, s[i]);
          });
          out = where(m, out, this.zeroOutputForMask ? zerosLike(out) : prev);
        }
        const accNext = this.returnSequences ? concat([acc, expandDims(out, 0)], 0) : acc;
        return [add(t, 1), out, accNext, ...next];
      },
      loopVars,
      { shapeInvariants: invariants },
    ) as Tensor[];
    const states = result.slice(3, 3 + n);
    const output = this.returnSequences ? (this.timeMajor ? result[2] : transpose(result[2], [1, 0, 2])) : result[1];
    return { output, states };
  }

  /** The states the first step starts from: given ones, a stateful layer's, else zeros. */
  private initialStates(x: Tensor, fromInputs: readonly Tensor[], option: unknown, batchAxis: number): Tensor[] {
    const sizes = this.stateSize;
    const given =
      fromInputs.length > 0 ? fromInputs : option === undefined || option === null ? null : Array.isArray(option) ? (option as Tensor[]) : [option as Tensor];
    if (given) {
      if (given.length !== sizes.length) {
        throw new InvalidArgumentError(`Layer ${this.name} expects ${sizes.length} state(s), but it received ${given.length} initial state(s).`);
      }
      return [...given];
    }
    if (this.stateful) {
      if (this.statesVariables === null) {
        const b = dimsOf(x, this.name)[batchAxis];
        if (b === null) throw new InvalidArgumentError(`${this.name}: a stateful RNN needs a fixed batch size (give batchInputShape or batchSize)`);
        this.statesVariables = sizes.map((s, i) => new Variable(zeros([b, s], this.dtype), { trainable: false, name: `${this.name}/state_${i}` }));
      }
      return this.statesVariables.map((v) => v.value());
    }
    const b = dimsOf(x, this.name)[batchAxis];
    if (b !== null) return sizes.map((s) => zeros([b, s], x.dtype));
    const batch = slice(shapeOf(x), [batchAxis], [1]);
    return sizes.map((s) => reshape(fill(concat([batch, [s]], 0), cast(0, x.dtype)), [-1, s]));
  }

  private storeStates(states: readonly Tensor[]): void {
    (this.statesVariables as Variable[]).forEach((v, i) => v.assign(states[i]));
  }

  /** Keras's reset_states: zeros, or the given values, as the states of a stateful layer. */
  resetStates(states?: Tensor | readonly Tensor[] | null): void {
    if (!this.stateful) throw new InvalidArgumentError(`${this.name}: resetStates() needs a stateful layer (stateful: true)`);
    if (this.statesVariables === null) return;
    const given = states === undefined || states === null ? null : Array.isArray(states) ? (states as readonly Tensor[]) : [states as Tensor];
    this.statesVariables.forEach((v, i) => v.assign(given ? given[i] : zerosLike(v.value())));
  }

  /** The stateful layer's current states (Keras's layer.states), or nulls before the first call. */
  get states(): (Tensor | null)[] {
    return this.statesVariables ? this.statesVariables.map((v) => v.value()) : this.stateSize.map(() => null);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (isShapeList(inputShape) ? inputShape[0] : inputShape) as Shape;
    const [b, t] = shape === null ? [null, null] : this.timeMajor ? [shape[1], shape[0]] : [shape[0], shape[1]];
    const out: Shape = this.returnSequences ? (this.timeMajor ? [t, b, this.outputSize] : [b, t, this.outputSize]) : [b, this.outputSize];
    return this.returnState ? [out, ...this.stateSize.map((s): Shape => [b, s])] : out;
  }

  override computeMask(_inputs: LayerIO, mask: CallOptions["mask"]): Tensor | readonly (Tensor | null)[] | null {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const out = this.returnSequences ? (m as Tensor | null) : null;
    return this.returnState ? [out, ...this.stateSize.map(() => null)] : out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...this.flags(), cell: { className: this.cell.constructor.name, config: this.cell.getConfig() } };
  }
}
declare(RNN, rnnSignature);

function isShapeList(s: Shape | Shape[]): s is Shape[] {
  return Array.isArray(s) && s.length > 0 && (Array.isArray(s[0]) || (s[0] === null && s.length > 1 && Array.isArray(s[1])));
}
