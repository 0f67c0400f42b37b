/**
 * What the RNN layer's loop needs of a cell. Built-in cells (SimpleRNNCell, LSTMCell, GRUCell) extend
 * `RecurrentCell`: they project the inputs of the whole sequence with one matmul before the loop
 * (`prepare`), so that a time step costs only the recurrent matmul and the gate computation (`step`).
 * Any other Layer with a `stateSize` and a `call(x, { states, training })` returning `[output, ...states]`
 * (Keras's cell protocol) also works in `RNN(cell)`, called once per step.
 */
import { InvalidArgumentError } from "../../../core/errors.js";
import type { Shape } from "../../../core/shape.js";
import type { Tensor } from "../../../core/tensor.js";
import { ones } from "../../../ops/creation.js";
import { matmul } from "../../../ops/matmul.js";
import { concat, expandDims, reshape, slice, transpose, unstack } from "../../../ops/movement.js";
import { shape as shapeOf } from "../../../ops/shape.js";
import { biasAdd, dropout } from "../../../ops/norm.js";
import type { Variable } from "../../../variables/variable.js";
import { type CallOptions, Layer, type LayerIO } from "../../engine/layer.js";

/** The per-sequence values a built-in cell prepares before its loop. */
export interface PreparedSequence {
  /** The projected inputs of each step (x_t W + b), in time order (empty when the length is unknown). */
  readonly steps: Tensor[];
  /** The same as one time-major tensor [time, batch, width] (a tf.whileLoop gathers its steps from it). */
  readonly stacked: Tensor;
  /** The recurrent dropout mask ([batch, units], scaled), or null. */
  readonly recurrentMask: Tensor | null;
}

/** The cell protocol of Keras: `stateSize`, and a call on one step's input with the states. */
export interface CellLike extends Layer {
  readonly stateSize: number | readonly number[];
  readonly outputSize?: number;
}

/** A tensor's dims; a recurrent layer needs its inputs' rank. */
export function dimsOf(x: Tensor, layer: string): (number | null)[] {
  if (x.shape === null) throw new InvalidArgumentError(`${layer}: the inputs' rank must be known`);
  return x.shape;
}

export function stateSizes(cell: CellLike): number[] {
  return typeof cell.stateSize === "number" ? [cell.stateSize] : [...cell.stateSize];
}

/** Keras's dropout mask of a sequence: one mask per batch row and feature, shared by every step. */
function dropoutMask(like: Tensor, rate: number, shape: (number | null)[]): Tensor {
  const b = shape[0];
  if (b === null) return dropout(ones([1, ...shape.slice(1).map((d) => d ?? 1)], like.dtype), rate, { noiseShape: [1, ...shape.slice(1)] });
  return dropout(ones(shape.map((d) => d ?? 1) as number[], like.dtype), rate);
}

export abstract class RecurrentCell extends Layer {
  units!: number;
  dropout!: number;
  recurrentDropout!: number;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias!: Variable | null;

  abstract get stateSize(): number[];
  get outputSize(): number {
    return this.units;
  }

  /** One step: the projected input, the states and the sequence's values -> [output, ...new states]. */
  abstract step(xp: Tensor, states: readonly Tensor[], seq: PreparedSequence): Tensor[];

  /** The input bias added by the projection (GRU with resetAfter keeps its recurrent half aside). */
  protected inputBias(): Tensor | Variable | null {
    return this.bias;
  }

  /** Projects the inputs of all steps at once: x [batch, time, features] (time-major when asked) -> steps. */
  prepare(x: Tensor, training: boolean, timeMajor = false): PreparedSequence {
    const xShape = dimsOf(x, this.name);
    const [d0, d1, features] = xShape;
    const time = timeMajor ? d0 : d1;
    if (features === null) throw new InvalidArgumentError(`${this.name}: the number of features must be known (got input shape [${x.shape}])`);
    const xs = this.dropInputs(x, training, timeMajor);
    // Time-major rows, so that the steps are contiguous slices of the projection.
    const tm = timeMajor ? xs : transpose(xs, [1, 0, 2]);
    let proj = matmul(reshape(tm, [-1, features]), this.kernel);
    const b = this.inputBias();
    if (b !== null) proj = biasAdd(proj, b);
    const width = (proj.shape as number[])[1];
    const batch = timeMajor ? d1 : d0;
    const stacked = reshape(
      proj,
      time !== null ? [time, -1, width] : batch !== null ? [-1, batch, width] : concat([slice(shapeOf(tm), [0], [1]), [-1, width]], 0),
    );
    const steps = time === null ? [] : unstack(stacked, { num: time, axis: 0 });
    return { steps, stacked, recurrentMask: this.recurrentMaskFor(x, timeMajor, training) };
  }

  /** The inputs with Keras's input dropout (one mask per batch row and feature, shared by the steps) when training. */
  protected dropInputs(x: Tensor, training: boolean, timeMajor: boolean): Tensor {
    if (!(training && this.dropout > 0)) return x;
    const [d0, d1, features] = dimsOf(x, this.name);
    return x.mul(dropoutMask(x, this.dropout, timeMajor ? [1, d1, features] : [d0, 1, features]));
  }

  protected recurrentMaskFor(x: Tensor, timeMajor: boolean, training: boolean): Tensor | null {
    if (!(training && this.recurrentDropout > 0)) return null;
    return dropoutMask(x, this.recurrentDropout, [dimsOf(x, this.name)[timeMajor ? 1 : 0], this.units]);
  }

  override build(inputShape: Shape | Shape[]): void {
    // A cell is built from one step's input shape [batch, features] (or a sequence's: the last dim either way).
    const shape = inputShape as Shape;
    const features = shape === null || shape.length === 0 ? null : shape[shape.length - 1];
    if (typeof features !== "number")
      throw new InvalidArgumentError(`${this.name}: the last dimension of the inputs must be known (got ${JSON.stringify(shape)})`);
    this.buildWeights(features);
    this.built = true;
  }

  protected abstract buildWeights(features: number): void;

  /** Keras's cell call: one step, `cell(x, { states })` -> [output, ...new states]. */
  override call(inputs: LayerIO, options: CallOptions = {}): Tensor[] {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor;
    const states = options.states as Tensor[] | undefined;
    const sizes = this.stateSize;
    if (!Array.isArray(states) || states.length !== sizes.length) {
      throw new InvalidArgumentError(`${this.name}: a cell is called as cell(x, { states }) with ${sizes.length} state tensor(s) of sizes [${sizes}]`);
    }
    const seq = this.prepare(expandDims(x, 1), options.training === true);
    return this.step(seq.steps[0], states, seq);
  }

  computeOutputShape(inputShape: Shape): Shape[] {
    const b = inputShape === null ? null : (inputShape[0] ?? null);
    return [[b, this.outputSize], ...this.stateSize.map((s) => [b, s])];
  }
}
