import type { Backend, Handle } from "../core/backend.js";
import { executingEagerly } from "../core/context.js";
import { defaultBackend } from "../core/devices.js";
import { InvalidArgumentError, OutOfRangeError } from "../core/errors.js";
import type { AttrValue } from "../core/schema/types.js";
import { type ArgsOf, declare, K, kind, optional, parseArgs, positionalOnly, signature } from "../core/signature.js";
import { buildNode } from "../graph/build.js";
import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { getOpDef } from "../ops/registry.js";
import type { HostIterator, IteratorFactory } from "../runtime/resources.js";
import { Dataset, type DatasetElement } from "./dataset.js";
import { isHandle } from "./host.js";
import { END, type Iter } from "./iter.js";
import { type Nest, unflatten } from "./nest.js";
import type { TensorSpec } from "./spec.js";

/** The factory the iterator ops carry: each session (and each initializer run) opens a new pass. */
function factoryOf(ds: Dataset): IteratorFactory {
  return {
    make(): HostIterator {
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

function elementAttrs(ds: Dataset): { output_types: AttrValue; output_shapes: AttrValue } {
  const specs = ds.node.specs;
  return { output_types: specs.map((s) => s.dtype), output_shapes: specs.map((s) => s.shape) as unknown as AttrValue };
}

const getNextSig = signature("compat.v1.data.Iterator.get_next", "The next element: in a graph, tensors that each Session.run fills with a new element.", [
  optional("name", K.string, "The name of the get-next op."),
]);

/**
 * tf.compat.v1.data.Iterator: in a graph, an iterator op whose getNext() tensors give a new element each
 * Session.run (OutOfRangeError at the end); `initializer` (re)starts an initializable one. Eagerly,
 * getNext() returns the next element itself.
 */
export class Iterator {
  readonly #ds: Dataset;
  readonly #handle: SymbolicTensor | null;
  readonly #initializer: Operation | null;
  #eager: Iter | null = null;
  constructor(ds: Dataset, handle: SymbolicTensor | null, initializer: Operation | null) {
    this.#ds = ds;
    this.#handle = handle;
    this.#initializer = initializer;
  }
  /** The op that (re)opens an initializable iterator over its dataset. */
  get initializer(): Operation {
    if (this.#initializer === null) throw new InvalidArgumentError("This iterator has no initializer: it is a one-shot iterator");
    return this.#initializer;
  }
  get elementSpec(): Nest<TensorSpec> {
    return this.#ds.elementSpec;
  }
  getNext(...args: ArgsOf<typeof getNextSig>): Nest<SymbolicTensor> | DatasetElement {
    const [name] = parseArgs(getNextSig, args);
    if (this.#handle === null) {
      this.#eager ??= this.#ds.openIterator();
      const e = this.#eager.next();
      if (e === END) throw new OutOfRangeError("End of sequence [Op:IteratorGetNext]");
      return this.#ds.toUser(e);
    }
    const op = buildNode(getOpDef("IteratorGetNext")!, [this.#handle], elementAttrs(this.#ds), name ?? "IteratorGetNext");
    return unflatten(this.#ds.node.structure, op.outputs as SymbolicTensor[]);
  }
}
declare(
  Iterator,
  signature("compat.v1.data.Iterator", "Made by makeOneShotIterator / makeInitializableIterator, not constructed directly.", [
    positionalOnly(optional("dataset", kind<Dataset>("Dataset"), "The dataset.")),
  ]),
);
declare(Iterator.prototype.getNext, getNextSig);

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
  const op = buildNode(getOpDef("OneShotIterator")!, [], { dataset_factory: factoryOf(ds) as unknown as AttrValue, ...elementAttrs(ds) }, "OneShotIterator");
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
  const it = buildNode(getOpDef("IteratorV2")!, [], { ...elementAttrs(ds), shared_name: sharedName ?? "" }, "Iterator");
  const init = buildNode(getOpDef("MakeIterator")!, [it.outputs[0]], { dataset_factory: factoryOf(ds) as unknown as AttrValue }, "MakeIterator");
  return new Iterator(ds, it.outputs[0] as SymbolicTensor, init);
}
declare(makeOneShotIterator, oneShotSig);
declare(makeInitializableIterator, initializableSig);
