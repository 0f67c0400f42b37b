import { ctx, executingEagerly } from "../core/context.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { EagerTensor } from "../eager/tensor.js";
import { tidy } from "../eager/memory.js";
import { device } from "../graph/scopes.js";
import { isTensor } from "../ops/dispatch.js";
import { type Element, type HostTensor, toEager, toHost } from "./host.js";
import type { Iter } from "./iter.js";
import { flatten, type Nest, type Structure, unflatten } from "./nest.js";
import type { TensorSpec } from "./spec.js";

/** TensorFlow's tf.data.INFINITE_CARDINALITY and UNKNOWN_CARDINALITY. */
export const INFINITE = -1;
export const UNKNOWN = -2;

/**
 * In-memory rows a pipeline reads by index (fromTensorSlices, and shuffle/repeat/take/skip/cache over it):
 * `rows` are the source's components (first dimension = row), `indices()` a fresh stream of row numbers
 * per iterator. Batching such a pipeline gathers rows in bulk (batching.ts) instead of making elements.
 */
export interface IndexPlan {
  readonly rows: readonly HostTensor[];
  indices(): IndexStream;
}
export interface IndexStream {
  /** The next row, or -1 at the end. */
  next(): number;
}

/**
 * One stage of a pipeline (a source or a transformation): its element structure and specs, its
 * cardinality, and iterators over its flat elements. A tf.data.Dataset wraps one (dataset.ts).
 */
export abstract class DatasetNode {
  abstract readonly structure: Structure;
  abstract readonly specs: readonly TensorSpec[];
  abstract cardinality(): number;
  abstract open(): Iter;
  /** Whether an element can only be had asynchronously (an async generator upstream): `for await` only. */
  abstract readonly isAsync: boolean;
  /** Row access for the bulk paths; null where elements must be made one by one. */
  indexPlan(): IndexPlan | null {
    return null;
  }
}

/**
 * Runs `fn` eagerly even while a graph is being built: dataset functions (map, filter, generators) run on
 * concrete tensors inside the pipeline, which feeds graphs through iterator ops (TensorFlow traces them into
 * dataset functions instead; eager execution gives the same values).
 */
export function runEagerly<T>(fn: () => T): T {
  if (executingEagerly()) return fn();
  const graphs = ctx.graphStack.splice(0);
  const wasEager = ctx.eagerEnabled;
  ctx.eagerEnabled = true;
  try {
    return fn();
  } finally {
    ctx.eagerEnabled = wasEager;
    ctx.graphStack.push(...graphs);
  }
}

/**
 * Calls a user's dataset function on an element, TensorFlow's way: a tuple is spread into positional
 * arguments, a dict or a single tensor is one argument. Runs eagerly on the CPU (TensorFlow places input
 * pipelines there) inside a tidy scope; the result comes back as host components and its structure.
 */
export function callOnElement(
  fn: (...args: never[]) => unknown,
  structure: Structure,
  element: Element,
  where: string,
): { flat: HostTensor[]; structure: Structure } {
  return runEagerly(() =>
    device("/cpu:0", () => {
      let result: { flat: unknown[]; structure: Structure } | null = null;
      const held: EagerTensor[] = [];
      // Tensors made by the call are ours to free once read; a tensor it captured from outside is the user's.
      const firstId = ctx.nextTensorId;
      tidy(() => {
        const args = unflatten(
          structure,
          element.map((c) => toEager(c)),
        );
        const out = Array.isArray(structure) ? (fn as (...a: unknown[]) => unknown)(...(args as unknown[])) : (fn as (a: unknown) => unknown)(args);
        if (out === undefined) throw new InvalidArgumentError(`${where}: the function returned undefined; it must return a tensor or a nest of tensors`);
        result = flatten<unknown>(out as Nest<unknown>);
        for (const x of result.flat) if (isTensor(x) && (x as EagerTensor).id >= firstId) held.push(x as EagerTensor);
        return held;
      });
      const r = result as unknown as { flat: unknown[]; structure: Structure };
      try {
        return { flat: r.flat.map((x) => toHost(x, where)), structure: r.structure };
      } finally {
        for (const t of held) t.dispose();
      }
    }),
  );
}
