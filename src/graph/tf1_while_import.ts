import { InvalidArgumentError } from "../core/errors.js";
import type { NodeDef } from "../proto/tensorflow/core/framework/node_def_pb.js";
import type { Shape } from "../core/shape.js";
import { graphControlFlow } from "./control_flow.js";
import { FuncGraph, uniqueFunctionName } from "./func_graph.js";
import type { Graph } from "./graph.js";
import type { Operation } from "./operation.js";
import type { SymbolicTensor } from "./tensor.js";
import type { Frame } from "./tf1_while_frames.js";

/**
 * TensorFlow 1's while loops rebuilt as functional While ops (as TensorFlow's own "functionalize control
 * flow" pass does for XLA): a frame's loop variables are the While's loop variables, its `is_constant`
 * Enters values the cond and body capture, its cond the nodes computing the LoopCond's input from the
 * Merges, its body the nodes computing the NextIterations' inputs from the Switches' output 1, and its Exits
 * Identities of the While's outputs. Nested frames are loops built inside their parent's cond or body.
 */

/** A reference to an output (index >= 0) or, `control`, to a node itself; `node` names a node or a loop. */
export interface UnitRef {
  readonly node: string;
  readonly index: number;
  readonly control: boolean;
  readonly text: string;
}

/** What a built unit gives later units: its outputs, and the op control inputs wait for (null: none). */
export interface BuiltUnit {
  readonly op: Operation | null;
  readonly outputs: readonly (SymbolicTensor | undefined)[];
}

/** One while-loop frame, planned: its units in build order for the cond and for the body. */
export interface PlannedLoop<U> {
  readonly kind: "loop";
  /** The loop's key among units (no node name can have it: names have no spaces or quotes). */
  readonly name: string;
  readonly frame: Frame;
  /** Each loop variable's Enter input, then each invariant's, then the Enters' control inputs. */
  readonly inputs: readonly UnitRef[];
  readonly cond: readonly U[];
  readonly body: readonly U[];
}

export const loopKey = (f: Frame) => `while-loop frame '${f.name}'`;

/**
 * The loop's units, ordered for the cond and for the body. `units` holds the frame's units by key (its member
 * nodes, the loops nested in it and their Exits); `inputsOf` gives a unit's refs, `order` orders units from
 * roots the way the importer orders a graph, calling `boundary` on refs to names that are not units.
 */
export function planLoop<U>(
  frame: Frame,
  units: ReadonlyMap<string, U>,
  inputsOf: (u: U) => readonly UnitRef[],
  order: (roots: readonly U[], units: ReadonlyMap<string, U>, boundary: (r: UnitRef, from: string) => void) => U[],
  inputsOfNode: (n: NodeDef) => readonly UnitRef[],
): PlannedLoop<U> {
  const merges = new Set(frame.loopVars.map((v) => v.merge.name));
  const switches = new Set(frame.loopVars.map((v) => v.switch.name));
  const invariants = new Set(frame.invariants.map((n) => n.name));
  const boundary = (side: "cond" | "body", sees: ReadonlySet<string>) => (r: UnitRef, from: string) => {
    if (sees.has(r.node) || invariants.has(r.node)) return;
    const through = side === "cond" ? "the Merges" : "the Switches' output 1";
    throw new InvalidArgumentError(
      `importGraphDef: node '${from}', in the ${side} of ${loopKey(frame)}, reads '${r.text}', which the ${side} cannot see: it reads the loop variables through ${through}`,
    );
  };
  const unitsOf = (names: readonly string[]) => names.filter((n) => units.has(n)).map((n) => units.get(n)!);
  const dataNode = (n: NodeDef) => inputsOfNode(n).filter((r) => !r.control)[0]?.node ?? "";

  // Nodes of the frame that feed neither the LoopCond nor a NextIteration (dead ends) are still built:
  // in the cond when they read a Merge, else in the body.
  const condRoots = unitsOf([dataNode(frame.loopCond)]);
  const bodyRoots = unitsOf(frame.loopVars.map((v) => dataNode(v.nextIteration)));
  const cond = order(condRoots, units, boundary("cond", merges));
  const seen = new Set<U>(cond);
  const body = order(bodyRoots, units, boundary("body", switches));
  for (const u of body) seen.add(u);
  const left = [...units.values()].filter((u) => !seen.has(u));
  const readsMerge = (u: U, visiting = new Set<U>()): boolean => {
    if (visiting.has(u)) return false;
    visiting.add(u);
    return inputsOf(u).some((r) => merges.has(r.node) || (units.has(r.node) && readsMerge(units.get(r.node)!, visiting)));
  };
  const condExtra = left.filter((u) => readsMerge(u));
  const bodyExtra = left.filter((u) => !condExtra.includes(u));
  const enterRefs = [...frame.loopVars.map((v) => v.enter), ...frame.invariants];
  const inputs = [...enterRefs.map((e) => inputsOfNode(e).filter((r) => !r.control)[0]), ...enterRefs.flatMap((e) => inputsOfNode(e).filter((r) => r.control))];
  return {
    kind: "loop",
    name: loopKey(frame),
    frame,
    inputs,
    cond: condExtra.length > 0 ? order([...condRoots, ...condExtra], units, boundary("cond", merges)) : cond,
    body: bodyExtra.length > 0 ? order([...bodyRoots, ...bodyExtra], units, boundary("body", switches)) : body,
  };
}

/**
 * Builds the loop into `g` as a While; returns one output per loop variable (the values its Exits read).
 * `inputs` are the loop's inputs (PlannedLoop.inputs) as tensors and ops of `g`, control inputs that order
 * nothing left out; `buildUnits` builds units into the graph being traced, adding each unit's result to
 * `env`; `resolveIn` finds a data input's tensor in such an env.
 */
export function buildLoop<U>(
  g: Graph,
  loop: PlannedLoop<U>,
  inputs: readonly (SymbolicTensor | Operation)[],
  buildUnits: (units: readonly U[], env: Map<string, BuiltUnit>) => void,
  resolveIn: (env: ReadonlyMap<string, BuiltUnit>, r: UnitRef, what: string) => SymbolicTensor,
  inputsOfNode: (n: NodeDef) => readonly UnitRef[],
): SymbolicTensor[] {
  const { frame } = loop;
  const nVars = frame.loopVars.length;
  const inits = inputs.slice(0, nVars) as SymbolicTensor[];
  const captured = inputs.slice(nVars, nVars + frame.invariants.length) as SymbolicTensor[];
  const control = inputs.slice(nVars + frame.invariants.length) as Operation[];
  const withInvariants = () => new Map<string, BuiltUnit>(frame.invariants.map((e, i) => [e.name, { op: null, outputs: [captured[i]] }]));
  const dataIn = (n: NodeDef) => inputsOfNode(n).filter((r) => !r.control)[0];

  const condFn = (...vars: SymbolicTensor[]) => {
    const env = withInvariants();
    frame.loopVars.forEach((v, i) => env.set(v.merge.name, { op: null, outputs: [vars[i]] }));
    buildUnits(loop.cond, env);
    return resolveIn(env, dataIn(frame.loopCond), `importGraphDef: node '${frame.loopCond.name}' (LoopCond)`);
  };
  const bodyFn = (...vars: SymbolicTensor[]) => {
    const env = withInvariants();
    frame.loopVars.forEach((v, i) => env.set(v.switch.name, { op: null, outputs: [undefined, vars[i]] }));
    buildUnits(loop.body, env);
    return frame.loopVars.map((v) => resolveIn(env, dataIn(v.nextIteration), `importGraphDef: node '${v.nextIteration.name}' (NextIteration)`));
  };
  // The While takes the name scope of the loop's nodes ("while" for "while/Enter"), made unique once so
  // that a second attempt keeps it.
  const enterName = frame.loopVars[0].enter.name;
  const scope = g.uniqueName(enterName.includes("/") ? enterName.slice(0, enterName.lastIndexOf("/")) : "while");
  const build = (shapeInvariants: Shape[] | undefined) =>
    g.asDefault(() =>
      graphControlFlow.whileLoop(condFn as (...v: never[]) => unknown, bodyFn as (...v: never[]) => unknown, inits, {
        shapeInvariants,
        parallelIterations: frame.parallelIterations,
        maximumIterations: undefined,
        name: `${scope}/`,
      }),
    ) as SymbolicTensor[];
  return g.controlDependencies(control, () => {
    // The GraphDef holds no shape invariants (tf.while_loop's shape_invariants): when a loop variable's shape
    // changes across iterations, each one is relaxed to what it and the body's result have in common, until
    // the body keeps them.
    let shapes: Shape[] = inits.map((t) => t.shape);
    for (let attempt = 0; ; attempt++) {
      try {
        return build(attempt === 0 ? undefined : shapes);
      } catch (e) {
        if (!(e instanceof InvalidArgumentError) || !/after one iteration/.test(e.message) || attempt > nVars) throw e;
        const after = bodyShapes(g, inits, shapes, bodyFn);
        shapes = attempt === nVars ? shapes.map(() => null) : shapes.map((s, i) => commonShape(s, after[i]));
      }
    }
  });
}

/** The shapes the body gives its loop variables when they have `shapes` (traced into a body that is dropped). */
function bodyShapes(g: Graph, inits: readonly SymbolicTensor[], shapes: readonly Shape[], bodyFn: (...vars: SymbolicTensor[]) => SymbolicTensor[]): Shape[] {
  const probe = new FuncGraph(uniqueFunctionName("while_body_shapes"), g);
  return probe.asDefault(() => bodyFn(...inits.map((t, i) => probe.placeholder(t.dtype, shapes[i], "loop_var"))).map((t) => t.shape));
}

/** The most specific shape both `a` and `b` have (TensorFlow's most_specific_compatible_shape). */
function commonShape(a: Shape, b: Shape): Shape {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d === b[i] ? d : null));
}
