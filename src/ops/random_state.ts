import type { RandomSource } from "../core/backend.js";
import type { Attrs } from "../core/schema/types.js";
import { ctx } from "../core/context.js";
import { Philox } from "../core/philox.js";

export const DEFAULT_GRAPH_SEED = 87654321;

/** Eager generators live per (seed, seed2), so two ops with the same seeds continue one stream. */
const eagerGenerators = new Map<string, Philox>();
let eagerOpCounter = 0;

export function resetEagerRandomState(): void {
  eagerGenerators.clear();
  eagerOpCounter = 0;
}
export function nextEagerOpCounter(): number {
  return ++eagerOpCounter;
}

function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

export function eagerRandomSource(attrs: Attrs): RandomSource {
  const seed = Number(attrs.seed);
  const seed2 = Number(attrs.seed2);
  if (seed === 0 && seed2 === 0) return new Philox(freshSeed(), freshSeed());
  const key = `${seed},${seed2}`;
  let g = eagerGenerators.get(key);
  if (!g) eagerGenerators.set(key, (g = new Philox(seed, seed2)));
  return g;
}

/** A node's generator in a session: deterministic when seeded, fresh otherwise. */
export function sessionRandomSource(attrs: Attrs): RandomSource {
  const seed = Number(attrs.seed);
  const seed2 = Number(attrs.seed2);
  return seed === 0 && seed2 === 0 ? new Philox(freshSeed(), freshSeed()) : new Philox(seed, seed2);
}

/** TensorFlow's get_seed: the (seed, seed2) attrs of a random op from the global and op seeds. */
export function getSeed(opSeed: number | undefined, graphSeed: number | null, graphOpCount: number | null): { seed: number; seed2: number } {
  const globalSeed = graphOpCount === null ? ctx.globalSeed : graphSeed;
  let seeds: [number, number];
  if (globalSeed !== null) {
    seeds = [globalSeed, opSeed ?? graphOpCount ?? nextEagerOpCounter()];
  } else if (opSeed !== undefined) {
    seeds = [DEFAULT_GRAPH_SEED, opSeed];
  } else {
    seeds = [0, 0];
  }
  if (seeds[0] === 0 && seeds[1] === 0 && (globalSeed !== null || opSeed !== undefined)) seeds = [0, 2 ** 31 - 1];
  return { seed: seeds[0], seed2: seeds[1] };
}
