import { InvalidArgumentError } from "../core/errors.js";
import type { NodeDef } from "../proto/tensorflow/core/framework/node_def_pb.js";

/**
 * TensorFlow 1's while loops in a GraphDef, found as its executor finds them: each `Enter` opens the frame
 * its `frame_name` attr names (inside the frame of the Enter's input), each `Exit` returns to the parent
 * frame, and every other node lives in the frame of its inputs (a Merge's NextIteration input is the loop's
 * back edge and does not count). Per frame, the loop's structure as tf.while_loop writes it: for each loop
 * variable Enter -> Merge(Enter, NextIteration) -> Switch(Merge, LoopCond) -> Switch:1 into the body,
 * Switch:0 into the Exit; `is_constant` Enters are the loop-invariant values the loop reads.
 * graph/import_graph_def.ts rebuilds each frame as a functional While.
 */

export interface LoopVariable {
  readonly enter: NodeDef;
  readonly merge: NodeDef;
  readonly switch: NodeDef;
  readonly nextIteration: NodeDef;
}

export interface Frame {
  /** The Enters' frame_name attr. */
  readonly name: string;
  readonly parent: Frame | null;
  readonly loopVars: readonly LoopVariable[];
  /** The `is_constant` Enters: one value per loop, read in the cond and the body. */
  readonly invariants: readonly NodeDef[];
  readonly loopCond: NodeDef;
  /** The frame's Exits, each with the loop variable whose Switch:0 it reads. */
  readonly exits: readonly { readonly node: NodeDef; readonly loopVar: number }[];
  readonly parallelIterations: number;
}

export interface FrameAnalysis {
  /** Frames, parents before children. */
  readonly frames: readonly Frame[];
  /** The frame each node lives in (null: outside every loop); an Exit lives in its loop's parent frame. */
  readonly frameOf: ReadonlyMap<string, Frame | null>;
  /** Nodes that are some frame's loop structure (Enter, its Merge and Switch, NextIteration, LoopCond). */
  readonly structural: ReadonlySet<string>;
}

interface Ref {
  readonly node: string;
  readonly index: number;
  readonly control: boolean;
}

const isOp = (n: NodeDef, op: string) => n.op === op || n.op === `Ref${op}`;
/** Ops that only exist in TensorFlow 1's loops (Merge and Switch are also tf.cond's). */
const LOOP_OPS = ["Enter", "Exit", "NextIteration", "LoopCond"];

export function hasTf1Loops(nodes: readonly NodeDef[]): boolean {
  return nodes.some((n) => LOOP_OPS.some((op) => isOp(n, op)));
}

function what(n: NodeDef): string {
  return `importGraphDef: node '${n.name}' (${n.op})`;
}

function attrString(n: NodeDef, key: string): string | undefined {
  const v = n.attr[key]?.value;
  return v?.case === "s" ? new TextDecoder().decode(v.value) : undefined;
}

/**
 * The frames of a GraphDef whose nodes' inputs exist (import_graph_def checks that first); `inputs` holds
 * each node's parsed inputs. Malformed loops are errors naming the node.
 */
export function analyzeFrames(nodes: readonly NodeDef[], byName: ReadonlyMap<string, NodeDef>, inputs: ReadonlyMap<string, readonly Ref[]>): FrameAnalysis {
  const { frameOf, parents } = assignFrames(nodes, byName, inputs);
  const consumers = new Map<string, { node: NodeDef; ref: Ref }[]>();
  for (const n of nodes) {
    for (const r of inputs.get(n.name)!) {
      if (!consumers.has(r.node)) consumers.set(r.node, []);
      consumers.get(r.node)!.push({ node: n, ref: r });
    }
  }
  const dataConsumers = (name: string, index: number) => (consumers.get(name) ?? []).filter((c) => !c.ref.control && c.ref.index === index);

  const frames = new Map<string, Frame>();
  const structural = new Set<string>();
  const enters = new Map<string, NodeDef[]>();
  for (const n of nodes) {
    if (!isOp(n, "Enter")) continue;
    const f = frameOf.get(n.name)!;
    if (f === null) continue;
    if (!enters.has(f)) enters.set(f, []);
    enters.get(f)!.push(n);
  }
  // Parents first, so that each frame's parent is built before it.
  const names: string[] = [];
  const visit = (name: string) => {
    if (names.includes(name)) return;
    const p = parents.get(name)!;
    if (p !== null) visit(p);
    names.push(name);
  };
  for (const name of enters.keys()) visit(name);
  for (const name of names) {
    const frameEnters = enters.get(name)!;
    const loopVars: LoopVariable[] = [];
    const invariants: NodeDef[] = [];
    let loopCond: NodeDef | null = null;
    for (const enter of frameEnters) {
      structural.add(enter.name);
      const c = enter.attr.is_constant?.value;
      if (c?.case === "b" && c.value) {
        invariants.push(enter);
        continue;
      }
      const merges = dataConsumers(enter.name, 0).filter((x) => isOp(x.node, "Merge"));
      if (merges.length !== 1) {
        throw new InvalidArgumentError(
          `${what(enter)}: a loop variable's Enter (is_constant false) of while-loop frame '${name}' must feed exactly one Merge, but it feeds ${merges.length}`,
        );
      }
      const merge = merges[0].node;
      const mergeInputs = inputs.get(merge.name)!.filter((r) => !r.control);
      const back = mergeInputs.filter((r) => r.node !== enter.name);
      const next = back.length === 1 ? (byName.get(back[0].node) ?? null) : null;
      if (mergeInputs.length !== 2 || next === null || !isOp(next, "NextIteration")) {
        throw new InvalidArgumentError(`${what(merge)}: the Merge of loop variable '${enter.name}' must take the Enter and one NextIteration`);
      }
      const switches = dataConsumers(merge.name, 0).filter((x) => isOp(x.node, "Switch") && x.ref === inputs.get(x.node.name)![0]);
      const loopSwitches = switches.filter((x) => {
        const pred = byName.get(inputs.get(x.node.name)![1]?.node ?? "");
        return pred !== undefined && isOp(pred, "LoopCond");
      });
      if (loopSwitches.length !== 1) {
        throw new InvalidArgumentError(
          `${what(merge)}: the Merge of loop variable '${enter.name}' must feed exactly one Switch whose predicate is the loop's LoopCond`,
        );
      }
      const sw = loopSwitches[0].node;
      const cond = byName.get(inputs.get(sw.name)![1].node)!;
      if (loopCond !== null && loopCond !== cond) {
        throw new InvalidArgumentError(`${what(sw)}: while-loop frame '${name}' has two LoopConds, '${loopCond.name}' and '${cond.name}'`);
      }
      loopCond = cond;
      for (const x of [merge, sw, next]) structural.add(x.name);
      loopVars.push({ enter, merge, switch: sw, nextIteration: next });
    }
    if (loopCond === null) {
      throw new InvalidArgumentError(`${what(frameEnters[0])}: while-loop frame '${name}' has no loop variable (no Enter with is_constant false)`);
    }
    for (const n of [loopCond, ...loopVars.map((v) => v.nextIteration)]) {
      if (inputs.get(n.name)!.filter((r) => !r.control).length !== 1) throw new InvalidArgumentError(`${what(n)}: needs exactly one data input`);
    }
    structural.add(loopCond.name);
    const exits: { node: NodeDef; loopVar: number }[] = [];
    loopVars.forEach((lv, i) => {
      for (const c of dataConsumers(lv.switch.name, 0)) {
        if (!isOp(c.node, "Exit")) {
          throw new InvalidArgumentError(
            `${what(c.node)} reads '${lv.switch.name}:0', the value leaving while-loop frame '${name}'; only an Exit may read it (the body reads output 1)`,
          );
        }
        exits.push({ node: c.node, loopVar: i });
      }
    });
    const parentName = parents.get(name)!;
    const parent = parentName === null ? null : frames.get(parentName)!;
    const pi = frameEnters[0].attr.parallel_iterations?.value;
    frames.set(name, {
      name,
      parent,
      loopVars,
      invariants,
      loopCond,
      exits,
      parallelIterations: pi?.case === "i" ? Number(pi.value) : 10,
    });
  }
  const frameOfNode = new Map<string, Frame | null>();
  for (const n of nodes) {
    const name = frameOf.get(n.name)!;
    const f = name === null ? null : frames.get(name)!;
    frameOfNode.set(n.name, f);
  }
  return { frames: [...frames.values()], frameOf: frameOfNode, structural };
}

/**
 * Each node's frame name (null: outside every loop) and each frame's parent, found in an order where inputs
 * come first (the back edges NextIteration -> Merge skipped).
 */
function assignFrames(nodes: readonly NodeDef[], byName: ReadonlyMap<string, NodeDef>, inputs: ReadonlyMap<string, readonly Ref[]>) {
  const parents = new Map<string, string | null>();
  const frameOf = new Map<string, string | null>();
  const deps = (n: NodeDef): readonly Ref[] => {
    // An input the inputMap replaces by a node that the GraphDef lacks comes from outside every loop.
    const rs = inputs.get(n.name)!.filter((r) => byName.has(r.node));
    return isOp(n, "Merge") ? rs.filter((r) => !isOp(byName.get(r.node)!, "NextIteration")) : rs;
  };
  const state = new Map<string, 1 | 2>();
  for (const root of nodes) {
    if (state.has(root.name)) continue;
    const stack: { node: NodeDef; next: number }[] = [{ node: root, next: 0 }];
    state.set(root.name, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const ds = deps(top.node);
      if (top.next < ds.length) {
        const r = ds[top.next++];
        const s = state.get(r.node);
        if (s === 2) continue;
        if (s === 1) {
          const cycle = stack.slice(stack.findIndex((e) => e.node.name === r.node)).map((e) => e.node.name);
          throw new InvalidArgumentError(`importGraphDef: the GraphDef has a cycle that is not a while loop's: ${[...cycle, r.node].join(" -> ")}`);
        }
        state.set(r.node, 1);
        stack.push({ node: byName.get(r.node)!, next: 0 });
      } else {
        frameOf.set(top.node.name, frameOfNode(top.node, ds, frameOf, parents));
        state.set(top.node.name, 2);
        stack.pop();
      }
    }
  }
  return { frameOf, parents };
}

function frameOfNode(n: NodeDef, deps: readonly Ref[], frameOf: ReadonlyMap<string, string | null>, parents: Map<string, string | null>): string | null {
  const inFrame = deps.length === 0 ? null : frameOf.get(deps[0].node)!;
  if (isOp(n, "Enter")) {
    const name = attrString(n, "frame_name");
    if (name === undefined || name === "") throw new InvalidArgumentError(`${what(n)}: an Enter needs a string attr 'frame_name'`);
    if (deps.length === 0) throw new InvalidArgumentError(`${what(n)}: an Enter needs an input`);
    if (!parents.has(name)) parents.set(name, inFrame);
    else if (parents.get(name) !== inFrame) {
      throw new InvalidArgumentError(
        `${what(n)}: enters while-loop frame '${name}' from ${frameStr(inFrame)}, but other Enters of that frame come from ${frameStr(parents.get(name)!)}`,
      );
    }
    return name;
  }
  if (isOp(n, "Exit")) {
    if (inFrame === null) throw new InvalidArgumentError(`${what(n)}: an Exit whose input '${deps[0]?.node ?? ""}' is in no while loop`);
    return parents.get(inFrame)!;
  }
  for (const r of deps) {
    const f = frameOf.get(r.node)!;
    if (f !== inFrame) {
      throw new InvalidArgumentError(
        `${what(n)} has inputs from different while-loop frames: '${deps[0].node}' (${frameStr(inFrame)}) and '${r.node}' (${frameStr(f)}); a value enters a loop only through an Enter and leaves it through an Exit`,
      );
    }
  }
  return inFrame;
}

function frameStr(f: string | null): string {
  return f === null ? "outside every loop" : `frame '${f}'`;
}
