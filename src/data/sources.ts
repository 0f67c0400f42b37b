import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Dim } from "../core/shape.js";
import { type Element, type HostTensor, scalar, sliceRow, toHost } from "./host.js";
import { CoIter, EMIT, END, FnIter, type Iter, asyncOnly } from "./iter.js";
import { flatten, flattenUpTo, type Nest, type Structure } from "./nest.js";
import { DatasetNode, type IndexPlan, runEagerly, UNKNOWN } from "./node.js";
import { shapeFits, TensorSpec, tensorSpec } from "./spec.js";

/** Elements given whole (Dataset.fromTensors): one element. */
export class TensorsNode extends DatasetNode {
  readonly specs: TensorSpec[];
  readonly isAsync = false;
  constructor(
    readonly components: HostTensor[],
    readonly structure: Structure,
  ) {
    super();
    this.specs = components.map((c) => tensorSpec(c.shape, c.dtype));
  }
  cardinality(): number {
    return 1;
  }
  open(): Iter {
    let done = false;
    return new FnIter(() => {
      if (done) return END;
      done = true;
      return this.components.slice();
    });
  }
}

/** Rows of in-memory components (Dataset.fromTensorSlices): element i is row i of every component. */
export class SlicesNode extends DatasetNode {
  readonly specs: TensorSpec[];
  readonly isAsync = false;
  readonly numRows: number;
  constructor(
    readonly components: HostTensor[],
    readonly structure: Structure,
  ) {
    super();
    if (components.length === 0) throw new InvalidArgumentError("tf.data.Dataset.fromTensorSlices: the element has no tensors");
    for (const c of components) {
      if (c.shape.length === 0)
        throw new InvalidArgumentError(
          `tf.data.Dataset.fromTensorSlices: Unbatching a tensor is only supported for rank >= 1 (got a scalar of dtype ${c.dtype})`,
        );
    }
    this.numRows = components[0].shape[0];
    components.forEach((c, i) => {
      if (c.shape[0] !== this.numRows) {
        throw new InvalidArgumentError(
          `tf.data.Dataset.fromTensorSlices: Dimensions ${this.numRows} and ${c.shape[0]} are not compatible: all components must have the same size in their first dimension (component 0 has ${this.numRows} rows, component ${i} has ${c.shape[0]})`,
        );
      }
    });
    this.specs = components.map((c) => tensorSpec(c.shape.slice(1), c.dtype));
  }
  cardinality(): number {
    return this.numRows;
  }
  override indexPlan(): IndexPlan {
    const n = this.numRows;
    return {
      rows: this.components,
      indices: () => {
        let i = 0;
        return { next: () => (i < n ? i++ : -1) };
      },
    };
  }
  open(): Iter {
    return planRows(this.indexPlan());
  }
}

/** An iterator making one element per index of a plan (the element-wise path over in-memory rows). */
export function planRows(plan: IndexPlan): Iter {
  const stream = plan.indices();
  return new FnIter(() => {
    const i = stream.next();
    if (i < 0) return END;
    return plan.rows.map((c) => sliceRow(c, i));
  });
}

/** Dataset.range(start, stop, step). */
export class RangeNode extends DatasetNode {
  readonly structure = 0;
  readonly specs: TensorSpec[];
  readonly isAsync = false;
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
    readonly dtype: DType,
  ) {
    super();
    if (step === 0) throw new InvalidArgumentError("tf.data.Dataset.range: step must not be 0");
    this.specs = [tensorSpec([], dtype)];
  }
  cardinality(): number {
    const n = Math.ceil((this.stop - this.start) / this.step);
    return Math.max(0, n);
  }
  open(): Iter {
    let v = this.start;
    const { stop, step, dtype } = this;
    return new FnIter(() => {
      if (step > 0 ? v >= stop : v <= stop) return END;
      const x = v;
      v += step;
      return [scalar(dtype, dtype === "int64" ? BigInt(x) : x)];
    });
  }
}

type AnyGenerator = Iterator<unknown> | AsyncIterator<unknown>;

/**
 * Dataset.fromGenerator: each iterator calls the generator function again (with `args`) and converts each
 * value to the declared dtypes, checking it against the declared shapes (TensorFlow's "`generator` yielded
 * an element that did not match the expected structure/shape" errors).
 */
export class GeneratorNode extends DatasetNode {
  constructor(
    readonly generator: (...args: unknown[]) => AnyGenerator | Iterable<unknown> | AsyncIterable<unknown>,
    readonly args: readonly unknown[],
    readonly structure: Structure,
    readonly specs: readonly TensorSpec[],
    readonly isAsync: boolean,
  ) {
    super();
  }
  cardinality(): number {
    return UNKNOWN;
  }
  #convert(value: unknown): Element {
    const flat = flattenUpTo(this.structure, value);
    if (flat === null) {
      throw new InvalidArgumentError(
        `tf.data.Dataset.fromGenerator: \`generator\` yielded an element that did not match the expected structure. The expected structure has ${this.specs.length} component(s) (as declared by outputSignature / outputTypes).`,
      );
    }
    return runEagerly(() =>
      flat.map((x, i) => {
        const spec = this.specs[i];
        const c = toHost(x, "tf.data.Dataset.fromGenerator", spec.dtype);
        if (!shapeFits(spec, c.shape)) {
          throw new InvalidArgumentError(
            `tf.data.Dataset.fromGenerator: \`generator\` yielded an element of shape [${c.shape.join(",")}] where an element of shape ${shapeText(spec.shape)} was expected.`,
          );
        }
        return c;
      }),
    );
  }
  #start(): AnyGenerator {
    const g = this.generator(...this.args) as AnyGenerator & Partial<Iterable<unknown>> & Partial<AsyncIterable<unknown>>;
    if (g && typeof (g as AnyGenerator).next === "function") return g;
    if (g && typeof g[Symbol.asyncIterator] === "function") return g[Symbol.asyncIterator]!();
    if (g && typeof g[Symbol.iterator] === "function") return g[Symbol.iterator]!();
    throw new InvalidArgumentError("tf.data.Dataset.fromGenerator: `generator` must be a function returning an iterator (a generator function, sync or async)");
  }
  open(): Iter {
    const node = this;
    let g: AnyGenerator | null = null;
    return new (class extends CoIter {
      override next() {
        if (node.isAsync) asyncOnly("tf.data.Dataset.fromGenerator with an async generator");
        return super.next();
      }
      override async nextAsync() {
        g ??= node.#start();
        const r = await g.next();
        if (r.done) return END;
        return node.#convert(r.value);
      }
      override close() {
        g?.return?.();
        super.close();
      }
    })(function* (it) {
      g ??= node.#start();
      for (;;) {
        const r = (g as Iterator<unknown>).next();
        if (r.done) return;
        it.out = node.#convert(r.value);
        yield EMIT;
      }
    });
  }
}

function shapeText(s: readonly Dim[] | null): string {
  return s === null ? "<unknown>" : `[${s.map((d) => (d === null ? "?" : d)).join(",")}]`;
}

/** Specs from fromGenerator's outputSignature (TensorSpec-likes) or outputTypes + outputShapes. */
export function generatorSpecs(outputSignature: unknown, outputTypes: unknown, outputShapes: unknown): { structure: Structure; specs: TensorSpec[] } {
  const isSpec = (x: unknown) => x instanceof TensorSpec || (typeof x === "object" && x !== null && "dtype" in x && "shape" in x && !Array.isArray(x));
  if (outputSignature !== undefined) {
    const { flat, structure } = flatten<{ shape: Dim[] | null; dtype: DType }>(outputSignature as Nest<unknown>, isSpec);
    return { structure, specs: flat.map((s) => tensorSpec(s.shape, s.dtype)) };
  }
  if (outputTypes === undefined)
    throw new InvalidArgumentError("tf.data.Dataset.fromGenerator: give outputSignature (or the deprecated outputTypes and outputShapes)");
  const { flat: types, structure } = flatten<DType>(outputTypes as Nest<unknown>, (x) => typeof x === "string");
  let shapes: (Dim[] | null)[] = types.map(() => null);
  if (outputShapes !== undefined) {
    const isShape = (x: unknown) => x === null || (Array.isArray(x) && x.every((d) => d === null || typeof d === "number"));
    shapes = flatten<Dim[] | null>(outputShapes as Nest<unknown>, isShape).flat;
    if (shapes.length !== types.length) throw new InvalidArgumentError("tf.data.Dataset.fromGenerator: outputShapes must have the structure of outputTypes");
  }
  return { structure, specs: types.map((t, i) => tensorSpec(shapes[i], t)) };
}
