import { InvalidArgumentError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { liveBackends } from "../core/devices.js";
import { eagerState, popTidy, pushTidy, adoptIntoParentScope, Scoped } from "./context.js";
import { EagerTensor } from "./tensor.js";

/** Collects eager tensors in a result (tensor, array or object of them) without copying. */
function collect(x: unknown, out: Set<Scoped>): void {
  if (x instanceof EagerTensor) out.add(x);
  else if (Array.isArray(x)) for (const v of x) collect(v, out);
  else if (x && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collect(v, out);
  }
}

/**
 * tf.tidy(fn): disposes every eager tensor fn created, except those it returns and those kept with
 * tf.keep (or owned by a variable). Returned tensors move to the enclosing tidy scope.
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(a: string | (() => T), b?: () => T): T {
  const fn = typeof a === "function" ? a : b;
  if (!fn) throw new InvalidArgumentError("tf.tidy needs a function");
  const scope = pushTidy();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    // What fn made stays alive (it may be reachable from the error): the leak registry answers for it now.
    for (const t of scope.tensors) t.guardLeak();
    throw e;
  } finally {
    popTidy(scope);
  }
  if (result instanceof Promise) throw new InvalidArgumentError("Cannot return a Promise inside tf.tidy");
  const keep = new Set<Scoped>();
  collect(result, keep);
  for (const t of scope.tensors) {
    if (keep.has(t)) {
      if (!adoptIntoParentScope(t)) t.guardLeak();
    } else if (!t.kept) t.dispose();
    else t.guardLeak();
  }
  return result;
}

/** tf.keep(t): t survives the enclosing tf.tidy. */
export function keep<T extends Tensor>(t: T): T {
  if (t instanceof EagerTensor) t.kept = true;
  return t;
}

/** tf.dispose(x): disposes every eager tensor in a tensor, array or object. */
export function dispose(x: unknown): void {
  const all = new Set<Scoped>();
  collect(x, all);
  for (const t of all) t.dispose();
}

/** tf.memory(): live eager tensors and the device buffers behind them. */
export function memory(): { numTensors: number; numDataBuffers: number; numBytes: number } {
  // Buffers of every device: the CPU's and those of GPUs in use (core/devices.ts).
  const ms = liveBackends().map((b) => b.memory());
  return { numTensors: eagerState.liveTensors, numDataBuffers: ms.reduce((n, m) => n + m.numBuffers, 0), numBytes: ms.reduce((n, m) => n + m.numBytes, 0) };
}
