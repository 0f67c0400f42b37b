/**
 * What fit, evaluate and predict accept (tensors, nested JS arrays, typed arrays, arrays or objects of
 * those for several inputs or outputs, or a tf.data.Dataset), turned into batches of tensors.
 *
 * In-memory data becomes one tensor per component once; a batch is then one slice (in order) or one gather
 * (shuffled: one permutation of indices per epoch) per component: never work per element.
 */
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { Tensor } from "../../core/tensor.js";
import { dispose } from "../../eager/memory.js";
import { device } from "../../graph/scopes.js";
import { constant } from "../../ops/creation.js";
import { gather, slice } from "../../ops/movement.js";
import { eagerRandomSource, getSeed } from "../../ops/random_state.js";

/** A batch: the model's inputs, targets and sample weights, each flattened into the model's order. */
export interface Batch {
  x: Tensor[];
  y: Tensor[];
  sampleWeight: Tensor | null;
  size: number;
  /** Set when the batch is rows `idx` of in-memory arrays: a traced step gathers them inside its graph. */
  rows?: Rows;
}

/** Rows of in-memory data: the whole arrays, and which of their rows (a host int32 vector) make the batch. */
export interface Rows {
  xs: readonly Tensor[];
  ys: readonly Tensor[];
  /** The sample weights of all rows, or null. */
  sws: Tensor | null;
  indices(): Tensor;
  /**
   * Set for the epoch's full batches: the epoch's order as a device table [full batches, batch size], the same
   * tensor for each, and this batch's row of it. A traced step reads its row from the table with a counter
   * kept on the device, so that no indices travel from the host per step.
   */
  table?: { readonly order: Tensor; readonly row: number };
}

/**
 * A batch of rows whose tensors are gathered only if something reads them (an eager step, a callback): a
 * traced step takes the whole arrays and the indices, and gathers inside its graph.
 */
class RowsBatch implements Batch, Rows {
  #idx: Tensor | null = null;
  #x: Tensor[] | null = null;
  #y: Tensor[] | null = null;
  #sw: Tensor | null | undefined = undefined;
  constructor(
    readonly xs: readonly Tensor[],
    readonly ys: readonly Tensor[],
    readonly sws: Tensor | null,
    private readonly order: Int32Array,
    readonly table?: { readonly order: Tensor; readonly row: number },
  ) {}
  get rows(): Rows {
    return this;
  }
  get sampleWeight(): Tensor | null {
    if (this.#sw === undefined) this.#sw = this.sws ? gather(this.sws, this.indices()) : null;
    return this.#sw;
  }
  get size(): number {
    return this.order.length;
  }
  /**
   * The indices stay on the host: fed to a traced step they travel with its other inputs, and a CUDA-graph
   * replay sends them ahead of the step without waiting for the one before.
   */
  indices(): Tensor {
    return (this.#idx ??= device("/cpu:0", () => constant(this.order, "int32", [this.order.length])));
  }
  get x(): Tensor[] {
    return (this.#x ??= this.xs.map((t) => gather(t, this.indices())));
  }
  get y(): Tensor[] {
    return (this.#y ??= this.ys.map((t) => gather(t, this.indices())));
  }
  /** The tensors this batch made and handed out. */
  made(): Tensor[] {
    return [...(this.#x ?? []), ...(this.#y ?? []), ...(this.#sw ? [this.#sw] : []), ...(this.#idx ? [this.#idx] : [])];
  }
}

function isTypedArray(x: unknown): x is ArrayBufferView {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}
function isComponent(x: unknown): boolean {
  return x instanceof Tensor || isTypedArray(x) || (Array.isArray(x) && !x.some((e) => e instanceof Tensor));
}

/** One component as a tensor (nested arrays and typed arrays go through tf.constant once). */
export function toTensor(x: unknown, what: string, dtype?: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (isTypedArray(x) || Array.isArray(x) || typeof x === "number") return constant(x as never, dtype);
  throw new InvalidArgumentError(`${what}: expected a tensor, a (nested) array or a typed array, got ${x === null ? "null" : typeof x}`);
}

/**
 * x or y flattened into `names`' order (the model's inputs or outputs): one component for one name; an array
 * (in order) or an object keyed by name for several.
 */
export function flattenData(data: unknown, names: readonly string[], what: string): Tensor[] {
  if (data === undefined || data === null) return [];
  if (names.length > 1 || !isComponent(data)) {
    if (
      Array.isArray(data) &&
      data.length === names.length &&
      (names.length > 1 || data.some((e) => e instanceof Tensor || Array.isArray(e) || isTypedArray(e)))
    ) {
      return data.map((d, i) => toTensor(d, `${what}[${i}]`));
    }
    if (typeof data === "object" && !Array.isArray(data) && !isTypedArray(data) && !(data instanceof Tensor)) {
      const obj = data as Record<string, unknown>;
      const unknownKeys = Object.keys(obj).filter((k) => !names.includes(k));
      if (unknownKeys.length > 0) throw new InvalidArgumentError(`${what}: unknown keys ${unknownKeys.join(", ")}; the model's names are ${names.join(", ")}`);
      return names.map((n) => {
        if (!(n in obj)) throw new InvalidArgumentError(`${what}: missing data for "${n}" (keys given: ${Object.keys(obj).join(", ")})`);
        return toTensor(obj[n], `${what}["${n}"]`);
      });
    }
    if (names.length > 1)
      throw new InvalidArgumentError(
        `${what}: the model has ${names.length} (${names.join(", ")}); pass an array of ${names.length} or an object keyed by those names`,
      );
  }
  return [toTensor(data, what)];
}

/** Keras's check that every array holds the same number of samples. */
export function checkCardinality(xs: readonly Tensor[], ys: readonly Tensor[], sw: Tensor | null): number {
  const sizes = (ts: readonly Tensor[]) => ts.map((t) => (t.shape && t.shape.length > 0 ? t.shape[0] : 1) as number);
  const xn = sizes(xs);
  const yn = sizes(ys);
  const all = [...xn, ...yn, ...(sw ? sizes([sw]) : [])];
  if (all.length === 0) throw new InvalidArgumentError("No data given: pass x (and y) to fit/evaluate/predict");
  if (new Set(all).size > 1) {
    let msg = "Data cardinality is ambiguous:\n";
    msg += `  x sizes: ${xn.join(", ")}\n`;
    if (yn.length > 0) msg += `  y sizes: ${yn.join(", ")}\n`;
    if (sw) msg += `  sample_weight sizes: ${sizes([sw]).join(", ")}\n`;
    msg += "Make sure all arrays contain the same number of samples.";
    throw new InvalidArgumentError(msg);
  }
  return all[0];
}

/** Rows [start, end) of each tensor. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const rank = t.shape?.length ?? 1;
  const begin = new Array<number>(rank).fill(0);
  const size = new Array<number>(rank).fill(-1);
  begin[0] = start;
  size[0] = end - start;
  return slice(t, begin, size);
}

/** In-memory data cut into batches, shuffled per epoch if asked. */
export class TensorBatches {
  readonly numSamples: number;
  readonly steps: number;
  /** The order of the next shuffled epoch, when drawn ahead. */
  #nextPermutation: Int32Array | null = null;
  /** 0..n-1, for in-order batches as rows. */
  #inOrder: Int32Array | null = null;
  /**
   * The next epoch's order table, made during this epoch's last step once its steps took tables: on a GPU
   * its upload is queued behind the epoch's steps instead of waiting after the epoch's end, when the device
   * is idle. In order, the same table serves every epoch.
   */
  #nextOrder: Tensor | null = null;
  constructor(
    readonly x: readonly Tensor[],
    readonly y: readonly Tensor[],
    readonly sampleWeight: Tensor | null,
    readonly batchSize: number,
    readonly shuffle: boolean,
    /** Whether a batch is disposed once the next is asked for (fit and evaluate; predict's outputs may alias it). */
    private readonly release = true,
    /**
     * In-order batches as rows of the whole arrays too (fit's data): a traced step gathers them from the
     * epoch's order table, as it does shuffled ones, where slices would be copied into its inputs at every step.
     */
    private readonly inOrderRows = false,
  ) {
    this.numSamples = checkCardinality(x, y, sampleWeight);
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new InvalidArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
    this.steps = Math.ceil(this.numSamples / batchSize);
  }

  /**
   * The batches of one epoch, in order (slices; fit's own data: rows in order) or in a fresh random order (rows
   * picked by a permutation made on the host once per epoch; a traced step gathers them in its graph). Full
   * batches of rows also carry the epoch's order as one table (made on the default device when a step first
   * asks, released with the epoch).
   */
  *epoch(): Generator<Batch> {
    const n = this.numSamples;
    const batchSize = this.batchSize;
    const perm = this.shuffle
      ? (this.#nextPermutation ?? permutation(n))
      : this.inOrderRows && n > batchSize
        ? (this.#inOrder ??= Int32Array.from({ length: n }, (_, i) => i))
        : null;
    this.#nextPermutation = null;
    const inputs = new Set<Tensor>([...this.x, ...this.y, ...(this.sampleWeight ? [this.sampleWeight] : [])]);
    const full = Math.floor(n / batchSize);
    const tableOf = (p: Int32Array) => constant(p.subarray(0, full * batchSize), "int32", [full, batchSize]);
    let order: Tensor | null = this.#nextOrder;
    this.#nextOrder = null;
    const table = (row: number) =>
      perm && row < full && full > 1
        ? {
            get order() {
              return (order ??= tableOf(perm));
            },
            row,
          }
        : undefined;
    try {
      for (let start = 0; start < n; start += batchSize) {
        const end = Math.min(n, start + batchSize);
        let batch: Batch;
        let made: () => Tensor[];
        if (perm) {
          const rows = new RowsBatch(this.x, this.y, this.sampleWeight, perm.subarray(start, end), table(start / batchSize));
          batch = rows;
          made = () => rows.made();
        } else {
          const take = (t: Tensor): Tensor => (start === 0 && end === n ? t : sliceRows(t, start, end));
          const b: Batch = { x: this.x.map(take), y: this.y.map(take), sampleWeight: this.sampleWeight ? take(this.sampleWeight) : null, size: end - start };
          batch = b;
          made = () => [...b.x, ...b.y, ...(b.sampleWeight ? [b.sampleWeight] : [])];
        }
        // The next epoch's order is drawn before its last step is queued: on a GPU the host then works while
        // the device runs this epoch's queued steps, not after the epoch's end synchronised them.
        if (this.shuffle && end === n) this.#nextPermutation = permutation(n);
        // Queued now, behind this epoch's steps; an order in place is the same table again.
        if (end === n && order !== null) this.#nextOrder = this.#nextPermutation ? tableOf(this.#nextPermutation) : order;
        try {
          yield batch;
        } finally {
          // The step is done with the batch (the next is asked for, or the loop ended and closed the epoch): its
          // memory goes back to the pool now rather than at a later garbage collection (on a GPU, every step would
          // otherwise allocate afresh).
          if (this.release) dispose(made().filter((t) => !inputs.has(t)));
        }
      }
    } finally {
      if (order && order !== this.#nextOrder) dispose(order);
    }
  }

  /** Releases what was made ahead for an epoch that will not run. */
  close(): void {
    if (this.#nextOrder) dispose(this.#nextOrder);
    this.#nextOrder = null;
  }
}

/**
 * A random permutation of 0..n-1 (Fisher-Yates over the indices), drawn as a random op draws: after
 * tf.setRandomSeed the orders are reproducible, as tf.random.set_seed makes Keras's shuffle.
 */
function permutation(n: number): Int32Array {
  const rng = eagerRandomSource(getSeed(undefined, null, null));
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // min: a product just under i + 1 may round up to it.
    const j = Math.min(i, Math.floor(rng.nextFloat() * (i + 1)));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** A dataset's element as a batch: `x`, `[x, y]` or `[x, y, sampleWeight]` (x and y may be arrays or objects). */
export function batchFromElement(el: unknown, inputNames: readonly string[], outputNames: readonly string[]): Batch {
  let xPart: unknown = el;
  let yPart: unknown;
  let swPart: unknown;
  if (
    Array.isArray(el) &&
    (el.length === 2 || el.length === 3) &&
    !(inputNames.length === el.length && el.every((e) => e instanceof Tensor) && outputNames.length === 0)
  ) {
    [xPart, yPart, swPart] = el;
  }
  const x = flattenData(xPart, inputNames, "x");
  const y = yPart === undefined ? [] : flattenData(yPart, outputNames, "y");
  const sampleWeight = swPart === undefined || swPart === null ? null : toTensor(swPart, "sample_weight");
  const size = x[0]?.shape?.[0] ?? 0;
  return { x, y, sampleWeight, size: size ?? 0 };
}

/** Whether a value is a tf.data.Dataset (or any iterable of elements that is not data itself). */
export function isDatasetLike(x: unknown): x is Iterable<unknown> | AsyncIterable<unknown> {
  if (x === null || typeof x !== "object" || x instanceof Tensor || Array.isArray(x) || isTypedArray(x)) return false;
  return typeof (x as Iterable<unknown>)[Symbol.iterator] === "function" || typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
}
