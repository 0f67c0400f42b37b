import type { Backend } from "../core/backend.js";
import { zeroValues } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Dim } from "../core/shape.js";
import { type Element, isHandle, releaseElement, scalar, valuesOf } from "./host.js";
import { CoIter, EMIT, END, Iter, type Next, relay } from "./iter.js";
import { countLeaves, type Structure, sameStructure, shiftStructure } from "./nest.js";
import { callOnElement, DatasetNode, type IndexPlan, type IndexStream, INFINITE, UNKNOWN } from "./node.js";
import { planRows } from "./sources.js";
import { mostSpecificCompatible, type TensorSpec, tensorSpec } from "./spec.js";

/** A transformation of one upstream whose elements keep the upstream's structure and specs. */
abstract class PassNode extends DatasetNode {
  constructor(readonly up: DatasetNode) {
    super();
  }
  get structure(): Structure {
    return this.up.structure;
  }
  get specs(): readonly TensorSpec[] {
    return this.up.specs;
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
}

type UserFn = (...args: never[]) => unknown;

/**
 * map(fn): fn runs eagerly on each element (numParallelCalls is accepted; JavaScript runs the calls one
 * after another, in order, which is what deterministic=true gives in TensorFlow). The output structure and
 * specs come from running fn on placeholder-like zeros twice (unknown dims as 1, then 2: dims that differ
 * are unknown), as TensorFlow traces the function once; where that fails (fn rejects zeros), from the first
 * real element.
 */
export class MapNode extends DatasetNode {
  #traced: { structure: Structure; specs: TensorSpec[] } | null = null;
  #observed: Structure | null = null;
  constructor(
    readonly up: DatasetNode,
    readonly fn: UserFn,
  ) {
    super();
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
  get structure(): Structure {
    return this.#observed ?? this.#trace().structure;
  }
  get specs(): readonly TensorSpec[] {
    return this.#trace().specs;
  }
  cardinality(): number {
    return this.up.cardinality();
  }
  #trace(): { structure: Structure; specs: TensorSpec[] } {
    if (this.#traced) return this.#traced;
    const upSpecs = this.up.specs;
    const upStructure = this.up.structure;
    const dummy = (fill: number): Element | null => {
      const out: Element = [];
      for (const s of upSpecs) {
        if (s.shape === null) return null;
        const shape = s.shape.map((d) => d ?? fill);
        const n = shape.reduce((a, b) => a * b, 1);
        out.push({ dtype: s.dtype, shape, values: zeroValues(s.dtype, n) });
      }
      return out;
    };
    try {
      const a = dummy(1);
      const b = dummy(2);
      if (a && b) {
        const ra = callOnElement(this.fn, upStructure, a, "Dataset.map");
        const rb = callOnElement(this.fn, upStructure, b, "Dataset.map");
        if (ra.flat.length === rb.flat.length) {
          this.#traced = {
            structure: ra.structure,
            specs: ra.flat.map((c, i) => tensorSpec(mostSpecificCompatible(c.shape, rb.flat[i].shape), c.dtype)),
          };
          return this.#traced;
        }
      }
    } catch {
      // fn does not take zeros (it parses strings, checks values, ...): read the first real element below.
    }
    if (this.up.isAsync) throw new InvalidArgumentError("Dataset.map: the element spec of this map is known only once an element has been read (for await)");
    const it = this.up.open();
    try {
      const first = it.next();
      if (first === END) {
        this.#traced = { structure: 0, specs: [tensorSpec(null, "float32")] };
        return this.#traced;
      }
      const r = callOnElement(this.fn, upStructure, first, "Dataset.map");
      this.#traced = {
        structure: r.structure,
        specs: r.flat.map((c) =>
          tensorSpec(
            c.shape.map(() => null),
            c.dtype,
          ),
        ),
      };
      return this.#traced;
    } finally {
      it.close();
    }
  }
  open(): Iter {
    const node = this;
    const upStructure = this.up.structure;
    return new CoIter(function* (it) {
      const up = node.up.open();
      try {
        for (;;) {
          const e = yield up;
          if (e === END) return;
          const r = callOnElement(node.fn, upStructure, e, "Dataset.map");
          releaseElement(e);
          node.#observed ??= r.structure;
          it.out = r.flat;
          yield EMIT;
        }
      } finally {
        up.close();
      }
    });
  }
}

/** filter(predicate): keeps elements whose predicate is true (a scalar bool tensor, or a JS boolean). */
export class FilterNode extends PassNode {
  constructor(
    up: DatasetNode,
    readonly predicate: UserFn,
  ) {
    super(up);
  }
  cardinality(): number {
    const n = this.up.cardinality();
    return n === INFINITE ? INFINITE : UNKNOWN;
  }
  open(): Iter {
    const node = this;
    const structure = this.up.structure;
    return new CoIter(function* (it) {
      const up = node.up.open();
      try {
        for (;;) {
          const e = yield up;
          if (e === END) return;
          const r = callOnElement(node.predicate, structure, e, "Dataset.filter");
          const p = r.flat[0];
          if (r.flat.length !== 1 || p.shape.length !== 0 || (p.dtype !== "bool" && p.dtype !== "float32")) {
            throw new InvalidArgumentError(
              `Dataset.filter: the predicate must return a scalar bool tensor, got ${r.flat.length} value(s) of shape [${p?.shape}]`,
            );
          }
          if (p.values[0]) {
            it.out = e;
            yield EMIT;
          } else releaseElement(e);
        }
      } finally {
        up.close();
      }
    });
  }
}

/** repeat(count): count < 0 (or null) repeats forever. */
export class RepeatNode extends PassNode {
  constructor(
    up: DatasetNode,
    readonly count: number,
  ) {
    super(up);
  }
  cardinality(): number {
    const n = this.up.cardinality();
    if (this.count === 0 || n === 0) return 0;
    if (n === INFINITE || this.count < 0) return n === UNKNOWN ? UNKNOWN : INFINITE;
    return n === UNKNOWN ? UNKNOWN : n * this.count;
  }
  override indexPlan(): IndexPlan | null {
    const plan = this.up.indexPlan();
    if (!plan) return null;
    const count = this.count;
    return {
      rows: plan.rows,
      indices: () => {
        let epoch = 0;
        let s: IndexStream | null = count === 0 ? null : plan.indices();
        let emptyEpoch = true;
        return {
          next: () => {
            while (s !== null) {
              const i = s.next();
              if (i >= 0) {
                emptyEpoch = false;
                return i;
              }
              epoch++;
              // An empty input repeated forever ends (as TensorFlow's repeat does).
              if ((count >= 0 && epoch >= count) || emptyEpoch) s = null;
              else {
                s = plan.indices();
                emptyEpoch = true;
              }
            }
            return -1;
          },
        };
      },
    };
  }
  open(): Iter {
    const plan = this.indexPlan();
    if (plan) return planRows(plan);
    const node = this;
    return new CoIter(function* (it) {
      for (let epoch = 0; node.count < 0 || epoch < node.count; epoch++) {
        if ((yield* relay(it, node.up.open())) === 0) return;
      }
    });
  }
}

/** take(count): the first count elements (count -1: all). */
export class TakeNode extends PassNode {
  constructor(
    up: DatasetNode,
    readonly count: number,
  ) {
    super(up);
  }
  cardinality(): number {
    const n = this.up.cardinality();
    if (this.count < 0) return n;
    if (n === INFINITE) return this.count;
    if (n === UNKNOWN) return UNKNOWN;
    return Math.min(n, this.count);
  }
  override indexPlan(): IndexPlan | null {
    const plan = this.up.indexPlan();
    if (!plan) return null;
    const count = this.count;
    return {
      rows: plan.rows,
      indices: () => {
        const s = plan.indices();
        let k = 0;
        return {
          next: () => {
            if (count >= 0 && k >= count) return -1;
            k++;
            return s.next();
          },
        };
      },
    };
  }
  open(): Iter {
    const plan = this.indexPlan();
    if (plan) return planRows(plan);
    const node = this;
    return new CoIter(function* (it) {
      if (node.count === 0) return;
      yield* relay(it, node.up.open(), node.count < 0 ? Number.POSITIVE_INFINITY : node.count);
    });
  }
}

/** skip(count): all but the first count elements (count -1: none). */
export class SkipNode extends PassNode {
  constructor(
    up: DatasetNode,
    readonly count: number,
  ) {
    super(up);
  }
  cardinality(): number {
    const n = this.up.cardinality();
    if (n === INFINITE || n === UNKNOWN) return n;
    return this.count < 0 ? 0 : Math.max(0, n - this.count);
  }
  override indexPlan(): IndexPlan | null {
    const plan = this.up.indexPlan();
    if (!plan) return null;
    const count = this.count;
    return {
      rows: plan.rows,
      indices: () => {
        const s = plan.indices();
        let skipped = false;
        return {
          next: () => {
            if (!skipped) {
              skipped = true;
              for (let k = 0; count < 0 || k < count; k++) if (s.next() < 0) return -1;
            }
            return s.next();
          },
        };
      },
    };
  }
  open(): Iter {
    const plan = this.indexPlan();
    if (plan) return planRows(plan);
    const node = this;
    return new CoIter(function* (it) {
      const up = node.up.open();
      try {
        for (let k = 0; node.count < 0 || k < node.count; k++) {
          const e = yield up;
          if (e === END) return;
          releaseElement(e);
        }
        for (;;) {
          const e = yield up;
          if (e === END) return;
          it.out = e;
          yield EMIT;
        }
      } finally {
        up.close();
      }
    });
  }
}

/** enumerate(start): elements become [index (int64), element]. */
export class EnumerateNode extends DatasetNode {
  constructor(
    readonly up: DatasetNode,
    readonly start: number,
  ) {
    super();
  }
  get structure(): Structure {
    return [0, shiftStructure(this.up.structure, 1)];
  }
  get specs(): readonly TensorSpec[] {
    return [tensorSpec([], "int64"), ...this.up.specs];
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
  cardinality(): number {
    return this.up.cardinality();
  }
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      const up = node.up.open();
      try {
        for (let k = node.start; ; k++) {
          const e = yield up;
          if (e === END) return;
          it.out = [scalar("int64", BigInt(k)), ...e];
          yield EMIT;
        }
      } finally {
        up.close();
      }
    });
  }
}

/** Dataset.zip(datasets): elements are tuples (or dicts) of the datasets' elements; ends with the shortest. */
export class ZipNode extends DatasetNode {
  constructor(
    readonly ups: readonly DatasetNode[],
    /** The nest of the datasets: the leaf i is ups[i]. */
    readonly nest: Structure,
  ) {
    super();
  }
  get structure(): Structure {
    const offsets: number[] = [];
    let o = 0;
    for (const u of this.ups) {
      offsets.push(o);
      o += countLeaves(u.structure);
    }
    const build = (s: Structure): Structure => {
      if (typeof s === "number") return shiftStructure(this.ups[s].structure, offsets[s]);
      if (Array.isArray(s)) return s.map(build);
      const out: Record<string, Structure> = {};
      for (const [k, v] of Object.entries(s as Record<string, Structure>)) out[k] = build(v);
      return out;
    };
    return build(this.nest);
  }
  get specs(): readonly TensorSpec[] {
    return this.ups.flatMap((u) => u.specs);
  }
  get isAsync(): boolean {
    return this.ups.some((u) => u.isAsync);
  }
  cardinality(): number {
    const ns = this.ups.map((u) => u.cardinality());
    const finite = ns.filter((n) => n >= 0);
    if (finite.length > 0) return Math.min(...finite);
    return ns.includes(UNKNOWN) ? UNKNOWN : INFINITE;
  }
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      const ups = node.ups.map((u) => u.open());
      try {
        for (;;) {
          const parts: Element[] = [];
          for (const u of ups) {
            const e = yield u;
            if (e === END) {
              for (const p of parts) releaseElement(p);
              return;
            }
            parts.push(e);
          }
          it.out = parts.flat();
          yield EMIT;
        }
      } finally {
        for (const u of ups) u.close();
      }
    });
  }
}

function mergeSpecs(a: readonly TensorSpec[], b: readonly TensorSpec[], what: string): TensorSpec[] {
  return a.map((s, i) => {
    if (s.dtype !== b[i].dtype)
      throw new InvalidArgumentError(`${what}: the datasets have different element dtypes: ${s.dtype} and ${b[i].dtype} (component ${i})`);
    return tensorSpec(mostSpecificCompatible(s.shape, b[i].shape), s.dtype);
  });
}

/** concatenate(other): this dataset's elements, then other's (same structure and dtypes). */
export class ConcatenateNode extends DatasetNode {
  constructor(
    readonly a: DatasetNode,
    readonly b: DatasetNode,
  ) {
    super();
    if (!sameStructure(a.structure, b.structure)) throw new InvalidArgumentError("Dataset.concatenate: the two datasets have different element structures");
    mergeSpecs(a.specs, b.specs, "Dataset.concatenate");
  }
  get structure(): Structure {
    return this.a.structure;
  }
  get specs(): readonly TensorSpec[] {
    return mergeSpecs(this.a.specs, this.b.specs, "Dataset.concatenate");
  }
  get isAsync(): boolean {
    return this.a.isAsync || this.b.isAsync;
  }
  cardinality(): number {
    const x = this.a.cardinality();
    const y = this.b.cardinality();
    if (x === INFINITE || y === INFINITE) return INFINITE;
    if (x === UNKNOWN || y === UNKNOWN) return UNKNOWN;
    return x + y;
  }
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      for (const d of [node.a, node.b]) yield* relay(it, d.open());
    });
  }
}

/**
 * prefetch(bufferSize): keeps up to bufferSize elements ready. Under `for await` a producer fills the buffer
 * between the consumer's steps (yielding to the event loop after each element), so the next batch is being
 * made while the step runs its (asynchronous) device work; where `device` is a GPU, elements are uploaded
 * as they enter the buffer, ahead of the step that reads them.
 */
export class PrefetchNode extends PassNode {
  constructor(
    up: DatasetNode,
    readonly bufferSize: number,
    readonly device: Backend | null,
  ) {
    super(up);
  }
  cardinality(): number {
    return this.up.cardinality();
  }
  override indexPlan(): IndexPlan | null {
    return this.device === null ? this.up.indexPlan() : null;
  }
  open(): Iter {
    return new PrefetchIter(this.up.open(), this.bufferSize < 0 ? 2 : Math.max(1, this.bufferSize), this.device);
  }
}

class PrefetchIter extends Iter {
  readonly #buf: Next[] = [];
  #error: unknown = null;
  #filling: Promise<void> | null = null;
  #ended = false;
  constructor(
    readonly up: Iter,
    readonly size: number,
    readonly device: Backend | null,
  ) {
    super();
  }
  next(): Next {
    if (this.#buf.length > 0) return this.#buf.shift()!;
    const e = this.up.next();
    return e === END ? END : this.#place(e);
  }
  /** The element on the prefetch device (strings stay on the host, as on any GPU). */
  #place(e: Element): Element {
    const b = this.device;
    if (b === null) return e;
    return e.map((c) => {
      if (c.dtype === "string") return c;
      if (!isHandle(c)) return b.write(c.values, c.dtype, c.shape);
      if (c.backend === b) return c;
      const h = b.write(c.backend.readSync(c), c.dtype, c.shape);
      c.backend.dispose(c);
      return h;
    });
  }
  #fill(): Promise<void> {
    this.#filling ??= (async () => {
      try {
        while (!this.#ended && this.#buf.length < this.size) {
          const e = await this.up.nextAsync();
          if (e === END) this.#ended = true;
          this.#buf.push(e === END ? END : this.#place(e));
          // Let the consumer run its step before making the next element.
          await new Promise<void>((r) => setImmediate(r));
        }
      } catch (err) {
        this.#error = err;
        this.#ended = true;
      } finally {
        this.#filling = null;
      }
    })();
    return this.#filling;
  }
  override async nextAsync(): Promise<Next> {
    while (this.#buf.length === 0) {
      if (this.#error !== null) {
        const err = this.#error;
        this.#error = null;
        throw err;
      }
      if (this.#ended) return END;
      await this.#fill();
    }
    const e = this.#buf.shift()!;
    if (!this.#ended) void this.#fill();
    return e;
  }
  override close(): void {
    for (const e of this.#buf) if (e !== END) releaseElement(e);
    this.#buf.length = 0;
    this.#ended = true;
    this.up.close();
  }
}

/**
 * cache(filename): the first full pass stores the elements (in memory, or in a file when filename is not
 * empty); later passes read them back. In-memory rows need no cache: their index plan passes through.
 */
export class CacheNode extends PassNode {
  #memory: Element[] | null = null;
  constructor(
    up: DatasetNode,
    readonly filename: string,
    readonly fileCache: { read(): Element[] | null; write(elements: readonly Element[]): void } | null,
  ) {
    super(up);
  }
  cardinality(): number {
    return this.up.cardinality();
  }
  override indexPlan(): IndexPlan | null {
    return this.up.indexPlan();
  }
  open(): Iter {
    const plan = this.indexPlan();
    if (plan) return planRows(plan);
    const node = this;
    return new CoIter(function* (it) {
      const stored = node.#memory ?? node.fileCache?.read() ?? null;
      if (stored) {
        node.#memory = stored;
        for (const e of stored) {
          it.out = e.slice();
          yield EMIT;
        }
        return;
      }
      const seen: Element[] = [];
      const up = node.up.open();
      try {
        for (;;) {
          const e = yield up;
          if (e === END) break;
          const host = e.map((c) => (isHandle(c) ? { dtype: c.dtype, shape: c.shape.slice(), values: valuesOf(c) } : c));
          seen.push(host);
          it.out = host.slice();
          yield EMIT;
        }
      } finally {
        up.close();
      }
      // Only a complete pass is cached (TensorFlow discards a partial one).
      node.#memory = seen;
      node.fileCache?.write(seen);
    });
  }
}

/**
 * interleave(fn, cycleLength, blockLength): fn maps each element to a dataset; cycleLength of them are read
 * in turn, blockLength elements at a time, a finished one replaced by the next input element's dataset.
 */
export class InterleaveNode extends DatasetNode {
  #inner: DatasetNode | null = null;
  constructor(
    readonly up: DatasetNode,
    readonly fn: (element: Element) => DatasetNode,
    readonly cycleLength: number,
    readonly blockLength: number,
  ) {
    super();
  }
  /** The structure of the datasets fn makes, from fn applied to the first input element. */
  #innerNode(): DatasetNode {
    if (this.#inner) return this.#inner;
    const it = this.up.open();
    try {
      const first = it.next();
      if (first === END) throw new InvalidArgumentError("Dataset.interleave: the element spec is unknown for an empty input");
      this.#inner = this.fn(first);
      return this.#inner;
    } finally {
      it.close();
    }
  }
  get structure(): Structure {
    return this.#innerNode().structure;
  }
  get specs(): readonly TensorSpec[] {
    return this.#innerNode().specs.map((s) => tensorSpec(s.shape, s.dtype));
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
  cardinality(): number {
    return this.up.cardinality() === 0 ? 0 : UNKNOWN;
  }
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      const up = node.up.open();
      const cycle: (Iter | null)[] = [];
      let inputDone = false;
      try {
        const refill = function* (slot: number): Generator<Iter, boolean, Next> {
          if (inputDone) return false;
          const e = yield up;
          if (e === END) {
            inputDone = true;
            return false;
          }
          const d = node.fn(e);
          node.#inner ??= d;
          cycle[slot] = d.open();
          return true;
        };
        for (let k = 0; k < node.cycleLength; k++) {
          cycle.push(null);
          if (!(yield* refill(k))) break;
        }
        for (;;) {
          let active = false;
          for (let k = 0; k < cycle.length; k++) {
            const inner = cycle[k];
            if (inner === null) continue;
            active = true;
            for (let b = 0; b < node.blockLength; b++) {
              const e = yield inner;
              if (e === END) {
                // The slot takes the next input element's dataset, read from the next turn on.
                inner.close();
                cycle[k] = null;
                yield* refill(k);
                break;
              }
              it.out = e;
              yield EMIT;
            }
          }
          if (!active) return;
        }
      } finally {
        up.close();
        for (const c of cycle) c?.close();
      }
    });
  }
}

/** Dims of a spec as text for errors. */
export function dimsText(shape: readonly Dim[] | null): string {
  return shape === null ? "<unknown>" : `[${shape.map((d) => (d === null ? "?" : d)).join(",")}]`;
}
