import { InvalidArgumentError } from "../core/errors.js";
import { body, defineFunction, kind, optional, param, positionalOnly, signature } from "../core/signature.js";
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
export const tidy = defineFunction(
  signature(
    "tidy",
    "Runs the body and disposes every eager tensor it created, except those it returns or keeps (tsflow, as TensorFlow.js).",
    [
      optional("name", kind<string>("string"), "A label for the scope (not used)."),
      body("body", kind<() => unknown>("() => T"), "The function to run; its result is returned."),
    ],
    { args: (tf) => ["t", () => tf.add(tf.constant([1, 2]), 1)] },
  ),
  tidyImpl,
) as unknown as {
  <T>(fn: () => T): T;
  <T>(name: string | undefined, fn: () => T): T;
  <T>(options: { name?: string; body?: () => T }, fn?: () => T): T;
};

function tidyImpl<T>(_name: string | undefined, fn: () => T): T {
  if (typeof fn !== "function") throw new InvalidArgumentError(`tf.tidy: the body must be a function, got ${typeof fn}`);
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
export const keep = defineFunction(
  signature("keep", "Marks a tensor to survive the enclosing tf.tidy; returns it.", [param("result", kind<Tensor>("Tensor"), "The tensor to keep.")], {
    args: (tf) => [tf.constant([1, 2])],
  }),
  (t: Tensor) => {
    if (t instanceof EagerTensor) t.kept = true;
    return t;
  },
) as unknown as <T extends Tensor>(result: T | { result: T }) => T;

/**
 * tf.dispose(x): disposes every eager tensor in a tensor, array or object. Positional only: a plain object
 * of tensors is its value.
 */
export const dispose = defineFunction(
  signature(
    "dispose",
    "Disposes every eager tensor in a tensor, array or object of them.",
    [positionalOnly(param("container", kind<unknown>("Tensor | Tensor[] | object"), "What to dispose."))],
    { args: (tf) => [tf.constant([1])] },
  ),
  (x: unknown): void => {
    const all = new Set<Scoped>();
    collect(x, all);
    for (const t of all) t.dispose();
  },
);

/** tf.memory(): live eager tensors and the device buffers behind them. */
export const memory = defineFunction(
  signature("memory", "Live eager tensors and the device buffers behind them (tsflow, as TensorFlow.js).", [], { args: () => [] }),
  memoryImpl,
);

function memoryImpl(): { numTensors: number; numDataBuffers: number; numBytes: number } {
  // Buffers of every device: the CPU's and those of GPUs in use (core/devices.ts).
  const ms = liveBackends().map((b) => b.memory());
  return { numTensors: eagerState.liveTensors, numDataBuffers: ms.reduce((n, m) => n + m.numBuffers, 0), numBytes: ms.reduce((n, m) => n + m.numBytes, 0) };
}
