import { FailedPreconditionError } from "../core/errors.js";
import type { Element } from "./host.js";

/** The end of a dataset's elements (TensorFlow's end_of_sequence). */
export const END: unique symbol = Symbol("end of sequence");
export type Next = Element | typeof END;

/**
 * An iterator over a dataset's flat elements, pulled synchronously (`for...of`, graph-mode GetNext) or
 * asynchronously (`for await`, async generator sources, prefetch overlapping the consumer).
 */
export abstract class Iter {
  abstract next(): Next;
  nextAsync(): Promise<Next> {
    try {
      return Promise.resolve(this.next());
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** Stops early: releases what the iterator holds (buffers, open generators). */
  close(): void {}
}

/** What a transformation's body yields: an upstream iterator to pull from, or EMIT after setting `out`. */
export const EMIT: unique symbol = Symbol("emit");
export type Body = Generator<Iter | typeof EMIT, void, Next>;

/**
 * A transformation written once as a generator that yields the upstream iterator it wants the next element
 * of (receiving the element or END) and EMIT for each output (put in `it.out` first). The sync and async
 * drivers below run the same body, so each transformation works under `for...of` and `for await` alike; the
 * body's own locals are the iterator's state.
 */
export class CoIter extends Iter {
  out: Element = [];
  #gen: Body | null = null;
  #done = false;
  constructor(readonly body: (it: CoIter) => Body) {
    super();
  }
  #body(): Body {
    if (this.#gen === null) this.#gen = this.body(this);
    return this.#gen;
  }
  next(): Next {
    if (this.#done) return END;
    const gen = this.#body();
    let input: Next = END;
    for (;;) {
      const r = gen.next(input);
      if (r.done) {
        this.#done = true;
        return END;
      }
      if (r.value === EMIT) return this.out;
      input = r.value.next();
    }
  }
  override async nextAsync(): Promise<Next> {
    if (this.#done) return END;
    const gen = this.#body();
    let input: Next = END;
    for (;;) {
      const r = gen.next(input);
      if (r.done) {
        this.#done = true;
        return END;
      }
      if (r.value === EMIT) return this.out;
      input = await r.value.nextAsync();
    }
  }
  override close(): void {
    this.#done = true;
    this.#gen?.return();
  }
}

/** An iterator over elements made by a plain function (sources): `produce` returns END when done. */
export class FnIter extends Iter {
  constructor(
    readonly produce: () => Next,
    readonly onClose: () => void = () => {},
  ) {
    super();
  }
  next(): Next {
    return this.produce();
  }
  override close(): void {
    this.onClose();
  }
}

/** The error for pulling an async-only source synchronously. */
export function asyncOnly(what: string): never {
  throw new FailedPreconditionError(`${what} produces its elements asynchronously: iterate the dataset with \`for await\` (or use a sync generator)`);
}

/**
 * Part of a body: passes up to `limit` elements of `up` through unchanged, then closes `up`. Returns how many it
 * passed (fewer than `limit` means `up` ended).
 */
export function* relay(it: CoIter, up: Iter, limit = Number.POSITIVE_INFINITY): Generator<Iter | typeof EMIT, number, Next> {
  let n = 0;
  try {
    while (n < limit) {
      const e = yield up;
      if (e === END) break;
      n++;
      it.out = e;
      yield EMIT;
    }
  } finally {
    up.close();
  }
  return n;
}
