import { type DType, type Values, zeroValues } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Dim } from "../core/shape.js";
import { sizeOf } from "../core/shape.js";
import { copyValues, type Element, type HostTensor, releaseElement, valuesOf } from "./host.js";
import { CoIter, EMIT, END, FnIter, type Iter } from "./iter.js";
import type { Structure } from "./nest.js";
import { DatasetNode, type IndexPlan, INFINITE, UNKNOWN } from "./node.js";
import { type TensorSpec, tensorSpec } from "./spec.js";
import { dimsText } from "./transforms.js";

/**
 * Row `idx[0..k)` of `c` as one new component of shape [k, ...row]: one typed array per batch, filled by one
 * copy per run of consecutive rows (a whole batch of an unshuffled source is one copy).
 */
export function gatherRows(c: HostTensor, idx: Int32Array, k: number): HostTensor {
  const rowShape = c.shape.slice(1);
  const r = sizeOf(rowShape);
  const out = zeroValues(c.dtype, k * r);
  let j = 0;
  while (j < k) {
    const start = idx[j];
    let len = 1;
    while (j + len < k && idx[j + len] === start + len) len++;
    copyValues(out, j * r, c.values, start * r, len * r);
    j += len;
  }
  return { dtype: c.dtype, shape: [k, ...rowShape], values: out };
}

/** Batches of an index plan: `batchSize` row numbers, then one gather per component. */
function planBatches(plan: IndexPlan, batchSize: number, dropRemainder: boolean): Iter {
  const stream = plan.indices();
  const idx = new Int32Array(batchSize);
  return new FnIter(() => {
    let k = 0;
    while (k < batchSize) {
      const i = stream.next();
      if (i < 0) break;
      idx[k++] = i;
    }
    if (k === 0 || (dropRemainder && k < batchSize)) return END;
    return plan.rows.map((c) => gatherRows(c, idx, k));
  });
}

function batchedSpecs(specs: readonly TensorSpec[], batchDim: Dim): TensorSpec[] {
  return specs.map((s) => tensorSpec(s.shape === null ? null : [batchDim, ...s.shape], s.dtype));
}

function batchCardinality(n: number, batchSize: number, dropRemainder: boolean): number {
  if (n < 0) return n;
  return dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** Stacks the elements' components (all of one shape per component) into one component each. */
function stack(elements: readonly Element[]): HostTensor[] {
  const first = elements[0];
  return first.map((c0, ci) => {
    const shape = c0.shape;
    const n = sizeOf(shape);
    const out = zeroValues(c0.dtype, n * elements.length);
    elements.forEach((e, k) => {
      const c = e[ci];
      if (c.shape.length !== shape.length || c.shape.some((d, i) => d !== shape[i])) {
        throw new InvalidArgumentError(
          `Cannot batch tensors with different shapes in component ${ci}. First element had shape [${shape.join(",")}] and element ${k} had shape [${c.shape.join(",")}].`,
        );
      }
      copyValues(out, k * n, valuesOf(c), 0, n);
    });
    return { dtype: c0.dtype, shape: [elements.length, ...shape], values: out };
  });
}

/** Gathers up to `batchSize` elements (the body of batch and paddedBatch); null at the end. */
abstract class BatchingNode extends DatasetNode {
  constructor(
    readonly up: DatasetNode,
    readonly batchSize: number,
    readonly dropRemainder: boolean,
    what: string,
  ) {
    super();
    if (!(batchSize >= 1) || !Number.isInteger(batchSize)) throw new InvalidArgumentError(`${what}: batchSize must be a positive integer, got ${batchSize}`);
  }
  get structure(): Structure {
    return this.up.structure;
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
  cardinality(): number {
    return batchCardinality(this.up.cardinality(), this.batchSize, this.dropRemainder);
  }
  protected abstract combine(elements: Element[]): Element;
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      const up = node.up.open();
      try {
        for (;;) {
          const elements: Element[] = [];
          while (elements.length < node.batchSize) {
            const e = yield up;
            if (e === END) break;
            elements.push(e);
          }
          if (elements.length === 0 || (node.dropRemainder && elements.length < node.batchSize)) return;
          it.out = node.combine(elements);
          for (const e of elements) releaseElement(e);
          yield EMIT;
          if (elements.length < node.batchSize) return;
        }
      } finally {
        up.close();
      }
    });
  }
}

/** batch(batchSize, dropRemainder): over in-memory rows, gathered in bulk; otherwise stacked. */
export class BatchNode extends BatchingNode {
  constructor(up: DatasetNode, batchSize: number, dropRemainder: boolean) {
    super(up, batchSize, dropRemainder, "Dataset.batch");
  }
  get specs(): readonly TensorSpec[] {
    return batchedSpecs(this.up.specs, this.dropRemainder ? this.batchSize : null);
  }
  protected combine(elements: Element[]): Element {
    return stack(elements);
  }
  override open(): Iter {
    const plan = this.up.indexPlan();
    return plan ? planBatches(plan, this.batchSize, this.dropRemainder) : super.open();
  }
}

/**
 * paddedBatch(batchSize, paddedShapes, paddingValues, dropRemainder): each component padded at the end of
 * every dimension to `paddedShapes` (null dims, or no paddedShapes: the longest in the batch) with its
 * padding value (0, or "" for strings).
 */
export class PaddedBatchNode extends BatchingNode {
  constructor(
    up: DatasetNode,
    batchSize: number,
    readonly paddedShapes: (readonly Dim[] | null)[] | null,
    readonly paddingValues: (number | string | bigint | boolean | null)[] | null,
    dropRemainder: boolean,
  ) {
    super(up, batchSize, dropRemainder, "Dataset.paddedBatch");
  }
  get specs(): readonly TensorSpec[] {
    return this.up.specs.map((s, i) => {
      const padded = this.paddedShapes?.[i] ?? null;
      const rank = padded?.length ?? s.shape?.length ?? null;
      const dims = rank === null ? null : Array.from({ length: rank }, (_v, d) => padded?.[d] ?? null);
      return tensorSpec(dims === null ? null : [this.dropRemainder ? this.batchSize : null, ...dims], s.dtype);
    });
  }
  protected combine(elements: Element[]): Element {
    return elements[0].map((c0, ci) => {
      const rank = c0.shape.length;
      const target = this.paddedShapes?.[ci] ?? null;
      const shape: number[] = [];
      for (let d = 0; d < rank; d++) {
        let m = 0;
        for (const e of elements) {
          if (e[ci].shape.length !== rank) throw new InvalidArgumentError(`Dataset.paddedBatch: component ${ci} has elements of different ranks`);
          m = Math.max(m, e[ci].shape[d]);
        }
        const want = target?.[d] ?? null;
        if (want !== null && want !== -1) {
          if (m > want) {
            throw new InvalidArgumentError(
              `Dataset.paddedBatch: component ${ci} has dimension ${d} of size ${m}, larger than its padded shape ${dimsText(target)}`,
            );
          }
          m = want;
        }
        shape.push(m);
      }
      const pad = this.paddingValues?.[ci] ?? null;
      return padStack(
        elements.map((e) => e[ci]),
        c0.dtype,
        shape,
        pad,
      );
    });
  }
}

function padStack(parts: readonly Element[number][], dtype: DType, shape: number[], pad: number | string | bigint | boolean | null): HostTensor {
  const n = sizeOf(shape);
  const out = zeroValues(dtype, n * parts.length);
  if (pad !== null && pad !== 0 && pad !== "") {
    const v = dtype === "int64" ? BigInt(pad as number) : dtype === "bool" ? (pad ? 1 : 0) : pad;
    (out as unknown as { fill(x: unknown): void }).fill(v);
  }
  const rank = shape.length;
  parts.forEach((c, k) => {
    const src = valuesOf(c);
    const base = k * n;
    if (rank === 0) {
      copyValues(out, base, src, 0, 1);
      return;
    }
    // Copy the source row by row along the last dimension into the padded layout.
    const inner = c.shape[rank - 1];
    const outer = sizeOf(c.shape) / Math.max(1, inner);
    const idx = new Array<number>(rank - 1).fill(0);
    for (let r = 0; r < outer && inner > 0; r++) {
      let off = 0;
      for (let d = 0; d < rank - 1; d++) off = off * shape[d] + idx[d];
      copyValues(out as Values, base + off * shape[rank - 1], src, r * inner, inner);
      for (let d = rank - 2; d >= 0; d--) {
        if (++idx[d] < c.shape[d]) break;
        idx[d] = 0;
      }
    }
  });
  return { dtype, shape: [parts.length, ...shape], values: out };
}

/** unbatch(): each element split along its first dimension (every component must share it). */
export class UnbatchNode extends DatasetNode {
  constructor(readonly up: DatasetNode) {
    super();
  }
  get structure(): Structure {
    return this.up.structure;
  }
  get specs(): readonly TensorSpec[] {
    return this.up.specs.map((s) => {
      if (s.shape !== null && s.shape.length === 0)
        throw new InvalidArgumentError("Dataset.unbatch: Input dataset should be batched (its components must have rank >= 1)");
      return tensorSpec(s.shape === null ? null : s.shape.slice(1), s.dtype);
    });
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
  cardinality(): number {
    const n = this.up.cardinality();
    return n === INFINITE ? INFINITE : n === 0 ? 0 : UNKNOWN;
  }
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      const up = node.up.open();
      try {
        for (;;) {
          const e = yield up;
          if (e === END) return;
          const rows = e[0].shape[0];
          const hosts = e.map((c) => {
            if (c.shape.length === 0 || c.shape[0] !== rows) {
              throw new InvalidArgumentError(
                `Dataset.unbatch: the components of an element must have the same first dimension, got [${c.shape}] and [${e[0].shape}]`,
              );
            }
            return { dtype: c.dtype, shape: c.shape, values: valuesOf(c) };
          });
          releaseElement(e);
          for (let i = 0; i < rows; i++) {
            const idx = Int32Array.of(i);
            it.out = hosts.map((c) => {
              const g = gatherRows(c, idx, 1);
              return { dtype: g.dtype, shape: g.shape.slice(1), values: g.values };
            });
            yield EMIT;
          }
        }
      } finally {
        up.close();
      }
    });
  }
}
