import type { Backend, Handle } from "../core/backend.js";
import { executingEagerly } from "../core/context.js";
import { defaultBackend } from "../core/devices.js";
import { InvalidArgumentError, OutOfRangeError } from "../core/errors.js";
import type { AttrValue } from "../core/schema/types.js";
import type { DType } from "../core/dtype.js";
import { type Shape, shapesCompatible } from "../core/shape.js";
import { type ArgsOf, declare, K, kind, optional, parseArgs, positionalOnly, signature } from "../core/signature.js";
import { buildNode } from "../graph/build.js";
import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { getOpDef } from "../ops/registry.js";
import type { HostIterator, IteratorFactory } from "../runtime/resources.js";
import { Dataset, type DatasetElement } from "./dataset.js";
import { isHandle } from "./host.js";
import { bindFed, fedNodesOf } from "./fed.js";
import { END, type Iter } from "./iter.js";
import { type Nest, sameStructure, type Structure, unflatten } from "./nest.js";
import { generatorSpecs } from "./sources.js";
import type { TensorSpec } from "./spec.js";

/** The factory the iterator ops carry: each session (and each initializer run) opens a new pass. */
function factoryOf(ds: Dataset): IteratorFactory {
  const fed = fedNodesOf(ds.node);
  return {
    make(inputs: readonly Handle[]): HostIterator {
      bindFed(fed, inputs);
      const it: Iter = ds.openIterator();
      return {
        next(backend: Backend): Handle[] | null {
          const e = it.next();
          if (e === END) return null;
          return e.map((c) => {
            // Strings stay on the host (a GPU keeps them there anyway); ops reading them move what they need.
            const b = c.dtype === "string" ? defaultBackend() : backend;
            if (!isHandle(c)) return b.write(c.values, c.dtype, c.shape);
            if (c.backend === b) return c;
            const h = b.write(c.backend.readSync(c), c.dtype, c.shape);
            c.backend.dispose(c);
            return h;
          });
        },
        close: () => it.close(),
      };
    },
  };
}

/** MakeIterator over `ds`: its inputs are the iterator and the graph tensors the dataset reads (fed placeholders). */
function makeIteratorOp(handle: SymbolicTensor, ds: Dataset, name: string): Operation {
  const feeds = fedNodesOf(ds.node).flatMap((f) => f.tensors);
  return buildNode(getOpDef("MakeIterator")!, [handle, ...feeds], { dataset_factory: factoryOf(ds) as unknown as AttrValue }, name);
}

function elementAttrs(specs: readonly TensorSpec[]): { output_types: AttrValue; output_shapes: AttrValue } {
  return { output_types: specs.map((s) => s.dtype), output_shapes: specs.map((s) => s.shape) as unknown as AttrValue };
}

const getNextSig = signature("compat.v1.data.Iterator.get_next", "The next element: in a graph, tensors that each Session.run fills with a new element.", [
  optional("name", K.string, "The name of the get-next op."),
]);
const makeInitializerSig = signature(
  "compat.v1.data.Iterator.make_initializer",
  "An op that (re)starts this iterator over `dataset` (of the iterator's structure and dtypes): switch between training and validation data.",
  [optional("dataset", kind<Dataset>("Dataset"), "The dataset."), optional("name", K.string, "The name of the op.")],
);
const fromStructureSig = signature(
  "compat.v1.data.Iterator.from_structure",
  "A reinitializable iterator of the given element structure, bound to a dataset by makeInitializer(dataset).",
  [
    optional("outputTypes", kind<unknown>("Nest<DType>"), "The dtypes of an element (a nest, as dataset.outputTypes)."),
    optional("outputShapes", kind<unknown>("Nest<Shape>"), "The shapes (null dims: any size); absent: unknown."),
    optional("sharedName", K.string, "Accepted (iterators are per session here)."),
    optional("outputClasses", kind<unknown>("unknown"), "Accepted (every component is a tensor)."),
  ],
);

/**
 * tf.compat.v1.data.Iterator: in a graph, an iterator op whose getNext() tensors give a new element each
 * Session.run (OutOfRangeError at the end); `initializer` (re)starts an initializable one, and
 * makeInitializer(ds) binds a reinitializable one (Iterator.fromStructure) to a dataset. Eagerly, getNext()
 * returns the next element itself.
 */
export class Iterator {
  readonly #ds: Dataset | null;
  readonly #structure: Structure;
  readonly #specs: readonly TensorSpec[];
  readonly #handle: SymbolicTensor | null;
  readonly #initializer: Operation | null;
  #eager: Iter | null = null;
  constructor(ds: Dataset | null, handle: SymbolicTensor | null, initializer: Operation | null, structure?: Structure, specs?: readonly TensorSpec[]) {
    this.#ds = ds;
    this.#handle = handle;
    this.#initializer = initializer;
    this.#structure = structure ?? ds!.node.structure;
    this.#specs = specs ?? ds!.node.specs;
  }
  /** TensorFlow 1's Iterator.from_structure(outputTypes, outputShapes): bound to datasets by makeInitializer. */
  static fromStructure(...args: ArgsOf<typeof fromStructureSig>): Iterator {
    const [outputTypes, outputShapes, sharedName] = parseArgs(fromStructureSig, args);
    if (executingEagerly()) throw new InvalidArgumentError("tf.compat.v1.data.Iterator.fromStructure is not supported when eager execution is enabled");
    const { structure, specs } = generatorSpecs(undefined, outputTypes, outputShapes);
    const it = buildNode(getOpDef("IteratorV2")!, [], { ...elementAttrs(specs), shared_name: sharedName ?? "" }, "Iterator");
    return new Iterator(null, it.outputs[0] as SymbolicTensor, null, structure, specs);
  }
  /** The op that (re)opens an initializable iterator over its dataset. */
  get initializer(): Operation {
    if (this.#initializer === null) {
      throw new InvalidArgumentError(
        this.#ds === null
          ? "This iterator was made by Iterator.fromStructure: use makeInitializer(dataset)"
          : "This iterator has no initializer: it is a one-shot iterator",
      );
    }
    return this.#initializer;
  }
  get elementSpec(): Nest<TensorSpec> {
    return unflatten(this.#structure, [...this.#specs]);
  }
  get outputTypes(): Nest<DType> {
    return unflatten(
      this.#structure,
      this.#specs.map((s) => s.dtype),
    );
  }
  get outputShapes(): Nest<Shape> {
    return unflatten(
      this.#structure,
      this.#specs.map((s) => s.shape),
    ) as Nest<Shape>;
  }
  makeInitializer(...args: ArgsOf<typeof makeInitializerSig>): Operation {
    const [d, name] = parseArgs(makeInitializerSig, args);
    const ds = dataset(d, makeInitializerSig.name);
    if (this.#handle === null) throw new InvalidArgumentError("makeInitializer: this iterator is not a graph iterator");
    const specs = ds.node.specs;
    const fits =
      sameStructure(ds.node.structure, this.#structure) &&
      specs.length === this.#specs.length &&
      specs.every((s, i) => s.dtype === this.#specs[i].dtype && shapesCompatible(s.shape, this.#specs[i].shape));
    if (!fits) {
      throw new InvalidArgumentError(
        `Expected output types ${JSON.stringify(this.outputTypes)} but got dataset with output types ${JSON.stringify(
          unflatten(
            ds.node.structure,
            specs.map((s) => s.dtype),
          ),
        )} (or incompatible shapes)`,
      );
    }
    return makeIteratorOp(this.#handle, ds, name ?? "MakeIterator");
  }
  getNext(...args: ArgsOf<typeof getNextSig>): Nest<SymbolicTensor> | DatasetElement {
    const [name] = parseArgs(getNextSig, args);
    if (this.#handle === null) {
      const ds = this.#ds!;
      this.#eager ??= ds.openIterator();
      const e = this.#eager.next();
      if (e === END) throw new OutOfRangeError("End of sequence [Op:IteratorGetNext]");
      return ds.toUser(e);
    }
    const op = buildNode(getOpDef("IteratorGetNext")!, [this.#handle], elementAttrs(this.#specs), name ?? "IteratorGetNext");
    return unflatten(this.#structure, op.outputs as SymbolicTensor[]);
  }
}
declare(
  Iterator,
  signature("compat.v1.data.Iterator", "Made by makeOneShotIterator / makeInitializableIterator / Iterator.fromStructure, not constructed directly.", [
    positionalOnly(optional("dataset", kind<Dataset>("Dataset"), "The dataset.")),
  ]),
);
declare(Iterator.prototype.getNext, getNextSig);
declare(Iterator.prototype.makeInitializer, makeInitializerSig);
declare(Iterator.fromStructure, fromStructureSig);

const DS = positionalOnly(optional("dataset", kind<Dataset>("Dataset"), "The dataset."));
const oneShotSig = signature(
  "compat.v1.data.make_one_shot_iterator",
  "An iterator over the dataset that needs no initialization (in a graph: opened the first time a session reads it).",
  [DS],
);
const initializableSig = signature(
  "compat.v1.data.make_initializable_iterator",
  "An iterator whose `initializer` op must run before getNext() (again to restart the dataset).",
  [DS, optional("sharedName", K.string, "Accepted (iterators are per session here).")],
);

function dataset(x: unknown, where: string): Dataset {
  if (!(x instanceof Dataset)) throw new InvalidArgumentError(`tf.${where}: \`dataset\` must be a tf.data.Dataset`);
  return x;
}

export function makeOneShotIterator(...args: ArgsOf<typeof oneShotSig>): Iterator {
  const [d] = parseArgs(oneShotSig, args);
  const ds = dataset(d, oneShotSig.name);
  if (executingEagerly()) return new Iterator(ds, null, null);
  if (fedNodesOf(ds.node).length > 0) {
    throw new InvalidArgumentError(
      "tf.compat.v1.data.makeOneShotIterator: the dataset reads graph tensors (placeholders); use makeInitializableIterator and feed them when running its initializer",
    );
  }
  const op = buildNode(
    getOpDef("OneShotIterator")!,
    [],
    { dataset_factory: factoryOf(ds) as unknown as AttrValue, ...elementAttrs(ds.node.specs) },
    "OneShotIterator",
  );
  return new Iterator(ds, op.outputs[0] as SymbolicTensor, null);
}

export function makeInitializableIterator(...args: ArgsOf<typeof initializableSig>): Iterator {
  const [d, sharedName] = parseArgs(initializableSig, args);
  const ds = dataset(d, initializableSig.name);
  if (executingEagerly()) {
    throw new InvalidArgumentError(
      "tf.compat.v1.data.makeInitializableIterator is not supported when eager execution is enabled; iterate the dataset with for...of",
    );
  }
  const it = buildNode(getOpDef("IteratorV2")!, [], { ...elementAttrs(ds.node.specs), shared_name: sharedName ?? "" }, "Iterator");
  const init = makeIteratorOp(it.outputs[0] as SymbolicTensor, ds, "MakeIterator");
  return new Iterator(ds, it.outputs[0] as SymbolicTensor, init);
}
declare(makeOneShotIterator, oneShotSig);
declare(makeInitializableIterator, initializableSig);
