import { inspect } from "node:util";
import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { mergeShapes, Shape, shapesCompatible, shapeStr } from "../core/shape.js";
import type { Graph } from "./graph.js";
import type { Operation } from "./operation.js";
import { SYMBOLIC, Tensor } from "../core/tensor.js";
import type { Values } from "../core/dtype.js";
import { evalInSession } from "./eval_hook.js";

/** A graph edge: the `index`-th output of an Operation. Has a static shape that may hold unknown dims. */
export class SymbolicTensor extends Tensor {
  #shape: Shape;
  constructor(
    readonly op: Operation,
    readonly valueIndex: number,
    readonly dtype: DType,
    shape: Shape,
  ) {
    super();
    this.#shape = shape;
  }
  override get [SYMBOLIC](): boolean {
    return true;
  }
  #noValue(): never {
    throw new InvalidArgumentError(`${this.toString()} is a symbolic tensor of a tf.Graph: it has no value outside Session.run (use sess.run(t) or t.eval())`);
  }
  override dataSync(): Values {
    return this.#noValue();
  }
  override data(): Promise<Values> {
    return this.#noValue();
  }
  override item(): number {
    return this.#noValue();
  }
  override get size(): number | null {
    return this.#shape === null || this.#shape.some((d) => d === null) ? null : (this.#shape as number[]).reduce((p, d) => p * d, 1);
  }
  /** Graph tensors own no buffer: the session frees intermediates itself. */
  override dispose(): void {}
  override arraySync(): unknown {
    return this.#noValue();
  }
  override array(): Promise<unknown> {
    return this.#noValue();
  }
  override get name(): string {
    return `${this.op.name}:${this.valueIndex}`;
  }
  get graph(): Graph {
    return this.op.graph;
  }
  override get device(): string {
    return this.op.device;
  }
  /** Static shape: dims may be null; null when the rank is unknown. */
  get shape(): Shape {
    return this.#shape === null ? null : this.#shape.slice();
  }
  get rank(): number | null {
    return this.#shape === null ? null : this.#shape.length;
  }
  getShape(): Shape {
    return this.shape;
  }
  /** Refines the static shape, as Tensor.set_shape does; conflicting information is an error. */
  setShape(shape: Shape): void {
    if (!shapesCompatible(this.#shape, shape)) {
      throw new InvalidArgumentError(`Shapes ${shapeStr(this.#shape)} and ${shapeStr(shape)} are incompatible (setShape on ${this.name})`);
    }
    this.#shape = mergeShapes(this.#shape, shape);
  }
  /** Runs this tensor in `session` (default: the default session) and returns its value. */
  eval(feedDict?: unknown, session?: unknown): Tensor {
    return evalInSession(this, feedDict, session) as Tensor;
  }
  consumers(): Operation[] {
    return this.graph.consumersOf(this);
  }
  override toString(): string {
    const s = this.#shape === null ? "<unknown>" : `[${this.#shape.map((d) => (d === null ? "?" : d)).join(", ")}]`;
    return `Tensor("${this.name}", shape=${s}, dtype=${this.dtype})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}
