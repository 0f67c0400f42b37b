import type { Handle } from "../core/backend.js";
import { FailedPreconditionError, InvalidArgumentError } from "../core/errors.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import type { HostTensor } from "./host.js";
import type { Iter } from "./iter.js";
import type { Structure } from "./nest.js";
import { DatasetNode, type IndexPlan, UNKNOWN } from "./node.js";
import { SlicesNode, TensorsNode } from "./sources.js";
import { type TensorSpec, tensorSpec } from "./spec.js";

/**
 * fromTensorSlices / fromTensors of graph tensors whose values exist only inside Session.run (TensorFlow 1's
 * `from_tensor_slices(placeholder)` fed through `sess.run(iterator.initializer, feedDict)`): the tensors
 * become inputs of the iterator's MakeIterator op, and each run of it binds their values here before the
 * pipeline opens. Iterators opened later read the values bound last.
 */
export class FedNode extends DatasetNode {
  readonly specs: TensorSpec[];
  readonly isAsync = false;
  #bound: SlicesNode | TensorsNode | null = null;
  constructor(
    /** Per component: host values known now, or the graph tensor to feed. */
    readonly parts: readonly (HostTensor | SymbolicTensor)[],
    readonly structure: Structure,
    readonly slices: boolean,
  ) {
    super();
    this.specs = parts.map((p) => {
      const shape = p.shape === null ? null : [...p.shape];
      return tensorSpec(shape === null ? null : this.slices ? shape.slice(1) : shape, p.dtype);
    });
  }
  /** The graph tensors whose values MakeIterator passes in. */
  get tensors(): SymbolicTensor[] {
    return this.parts.filter((p): p is SymbolicTensor => !isHost(p));
  }
  /** Binds the fed values (in `tensors` order) for the iterators opened from now on. */
  bind(values: readonly HostTensor[]): void {
    let k = 0;
    const comps = this.parts.map((p) => (isHost(p) ? p : values[k++]));
    this.#bound = this.slices ? new SlicesNode(comps, this.structure) : new TensorsNode(comps, this.structure);
  }
  #node(): SlicesNode | TensorsNode {
    if (this.#bound === null) {
      throw new FailedPreconditionError(
        `This dataset reads graph tensors (${this.tensors.map((t) => t.name).join(", ")}): iterate it through tf.compat.v1.data.makeInitializableIterator and run its initializer with their values fed`,
      );
    }
    return this.#bound;
  }
  cardinality(): number {
    return this.#bound === null ? UNKNOWN : this.#bound.cardinality();
  }
  override indexPlan(): IndexPlan | null {
    return this.#node().indexPlan();
  }
  open(): Iter {
    return this.#node().open();
  }
}

function isHost(p: HostTensor | SymbolicTensor): p is HostTensor {
  return (p as HostTensor).values !== undefined;
}

/** The fed sources of a pipeline, found through the nodes' upstream fields. */
export function fedNodesOf(node: DatasetNode): FedNode[] {
  const out: FedNode[] = [];
  const seen = new Set<DatasetNode>();
  const walk = (n: DatasetNode) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n instanceof FedNode) out.push(n);
    for (const v of Object.values(n)) {
      if (v instanceof DatasetNode) walk(v);
      else if (Array.isArray(v)) for (const x of v) if (x instanceof DatasetNode) walk(x);
    }
  };
  walk(node);
  return out;
}

/** Binds MakeIterator's fed inputs (host copies of `inputs`, in fedNodesOf order) to their nodes. */
export function bindFed(fed: readonly FedNode[], inputs: readonly Handle[]): void {
  let k = 0;
  for (const f of fed) {
    const n = f.tensors.length;
    const values = inputs.slice(k, k + n).map((h): HostTensor => ({ dtype: h.dtype, shape: [...h.shape], values: h.backend.readSync(h) }));
    k += n;
    f.bind(values);
  }
  if (k !== inputs.length) throw new InvalidArgumentError(`MakeIterator: ${inputs.length} fed inputs for ${k} dataset tensors`);
}
