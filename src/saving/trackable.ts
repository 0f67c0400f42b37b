/**
 * How tsflow objects take part in TensorFlow 2's object-based checkpoints (tf.train.Checkpoint): the object
 * graph. Every object is a node; an edge has a local name ("model", "layer_with_weights-0", "kernel"); a
 * variable is a leaf whose value is its one attribute, VARIABLE_VALUE. The protocol is defined here and
 * implemented by the objects themselves (Keras layers, models and optimizers implement it in keras/, which
 * sits above this layer):
 *  - tf.Variable (eager) is a leaf with a value;
 *  - a TrackedValue is a leaf whose value is read and written through functions (an optimizer's numeric
 *    hyperparameters, which TensorFlow keeps in variables);
 *  - an object with `_trackableChildren()` lists its children by local name, in TensorFlow's order;
 *  - arrays and plain objects given to tf.train.Checkpoint are containers (TensorFlow's ListWrapper and
 *    _DictWrapper): children named "0", "1", ... or by key;
 *  - an optimizer adds `_trackableSlots()`: its slot variables, saved through TrackableObject.slot_variables.
 * An object that gains children after a restore began (a layer building its weights, an optimizer making its
 * slots) calls trackableChanged(this), so that values waiting for them are restored then (deferred restoration).
 */
import type { DType } from "../core/dtype.js";
import { Variable } from "../variables/variable.js";

/** An object with named dependencies (TensorFlow's Trackable._trackable_children). */
export interface Trackable {
  /** The children by local name, in the order TensorFlow lists them. Only trackable values are kept. */
  _trackableChildren(): readonly (readonly [string, unknown])[];
}

/** One slot variable of an optimizer: the variable it belongs to, the slot's name ("m", "v", "momentum") and the slot. */
export type SlotEntry = readonly [primary: Variable, slotName: string, slot: Variable];

/** An optimizer: its slot variables, named as the TensorFlow optimizer names them. */
export interface SlotTrackable extends Trackable {
  /** Every slot variable made so far, slot names in their order of first use. */
  _trackableSlots(): readonly SlotEntry[];
}

/** A scalar saved like a variable but held elsewhere (a number field): read and written through functions. */
export class TrackedValue {
  /**
   * @param dtype the dtype it is saved with (TensorFlow's variable dtype: float32 hyperparameters, int64 counters)
   * @param fullName the name TensorFlow's variable would have ("Adam/learning_rate")
   */
  constructor(
    readonly dtype: DType,
    readonly fullName: string,
    readonly read: () => number,
    readonly write: (value: number) => void,
  ) {}
}

/** A leaf of the object graph: something with a saved value. */
export type ValueLeaf = Variable | TrackedValue;

export function isValueLeaf(x: unknown): x is ValueLeaf {
  return x instanceof Variable || x instanceof TrackedValue;
}

function hasChildrenMethod(x: unknown): x is Trackable {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as Partial<Trackable>)._trackableChildren === "function";
}

export function hasSlots(x: unknown): x is SlotTrackable {
  return hasChildrenMethod(x) && typeof (x as Partial<SlotTrackable>)._trackableSlots === "function";
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether `x` can be a node of the object graph. */
export function isTrackable(x: unknown): boolean {
  return isValueLeaf(x) || hasChildrenMethod(x) || Array.isArray(x) || isPlainObject(x);
}

/** The children of node `x` by local name, in order (only the trackable ones). */
export function trackableChildren(x: unknown): [string, object][] {
  let entries: readonly (readonly [string, unknown])[];
  if (isValueLeaf(x)) return [];
  if (hasChildrenMethod(x)) entries = x._trackableChildren();
  else if (Array.isArray(x)) entries = x.map((v, i) => [String(i), v] as const);
  else if (isPlainObject(x)) entries = Object.entries(x);
  else return [];
  const out: [string, object][] = [];
  const seen = new Set<string>();
  for (const [name, child] of entries) {
    // As TensorFlow: the first edge of a name wins; a child that cannot be saved is not a dependency.
    if (seen.has(name) || !isTrackable(child)) continue;
    seen.add(name);
    out.push([name, child as object]);
  }
  return out;
}

/** Keras's to_snake_case of a JS property name (TensorFlow's attribute names): forwardLayer -> forward_layer. */
export function snakeCaseName(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

// ------------------------------------------------------------------------------------------- deferred restores

type ChangeListener = (owner: object) => void;
const listeners = new WeakMap<object, Set<ChangeListener>>();

/** checkpoint.ts: call `fn` when `owner` reports new children (a restore waits for them). */
export function onTrackableChanged(owner: object, fn: ChangeListener): void {
  let set = listeners.get(owner);
  if (!set) listeners.set(owner, (set = new Set()));
  set.add(fn);
}
/** checkpoint.ts: stop waiting on `owner`. */
export function offTrackableChanged(owner: object, fn: ChangeListener): void {
  const set = listeners.get(owner);
  set?.delete(fn);
  if (set?.size === 0) listeners.delete(owner);
}

/**
 * Called by an object after it gained children or slot variables (a layer's new weight, an optimizer's new
 * slot): restores that were waiting for them apply their values now.
 */
export function trackableChanged(owner: object): void {
  const set = listeners.get(owner);
  if (!set) return;
  for (const fn of [...set]) fn(owner);
}
