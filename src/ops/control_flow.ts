import { executingEagerly } from "../core/context.js";
import { InvalidArgumentError } from "../core/errors.js";
import { defineFunction, K, kind, optional, param, positionalOnly, signature, withDefault } from "../core/signature.js";
import type { Shape } from "../core/shape.js";
import { shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { flatten, packSequenceAs, sameStructure, structureStr } from "./control_flow_nest.js";
import { convertToTensor } from "./creation.js";
import { stopGradient } from "./movement.js";
import { NAME } from "./params.js";

/**
 * tf.cond and tf.while_loop (TensorFlow 2's cond_v2 and while_v2). Eagerly they are JavaScript: cond reads
 * the predicate and calls one branch, while_loop loops (as TensorFlow 2 does eagerly), and the ops the
 * branches run are recorded on GradientTapes like any other. In a graph (g.asDefault, a tf.function
 * trace) the graph layer traces the branches or the body into function bodies and adds an If or While
 * node (graph/control_flow.ts, registered here by the composition root: the ops layer imports no graph).
 */

/** A loop's options after parsing. */
export interface WhileOptions {
  readonly shapeInvariants: unknown;
  readonly parallelIterations: number;
  readonly maximumIterations: TensorLike | undefined;
  readonly name: string | undefined;
}

/** What the graph layer provides (graph/control_flow.ts). */
export interface GraphControlFlow {
  cond(pred: TensorLike, trueFn: () => unknown, falseFn: () => unknown, name: string | undefined): unknown;
  /** Returns the flat final values of the loop variables (flatten(loopVars) order). */
  whileLoop(cond: (...v: never[]) => unknown, body: (...v: never[]) => unknown, loopVars: unknown, opts: WhileOptions): Tensor[];
}

let graphImpl: GraphControlFlow | null = null;

/** Called once by the composition root with the graph layer's builders. */
export function registerGraphControlFlow(impl: GraphControlFlow): void {
  graphImpl = impl;
}

function graphControlFlow(): GraphControlFlow {
  if (graphImpl === null) throw new Error("tsflow: graph control flow not registered (import tsflow through its index)");
  return graphImpl;
}

/** The value of an eager predicate: a JS boolean, or a scalar bool tensor. */
function eagerPredicate(pred: unknown, what: string): boolean {
  if (typeof pred === "boolean") return pred;
  const t = pred instanceof Tensor ? pred : convertToTensor(pred as TensorLike);
  if (t.dtype !== "bool" || t.shape === null || t.shape.length !== 0) {
    throw new InvalidArgumentError(`${what} must be a scalar bool tensor (or a boolean), but got a ${t.dtype} tensor of shape ${shapeStr(t.shape)}`);
  }
  return t.dataSync()[0] !== 0;
}

const FN = kind<() => unknown>("() => T");
const condSignature = signature(
  "cond",
  "Returns trueFn() if pred is true, else falseFn(): in a graph one If node whose branches are function bodies.",
  [
    param("pred", kind<TensorLike | boolean>("Tensor | boolean"), "A scalar bool tensor."),
    param("trueFn", FN, "Called (traced, in a graph) when pred is true."),
    param("falseFn", FN, "Called (traced, in a graph) when pred is false."),
    NAME,
  ],
  { args: () => [true, () => 1, () => 2] },
);

function condImpl(pred: TensorLike | boolean, trueFn: () => unknown, falseFn: () => unknown, name: string | undefined): unknown {
  if (typeof trueFn !== "function" || typeof falseFn !== "function") throw new InvalidArgumentError("tf.cond: trueFn and falseFn must be functions");
  if (executingEagerly()) return eagerPredicate(pred, "The predicate of tf.cond") ? trueFn() : falseFn();
  return graphControlFlow().cond(pred, trueFn, falseFn, name);
}

/** tf.cond(pred, true_fn, false_fn, name). */
export const cond = defineFunction(condSignature, condImpl);

/** tf.compat.v1.cond(pred, true_fn, false_fn, strict, name): TensorFlow 1's order, with `strict`. */
export const condV1 = defineFunction(
  signature(
    "compat.v1.cond",
    "TensorFlow 1's tf.cond: the same op; `strict` is accepted (results keep the branches' structure either way).",
    [
      param("pred", kind<TensorLike | boolean>("Tensor | boolean"), "A scalar bool tensor."),
      param("trueFn", FN, "Called (traced, in a graph) when pred is true."),
      param("falseFn", FN, "Called (traced, in a graph) when pred is false."),
      withDefault("strict", K.boolean, false, "Keep singleton lists in the result (always done here)."),
      NAME,
    ],
    { args: () => [true, () => 1, () => 2] },
  ),
  (pred, trueFn, falseFn, _strict, name) => condImpl(pred, trueFn, falseFn, name),
);

type LoopFn = (...vars: never[]) => unknown;
const LOOP_FN = kind<LoopFn>("(...loopVars) => T");
// cond, body and loopVars are positional only: loopVars may itself be a plain object (API.md rule 2).
const COND_P = positionalOnly(param("cond", LOOP_FN, "The loop condition: called with the loop variables, returns a scalar bool tensor."));
const BODY_P = positionalOnly(param("body", LOOP_FN, "The loop body: called with the loop variables, returns their next values (same structure)."));
const VARS_P = positionalOnly(
  param("loopVars", kind<unknown>("Tensor[] | Nested<Tensor>"), "The loop variables: an array (or any nesting of arrays and objects) of tensors."),
);
const INVARIANTS_P = optional("shapeInvariants", kind<unknown>("Shape[] | Nested<Shape>"), "Per loop variable, a shape it keeps (null dims may vary).");
const PARALLEL_P = withDefault("parallelIterations", K.int, 10, "Iterations allowed to run at once (recorded; iterations run in order here).");
const BACKPROP_P = withDefault("backProp", K.boolean, true, "false: no gradient flows through the loop (deprecated in TensorFlow 2).");
const SWAP_P = withDefault("swapMemory", K.boolean, false, "Swap GPU memory to the host (no effect here).");
const MAXITER_P = optional("maximumIterations", kind<TensorLike>("number | Tensor"), "At most this many iterations.");
const loopExample = { args: () => [(i: number) => i < 3, (i: number) => [i + 1], [0]] };

/** The eager loop: JavaScript, as TensorFlow 2 runs while_loop eagerly; the body's ops are taped normally. */
function eagerWhile(condFn: LoopFn, bodyFn: LoopFn, loopVars: unknown, maxIter: TensorLike | undefined): unknown {
  const spread = Array.isArray(loopVars);
  const call = (f: LoopFn, vars: unknown) => (spread ? f(...(vars as never[])) : f(vars as never));
  const limit = maxIter === undefined ? Infinity : Number(maxIter instanceof Tensor ? maxIter.dataSync()[0] : maxIter);
  let vars = loopVars;
  for (let i = 0; i < limit && eagerPredicate(call(condFn, vars), "The result of tf.while_loop's cond"); i++) {
    let next = call(bodyFn, vars);
    if (spread && (loopVars as unknown[]).length === 1 && !Array.isArray(next)) next = [next];
    if (!sameStructure(next, loopVars)) throw structureError(loopVars, next);
    vars = next;
  }
  return vars;
}

/** TensorFlow's nest error for a body whose result is not shaped like the loop variables. */
export function structureError(first: unknown, second: unknown): Error {
  return new InvalidArgumentError(
    `The two structures don't have the same nested structure.\n\nFirst structure: ${structureStr(first)}\n\nSecond structure: ${structureStr(second)}\n\n` +
      "(tf.while_loop: the body must return the loop variables in the structure they entered with)",
  );
}

function whileImpl(
  condFn: LoopFn,
  bodyFn: LoopFn,
  loopVars: unknown,
  shapeInvariants: unknown,
  parallelIterations: number,
  backProp: boolean,
  maximumIterations: TensorLike | undefined,
  name: string | undefined,
  sameStructureResult = true,
): unknown {
  if (typeof condFn !== "function" || typeof bodyFn !== "function") throw new InvalidArgumentError("tf.while_loop: cond and body must be functions");
  if (loopVars === undefined || loopVars === null || (Array.isArray(loopVars) && flatten(loopVars).length === 0)) {
    throw new InvalidArgumentError("tf.while_loop: no loop variables provided");
  }
  let result: unknown;
  if (executingEagerly()) {
    result = eagerWhile(condFn, bodyFn, loopVars, maximumIterations);
  } else {
    let flat: Tensor[] = graphControlFlow().whileLoop(condFn, bodyFn, loopVars, { shapeInvariants, parallelIterations, maximumIterations, name });
    if (!backProp) flat = flat.map((t) => stopGradient(t));
    result = packSequenceAs(loopVars, flat);
  }
  if (!backProp && executingEagerly())
    result = packSequenceAs(
      loopVars,
      flatten(result).map((t) => (t instanceof Tensor ? stopGradient(t) : t)),
    );
  if (!sameStructureResult && Array.isArray(result) && result.length === 1) return result[0];
  return result;
}

/** tf.while_loop(cond, body, loop_vars, shape_invariants, parallel_iterations, back_prop, swap_memory, maximum_iterations, name). */
export const whileLoop = defineFunction(
  signature(
    "while_loop",
    "Repeats body while cond holds, over loop variables of any nesting: in a graph one While node whose cond and body are function bodies.",
    [COND_P, BODY_P, VARS_P, INVARIANTS_P, PARALLEL_P, BACKPROP_P, SWAP_P, MAXITER_P, NAME],
    loopExample,
  ),
  (c, b, vars, invariants, parallel, backProp, _swap, maxIter, name) => whileImpl(c, b, vars, invariants, parallel, backProp, maxIter, name),
);

/** tf.compat.v1.while_loop: TensorFlow 1's order (name before maximum_iterations) and return_same_structure. */
export const whileLoopV1 = defineFunction(
  signature(
    "compat.v1.while_loop",
    "TensorFlow 1's tf.while_loop: a single loop variable comes back bare unless returnSameStructure.",
    [
      COND_P,
      BODY_P,
      VARS_P,
      INVARIANTS_P,
      PARALLEL_P,
      BACKPROP_P,
      SWAP_P,
      NAME,
      MAXITER_P,
      withDefault("returnSameStructure", K.boolean, false, "Return a list even for a single loop variable."),
    ],
    loopExample,
  ),
  (c, b, vars, invariants, parallel, backProp, _swap, name, maxIter, same) => whileImpl(c, b, vars, invariants, parallel, backProp, maxIter, name, same),
);

/**
 * The flat shape invariants of a loop, one per loop variable (undefined: none given): `shapeInvariants`
 * has the loop variables' structure with a shape (an array of sizes and nulls, or null for an unknown
 * rank) in place of each tensor.
 */
export function flatInvariants(loopVars: unknown, shapeInvariants: unknown): (Shape | undefined)[] {
  const out: (Shape | undefined)[] = [];
  const walk = (vars: unknown, inv: unknown): void => {
    if (Array.isArray(vars)) {
      if (inv !== undefined && (!Array.isArray(inv) || inv.length !== vars.length)) throw structureError(loopVars, shapeInvariants);
      vars.forEach((v, i) => walk(v, (inv as unknown[] | undefined)?.[i]));
    } else if (isObject(vars)) {
      if (inv !== undefined && !isObject(inv)) throw structureError(loopVars, shapeInvariants);
      for (const k of Object.keys(vars).sort()) walk(vars[k], (inv as Record<string, unknown> | undefined)?.[k]);
    } else {
      if (inv !== undefined && inv !== null && !(Array.isArray(inv) && inv.every(isDim))) {
        throw new InvalidArgumentError(`tf.while_loop: a shape invariant must be a shape (an array of sizes and nulls), got ${String(inv)}`);
      }
      out.push(inv as Shape | undefined);
    }
  };
  walk(loopVars, shapeInvariants ?? undefined);
  return out;
}

function isDim(x: unknown): boolean {
  return x === null || typeof x === "number";
}
function isObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
