import type { Backend, Handle } from "../core/backend.js";
import type { SummaryWriterAttr } from "../core/summary_writer_attr.js";
import type { Operation } from "../graph/operation.js";

/**
 * A kind of per-session resource: what a resource op of the graph names, and the value the session keeps
 * for it between runs. `release` frees a value when it is replaced or the session closes.
 */
export interface ResourceKind<V> {
  /** As TensorFlow names resource types in errors ("variable", "iterator", "lookup table", ...). */
  readonly name: string;
  release(value: V): void;
}

/** Variables: their current values, each a buffer on the device that last assigned it. */
export const VARIABLE: ResourceKind<Handle> = { name: "variable", release: (h) => h.backend.dispose(h) };

/**
 * A tf.data iterator in a session: the host pipeline behind an OneShotIterator / IteratorV2 op. `next` gives
 * the next element's components as buffers on `backend` (the device the get-next step runs on), or null at
 * the end of the dataset. The data layer implements it (data/graph_iterator.ts); the runtime only pulls.
 */
export interface HostIterator {
  next(backend: Backend): Handle[] | null;
  close(): void;
}
/**
 * The `dataset_factory` attr of the iterator ops: opens a new pass over the dataset. `inputs` are the values
 * of MakeIterator's inputs after the iterator (graph tensors the dataset reads, such as fed placeholders).
 */
export interface IteratorFactory {
  make(inputs: readonly Handle[]): HostIterator;
}
export const ITERATOR: ResourceKind<HostIterator> = { name: "iterator", release: (it) => it.close() };
/**
 * The `writer` attr of a WriteSummary node (tf.summary inside a tf.function): the host-side writer captured
 * when the function was traced. The executor hands it the node's step, tensor and tag as host values; it
 * returns whether it wrote (recording off or a closed writer say no). The summary layer implements it.
 */
export interface SummarySink extends SummaryWriterAttr {
  write(step: Handle, tensor: Handle, tag: Handle): boolean;
}
// Lookup tables and summary writers become kinds of their own here, each with the ops that create and use
// it: the executor finds them by op, tooling by resource name.

/**
 * The values of one kind of resource in a session, keyed by the op that declares each (a VariableV2 node).
 * The executor holds a session's table of a kind directly, so a lookup on its hot path is one Map read.
 */
export class ResourceTable<V> {
  readonly #values = new Map<Operation, V>();
  constructor(readonly kind: ResourceKind<V>) {}

  get(op: Operation): V | undefined {
    return this.#values.get(op);
  }
  has(op: Operation): boolean {
    return this.#values.has(op);
  }
  /** Stores a value without releasing the one it replaces (whoever replaces it owns the old one). */
  set(op: Operation, value: V): void {
    this.#values.set(op, value);
  }
  /** Stores a value and releases the one it replaces. */
  replace(op: Operation, value: V): void {
    const old = this.#values.get(op);
    if (old !== undefined && old !== value) this.kind.release(old);
    this.#values.set(op, value);
  }
  /** The value of the resource whose op is named `name` (as TensorFlow's resource names follow op names). */
  byName(name: string): V | undefined {
    for (const [op, v] of this.#values) if (op.name === name) return v;
    return undefined;
  }
  get size(): number {
    return this.#values.size;
  }
  /** Releases every value. */
  clear(): void {
    for (const v of this.#values.values()) this.kind.release(v);
    this.#values.clear();
  }
}

/**
 * A session's resources (TensorFlow's ResourceMgr, one per session): one table per kind, created on first
 * use, all released when the session closes.
 */
export class ResourceStore {
  readonly #tables = new Map<ResourceKind<unknown>, ResourceTable<unknown>>();

  table<V>(kind: ResourceKind<V>): ResourceTable<V> {
    let t = this.#tables.get(kind as ResourceKind<unknown>);
    if (!t) this.#tables.set(kind as ResourceKind<unknown>, (t = new ResourceTable(kind as ResourceKind<unknown>)));
    return t as ResourceTable<V>;
  }

  /** A resource by kind and name, or undefined when the session holds none of that name. */
  lookup<V>(kind: ResourceKind<V>, name: string): V | undefined {
    return (this.#tables.get(kind as ResourceKind<unknown>) as ResourceTable<V> | undefined)?.byName(name);
  }

  /** Releases every resource of every kind (Session.close). */
  clear(): void {
    for (const t of this.#tables.values()) t.clear();
  }
}
