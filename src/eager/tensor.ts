import { inspect } from "node:util";
import type { DType, Values } from "../core/dtype.js";
import { FailedPreconditionError, InvalidArgumentError } from "../core/errors.js";
import { sizeOf } from "../core/shape.js";
import { formatValues, toNested } from "../core/values.js";
import type { Handle } from "../core/backend.js";
import { ctx } from "../core/context.js";
import { eagerState, trackTensor } from "./context.js";
import { SYMBOLIC, Tensor } from "../core/tensor.js";

/**
 * Releases the buffer of a tensor that was dropped without dispose(): the backstop, not the plan.
 * Registering costs about a microsecond and weak cells slow the collector, so tensors made inside tf.tidy
 * are registered only if they outlive it (tidy disposes the rest), and a tape's saved aliases are covered
 * by one registration of the tape's store (eager/tape.ts).
 */
const leakRegistry = new FinalizationRegistry<{ handle: Handle; alive: { v: boolean } }>((held) => {
  if (held.alive.v) {
    held.alive.v = false;
    eagerState.liveTensors--;
    held.handle.backend.dispose(held.handle);
  }
});

/** A concrete tensor: the result of an eager op or of `sess.run`. Immutable; holds a device buffer. */
export class EagerTensor extends Tensor {
  readonly id: number;
  readonly dtype: DType;
  readonly shape: number[];
  /** Set by Variable and tf.keep: tf.tidy leaves such tensors alive. */
  kept = false;
  #handle: Handle | null;
  /** Shared with the leak registry once registered; null while tf.tidy or a tape answers for the buffer. */
  #alive: { v: boolean } | null = null;

  /**
   * `id` is shared by aliases a tape saves, so that nested tapes see them as the same value. An `owned`
   * tensor is released by its owner (a tape): it is kept out of tf.tidy and of the leak registry.
   */
  constructor(handle: Handle, id?: number, owned = false) {
    super();
    this.id = id ?? ctx.nextTensorId++;
    this.#handle = handle;
    this.dtype = handle.dtype;
    this.shape = handle.shape.slice();
    if (owned) {
      this.kept = true;
      eagerState.liveTensors++;
    } else if (!trackTensor(this)) {
      this.guardLeak();
    }
  }

  /** Registers the buffer with the leak registry (once): for tensors no tidy scope or owner will free. */
  guardLeak(): void {
    if (this.#alive !== null || this.#handle === null) return;
    this.#alive = { v: true };
    leakRegistry.register(this, { handle: this.#handle, alive: this.#alive }, this);
  }

  override get [SYMBOLIC](): boolean {
    return false;
  }
  override get name(): string {
    throw new InvalidArgumentError("Tensor.name is meaningless when eager execution is enabled.");
  }
  get rank(): number {
    return this.shape.length;
  }
  override get size(): number {
    return sizeOf(this.shape);
  }
  get isDisposed(): boolean {
    return this.#handle === null;
  }
  /** The device buffer; throws once disposed. */
  get handle(): Handle {
    if (this.#handle === null) {
      throw new FailedPreconditionError(`Tensor ${this.id} (shape [${this.shape}], dtype ${this.dtype}) was already disposed`);
    }
    return this.#handle;
  }
  override get device(): string {
    const b = this.handle.backend;
    return `/job:localhost/replica:0/task:0/device:${b.deviceType}:${b.deviceIndex}`;
  }

  override dataSync(): Values {
    return this.handle.backend.readSync(this.handle);
  }
  override async data(): Promise<Values> {
    return this.handle.backend.read(this.handle);
  }
  override arraySync(): unknown {
    return toNested(this.dataSync(), this.shape, this.dtype);
  }
  override async array(): Promise<unknown> {
    return toNested(await this.data(), this.shape, this.dtype);
  }
  /** The value of a one-element tensor as a JS number (int64 as a number too). */
  override item(): number {
    const v = this.dataSync()[0];
    return typeof v === "string" ? Number.NaN : Number(v);
  }

  override dispose(): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    if (this.#alive !== null) {
      this.#alive.v = false;
      leakRegistry.unregister(this);
    }
    eagerState.liveTensors--;
    h.backend.dispose(h);
  }

  /**
   * Forgets the buffer without releasing it, because its owner already did: a variable whose buffer a
   * tf.function's step replaced (variables/variable.ts adoptVariableHandle). The tensor reads as disposed.
   */
  relinquish(): void {
    if (this.#handle === null) return;
    this.#handle = null;
    if (this.#alive !== null) {
      this.#alive.v = false;
      leakRegistry.unregister(this);
    }
    eagerState.liveTensors--;
  }

  /** A new tensor sharing this one's buffer (no copy); disposing either leaves the other valid. */
  clone(): EagerTensor {
    return new EagerTensor(this.handle.backend.alias(this.handle));
  }
  /**
   * An alias with the same id, kept out of tf.tidy and released by the caller: what a GradientTape saves
   * for the backward pass.
   */
  saveForBackward(): EagerTensor {
    return new EagerTensor(this.handle.backend.alias(this.handle), this.id, true);
  }

  override toString(): string {
    if (this.#handle === null) return `tf.Tensor(<disposed>, shape=[${this.shape}], dtype=${this.dtype})`;
    return `tf.Tensor(${formatValues(this.dataSync(), this.shape, this.dtype)}, shape=[${this.shape.join(", ")}], dtype=${this.dtype})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}
