import { executingEagerly, currentGraph } from "../core/context.js";
import { InvalidArgumentError } from "../core/errors.js";
import { Philox } from "../core/philox.js";
import { getSeed } from "../ops/random_state.js";
import { type Element, releaseElement } from "./host.js";
import { CoIter, EMIT, END, type Iter } from "./iter.js";
import { DatasetNode, type IndexPlan, type IndexStream } from "./node.js";
import { planRows } from "./sources.js";
import type { Structure } from "./nest.js";
import type { TensorSpec } from "./spec.js";

/**
 * shuffle(bufferSize, seed, reshuffleEachIteration) with TensorFlow's buffer semantics: the buffer is filled
 * with the first bufferSize elements; each output is drawn uniformly from the buffer and its place taken by
 * the next input element; at the end of the input the buffer drains in random order. Seeds follow
 * TensorFlow's global/op seed rules (tf.random.setSeed, `seed`); without either, each run differs. With
 * reshuffleEachIteration (the default) each new iterator (each epoch under repeat) draws a new order; without
 * it every iterator repeats the first order.
 */
export class ShuffleNode extends DatasetNode {
  readonly #seed: number;
  readonly #seed2: number;
  #iterations = 0;
  constructor(
    readonly up: DatasetNode,
    readonly bufferSize: number,
    seed: number | undefined,
    readonly reshuffle: boolean,
  ) {
    super();
    if (!(bufferSize >= 1)) throw new InvalidArgumentError(`Dataset.shuffle: bufferSize must be greater than zero, got ${bufferSize}`);
    const g = executingEagerly() ? null : currentGraph();
    const s = getSeed(seed, g?.seed ?? null, g ? g.version : null);
    const fresh = s.seed === 0 && s.seed2 === 0;
    this.#seed = fresh ? Math.floor(Math.random() * 2 ** 31) : s.seed;
    this.#seed2 = fresh ? Math.floor(Math.random() * 2 ** 31) : s.seed2;
  }
  get structure(): Structure {
    return this.up.structure;
  }
  get specs(): readonly TensorSpec[] {
    return this.up.specs;
  }
  get isAsync(): boolean {
    return this.up.isAsync;
  }
  cardinality(): number {
    return this.up.cardinality();
  }
  /** The generator of one iterator: a new stream per iteration when reshuffling, else the first again. */
  #rng(): Philox {
    const k = this.reshuffle ? this.#iterations++ : 0;
    return new Philox(this.#seed, (this.#seed2 + Math.imul(k, 0x9e3779b9)) >>> 0);
  }
  override indexPlan(): IndexPlan | null {
    const plan = this.up.indexPlan();
    if (!plan) return null;
    const size = this.bufferSize;
    return {
      rows: plan.rows,
      indices: (): IndexStream => {
        const rng = this.#rng();
        const s = plan.indices();
        const buf: number[] = [];
        let upDone = false;
        return {
          next: () => {
            while (!upDone && buf.length < size) {
              const i = s.next();
              if (i < 0) upDone = true;
              else buf.push(i);
            }
            const n = buf.length;
            if (n === 0) return -1;
            const j = rng.nextUint32() % n;
            const out = buf[j];
            if (!upDone) {
              const i = s.next();
              if (i >= 0) {
                buf[j] = i;
                return out;
              }
              upDone = true;
            }
            buf[j] = buf[n - 1];
            buf.pop();
            return out;
          },
        };
      },
    };
  }
  open(): Iter {
    const plan = this.indexPlan();
    if (plan) return planRows(plan);
    const node = this;
    return new CoIter(function* (it) {
      const rng = node.#rng();
      const up = node.up.open();
      const buf: Element[] = [];
      let upDone = false;
      try {
        for (;;) {
          while (!upDone && buf.length < node.bufferSize) {
            const e = yield up;
            if (e === END) upDone = true;
            else buf.push(e);
          }
          const n = buf.length;
          if (n === 0) return;
          const j = rng.nextUint32() % n;
          it.out = buf[j];
          let filled = false;
          if (!upDone) {
            const e = yield up;
            if (e === END) upDone = true;
            else {
              buf[j] = e;
              filled = true;
            }
          }
          if (!filled) {
            buf[j] = buf[n - 1];
            buf.pop();
          }
          yield EMIT;
        }
      } finally {
        for (const e of buf) releaseElement(e);
        up.close();
      }
    });
  }
}
