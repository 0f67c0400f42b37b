/**
 * Restoring an object-based checkpoint (TensorFlow's CheckpointLoadStatus): the checkpoint's object graph
 * is matched against the live objects from the root, edge by edge by local name (never by key or variable
 * name). A value whose object exists is assigned at once (all of them checked first: every variable or
 * none); one whose object does not exist yet (a Keras layer not built, an optimizer slot not made) waits,
 * and is assigned when its owner reports the new child (trackable.ts trackableChanged): deferred restoration.
 * The status's assertions say what did not match.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { DataLossError, NotFoundError } from "../core/errors.js";
import { type BundleReader, type BundleTensor, hostValues } from "../io/tensor_bundle.js";
import { type TrackableObjectGraph, TrackableObjectGraphSchema } from "../proto/tensorflow/core/protobuf/trackable_object_graph_pb.js";
import { Variable } from "../variables/variable.js";
import { assignAll, type PendingValue } from "./leaf_values.js";
import { breadthFirst, OBJECT_GRAPH_PROTO_KEY, prettyPath, VARIABLE_VALUE_KEY } from "./object_graph.js";
import { hasSlots, isValueLeaf, offTrackableChanged, onTrackableChanged, trackableChildren, type ValueLeaf } from "./trackable.js";

/** The TrackableObjectGraph stored in a bundle; null when the checkpoint is name-based (tf.train.Saver). */
export function readObjectGraph(reader: BundleReader, prefix: string): TrackableObjectGraph | null {
  if (!reader.has(OBJECT_GRAPH_PROTO_KEY)) return null;
  const [bytes] = reader.readStringBytes(OBJECT_GRAPH_PROTO_KEY);
  try {
    return fromBinary(TrackableObjectGraphSchema, bytes);
  } catch (e) {
    throw new DataLossError(`${prefix}: ${OBJECT_GRAPH_PROTO_KEY} is not a TrackableObjectGraph: ${(e as Error).message}`);
  }
}

/** Display names of the checkpoint's nodes ("(root).model.layer_with_weights-0.kernel"), shortest paths first. */
function checkpointNodeNames(graph: TrackableObjectGraph): string[] {
  const names: string[] = [];
  const paths: (string[] | undefined)[] = [[]];
  const queue = [0];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    const node = graph.nodes[id];
    for (const c of node?.children ?? []) {
      if (paths[c.nodeId] !== undefined) continue;
      paths[c.nodeId] = [...paths[id]!, c.localName];
      queue.push(c.nodeId);
    }
  }
  graph.nodes.forEach((n, id) => {
    names[id] ??= paths[id] ? prettyPath(paths[id]) : `node ${id}`;
    for (const s of n.slotVariables) {
      names[s.slotVariableNodeId] =
        `${paths[s.originalVariableNodeId] ? prettyPath(paths[s.originalVariableNodeId]!) : `node ${s.originalVariableNodeId}`}'s slot "${s.slotName}" of ${paths[id] ? prettyPath(paths[id]) : `node ${id}`}`;
    }
  });
  return names;
}

/** One restore of one checkpoint into the objects under one root; lives as long as values wait. */
export class CheckpointRestore {
  readonly prefix: string;
  readonly graph: TrackableObjectGraph;
  readonly #reader: BundleReader;
  readonly #root: object;
  readonly #objectByNode = new Map<number, object>();
  readonly #nodeOf = new Map<object, number>();
  /** Checkpoint keys assigned so far. */
  readonly #consumed = new Set<string>();
  /** Owners this restore waits on (their children or slots are not all there yet). */
  readonly #waitingOn = new Set<object>();
  readonly #listener = (owner: object) => this.#onChanged(owner);
  readonly #names: string[];
  /** Leaves that are not required to be in the checkpoint (a Checkpoint's save_counter). */
  readonly #optional: Set<object>;

  constructor(root: object, prefix: string, reader: BundleReader, graph: TrackableObjectGraph, optional: readonly object[] = []) {
    this.#root = root;
    this.prefix = prefix;
    this.#reader = reader;
    this.graph = graph;
    this.#names = checkpointNodeNames(graph);
    this.#optional = new Set(optional);
    if (graph.nodes.length === 0) throw new DataLossError(`${prefix}: the checkpoint's object graph has no nodes`);
    this.#bind(0, root);
    // Values of objects that exist now: read and checked all before any is assigned. A failed restore
    // leaves nothing waiting either.
    try {
      assignAll(this.#expandFrom([0]), prefix);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Binds node `id` to `obj` unless either is bound to something else; true when newly bound. */
  #bind(id: number, obj: object): boolean {
    const current = this.#objectByNode.get(id);
    if (current !== undefined) return false;
    // One object restores from one node (TensorFlow keeps the first match too).
    if (this.#nodeOf.has(obj)) return false;
    this.#objectByNode.set(id, obj);
    this.#nodeOf.set(obj, id);
    return true;
  }

  /** Matches the checkpoint's children of the bound nodes `start` (and theirs, ...) and returns the values to assign. */
  #expandFrom(start: readonly number[]): PendingValue[] {
    const pending: PendingValue[] = [];
    const queue = [...start];
    const visitedOwners = new Set<number>();
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i];
      if (visitedOwners.has(id)) continue;
      visitedOwners.add(id);
      const obj = this.#objectByNode.get(id)!;
      const node = this.graph.nodes[id];
      if (node === undefined) throw new DataLossError(`${this.prefix}: the object graph refers to node ${id}, which it lacks`);
      this.#valueOf(id, obj, pending);
      let waiting = false;
      if (node.children.length > 0) {
        const live = new Map(trackableChildren(obj));
        for (const ref of node.children) {
          const child = live.get(ref.localName);
          if (child === undefined) {
            if (!this.#objectByNode.has(ref.nodeId)) waiting = true;
            continue;
          }
          if (this.#bind(ref.nodeId, child) || this.#objectByNode.get(ref.nodeId) === child) queue.push(ref.nodeId);
        }
      }
      if (node.slotVariables.length > 0) waiting = this.#slotsOf(id, obj, queue) || waiting;
      if (waiting) this.#wait(obj);
      else this.#unwait(obj);
    }
    return pending;
  }

  /** Queues the value of node `id` when `obj` is a leaf that has not had it yet. */
  #valueOf(id: number, obj: object, out: PendingValue[]): void {
    if (!isValueLeaf(obj)) return;
    const attr = this.graph.nodes[id].attributes.find((a) => a.name === VARIABLE_VALUE_KEY);
    if (!attr || this.#consumed.has(attr.checkpointKey)) return;
    if (!this.#reader.has(attr.checkpointKey)) {
      throw new NotFoundError(`${this.prefix}: the object graph names "${attr.checkpointKey}" for ${this.#names[id]}, but the checkpoint has no such tensor`);
    }
    this.#consumed.add(attr.checkpointKey);
    out.push({ leaf: obj as ValueLeaf, key: attr.checkpointKey, path: this.#names[id], value: withHostValues(this.#reader.read(attr.checkpointKey)) });
  }

  /** Binds an optimizer's slot variables that exist; true when some are still to be made. */
  #slotsOf(id: number, obj: object, queue: number[]): boolean {
    if (!hasSlots(obj)) return false;
    const slots = obj._trackableSlots();
    let waiting = false;
    for (const ref of this.graph.nodes[id].slotVariables) {
      if (this.#objectByNode.has(ref.slotVariableNodeId)) continue;
      const primary = this.#objectByNode.get(ref.originalVariableNodeId);
      const entry = primary instanceof Variable ? slots.find(([v, name]) => v === primary && name === ref.slotName) : undefined;
      if (!entry) {
        waiting = true;
        continue;
      }
      if (this.#bind(ref.slotVariableNodeId, entry[2])) {
        queue.push(ref.slotVariableNodeId);
      }
    }
    return waiting;
  }

  #wait(owner: object): void {
    if (this.#waitingOn.has(owner)) return;
    this.#waitingOn.add(owner);
    onTrackableChanged(owner, this.#listener);
  }
  #unwait(owner: object): void {
    if (!this.#waitingOn.delete(owner)) return;
    offTrackableChanged(owner, this.#listener);
  }

  /** An owner gained children: match them, restore what they hold, and the slots of optimizers that waited on variables. */
  #onChanged(owner: object): void {
    const id = this.#nodeOf.get(owner);
    if (id === undefined) return;
    const start = [id];
    // A new variable may be what an optimizer's slots waited for.
    for (const o of this.#waitingOn) if (o !== owner && hasSlots(o)) start.push(this.#nodeOf.get(o)!);
    assignAll(this.#expandFrom(start), this.prefix);
  }

  /** Stops every deferred restoration of this restore. */
  close(): void {
    for (const o of [...this.#waitingOn]) this.#unwait(o);
  }

  // ------------------------------------------------------------------------------------- the assertions

  /** Checkpoint values whose objects were never matched (only nodes that hold values count). */
  unresolvedCheckpointValues(): string[] {
    const out: string[] = [];
    this.graph.nodes.forEach((n, id) => {
      if (n.attributes.length === 0) return;
      if (!this.#objectByNode.has(id)) out.push(this.#names[id]);
      else for (const a of n.attributes) if (!this.#consumed.has(a.checkpointKey) && !a.optionalRestore) out.push(`${this.#names[id]} (attribute ${a.name})`);
    });
    return out;
  }

  /** Live objects with values (variables, slots) under the root that no checkpoint value was matched to. */
  unmatchedLiveValues(): string[] {
    const { objects, paths } = breadthFirst(this.#root);
    const out: string[] = [];
    const leaves: [object, string][] = objects.filter(isValueLeaf).map((o) => [o, prettyPath(paths.get(o)!)]);
    for (const o of objects) {
      if (!hasSlots(o)) continue;
      for (const [v, name, slot] of o._trackableSlots()) {
        if (paths.has(v)) leaves.push([slot, `${prettyPath(paths.get(v)!)}'s slot "${name}" of ${prettyPath(paths.get(o)!)}`]);
      }
    }
    for (const [leaf, name] of leaves) {
      if (this.#optional.has(leaf) || this.#nodeOf.has(leaf)) continue;
      out.push(leaf instanceof Variable ? `${name} (${leaf.name})` : name);
    }
    return out;
  }

  /** The number of checkpoint nodes matched to objects (the root included). */
  get matchedCount(): number {
    return this.#objectByNode.size;
  }

  /** Throws when the checkpoint has values that are not (yet) matched. */
  static unresolvedError(prefix: string, names: readonly string[]): Error {
    return new NotFoundError(`${prefix}: unresolved objects in the checkpoint (no matching object in the program, or not yet created): ${names.join(", ")}`);
  }
  static unmatchedError(prefix: string, names: readonly string[]): Error {
    return new NotFoundError(`${prefix}: these objects were not found in the checkpoint (not bound to checkpointed values): ${names.join(", ")}`);
  }
}

/** A checkpoint tensor with tsflow's host values (16-bit floats widened). */
function withHostValues(t: BundleTensor): BundleTensor {
  return { ...t, values: hostValues(t) };
}
