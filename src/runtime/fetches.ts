import { InvalidArgumentError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import type { Graph } from "../graph/graph.js";
import { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { Variable } from "../variables/variable.js";
import { isOptions } from "../core/signature.js";
import type { EagerTensor } from "../eager/tensor.js";

/** What may be fetched: a tensor, an op, a name, a variable, or any nesting of them in arrays and objects. */
export type Fetch = Tensor | Operation | Variable | string | null | readonly Fetch[] | { readonly [k: string]: Fetch };

export type FetchLeaf = SymbolicTensor | Operation;

/** What Session.run returns for a fetch structure: values for tensors, null for operations. */
export type FetchResult<F> = F extends Operation
  ? null
  : F extends Tensor | Variable
    ? EagerTensor
    : F extends string
      ? EagerTensor | null
      : F extends readonly unknown[]
        ? { -readonly [K in keyof F]: FetchResult<F[K]> }
        : F extends object
          ? { -readonly [K in keyof F]: FetchResult<F[K]> }
          : never;

function resolveLeaf(x: Tensor | Operation | Variable | string, g: Graph): FetchLeaf {
  if (typeof x === "string") return g.asGraphElement(x);
  if (x instanceof Variable) {
    if (x.graph !== g)
      throw new InvalidArgumentError(`Fetch argument ${x.toString()} cannot be interpreted as a Tensor. (Variable ${x.name} is not an element of this graph.)`);
    return x.ref;
  }
  if (x instanceof SymbolicTensor || x instanceof Operation) {
    if (x.graph !== g) {
      throw new InvalidArgumentError(`Fetch argument ${x.toString()} cannot be interpreted as a Tensor. (${x.toString()} is not an element of this graph.)`);
    }
    return x;
  }
  throw new InvalidArgumentError(
    `Fetch argument ${String(x)} has invalid type; must be a graph tensor, an operation, a variable or a name (an eager tensor already has its value)`,
  );
}

/** Flattens the fetch structure into leaves, and returns how to rebuild it from their results. */
export function flattenFetches(fetches: Fetch, g: Graph): { leaves: FetchLeaf[]; rebuild: (values: unknown[]) => unknown } {
  const leaves: FetchLeaf[] = [];
  const build = (f: Fetch): ((v: unknown[]) => unknown) => {
    if (f === null) throw new InvalidArgumentError("Fetch argument null has invalid type, must be a string, a tensor or an operation");
    if (Array.isArray(f)) {
      const parts = (f as readonly Fetch[]).map(build);
      return (v) => parts.map((p) => p(v));
    }
    if (isOptions(f)) {
      const entries = Object.entries(f as Record<string, Fetch>).map(([k, sub]) => [k, build(sub)] as const);
      return (v) => Object.fromEntries(entries.map(([k, p]) => [k, p(v)]));
    }
    const i = leaves.length;
    leaves.push(resolveLeaf(f as Tensor | Operation | Variable | string, g));
    return (v) => v[i];
  };
  const rebuild = build(fetches);
  return { leaves, rebuild };
}
