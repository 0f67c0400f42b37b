import { type DType, isFloating } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Attrs, AttrValue } from "../core/schema/types.js";
import { type Shape, shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { isTensorConvertible, type TensorLike } from "../core/tensor_like.js";
import { type HostValue, inferDType } from "../core/values.js";
import { flatInvariants, type GraphControlFlow, structureError, type WhileOptions } from "../ops/control_flow.js";
import { flatten, packSequenceAs, sameStructure, structureStr } from "../ops/control_flow_nest.js";
import { zerosLike } from "../ops/creation.js";
import { add, less, logicalAnd } from "../ops/elementwise.js";
import { defineGradients, type GradOp, getOpDef } from "../ops/registry.js";
import { buildNode, toGraphTensor } from "./build.js";
import { getDefaultGraph } from "./default_graph.js";
import { addFunction, FuncGraph, funcAttrName, type GraphFunction, getFunction, makeFunction, uniqueFunctionName } from "./func_graph.js";
import type { Graph } from "./graph.js";
import type { Operation } from "./operation.js";
import { gradients } from "./gradients.js";
import { SymbolicTensor } from "./tensor.js";

/**
 * Graph-mode tf.cond and tf.while_loop (TensorFlow 2's cond_v2 and while_v2): the branches, or the loop's
 * cond and body, are traced into function bodies (graph/func_graph.ts) that capture the outer tensors they
 * read, and one If or While node calls them. The gradients of both are registered here: an If over the
 * branches' gradient functions, and a WhileGrad over the body's gradient function.
 */

/** `x` as a tensor of `g` (a JS value becomes a Const of `dtype`, else of its own dtype). */
function convert(x: unknown, g: Graph, name: string, dtype?: DType): SymbolicTensor {
  if (x === undefined || x === null || typeof x === "function") {
    throw new InvalidArgumentError(`${name}: expected a tensor (or a value convertible to one), got ${String(x)}`);
  }
  const d = x instanceof Tensor || isTensorConvertible(x) ? x.dtype : (dtype ?? inferDType(x as HostValue));
  return toGraphTensor(x as TensorLike, d, g, name);
}

/** Whether `s` is at least as specific as `inv` (TensorFlow's _ShapeLessThanOrEqual). */
function shapeWithin(s: Shape, inv: Shape): boolean {
  if (inv === null) return true;
  if (s === null || s.length !== inv.length) return false;
  return inv.every((d, i) => d === null || d === s[i]);
}

/** The most specific shape compatible with both (TensorFlow's most_specific_compatible_shape). */
function mostSpecificCompatible(a: Shape, b: Shape): Shape {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d === b[i] ? d : null));
}

/** A list(shape) attr value (AttrValue's array forms do not spell a list of shapes with unknown ranks). */
function shapeList(shapes: readonly Shape[]): AttrValue {
  return shapes as unknown as AttrValue;
}

function tfShape(s: Shape): string {
  return s === null ? "<unknown>" : `(${s.map((d) => d ?? "None").join(", ")}${s.length === 1 ? "," : ""})`;
}

function checkScalarBool(t: SymbolicTensor, what: string): void {
  if (t.dtype !== "bool" || (t.shape !== null && t.shape.length !== 0)) {
    throw new InvalidArgumentError(`${what} must be a scalar bool tensor, but got ${t.toString()} (dtype ${t.dtype}, shape ${shapeStr(t.shape)})`);
  }
}

/** Traces `fn` into a new function body of `outer`; its result's leaves become tensors of the body. */
function traceBranch(outer: Graph, base: string, fn: () => unknown): { graph: FuncGraph; result: unknown; outputs: SymbolicTensor[] } {
  const graph = new FuncGraph(uniqueFunctionName(base), outer);
  return graph.asDefault(() => {
    const result = fn();
    const leaves = result === undefined || result === null ? [] : flatten(result);
    return { graph, result, outputs: leaves.map((x) => convert(x, graph, "output")) };
  });
}

/** The outer tensors captured by any of `graphs`, in first-capture order (the calling node's extra inputs). */
function unionCaptures(graphs: readonly FuncGraph[]): SymbolicTensor[] {
  const all = new Set<SymbolicTensor>();
  for (const g of graphs) for (const t of g.captures.keys()) all.add(t);
  return [...all];
}

/**
 * In a tf.function trace, TensorFlow's automatic control dependencies for a node whose bodies use captured
 * variables (their references are among `inputs`): it waits for their last writes, and, when it may write
 * (a stateful body), for their reads since, and becomes their last write; otherwise it counts as a read.
 */
function orderedWithVariables(inputs: readonly SymbolicTensor[], writes: boolean, build: () => Operation): Operation {
  const g = getDefaultGraph();
  const hooks = g.functionHooks;
  if (!hooks) return build();
  const used = new Set(inputs);
  const touched = [...hooks.captures.values()].filter((c) => used.has(c.ref));
  if (touched.length === 0) return build();
  const deps: Operation[] = [];
  for (const c of touched) {
    if (c.lastWrite) deps.push(c.lastWrite);
    if (writes) deps.push(...c.reads);
  }
  const op = deps.length > 0 ? g.controlDependencies(deps, build) : build();
  for (const c of touched) {
    if (writes) {
      c.lastWrite = op;
      c.reads = [];
      c.snapshot = null;
    } else c.reads.push(op);
  }
  return op;
}

/** An If (or StatelessIf) node calling `thenFn` or `elseFn` with `inputs`. */
function ifNode(pred: SymbolicTensor, inputs: readonly SymbolicTensor[], thenFn: GraphFunction, elseFn: GraphFunction, name: string): Operation {
  const attrs: Attrs = {
    Tin: inputs.map((t) => t.dtype),
    Tout: thenFn.outputs.map((t) => t.dtype),
    then_branch: { name: thenFn.name },
    else_branch: { name: elseFn.name },
    output_shapes: shapeList(thenFn.outputs.map((t, i) => mostSpecificCompatible(t.shape, elseFn.outputs[i].shape))),
  };
  const stateful = thenFn.stateful || elseFn.stateful;
  return orderedWithVariables(inputs, stateful, () => buildNode(getOpDef(stateful ? "If" : "StatelessIf")!, [pred, ...inputs], attrs, name));
}

function condError(tr: unknown, fr: unknown, details: string): Error {
  const show = (x: unknown) => (x instanceof Tensor ? x.toString() : String(x));
  return new InvalidArgumentError(
    "true_fn and false_fn arguments to tf.cond must have the same number, type, and overall structure of return values.\n\n" +
      `true_fn output: ${structureStr(tr, show)}\nfalse_fn output: ${structureStr(fr, show)}\n\nError details:\n${details}`,
  );
}

function buildCond(pred: TensorLike, trueFn: () => unknown, falseFn: () => unknown, name: string | undefined): unknown {
  const g = getDefaultGraph();
  const predT = convert(pred, g, "cond/pred", "bool");
  checkScalarBool(predT, "The predicate of tf.cond (pred)");
  // As cond_v2: the branches are built inside the name scope `cond` (their summary tags start with it), and
  // the If node takes that scope's name.
  return g.nameScope(name ?? "cond", (scope) => {
    const t = traceBranch(g, "cond_true", trueFn);
    const f = traceBranch(g, "cond_false", falseFn);
    if (!sameStructure(t.result ?? [], f.result ?? [])) throw condError(t.result, f.result, "The two branches return different structures.");
    t.outputs.forEach((x, i) => {
      const y = f.outputs[i];
      if (x.dtype !== y.dtype) throw condError(t.result, f.result, `${x.toString()} and ${y.toString()} have different types`);
    });
    const captured = unionCaptures([t.graph, f.graph]);
    const thenFn = makeFunction(t.graph, [], t.outputs, captured);
    const elseFn = makeFunction(f.graph, [], f.outputs, captured);
    const node = ifNode(predT, captured, thenFn, elseFn, scope || "cond");
    // Branches run for their effect only (assignments): the node itself, for Session.run or control dependencies.
    if (t.result === undefined || t.result === null) return node;
    return packSequenceAs(t.result, node.outputs);
  });
}

function buildWhile(condFn: (...v: never[]) => unknown, bodyFn: (...v: never[]) => unknown, loopVars: unknown, opts: WhileOptions): Tensor[] {
  const g = getDefaultGraph();
  const spread = Array.isArray(loopVars);
  const inits = flatten(loopVars).map((x) => convert(x, g, "while/loop_var"));
  const invariants = flatInvariants(loopVars, opts.shapeInvariants);
  const shapes = inits.map((t, i) => {
    const inv = invariants[i];
    if (inv === undefined) return t.shape;
    if (!shapeWithin(t.shape, inv)) {
      throw new InvalidArgumentError(
        `The shape invariant specified for ${t.name} is not compatible with the initial shape of the loop variable. It enters the loop with shape ${tfShape(t.shape)}, but the specified shape invariant is ${tfShape(inv)}.`,
      );
    }
    return inv;
  });
  // maximum_iterations, as while_v2 does it: a loop counter in front of the loop variables, checked by cond.
  let maxIter: SymbolicTensor | null = null;
  if (opts.maximumIterations !== undefined && opts.maximumIterations !== null) {
    maxIter = convert(opts.maximumIterations, g, "while/maximum_iterations", "int32");
    if (maxIter.dtype !== "int32" || (maxIter.shape !== null && maxIter.shape.length !== 0)) {
      throw new InvalidArgumentError(`maximum_iterations must be a scalar int32, got ${maxIter.toString()}`);
    }
  }
  const vars = maxIter ? [convert(0, g, "while/loop_counter", "int32"), ...inits] : inits;
  const varShapes: Shape[] = maxIter ? [[], ...shapes] : shapes;
  const first = maxIter ? 1 : 0;
  const call = (fn: (...v: never[]) => unknown, phs: SymbolicTensor[]) => {
    const packed = packSequenceAs(loopVars, phs.slice(first));
    return spread ? fn(...(packed as never[])) : fn(packed as never);
  };
  const placeholders = (fg: FuncGraph) => vars.map((t, i) => fg.placeholder(t.dtype, varShapes[i], "loop_var"));

  // As while_v2: cond and body are built inside the name scope `while`, whose name the While node takes.
  return g.nameScope(opts.name ?? "while", (scope) => {
    const cg = new FuncGraph(uniqueFunctionName("while_cond"), g);
    const c = cg.asDefault(() => {
      const phs = placeholders(cg);
      let out = convert(call(condFn, phs), cg, "cond", "bool");
      checkScalarBool(out, "The result of tf.while_loop's cond");
      if (maxIter) out = logicalAnd(less(phs[0], maxIter), out) as SymbolicTensor;
      return { phs, out };
    });

    const bg = new FuncGraph(uniqueFunctionName("while_body"), g);
    const b = bg.asDefault(() => {
      const phs = placeholders(bg);
      let result = call(bodyFn, phs);
      if (spread && (loopVars as unknown[]).length === 1 && !Array.isArray(result)) result = [result];
      if (!sameStructure(result, loopVars)) throw structureError(loopVars, result);
      const outs = flatten(result).map((x, i) => {
        const init = inits[i];
        const y = convert(x, bg, "loop_var", init.dtype);
        if (y.dtype !== init.dtype) {
          throw new InvalidArgumentError(`Loop var ${init.name} enters the loop with type ${init.dtype}, but has type ${y.dtype} after 1 iteration.`);
        }
        if (!shapeWithin(y.shape, shapes[i])) {
          throw new InvalidArgumentError(
            `Input tensor '${init.name}' enters the loop with shape ${tfShape(shapes[i])}, but has shape ${tfShape(y.shape)} after one iteration. ` +
              "To allow the shape to vary across iterations, use the `shape_invariants` argument of tf.while_loop to specify a less-specific shape.",
          );
        }
        return y;
      });
      if (maxIter) outs.unshift(add(phs[0], 1) as SymbolicTensor);
      return { phs, outs };
    });

    const captured = unionCaptures([cg, bg]);
    const condF = makeFunction(cg, c.phs, [c.out], captured);
    const bodyF = makeFunction(bg, b.phs, [...b.outs, ...captured.map((t) => bg.capture(t))], captured);
    const inputs = [...vars, ...captured];
    const attrs: Attrs = {
      T: inputs.map((t) => t.dtype),
      cond: { name: condF.name },
      body: { name: bodyF.name },
      output_shapes: shapeList([...varShapes, ...captured.map((t) => t.shape)]),
      parallel_iterations: opts.parallelIterations,
    };
    const stateful = condF.stateful || bodyF.stateful;
    const node = orderedWithVariables(captured, stateful, () => buildNode(getOpDef(stateful ? "While" : "StatelessWhile")!, inputs, attrs, scope || "while"));
    return node.outputs.slice(first, vars.length);
  });
}

/** The graph layer's control flow, registered with the ops layer by the composition root. */
export const graphControlFlow: GraphControlFlow = { cond: buildCond, whileLoop: buildWhile };

// ---- gradients

interface GradFunction {
  readonly fn: GraphFunction;
  /** Per input of the forward function: whether any gradient reaches it. */
  readonly has: readonly boolean[];
}
const GRAD_FUNCTIONS = new WeakMap<GraphFunction, GradFunction>();

/**
 * The gradient function of a function body, built once: inputs are the body's inputs then one incoming
 * gradient per output, outputs the gradient of each input (zeros where none flows). It is built in the
 * body's own graph with tf.gradients, so it recomputes the forward values it needs from the same inputs.
 */
function gradFunction(fn: GraphFunction): GradFunction {
  const cached = GRAD_FUNCTIONS.get(fn);
  if (cached) return cached;
  const fg = fn.graph;
  const r = fg.asDefault(() => {
    const dys = fn.outputs.map((y) => fg.placeholder(y.dtype, y.shape, "grad_y"));
    const ys: SymbolicTensor[] = [];
    const gys: SymbolicTensor[] = [];
    fn.outputs.forEach((y, i) => {
      if (isFloating(y.dtype)) {
        ys.push(y);
        gys.push(dys[i]);
      }
    });
    const grads = ys.length > 0 ? gradients(ys, [...fn.inputs], gys) : fn.inputs.map(() => null);
    const has = grads.map((gr, j) => gr !== null && isFloating(fn.inputs[j].dtype));
    const outputs = grads.map((gr, j) => (has[j] ? (gr as SymbolicTensor) : (zerosLike(fn.inputs[j]) as SymbolicTensor)));
    const gfn: GraphFunction = {
      name: uniqueFunctionName(`${fn.name}_grad`),
      graph: fg,
      inputs: [...fn.inputs, ...dys],
      outputs,
      targets: [],
      stateful: false,
    };
    return { fn: gfn, has };
  });
  addFunction(fg.outer, r.fn);
  GRAD_FUNCTIONS.set(fn, r);
  return r;
}

function ifGrad(op: GradOp, dys: readonly Tensor[]): (Tensor | null)[] {
  const pred = op.inputs[0] as SymbolicTensor;
  const g = pred.graph;
  const thenG = gradFunction(getFunction(g, funcAttrName(op.attrs.then_branch)));
  const elseG = gradFunction(getFunction(g, funcAttrName(op.attrs.else_branch)));
  const inputs = [...op.inputs.slice(1), ...dys] as SymbolicTensor[];
  const outs = ifNode(pred, inputs, thenG.fn, elseG.fn, "cond_grad").outputs;
  return [null, ...outs.map((o, j) => (thenG.has[j] || elseG.has[j] ? o : null))];
}

function whileGrad(op: GradOp, dys: readonly Tensor[]): (Tensor | null)[] {
  const g = (op.inputs[0] as SymbolicTensor).graph;
  const bodyG = gradFunction(getFunction(g, funcAttrName(op.attrs.body)));
  const attrs: Attrs = {
    T: op.attrs.T,
    cond: op.attrs.cond,
    body: op.attrs.body,
    body_grad: { name: bodyG.fn.name },
    output_shapes: op.attrs.output_shapes,
    forward: (op.outputs[0] as SymbolicTensor).op.name,
  };
  const node = buildNode(getOpDef("WhileGrad")!, [...op.inputs, ...dys], attrs, "while_grad");
  // A zero-iteration loop passes its inputs through, so every floating input may get a gradient.
  return node.outputs.map((o, j) => (isFloating(op.inputs[j].dtype) ? o : null));
}

defineGradients({ If: ifGrad, StatelessIf: ifGrad, While: whileGrad, StatelessWhile: whileGrad, WhileGrad: undefined as never });
