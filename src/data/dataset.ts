import { availableParallelism } from "node:os";
import type { Backend } from "../core/backend.js";
import { gpuBackend, visibleGpuCount } from "../core/devices.js";
import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Dim, Shape } from "../core/shape.js";
import { type ArgsOf, declare, K, kind, optional, parseArgs, positionalOnly, signature, variadic, withDefault } from "../core/signature.js";
import type { EagerTensor } from "../eager/tensor.js";
import { BatchNode, PaddedBatchNode, UnbatchNode } from "./batching.js";
import { fileCache } from "./cache_file.js";
import { constValueOf } from "../graph/build.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { FedNode } from "./fed.js";
import { type Element, type HostTensor, isHandle, scalar, toEager, toHost } from "./host.js";
import { type Iterator as DataIterator, makeInitializableIterator, makeOneShotIterator } from "./graph_iterator.js";
import { asyncOnly, END, type Iter } from "./iter.js";
import { flatten, flattenUpTo, type Nest, type Structure, unflatten } from "./nest.js";
import { type DatasetNode, INFINITE, runEagerly, UNKNOWN } from "./node.js";
import { ShuffleNode } from "./shuffle.js";
import { GeneratorNode, generatorSpecs, RangeNode, SlicesNode, TensorsNode } from "./sources.js";
import type { TensorSpec } from "./spec.js";
import {
  CacheNode,
  ConcatenateNode,
  EnumerateNode,
  FilterNode,
  InterleaveNode,
  MapNode,
  PrefetchNode,
  RepeatNode,
  SkipNode,
  TakeNode,
  ZipNode,
} from "./transforms.js";

/** An element as users see it: a tensor, an array of elements (a tuple) or an object of elements (a dict). */
export type DatasetElement = Nest<EagerTensor>;

/** tf.data.AUTOTUNE (also tf.data.experimental.AUTOTUNE). */
export const AUTOTUNE = -1;

const NAME = optional("name", K.string, "A name for the transformation (accepted; TensorFlow uses it in traces).");
const FN = kind<(...args: never[]) => unknown>("(...element) => T");
const PARALLEL = optional("numParallelCalls", K.int, "Calls to run at once (AUTOTUNE accepted); JavaScript runs them one after another, in order.");
const DETERMINISTIC = optional("deterministic", K.boolean, "Accepted: elements always come in order here.");

const fromTensorSlicesSig = signature(
  "data.Dataset.from_tensor_slices",
  "A dataset of the slices of `tensors` along their first dimension (a tensor, an array of tensors (a tuple) or an object of tensors (a dict); typed and nested JS arrays too).",
  [positionalOnly(optional("tensors", kind<unknown>("DatasetElement-like"), "The tensors; all share their first dimension.")), NAME],
);
const fromTensorsSig = signature("data.Dataset.from_tensors", "A dataset of one element: `tensors` whole.", [
  positionalOnly(optional("tensors", kind<unknown>("DatasetElement-like"), "The element.")),
  NAME,
]);
const fromGeneratorSig = signature(
  "data.Dataset.from_generator",
  "A dataset of what a (sync or async) generator function yields, converted to the declared dtypes and checked against the declared shapes; the function is called again for each iteration.",
  [
    optional(
      "generator",
      kind<(...args: never[]) => Iterator<unknown> | AsyncIterator<unknown> | Iterable<unknown> | AsyncIterable<unknown>>("() => Iterator"),
      "The generator function.",
    ),
    optional("outputTypes", kind<unknown>("Nest<DType>"), "Deprecated: the dtypes of the element (use outputSignature)."),
    optional("outputShapes", kind<unknown>("Nest<Shape>"), "Deprecated: the shapes of the element (use outputSignature)."),
    optional("args", kind<unknown[]>("unknown[]"), "Arguments the generator function is called with."),
    optional("outputSignature", kind<unknown>("Nest<TensorSpec>"), "The element's structure of TensorSpecs ({ shape, dtype } objects)."),
    NAME,
  ],
);
const rangeSig = signature("data.Dataset.range", "A dataset of numbers: range(stop), range(start, stop) or range(start, stop, step).", [
  variadic("args", K.number, "stop, or start and stop, or start, stop and step."),
  withDefault("outputType", kind<DType>("DType"), "int64", "The dtype of the elements."),
  NAME,
]);
const zipSig = signature("data.Dataset.zip", "A dataset of tuples (or dicts) of the elements of several datasets; ends with the shortest.", [
  positionalOnly(optional("datasets", kind<unknown>("Dataset[] | { [k]: Dataset }"), "The datasets (an array, an object, or several Dataset arguments).")),
  NAME,
]);

const mapSig = signature("data.Dataset.map", "Applies `mapFunc` to each element (a tuple is spread into arguments), eagerly on the CPU.", [
  optional("mapFunc", FN, "The function; returns a tensor or a nest of tensors."),
  PARALLEL,
  DETERMINISTIC,
  NAME,
]);
const filterSig = signature("data.Dataset.filter", "Keeps the elements for which `predicate` returns true.", [
  optional("predicate", FN, "Returns a scalar bool tensor or a boolean."),
  NAME,
]);
const batchSig = signature("data.Dataset.batch", "Combines consecutive elements into batches (a new first dimension).", [
  optional("batchSize", K.int, "Elements per batch."),
  withDefault("dropRemainder", K.boolean, false, "Drop a last batch smaller than batchSize (its batch dimension is then static)."),
  PARALLEL,
  DETERMINISTIC,
  NAME,
]);
const paddedBatchSig = signature("data.Dataset.padded_batch", "Batches elements of different shapes, padding each component to a common shape.", [
  optional("batchSize", K.int, "Elements per batch."),
  optional("paddedShapes", kind<unknown>("Nest<Shape>"), "Per component, the padded shape (null dims: the longest in the batch); absent: the longest."),
  optional("paddingValues", kind<unknown>("Nest<number | string>"), "Per component, the padding value (default 0, or '' for strings)."),
  withDefault("dropRemainder", K.boolean, false, "Drop a last batch smaller than batchSize."),
  NAME,
]);
const unbatchSig = signature("data.Dataset.unbatch", "Splits each element along its first dimension into elements.", [NAME]);
const shuffleSig = signature("data.Dataset.shuffle", "Shuffles with a buffer of bufferSize elements (TensorFlow's semantics).", [
  optional("bufferSize", K.int, "Elements in the buffer; the dataset's size shuffles uniformly."),
  optional("seed", K.int, "The op seed (with tf.random.setSeed's global seed, TensorFlow's rules)."),
  withDefault("reshuffleEachIteration", K.boolean, true, "A new order for each iteration (epoch)."),
  NAME,
]);
const repeatSig = signature("data.Dataset.repeat", "Repeats the dataset count times (null or -1: forever).", [
  optional("count", kind<number | null>("number | null"), "Times to repeat."),
  NAME,
]);
const takeSig = signature("data.Dataset.take", "The first count elements (-1: all).", [optional("count", K.int, "How many."), NAME]);
const skipSig = signature("data.Dataset.skip", "All but the first count elements (-1: none).", [optional("count", K.int, "How many to skip."), NAME]);
const prefetchSig = signature("data.Dataset.prefetch", "Keeps bufferSize elements ready ahead of the consumer (on the GPU when one is the default device).", [
  optional("bufferSize", K.int, "Elements to keep ready (AUTOTUNE: 2)."),
  NAME,
]);
const cacheSig = signature("data.Dataset.cache", "Caches the elements of the first complete pass, in memory or in a file.", [
  withDefault("filename", K.string, "", "A file to cache in; empty: memory."),
  NAME,
]);
const interleaveSig = signature(
  "data.Dataset.interleave",
  "Maps each element to a dataset and interleaves cycleLength of them, blockLength elements at a time.",
  [
    optional("mapFunc", FN, "Returns a Dataset for an element."),
    optional("cycleLength", K.int, "Datasets read in turn (default and AUTOTUNE: the number of CPU cores, as TensorFlow)."),
    withDefault("blockLength", K.int, 1, "Consecutive elements taken from each."),
    PARALLEL,
    DETERMINISTIC,
    NAME,
  ],
);
const flatMapSig = signature("data.Dataset.flat_map", "Maps each element to a dataset and concatenates them.", [
  optional("mapFunc", FN, "Returns a Dataset for an element."),
  NAME,
]);
const enumerateSig = signature("data.Dataset.enumerate", "Pairs each element with its index: [index (int64), element].", [
  withDefault("start", K.int, 0, "The first index."),
  NAME,
]);
const concatenateSig = signature("data.Dataset.concatenate", "This dataset's elements, then `dataset`'s.", [
  optional("dataset", kind<Dataset>("Dataset"), "A dataset of the same structure and dtypes."),
  NAME,
]);
const applySig = signature("data.Dataset.apply", "transformationFunc(this): a transformation packaged as a function.", [
  optional("transformationFunc", kind<(ds: Dataset) => Dataset>("(ds) => Dataset"), "The transformation."),
]);
const oneShotMethodSig = signature(
  "data.Dataset.make_one_shot_iterator",
  "TensorFlow 1: an iterator needing no initialization (tf.compat.v1.data.makeOneShotIterator).",
  [],
);
const initializableMethodSig = signature(
  "data.Dataset.make_initializable_iterator",
  "TensorFlow 1: an iterator whose initializer op (re)starts it (tf.compat.v1.data.makeInitializableIterator).",
  [optional("sharedName", K.string, "Accepted (iterators are per session here).")],
);
const cardinalitySig = signature(
  "data.Dataset.cardinality",
  "The number of elements as an int64 scalar (INFINITE_CARDINALITY -1, UNKNOWN_CARDINALITY -2).",
  [],
);
const asNumpySig = signature("data.Dataset.as_numpy_iterator", "Iterates the elements as JS values (arraySync of each tensor).", []);

function need<T>(v: T | undefined, name: string, what: string): T {
  if (v === undefined) throw new InvalidArgumentError(`tf.${what}: missing required argument "${name}"`);
  return v;
}

/** The GPU a prefetch puts elements on when no device is named: GPU:0 where there is one. */
function defaultPrefetchDevice(): Backend | null {
  return visibleGpuCount() > 0 ? gpuBackend(0) : null;
}

/**
 * tf.data.Dataset: a pipeline of elements. Sources and transformations build a chain of nodes (node.ts);
 * iterating opens the chain (`for...of`, `for await`) and yields elements as EagerTensors the consumer owns.
 */
export class Dataset implements Iterable<DatasetElement>, AsyncIterable<DatasetElement> {
  /** @internal The pipeline stage this dataset is. */
  readonly node: DatasetNode;
  constructor(node: DatasetNode) {
    this.node = node;
  }

  // ---- sources
  static fromTensorSlices(...args: ArgsOf<typeof fromTensorSlicesSig>): Dataset {
    const [tensors] = parseArgs(fromTensorSlicesSig, args);
    const { flat, structure } = flatten<unknown>(need(tensors, "tensors", fromTensorSlicesSig.name) as Nest<unknown>);
    const fed = fedParts(flat, "tf.data.Dataset.fromTensorSlices");
    if (fed) return new Dataset(new FedNode(fed, structure, true));
    const comps = runEagerly(() => flat.map((x) => toHost(x, "tf.data.Dataset.fromTensorSlices")));
    return new Dataset(new SlicesNode(comps, structure));
  }
  static fromTensors(...args: ArgsOf<typeof fromTensorsSig>): Dataset {
    const [tensors] = parseArgs(fromTensorsSig, args);
    const { flat, structure } = flatten<unknown>(need(tensors, "tensors", fromTensorsSig.name) as Nest<unknown>);
    const fed = fedParts(flat, "tf.data.Dataset.fromTensors");
    if (fed) return new Dataset(new FedNode(fed, structure, false));
    const comps = runEagerly(() => flat.map((x) => toHost(x, "tf.data.Dataset.fromTensors")));
    return new Dataset(new TensorsNode(comps, structure));
  }
  static fromGenerator(...args: ArgsOf<typeof fromGeneratorSig>): Dataset {
    const [generator, outputTypes, outputShapes, genArgs, outputSignature] = parseArgs(fromGeneratorSig, args);
    const gen = need(generator, "generator", fromGeneratorSig.name);
    if (typeof gen !== "function") throw new InvalidArgumentError("tf.data.Dataset.fromGenerator: `generator` must be a callable (a generator function)");
    const { structure, specs } = generatorSpecs(outputSignature, outputTypes, outputShapes);
    const isAsync = Object.prototype.toString.call(gen) === "[object AsyncGeneratorFunction]";
    return new Dataset(new GeneratorNode(gen as never, genArgs ?? [], structure, specs, isAsync));
  }
  static range(...args: ArgsOf<typeof rangeSig>): Dataset {
    const [nums, outputType] = parseArgs(rangeSig, args);
    let start = 0;
    let stop: number;
    let step = 1;
    if (nums.length === 1) [stop] = nums;
    else if (nums.length === 2) [start, stop] = nums;
    else if (nums.length === 3) [start, stop, step] = nums;
    else throw new InvalidArgumentError(`tf.data.Dataset.range: takes 1 to 3 numbers (stop / start, stop / start, stop, step), got ${nums.length}`);
    return new Dataset(new RangeNode(start, stop, step, outputType));
  }
  static zip(...args: unknown[]): Dataset {
    let nest: unknown;
    if (args.length >= 2 && args.every((a) => a instanceof Dataset)) nest = args;
    else [nest] = parseArgs(zipSig, args as ArgsOf<typeof zipSig>);
    const { flat, structure } = flatten<Dataset>(need(nest, "datasets", zipSig.name) as Nest<unknown>, (x) => x instanceof Dataset);
    if (flat.length === 0) throw new InvalidArgumentError("tf.data.Dataset.zip: give at least one dataset");
    for (const d of flat) if (!(d instanceof Dataset)) throw new InvalidArgumentError("tf.data.Dataset.zip: every member of `datasets` must be a Dataset");
    return new Dataset(
      new ZipNode(
        flat.map((d) => d.node),
        structure,
      ),
    );
  }

  // ---- transformations
  map(...args: ArgsOf<typeof mapSig>): Dataset {
    const [fn] = parseArgs(mapSig, args);
    return new Dataset(new MapNode(this.node, need(fn, "mapFunc", mapSig.name)));
  }
  filter(...args: ArgsOf<typeof filterSig>): Dataset {
    const [fn] = parseArgs(filterSig, args);
    return new Dataset(new FilterNode(this.node, need(fn, "predicate", filterSig.name)));
  }
  batch(...args: ArgsOf<typeof batchSig>): Dataset {
    const [batchSize, dropRemainder] = parseArgs(batchSig, args);
    return new Dataset(new BatchNode(this.node, need(batchSize, "batchSize", batchSig.name), dropRemainder));
  }
  paddedBatch(...args: ArgsOf<typeof paddedBatchSig>): Dataset {
    const [batchSize, paddedShapes, paddingValues, dropRemainder] = parseArgs(paddedBatchSig, args);
    const structure = this.node.structure;
    const along = <T>(x: unknown, what: string): T[] | null => {
      if (x === undefined || x === null) return null;
      const flat = flattenUpTo(structure, x);
      if (flat === null) throw new InvalidArgumentError(`tf.data.Dataset.paddedBatch: ${what} must have the structure of the elements`);
      return flat as T[];
    };
    return new Dataset(
      new PaddedBatchNode(
        this.node,
        need(batchSize, "batchSize", paddedBatchSig.name),
        along<readonly Dim[] | null>(paddedShapes, "paddedShapes"),
        along<number | string | null>(paddingValues, "paddingValues"),
        dropRemainder,
      ),
    );
  }
  unbatch(...args: ArgsOf<typeof unbatchSig>): Dataset {
    parseArgs(unbatchSig, args);
    return new Dataset(new UnbatchNode(this.node));
  }
  shuffle(...args: ArgsOf<typeof shuffleSig>): Dataset {
    const [bufferSize, seed, reshuffle] = parseArgs(shuffleSig, args);
    return new Dataset(new ShuffleNode(this.node, need(bufferSize, "bufferSize", shuffleSig.name), seed, reshuffle));
  }
  repeat(...args: ArgsOf<typeof repeatSig>): Dataset {
    const [count] = parseArgs(repeatSig, args);
    return new Dataset(new RepeatNode(this.node, count ?? -1));
  }
  take(...args: ArgsOf<typeof takeSig>): Dataset {
    const [count] = parseArgs(takeSig, args);
    return new Dataset(new TakeNode(this.node, need(count, "count", takeSig.name)));
  }
  skip(...args: ArgsOf<typeof skipSig>): Dataset {
    const [count] = parseArgs(skipSig, args);
    return new Dataset(new SkipNode(this.node, need(count, "count", skipSig.name)));
  }
  prefetch(...args: ArgsOf<typeof prefetchSig>): Dataset {
    const [bufferSize] = parseArgs(prefetchSig, args);
    return new Dataset(new PrefetchNode(this.node, need(bufferSize, "bufferSize", prefetchSig.name), defaultPrefetchDevice()));
  }
  cache(...args: ArgsOf<typeof cacheSig>): Dataset {
    const [filename] = parseArgs(cacheSig, args);
    return new Dataset(new CacheNode(this.node, filename, filename ? fileCache(filename) : null));
  }
  interleave(...args: ArgsOf<typeof interleaveSig>): Dataset {
    const [fn, cycleLength, blockLength] = parseArgs(interleaveSig, args);
    const f = need(fn, "mapFunc", interleaveSig.name);
    const structure = this.node.structure;
    const toNode = (e: Element) => datasetOf(callDatasetFn(f, structure, e), "Dataset.interleave");
    const cycle = cycleLength === undefined || cycleLength === AUTOTUNE ? availableParallelism() : cycleLength;
    if (!(cycle >= 1) || !(blockLength >= 1)) throw new InvalidArgumentError("tf.data.Dataset.interleave: cycleLength and blockLength must be positive");
    return new Dataset(new InterleaveNode(this.node, toNode, cycle, blockLength));
  }
  flatMap(...args: ArgsOf<typeof flatMapSig>): Dataset {
    const [fn] = parseArgs(flatMapSig, args);
    return this.interleave(need(fn, "mapFunc", flatMapSig.name), 1, 1);
  }
  enumerate(...args: ArgsOf<typeof enumerateSig>): Dataset {
    const [start] = parseArgs(enumerateSig, args);
    return new Dataset(new EnumerateNode(this.node, start));
  }
  concatenate(...args: ArgsOf<typeof concatenateSig>): Dataset {
    const [other] = parseArgs(concatenateSig, args);
    if (!(other instanceof Dataset)) throw new InvalidArgumentError("tf.data.Dataset.concatenate: `dataset` must be a Dataset");
    return new Dataset(new ConcatenateNode(this.node, other.node));
  }
  apply(...args: ArgsOf<typeof applySig>): Dataset {
    const [fn] = parseArgs(applySig, args);
    const out = need(fn, "transformationFunc", applySig.name)(this);
    if (!(out instanceof Dataset)) throw new InvalidArgumentError("tf.data.Dataset.apply: `transformationFunc` must return a Dataset");
    return out;
  }

  /** TensorFlow 1's dataset.make_one_shot_iterator(): tf.compat.v1.data.makeOneShotIterator(this). */
  makeOneShotIterator(...args: ArgsOf<typeof oneShotMethodSig>): DataIterator {
    parseArgs(oneShotMethodSig, args);
    return makeOneShotIterator(this);
  }
  /** TensorFlow 1's dataset.make_initializable_iterator(sharedName). */
  makeInitializableIterator(...args: ArgsOf<typeof initializableMethodSig>): DataIterator {
    const [sharedName] = parseArgs(initializableMethodSig, args);
    return makeInitializableIterator(this, sharedName);
  }

  // ---- what the dataset is
  /** The structure of TensorSpecs of an element (shapes with null where they vary, dtypes). */
  get elementSpec(): Nest<TensorSpec> {
    return unflatten(this.node.structure, [...this.node.specs]);
  }
  /** TensorFlow 1's dataset.output_types: the nest of an element's dtypes. */
  get outputTypes(): Nest<DType> {
    return unflatten(
      this.node.structure,
      this.node.specs.map((s) => s.dtype),
    );
  }
  /** TensorFlow 1's dataset.output_shapes: the nest of an element's static shapes. */
  get outputShapes(): Nest<Shape> {
    return unflatten(
      this.node.structure,
      this.node.specs.map((s) => s.shape),
    ) as Nest<Shape>;
  }
  /** The number of elements as an int64 scalar tensor, or INFINITE_CARDINALITY (-1) / UNKNOWN_CARDINALITY (-2). */
  cardinality(...args: ArgsOf<typeof cardinalitySig>): EagerTensor {
    parseArgs(cardinalitySig, args);
    return runEagerly(() => toEager(scalar("int64", BigInt(this.node.cardinality()))));
  }

  // ---- iteration
  /** Opens a new iterator over flat elements (each a new pass: shuffles reshuffle, generators restart). */
  openIterator(): Iter {
    return this.node.open();
  }
  /** A flat element as the user's nest of EagerTensors. */
  toUser(e: Element): DatasetElement {
    return unflatten(
      this.node.structure,
      runEagerly(() => e.map((c) => (isHandle(c) ? toEager(c, c.backend) : toEager(c)))),
    );
  }
  *[Symbol.iterator](): Iterator<DatasetElement> {
    if (this.node.isAsync) asyncOnly("This dataset (it reads an async generator)");
    const it = this.node.open();
    try {
      for (;;) {
        const e = it.next();
        if (e === END) return;
        yield this.toUser(e);
      }
    } finally {
      it.close();
    }
  }
  async *[Symbol.asyncIterator](): AsyncIterator<DatasetElement> {
    const it = this.node.open();
    try {
      for (;;) {
        const e = await it.nextAsync();
        if (e === END) return;
        yield this.toUser(e);
      }
    } finally {
      it.close();
    }
  }
  /** Python's as_numpy_iterator(): the elements as JS values (nested arrays, numbers, strings). */
  *asNumpyIterator(...args: ArgsOf<typeof asNumpySig>): Generator<Nest<unknown>> {
    parseArgs(asNumpySig, args);
    if (this.node.isAsync) asyncOnly("This dataset (it reads an async generator)");
    for (const el of this) {
      const { flat, structure } = flatten<EagerTensor>(el);
      yield unflatten(
        structure,
        flat.map((t) => {
          const v = t.arraySync();
          t.dispose();
          return v;
        }),
      );
    }
  }
  toString(): string {
    return `<Dataset element_spec=${String(specString(this))}>`;
  }
}

function specString(ds: Dataset): string {
  const specs = ds.node.specs;
  const show = (s: Structure): string => {
    if (typeof s === "number") return specs[s].toString();
    if (Array.isArray(s)) return `(${s.map(show).join(", ")}${s.length === 1 ? "," : ""})`;
    return `{${Object.entries(s as Record<string, Structure>)
      .map(([k, v]) => `'${k}': ${show(v)}`)
      .join(", ")}}`;
  };
  return show(ds.node.structure);
}

/**
 * Where some components are graph tensors with no value yet (placeholders), the components as host values
 * and graph tensors to feed (a FedNode); null where every value is known now.
 */
function fedParts(flat: readonly unknown[], where: string): (HostTensor | SymbolicTensor)[] | null {
  const unknown = (x: unknown) => x instanceof SymbolicTensor && constValueOf(x) === undefined;
  if (!flat.some(unknown)) return null;
  return flat.map((x) => (unknown(x) ? (x as SymbolicTensor) : runEagerly(() => toHost(x, where))));
}

/** Calls a function that returns a Dataset (interleave, flatMap) on an element, eagerly. */
function callDatasetFn(fn: (...args: never[]) => unknown, structure: Structure, e: Element): unknown {
  return runEagerly(() => {
    const args = unflatten(
      structure,
      e.map((c) => toEager(c)),
    );
    return Array.isArray(structure) ? (fn as (...a: unknown[]) => unknown)(...(args as unknown[])) : (fn as (a: unknown) => unknown)(args);
  });
}

function datasetOf(x: unknown, where: string): DatasetNode {
  if (!(x instanceof Dataset)) throw new InvalidArgumentError(`${where}: the function must return a tf.data.Dataset`);
  return x.node;
}

const datasetSig = signature(
  "data.Dataset",
  "A pipeline of elements; made by the static sources (fromTensorSlices, range, ...) and file datasets, not constructed directly.",
  [positionalOnly(optional("variantTensor", kind<DatasetNode>("DatasetNode"), "The pipeline stage (internal)."))],
);
// A dataset that reads an async generator has no sync iterator (for await only): consumers that look for
// Symbol.iterator to choose between for...of and for await (Keras's fit) then take the async path.
const syncIterator = Object.getOwnPropertyDescriptor(Dataset.prototype, Symbol.iterator)!.value as (this: Dataset) => Iterator<DatasetElement>;
Object.defineProperty(Dataset.prototype, Symbol.iterator, {
  configurable: true,
  get(this: Dataset) {
    return this.node.isAsync ? undefined : syncIterator;
  },
});
declare(Dataset, datasetSig);
declare(Dataset.fromTensorSlices, fromTensorSlicesSig);
declare(Dataset.fromTensors, fromTensorsSig);
declare(Dataset.fromGenerator, fromGeneratorSig);
declare(Dataset.range, rangeSig);
declare(Dataset.zip, zipSig);
for (const [m, sig] of [
  ["map", mapSig],
  ["filter", filterSig],
  ["batch", batchSig],
  ["paddedBatch", paddedBatchSig],
  ["unbatch", unbatchSig],
  ["shuffle", shuffleSig],
  ["repeat", repeatSig],
  ["take", takeSig],
  ["skip", skipSig],
  ["prefetch", prefetchSig],
  ["cache", cacheSig],
  ["interleave", interleaveSig],
  ["flatMap", flatMapSig],
  ["enumerate", enumerateSig],
  ["concatenate", concatenateSig],
  ["apply", applySig],
  ["makeOneShotIterator", oneShotMethodSig],
  ["makeInitializableIterator", initializableMethodSig],
  ["cardinality", cardinalitySig],
  ["asNumpyIterator", asNumpySig],
] as const) {
  declare((Dataset.prototype as unknown as Record<string, object>)[m], sig);
}

export { INFINITE, UNKNOWN };
